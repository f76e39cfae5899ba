"""Fixtures shared by the suite.

Database tests run on both backends: SQLite always, PostgreSQL when SUTIAO_TEST_PG_URL points at
a server (``.ci/run`` starts one). With CI=true or SUTIAO_REQUIRE_PG=1 a missing server fails the
run instead of skipping. Every test gets its own migrated database, cloned from a template that is
built once per backend, so tests can commit, roll back and run the CLI for real. A test that uses
the ``demo_center`` fixture gets its database with the demo center already loaded (the day and
size below), cloned from a second template: loading it takes seconds, and some 200 tests use it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session

from models import migrate
from web import create_app
from web.db import make_engine
from web.demo import load_demo
from web.reference import load_reference

PG_URL_ENV = "SUTIAO_TEST_PG_URL"


def pg_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("SUTIAO_REQUIRE_PG") == "1"


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


def _skip_or_fail_pg(reason: str) -> None:
    if pg_required():
        pytest.fail(f"PostgreSQL is required (CI/SUTIAO_REQUIRE_PG) but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}; run `bash .ci/run` or set {PG_URL_ENV}")


# The demo center the ``demo_center`` fixture provides: load_demo(today=, cases=, people=).
DEMO_TODAY = date(2026, 11, 20)  # a Friday
DEMO_CASES = 150
DEMO_PEOPLE = 80


class Backend:
    """Creates throwaway databases on one backend from templates: migrated with the reference
    data, and that plus the demo center."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir
        self._template: str | None = None
        self._demo_template: str | None = None
        self._created: list[str] = []  # only these are dropped: other runs may share the server

    def empty_url(self) -> str:
        token = uuid.uuid4().hex[:10]
        if self.name == "sqlite":
            return f"sqlite:///{self.workdir / f'db_{token}.sqlite'}"
        admin = _pg_admin_url()
        assert admin is not None
        name = f"sutiao_test_{token}"
        self._admin_exec(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return make_url(admin).set(database=name).render_as_string(hide_password=False)

    def migrated_url(self) -> str:
        if self._template is None:
            url = self.empty_url()
            engine = make_engine(url)
            migrate.upgrade(engine)
            with Session(engine) as session:
                load_reference(session)
                session.commit()
            engine.dispose()
            self._template = url
        return self._clone(self._template)

    def demo_url(self) -> str:
        if self._demo_template is None:
            url = self.migrated_url()
            engine = make_engine(url)
            with Session(engine) as session:
                load_demo(session, today=DEMO_TODAY, cases=DEMO_CASES, people=DEMO_PEOPLE)
                session.commit()
            engine.dispose()  # a PostgreSQL template must have no connections
            self._demo_template = url
        return self._clone(self._demo_template)

    def _clone(self, template_url: str) -> str:
        if self.name == "sqlite":
            src = make_url(template_url).database
            assert src is not None
            dst = self.workdir / f"db_{uuid.uuid4().hex[:10]}.sqlite"
            shutil.copyfile(src, dst)
            return f"sqlite:///{dst}"
        admin = _pg_admin_url()
        assert admin is not None
        name = f"sutiao_test_{uuid.uuid4().hex[:10]}"
        template = make_url(template_url).database
        self._admin_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._created.append(name)
        return make_url(admin).set(database=name).render_as_string(hide_password=False)

    def _admin_exec(self, sql: str) -> None:
        admin = make_engine(_pg_admin_url() or "", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(sql))
        finally:
            admin.dispose()

    def cleanup(self) -> None:
        if self.name != "postgres":
            return
        admin = make_engine(_pg_admin_url() or "", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in reversed(self._created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_backends: dict[str, Backend] = {}


def pytest_report_header(config: pytest.Config) -> str:
    if _pg_admin_url():
        return f"PostgreSQL: {make_url(_pg_admin_url() or '').render_as_string()}"
    if pg_required():
        return f"PostgreSQL: REQUIRED but {PG_URL_ENV} is not set; those tests will fail"
    return f"PostgreSQL: not configured ({PG_URL_ENV} unset); those tests are skipped"


@pytest.fixture(scope="session")
def _workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("databases")


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def backend(request: pytest.FixtureRequest, _workdir: Path) -> Iterator[Backend]:
    name = request.param
    if name == "postgres":
        admin = _pg_admin_url()
        if admin is None:
            _skip_or_fail_pg(f"{PG_URL_ENV} is not set")
        try:
            probe = make_engine(admin or "")
            with probe.connect() as conn:
                conn.execute(text("SELECT 1"))
            probe.dispose()
        except Exception as exc:
            _skip_or_fail_pg(f"cannot connect to {PG_URL_ENV}: {exc}")
    if name not in _backends:
        _backends[name] = Backend(name, _workdir)
    yield _backends[name]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for backend in _backends.values():
        backend.cleanup()


@pytest.fixture
def demo_center() -> date:
    """Asks for the demo center (see DEMO_*) in the test's database; its day is returned."""
    return DEMO_TODAY


@pytest.fixture
def database_url(backend: Backend, request: pytest.FixtureRequest) -> str:
    """A fresh database at head with the reference data loaded, and the demo center too when
    the test uses ``demo_center``."""
    if "demo_center" in request.fixturenames:
        return backend.demo_url()
    return backend.migrated_url()


@pytest.fixture
def empty_database_url(backend: Backend) -> str:
    return backend.empty_url()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "SUTIAO_DATABASE_URL": database_url})
    yield app
    app.extensions["sutiao.engine"].dispose()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
