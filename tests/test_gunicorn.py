"""Production smoke test: real gunicorn serving ``web:create_app()`` against PostgreSQL, on a
database prepared the way the README's Production section says (``sutiao migrate``, ``sutiao
init``, ``sutiao create-api-key``)."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gunicorn
import pytest
from factories import make_case, make_person
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Assignment, Court
from web.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
CLI = "from web.cli import main; main()"
NUMBER = "(2026)豫0802民初567号"

postgres_only = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sutiao(env: dict[str, str], cwd: Path, *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", CLI, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"sutiao {' '.join(args)}: {run.stderr}{run.stdout}"
    return run.stdout


def _get(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), json.loads(body)
    finally:
        conn.close()


def _wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn exited early:\n{log.read_text()}"
        try:
            status, _, body = _get(port, "/healthz")
        except OSError:
            time.sleep(0.2)
            continue
        assert (status, body) == (200, {"status": "ok"})
        return
    pytest.fail(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text()}")


@postgres_only
def test_gunicorn_serves_the_court_lookup_from_postgresql(
    empty_database_url: str, tmp_path: Path
) -> None:
    env = dict(os.environ)
    env.update(
        SUTIAO_DATABASE_URL=empty_database_url,
        SECRET_KEY=secrets.token_hex(16),
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    )
    assert "database at revision" in _sutiao(env, tmp_path, "migrate")
    assert "Database ready" in _sutiao(env, tmp_path, "init")
    engine = make_engine(empty_database_url)
    try:
        with Session(engine) as session:
            case = make_case(session, NUMBER)
            mediator = make_person(session, "M-001")
            session.add(
                Assignment(
                    case_id=case.id, person_id=mediator.id, role="mediator", is_presiding=True
                )
            )
            court_name = session.scalars(select(Court.name).where(Court.code == "豫0802")).one()
            session.commit()
    finally:
        engine.dispose()
    created = _sutiao(env, tmp_path, "create-api-key", "--court", "豫0802")
    key = re.search(r"\b(stk_[A-Za-z0-9_-]+)", created)
    assert key is not None, created

    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_conf"]
    command += ["--workers", "2", "--bind", f"127.0.0.1:{port}"]
    if gunicorn.version_info >= (27,):
        command.append("--no-control-socket")  # a fixed per-user path; other servers may run
    command.append("web:create_app()")
    log = tmp_path / "gunicorn.log"
    with (
        log.open("wb") as out,
        subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
        ) as process,
    ):
        try:
            _wait_healthy(port, process, log)

            full_width = quote(NUMBER.replace("(", "（").replace(")", "）"), safe="")
            auth = {"Authorization": f"Bearer {key.group(1)}"}
            status, headers, body = _get(port, f"/api/v1/cases/{full_width}", auth)
            assert status == 200, body
            assert headers["Content-Type"] == "application/json"
            assert body == {
                "case_number": NUMBER,
                "court": {"code": "豫0802", "name": court_name},
                "status": "received",
                "deadline": None,
                "team": [
                    {
                        "name": "张明",
                        "roster_no": "M-001",
                        "title": None,
                        "role": "mediator",
                        "presiding": True,
                    }
                ],
                "next_session": None,
                "history": [],
            }

            status, headers, body = _get(port, f"/api/v1/cases/{quote(NUMBER, safe='')}")
            assert status == 401
            assert body["error"]["code"] == "unauthorized"
            assert headers["WWW-Authenticate"].startswith("Bearer")

            status, _, body = _get(port, "/api/v1/openapi.json")
            assert status == 200
            assert body["openapi"].startswith("3.")
            assert any(path.startswith("/api/v1/cases/") for path in body["paths"])
        finally:
            process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert process.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def test_settings_module_freezes_the_loaded_heap_in_each_worker() -> None:
    import gc

    from web import gunicorn_conf

    assert gc.get_freeze_count() == 0
    try:
        gunicorn_conf.post_worker_init(None)
        assert gc.get_freeze_count() > 1000  # the modules, the app, SQLAlchemy's mappers
    finally:
        gc.unfreeze()
