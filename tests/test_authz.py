"""The authorisation matrix: every endpoint of the app against every kind of caller.

The expected table is written out here, independently of web/auth.py's ACCESS: a new endpoint
fails the first test until someone decides, in this file, who may use it. Allowed callers must
get past authorisation (anything but 401/403 and the login redirect); everyone else must be
stopped: 403 for a logged-in user of the wrong role or a key on a user endpoint, the login
page (pages) or 401 (API) for someone not logged in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from factories import login, make_user
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from web.apikeys import create_api_key

ANON, KEY = "anonymous", "key"
COORD, LEADER, MEDIATOR, COURT, ADMIN = "coordinator", "leader", "mediator", "court", "admin"
USERS = (COORD, LEADER, MEDIATOR, COURT, ADMIN)
CALLERS = (ANON, KEY, *USERS)
EVERYONE = frozenset(CALLERS)
LOGGED_IN = frozenset(USERS)

# endpoint -> who may use it
EXPECTED: dict[str, frozenset[str]] = {
    "static": EVERYONE,
    "auth.login": EVERYONE,
    "auth.logout": EVERYONE,
    "pages.healthz": EVERYONE,
    "pages.index": LOGGED_IN,
    "api.openapi": EVERYONE,
    "api.get_case": frozenset({KEY, COURT}),
    "api.lookup_cases": frozenset({KEY, COURT}),
    "api.intake_cases": frozenset({KEY, COORD}),
    "api.list_runs": frozenset({COORD, LEADER, ADMIN}),
    "api.create_run": frozenset({COORD}),
    "api.get_run": frozenset({COORD, LEADER, ADMIN}),
    "api.cancel_run": frozenset({COORD}),
    "api.run_proposals": frozenset({COORD, LEADER}),
    "api.publish_run": frozenset({COORD}),
    "api.pin_proposal": frozenset({COORD}),
    "api.override_proposal": frozenset({COORD}),
    "api.record_waiver": frozenset({COORD, ADMIN}),
    "api.revoke_waiver": frozenset({COORD, ADMIN}),
    "api.case_waivers": frozenset({COORD, LEADER, ADMIN}),
    "api.get_weights": frozenset({COORD, LEADER, ADMIN}),
    "api.apply_weights": frozenset({LEADER}),
    "api.preview_weights": frozenset({LEADER}),
    "feeds.calendar": EVERYONE,  # the token in the URL is the secret (tests/test_feeds.py)
    "coordinator.today": frozenset({COORD}),
    "coordinator.upload": frozenset({COORD}),
    "coordinator.runs_list": frozenset({COORD}),
    "coordinator.start_assign": frozenset({COORD}),
    "coordinator.run": frozenset({COORD}),
    "coordinator.cancel": frozenset({COORD}),
    "coordinator.review": frozenset({COORD}),
    "coordinator.pin": frozenset({COORD}),
    "coordinator.override": frozenset({COORD}),
    "coordinator.record_waiver": frozenset({COORD}),
    "coordinator.revoke_waiver": frozenset({COORD}),
    "coordinator.start_schedule": frozenset({COORD}),
    "coordinator.schedule": frozenset({COORD}),
    "coordinator.publish": frozenset({COORD}),
    "coordinator.repairs_list": frozenset({COORD}),
    "coordinator.publish_repair": frozenset({COORD}),
    "api.my_feed": frozenset({MEDIATOR}),  # a mediator's own feed links
    "api.reset_my_feed": frozenset({MEDIATOR}),
    "leader.dashboard": frozenset({LEADER}),
    "leader.weights": frozenset({LEADER}),
    "leader.preview_weights": frozenset({LEADER}),
    "leader.apply_weights": frozenset({LEADER}),
    "leader.export": frozenset({LEADER}),
    "me.index": frozenset({MEDIATOR}),
    "me.calendar": frozenset({MEDIATOR}),
    "me.reset_calendar": frozenset({MEDIATOR}),
    "me.leave": frozenset({MEDIATOR}),
    "court.index": frozenset({COURT}),
}

# Values for URL variables: harmless ones that exist nowhere, so allowed calls end in 404 or
# 400 without changing anything.
VALUES = {
    "number": "(2026)豫0802民初99999号",
    "run_id": "999999",
    "proposal_id": "999999",
    "case_id": "999999",
    "waiver_id": "999999",
    "token": "not-a-token",
    "filename": "css/app.css",
    "table": "utilisation",
}


def _requests(app: Flask) -> Iterator[tuple[str, str, str]]:
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            path = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: VALUES[m.group(1)], rule.rule)
            yield rule.endpoint, method, path


def test_every_endpoint_is_in_the_matrix(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _requests(app)}
    assert endpoints - set(EXPECTED) == set(), "decide who may use these, in EXPECTED"
    assert set(EXPECTED) - endpoints == set(), "stale entries in EXPECTED"


@pytest.fixture
def callers(app: Flask, session: Session) -> dict[str, tuple[FlaskClient, dict[str, str]]]:
    _, key = create_api_key(session, "豫0802")
    session.commit()
    clients: dict[str, tuple[FlaskClient, dict[str, str]]] = {
        ANON: (app.test_client(), {}),
        KEY: (app.test_client(), {"Authorization": f"Bearer {key}"}),
    }
    for role in USERS:
        make_user(session, f"u-{role}", role)
        client = app.test_client()
        token = login(client, f"u-{role}")
        clients[role] = (client, {"X-CSRFToken": token})
    return clients


def _call(client: FlaskClient, method: str, path: str, headers: dict[str, str]) -> Any:
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    return client.open(path, method=method, headers=headers, json=body)


def test_the_matrix(app: Flask, callers: dict[str, tuple[FlaskClient, dict[str, str]]]) -> None:
    wrong: list[str] = []
    checked = 0
    for endpoint, method, path in _requests(app):
        if endpoint == "auth.logout":
            continue  # logging out would end the caller's session; tested below
        for caller in CALLERS:
            client, headers = callers[caller]
            response = _call(client, method, path, headers)
            status = response.status_code
            to_login = status == 302 and "/login" in response.headers.get("Location", "")
            stopped = status in (401, 403) or to_login
            response.close()
            checked += 1
            if caller in EXPECTED[endpoint]:
                if stopped:
                    wrong.append(f"{caller} {method} {path}: {status}, should be allowed")
            elif not stopped:
                wrong.append(f"{caller} {method} {path}: {status}, should be refused")
            elif caller == ANON and path.startswith("/api/") and status != 401:
                wrong.append(f"{caller} {method} {path}: {status}, should be 401")
            elif caller == KEY and not path.startswith("/api/"):
                if not to_login:  # a key is no login: pages send it to the login page
                    wrong.append(f"{caller} {method} {path}: {status}, should go to login")
            elif caller != ANON and status != 403:
                wrong.append(f"{caller} {method} {path}: {status}, should be 403")
    assert checked > 100
    assert wrong == []


def test_a_forbidden_page_is_a_friendly_403(app: Flask, session: Session) -> None:
    """A role that may not see a page gets a Chinese page that says so, with a way back."""
    make_user(session, "court-user", COURT)
    client = app.test_client()
    login(client, "court-user")
    refused = [
        endpoint
        for endpoint, method, _ in _requests(app)
        if method == "GET" and not endpoint.startswith("api.") and COURT not in EXPECTED[endpoint]
    ]
    for endpoint, method, path in _requests(app):
        if endpoint in refused and method == "GET":
            response = client.get(path)
            assert response.status_code == 403
            body = response.get_data(as_text=True)
            assert "无权访问" in body and 'href="/"' in body


def test_logout_ends_the_session(app: Flask, session: Session) -> None:
    make_user(session, "c1", COORD)
    client = app.test_client()
    token = login(client, "c1")
    assert client.get("/").status_code == 200
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_inactive_users_cannot_log_in(app: Flask, session: Session) -> None:
    user = make_user(session, "c2", COORD)
    client = app.test_client()
    from factories import csrf_token

    bad = client.post(
        "/login", data={"username": "c2", "password": "wrong", "csrf_token": csrf_token(client)}
    )
    assert bad.status_code == 401 and "用户名或密码错误" in bad.get_data(as_text=True)
    user.is_active = False
    session.commit()
    gone = client.post(
        "/login",
        data={"username": "c2", "password": "correct horse 12", "csrf_token": csrf_token(client)},
    )
    assert gone.status_code == 401


def test_a_form_without_its_csrf_token_is_refused(app: Flask, session: Session) -> None:
    make_user(session, "c3", COORD)
    response = app.test_client().post(
        "/login", data={"username": "c3", "password": "correct horse 12"}
    )
    assert response.status_code == 400


def test_login_never_redirects_off_site(app: Flask, session: Session) -> None:
    make_user(session, "c4", COORD)
    client = app.test_client()
    from factories import csrf_token

    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            f"/login?next={target}",
            data={
                "username": "c4",
                "password": "correct horse 12",
                "csrf_token": csrf_token(client),
            },
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/coordinator/", target
        client.post("/logout", data={"csrf_token": csrf_token(client)})
