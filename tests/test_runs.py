"""Runs in the background, through the API as the coordinator uses it, on SQLite and
PostgreSQL: intake → assign → pin → re-run → schedule → publish → court lookup; progress,
cancellation, a failure mid-way, a process killed mid-run, and the two-publishers race."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from factories import login, make_user
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.result import Cancelled
from models import AssignmentRun, Booking, Proposal
from models import Session as SessionRow
from models.vocabulary import RunStatus
from web import api, runs, workflow
from web.apikeys import create_api_key

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
NEW_CASE = "(2026)豫0802民诉前调9001号"


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "now", lambda: NOW)


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY  # the demo center is in the database already
    make_user(session, "coord", "coordinator")
    make_user(session, "lead", "leader")
    return session


@pytest.fixture
def coordinator(app: Flask, demo: Session) -> tuple[FlaskClient, dict[str, str]]:
    client = app.test_client()
    token = login(client, "coord")
    return client, {"X-CSRFToken": token}


def _wait(app: Flask, run_id: int, timeout: float = 180) -> None:
    chosen = runs.executor(app)
    assert isinstance(chosen, runs.InlineExecutor)
    chosen.wait(run_id, timeout)


def _run(client: FlaskClient, run_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/runs/{run_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def test_daily_run_through_the_api_in_the_background(
    app: Flask, demo: Session, coordinator: tuple[FlaskClient, dict[str, str]]
) -> None:
    client, csrf = coordinator
    # A court sends a case through the intake API.
    _, key = create_api_key(demo, "豫0802")
    demo.commit()
    court = {"Authorization": f"Bearer {key}"}
    intake = client.post(
        "/api/v1/cases",
        headers=court,
        json={
            "cases": [
                {
                    "case_number": NEW_CASE,
                    "court": "豫0802",
                    "mode": "委派",
                    "instance": "",
                    "procedure": "简易",
                    "cause": "金融借款合同纠纷",
                    "amount": "86000.00",
                    "plaintiff": "中国工商银行股份有限公司焦作分行",
                    "defendants": "李四",
                    "received_on": TODAY.isoformat(),
                    "is_complex": "否",
                    "needs_evaluation": "否",
                }
            ]
        },
    )
    assert intake.status_code == 201, intake.get_json()

    # Assign: 202 at once, a Location to follow, and the run finishes in the background.
    queued = client.post(
        "/api/v1/runs",
        headers=csrf,
        json={"kind": "assign", "time_limit": 3, "today": TODAY.isoformat()},
    )
    assert queued.status_code == 202, queued.get_json()
    first = queued.get_json()
    assert first["status"] in ("queued", "running", "succeeded")
    assert queued.headers["Location"] == f"/api/v1/runs/{first['id']}"
    _wait(app, first["id"])
    done = _run(client, first["id"])
    assert done["status"] == "succeeded", done["error"]
    assert done["progress"] and done["objective"] is not None and done["bound"] is not None
    assert done["executor"] == "inline" and done["heartbeat_at"] is not None

    # Review: the new case has a team; pin its first member, with a reason.
    review = client.get(f"/api/v1/runs/{first['id']}/proposals").get_json()
    entry = next(c for c in review["cases"] if c["case_number"] == NEW_CASE)
    member = entry["team"][0]
    assert entry["explanation"]
    refused = client.post(f"/api/v1/proposals/{member['proposal']}/pin", headers=csrf, json={})
    assert refused.status_code == 400 and "reason" in refused.get_json()["error"]["details"]
    pinned = client.post(
        f"/api/v1/proposals/{member['proposal']}/pin",
        headers=csrf,
        json={"reason": "当事人要求原调解员继续"},
    )
    assert pinned.status_code == 200 and pinned.get_json()["pinned"] is True

    # Re-run with the pin kept.
    again = client.post(
        "/api/v1/runs",
        headers=csrf,
        json={"kind": "assign", "time_limit": 3, "today": TODAY.isoformat(), "parent": first["id"]},
    ).get_json()
    _wait(app, again["id"])
    assert _run(client, again["id"])["status"] == "succeeded"
    rerun = client.get(f"/api/v1/runs/{again['id']}/proposals").get_json()
    kept = next(c for c in rerun["cases"] if c["case_number"] == NEW_CASE)
    assert any(m["person"] == member["person"] and m["pinned"] for m in kept["team"])

    # Schedule, then publish.
    sched = client.post(
        "/api/v1/runs",
        headers=csrf,
        json={
            "kind": "schedule",
            "assign_run": again["id"],
            "time_limit": 5,
            "today": TODAY.isoformat(),
        },
    ).get_json()
    _wait(app, sched["id"])
    assert _run(client, sched["id"])["status"] == "succeeded"
    published = client.post(f"/api/v1/runs/{again['id']}/publish", headers=csrf)
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["sessions"] > 0
    twice = client.post(f"/api/v1/runs/{again['id']}/publish", headers=csrf)
    assert twice.status_code == 409 and "already published" in twice.get_json()["error"]["message"]

    # The court sees the published team and the date.
    looked = client.get(f"/api/v1/cases/{quote(NEW_CASE)}", headers=court)
    assert looked.status_code == 200
    case = looked.get_json()
    assert case["status"] == "scheduled"
    assert any(m["presiding"] for m in case["team"])
    assert member["roster_no"] in {m["roster_no"] for m in case["team"]}
    assert case["next_session"]["start"].endswith("+08:00")


def test_unsafe_api_calls_from_a_browser_need_the_csrf_token(app: Flask, demo: Session) -> None:
    client = app.test_client()
    login(client, "coord")
    before = demo.scalar(select(func.count()).select_from(AssignmentRun))
    response = client.post("/api/v1/runs", json={"kind": "assign", "time_limit": 1})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert demo.scalar(select(func.count()).select_from(AssignmentRun)) == before


def test_bad_run_requests_name_the_field(coordinator: tuple[FlaskClient, dict[str, str]]) -> None:
    client, csrf = coordinator
    cases = [
        ({"kind": "sleep"}, "kind"),
        ({"kind": "assign", "time_limit": -1}, "time_limit"),
        ({"kind": "assign", "time_limit": "ten"}, "time_limit"),
        ({"kind": "assign", "today": "2026-13-01"}, "today"),
        ({"kind": "assign", "colour": "red"}, "colour"),
        ({"kind": "schedule"}, "assign_run"),
        ({"kind": "schedule", "assign_run": 2**100}, "assign_run"),  # found by the fuzzer
        ({"kind": "assign", "parent": -1}, "parent"),
        ({}, "kind"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/runs", headers=csrf, json=body)
        assert response.status_code == 400, body
        assert field in response.get_json()["error"]["details"], (body, response.get_json())
    missing = client.post("/api/v1/runs", headers=csrf, json={"kind": "assign", "parent": 999})
    assert missing.status_code == 404
    assert client.get("/api/v1/runs/999").status_code == 404


def _slow_solver(started: threading.Event) -> Any:
    """A stand-in matcher that runs until it is told to stop (the real solvers' response to
    the stop event is tested in test_solver_cancel.py)."""

    def solve(problem: Any, *, stop: threading.Event | None = None, **_: Any) -> Any:
        started.set()
        assert stop is not None
        while not stop.wait(0.05):
            pass
        raise Cancelled("the solve was cancelled")

    return solve


def test_cancel_a_running_run(
    app: Flask,
    demo: Session,
    coordinator: tuple[FlaskClient, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app.config["SUTIAO_RUN_HEARTBEAT_SECONDS"] = 0.2
    started = threading.Event()
    monkeypatch.setattr(workflow, "solve_matching", _slow_solver(started))
    client, csrf = coordinator
    run = client.post(
        "/api/v1/runs", headers=csrf, json={"kind": "assign", "time_limit": 600}
    ).get_json()
    assert started.wait(60)
    assert _run(client, run["id"])["status"] == "running"
    cancelled = client.post(f"/api/v1/runs/{run['id']}/cancel", headers=csrf)
    assert cancelled.status_code == 202 and cancelled.get_json()["cancel_requested"]
    _wait(app, run["id"], timeout=30)
    final = _run(client, run["id"])
    assert final["status"] == "cancelled" and "cancelled" in final["error"]
    assert demo.scalar(select(func.count()).where(Proposal.run_id == run["id"])) == 0
    again = client.post(f"/api/v1/runs/{run['id']}/cancel", headers=csrf)
    assert again.status_code == 409


def test_a_queued_run_is_cancelled_at_once(demo: Session) -> None:
    run = workflow.create_assign_run(demo, today=TODAY, time_limit=1)
    assert workflow.cancel_run(demo, run.id).status == RunStatus.CANCELLED
    # A worker that picks it up later does nothing with it.
    assert workflow.execute_run(demo, run.id).status == RunStatus.CANCELLED
    assert demo.scalar(select(func.count()).where(Proposal.run_id == run.id)) == 0


def test_a_run_failing_mid_way_is_failed_and_leaves_nothing(
    app: Flask,
    demo: Session,
    coordinator: tuple[FlaskClient, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, csrf = coordinator
    ok = client.post(
        "/api/v1/runs",
        headers=csrf,
        json={"kind": "assign", "time_limit": 2, "today": "2026-11-20"},
    ).get_json()
    _wait(app, ok["id"])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("the solver ran out of memory")

    monkeypatch.setattr(workflow, "solve_schedule", broken)
    bookings = demo.scalar(select(func.count()).select_from(Booking))
    sched = client.post(
        "/api/v1/runs",
        headers=csrf,
        json={"kind": "schedule", "assign_run": ok["id"], "today": "2026-11-20"},
    ).get_json()
    _wait(app, sched["id"])
    failed = _run(client, sched["id"])
    assert failed["status"] == "failed" and "out of memory" in failed["error"]
    assert demo.scalar(select(func.count()).where(SessionRow.run_id == sched["id"])) == 0
    # Publishing the assignment now publishes teams but no sessions of the failed schedule.
    published = client.post(f"/api/v1/runs/{ok['id']}/publish", headers=csrf).get_json()
    assert published["sessions"] == 0
    assert demo.scalar(select(func.count()).select_from(Booking)) == bookings


def test_a_stale_run_is_marked_failed(app: Flask, demo: Session) -> None:
    run = workflow.create_assign_run(demo, today=TODAY, time_limit=1)
    run.status = RunStatus.RUNNING
    run.started_at = run.heartbeat_at = datetime.now(UTC) - timedelta(minutes=5)
    demo.commit()
    with app.app_context():
        assert runs.reap(demo, app=app) == [run.id]
    demo.refresh(run)
    assert run.status == RunStatus.FAILED and "no heartbeat since" in (run.error or "")


def test_killing_the_process_mid_run_fails_the_run(
    app: Flask, demo: Session, database_url: str, tmp_path: Path
) -> None:
    """A real `sutiao assign` killed with SIGKILL while it solves: the run does not stay
    running; nothing it computed is stored."""
    env = {
        **os.environ,
        "SUTIAO_DATABASE_URL": database_url,
        "SUTIAO_RUN_HEARTBEAT_SECONDS": "0.5",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "sutiao"),
            "assign",
            "--time-limit",
            "300",
            "--today",
            "2026-11-20",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        run = _wait_for_heartbeat(demo, timeout=120)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    app.config["SUTIAO_RUN_STALE_SECONDS"] = 1.5
    time.sleep(2)
    with app.app_context():
        reaped = runs.reap(demo, app=app)
    assert run.id in reaped
    demo.expire_all()
    final = demo.get_one(AssignmentRun, run.id)
    assert final.status == RunStatus.FAILED and "worker stopped responding" in (final.error or "")
    assert demo.scalar(select(func.count()).where(Proposal.run_id == run.id)) == 0


def _wait_for_heartbeat(session: Session, timeout: float) -> AssignmentRun:
    """The running run once its worker has beaten at least twice."""
    deadline = time.monotonic() + timeout
    first: datetime | None = None
    while time.monotonic() < deadline:
        session.expire_all()
        run = session.scalars(
            select(AssignmentRun).where(AssignmentRun.status == RunStatus.RUNNING)
        ).first()
        if run is not None and run.heartbeat_at is not None:
            if first is None:
                first = run.heartbeat_at
            elif run.heartbeat_at > first:
                return run
        time.sleep(0.2)
    raise AssertionError("no run started beating within the timeout")


@pytest.fixture(autouse=True)
def _finish_background_runs(app: Flask) -> Iterator[None]:
    yield
    chosen = app.extensions.get("sutiao.executor")
    if isinstance(chosen, runs.InlineExecutor):
        for future in chosen.futures.values():
            future.result(timeout=120)
