"""The production executor: runs queued on a real Redis server and executed by a real
`sutiao worker` process (RQ), on SQLite and PostgreSQL. A worker killed mid-run leaves a run
that is marked failed, never one that stays running."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from factories import login, make_user
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AssignmentRun, Proposal
from models.vocabulary import RunStatus
from web import create_app, runs

TODAY = date(2026, 11, 20)
SUTIAO = str(Path(sys.executable).parent / "sutiao")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI (.ci/run installs it)", pytrace=False)
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY  # the demo center is in the database already
    make_user(session, "coord", "coordinator")
    return session


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SUTIAO_DATABASE_URL": database_url,
        "SUTIAO_RUN_EXECUTOR": "rq",
        "SUTIAO_REDIS_URL": redis_url,
        "SUTIAO_RQ_QUEUE": f"test-{os.getpid()}-{time.monotonic_ns()}",
        "SUTIAO_RUN_HEARTBEAT_SECONDS": "0.5",
    }


@pytest.fixture
def rq_app(
    database_url: str, redis_url: str, demo: Session
) -> Iterator[tuple[Flask, dict[str, str]]]:
    env = _env(database_url, redis_url)
    app = create_app(
        {
            "TESTING": True,
            "SUTIAO_DATABASE_URL": database_url,
            "SUTIAO_RUN_EXECUTOR": "rq",
            "SUTIAO_REDIS_URL": redis_url,
            "SUTIAO_RQ_QUEUE": env["SUTIAO_RQ_QUEUE"],
        }
    )
    yield app, env
    chosen = app.extensions.get("sutiao.executor")
    if isinstance(chosen, runs.RQExecutor):
        chosen.queue().empty()
        chosen.connection.close()
    app.extensions["sutiao.engine"].dispose()


def _worker(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [SUTIAO, "worker"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the work horse dies with it
    )


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (RQ's work horse runs in a session of its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> str:
    horses = _children(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    for pid in horses:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    out, _ = process.communicate(timeout=60)
    return out.decode(errors="replace")


def _status(session: Session, run_id: int) -> AssignmentRun:
    session.expire_all()
    return session.get_one(AssignmentRun, run_id)


def test_a_run_goes_through_a_real_rq_worker(
    rq_app: tuple[Flask, dict[str, str]], demo: Session, tmp_path: Path
) -> None:
    app, env = rq_app
    client = app.test_client()
    csrf = {"X-CSRFToken": login(client, "coord")}
    worker = _worker(env, tmp_path)
    try:
        queued = client.post(
            "/api/v1/runs",
            headers=csrf,
            json={"kind": "assign", "time_limit": 3, "today": TODAY.isoformat()},
        )
        assert queued.status_code == 202, queued.get_json()
        body = queued.get_json()
        assert body["executor"] == "rq" and body["status"] == "queued"
        run_id = body["id"]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            state = client.get(f"/api/v1/runs/{run_id}").get_json()
            if state["status"] not in ("queued", "running"):
                break
            time.sleep(0.5)
        assert state["status"] == "succeeded", (state, _stop(worker))
        assert state["progress"] and state["objective"] is not None
        assert _status(demo, run_id).job_id == f"sutiao-run-{run_id}"
        assert demo.scalar(select(func.count()).where(Proposal.run_id == run_id)) > 0
    finally:
        _stop(worker)


def test_a_killed_worker_fails_its_run(
    rq_app: tuple[Flask, dict[str, str]], demo: Session, tmp_path: Path
) -> None:
    app, env = rq_app
    app.config["SUTIAO_RUN_STALE_SECONDS"] = 2.0
    client = app.test_client()
    csrf = {"X-CSRFToken": login(client, "coord")}
    worker = _worker(env, tmp_path)
    try:
        run_id = client.post(
            "/api/v1/runs",
            headers=csrf,
            json={"kind": "assign", "time_limit": 300, "today": TODAY.isoformat()},
        ).get_json()["id"]
        deadline = time.monotonic() + 120
        beats: set[object] = set()
        while time.monotonic() < deadline and len(beats) < 2:
            run = _status(demo, run_id)
            if run.status == RunStatus.RUNNING and run.heartbeat_at is not None:
                beats.add(run.heartbeat_at)
            time.sleep(0.2)
        assert len(beats) >= 2, "the worker never started the run"
    finally:
        _stop(worker, signal.SIGKILL)  # the worker and its work horse, mid-solve
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/runs/{run_id}").get_json()
        if state["status"] != "running":
            break
        time.sleep(0.5)
    assert state["status"] == "failed", state
    assert "worker stopped responding" in state["error"] or "RQ job" in state["error"]
    assert demo.scalar(select(func.count()).where(Proposal.run_id == run_id)) == 0


def test_an_unreachable_queue_fails_the_run_at_once(demo: Session, database_url: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SUTIAO_DATABASE_URL": database_url,
            "SUTIAO_RUN_EXECUTOR": "rq",
            "SUTIAO_REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",
        }
    )
    client = app.test_client()
    csrf = {"X-CSRFToken": login(client, "coord")}
    response = client.post("/api/v1/runs", headers=csrf, json={"kind": "assign", "time_limit": 1})
    assert response.status_code == 400
    assert "could not be queued" in response.get_json()["error"]["message"]
    run = demo.scalars(select(AssignmentRun).order_by(AssignmentRun.id.desc())).first()
    demo.refresh(run)
    assert run is not None and run.status == RunStatus.FAILED and run.executor == "rq"
    app.extensions["sutiao.engine"].dispose()
