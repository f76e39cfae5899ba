"""A bounded schemathesis run against /api/v1/openapi.json: generated requests, valid and not,
for every operation, as a court key, a coordinator and a leader. No answer may be a server
error, and every answer must be one the document declares (status code and content type)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from factories import login, make_user
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance
from sqlalchemy.orm import Session

from web import create_app, runs
from web.apikeys import create_api_key

MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, Any]]]:
    """One SQLite app for the whole run, with a key and two logged-in users."""
    from models import migrate
    from web.db import make_engine
    from web.reference import load_reference

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_reference(session)
        session.commit()
        _, key = create_api_key(session, "豫08")
        session.commit()
        make_user(session, "fz-coord", "coordinator")
        make_user(session, "fz-lead", "leader")
    engine.dispose()
    app = create_app(
        {
            "TESTING": True,
            "SUTIAO_DATABASE_URL": url,
            "SUTIAO_API_RATE_LIMIT": "100000 per minute",
            # The fuzzer's WSGI client is not the browser that logged in; session protection
            # (tested elsewhere) would log it out.
            "SESSION_PROTECTION": None,
        }
    )
    headers: dict[str, Any] = {"key": {"Authorization": f"Bearer {key}"}}
    for caller, username in (("coordinator", "fz-coord"), ("leader", "fz-lead")):
        client = app.test_client()
        token = login(client, username)
        cookie = client.get_cookie("session")
        assert cookie is not None
        headers[caller] = {"X-CSRFToken": token, "cookies": {"session": cookie.value}}
    yield app, headers
    chosen = app.extensions.get("sutiao.executor")
    if isinstance(chosen, runs.InlineExecutor):
        for future in chosen.futures.values():
            future.result(timeout=300)
    app.extensions["sutiao.engine"].dispose()


@pytest.fixture(scope="module")
def api_schema(fuzz_app: tuple[Flask, dict[str, Any]]) -> Any:
    app, _ = fuzz_app
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _check(case: Any, caller: dict[str, Any]) -> None:
    headers = {k: v for k, v in caller.items() if k != "cookies"}
    if isinstance(case.body, dict) and "time_limit" in case.body:
        # Valid runs really run: keep them short so the fuzz stays bounded.
        value = case.body["time_limit"]
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 1:
            case.body["time_limit"] = 1
    case.call_and_validate(
        headers=headers,
        cookies=caller.get("cookies"),
        checks=[not_a_server_error, status_code_conformance, content_type_conformance],
    )


BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _operations(api_schema: Any) -> list[Any]:
    found = [result.ok() for result in api_schema.get_all_operations()]
    assert len(found) >= 10
    return found


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["key", "coordinator", "leader"])
def test_no_server_errors(
    caller: str, api_schema: Any, fuzz_app: tuple[Flask, dict[str, Any]]
) -> None:
    headers = fuzz_app[1][caller]
    for operation in _operations(api_schema):

        @given(case=operation.as_strategy())
        @BOUNDED
        def run(case: Any) -> None:
            _check(case, headers)

        run()
