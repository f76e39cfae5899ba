"""The court lookup API on SQLite and PostgreSQL: keys and scope, 案号 forms, the published team
and next session, batch lookup, audit, rate limits, JSON errors and the OpenAPI document."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from models import ApiKey, Assignment, AuditEntry, Case, Court, SessionCase
from models import Session as SessionRow
from models.vocabulary import SessionStatus
from scheduler.problem import TZ
from web import api, apikeys, create_app, workflow
from web.apikeys import create_api_key, revoke_api_key

TODAY = date(2026, 11, 20)
# The lookup's "now": the morning of the demo day, so that the published sessions lie ahead.
NOW = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "now", lambda: NOW)


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY  # the demo center is in the database already
    return session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _key(session: Session, court: str) -> tuple[str, str]:
    row, plaintext = create_api_key(session, court)
    session.commit()
    return row.prefix, plaintext


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _full_width(number: str) -> str:
    return number.replace("(", "（").replace(")", "）")


def _scheduled_case(session: Session) -> Case:
    """A basic court's case with a published, upcoming session (and so a published team)."""
    case = session.scalars(
        select(Case)
        .join(SessionCase, SessionCase.case_id == Case.id)
        .join(SessionRow, SessionRow.id == SessionCase.session_id)
        .where(SessionRow.is_published.is_(True), SessionRow.starts_at > NOW)
        .where(SessionRow.status != SessionStatus.CANCELLED)
        .where(Case.court_code != "豫08")
        .order_by(Case.id)
    ).first()
    assert case is not None
    return case


def _case_elsewhere(session: Session, court_code: str) -> Case:
    """Another basic court's case."""
    case = session.scalars(
        select(Case)
        .where(Case.court_code != court_code, Case.court_code != "豫08")
        .order_by(Case.id)
    ).first()
    assert case is not None
    return case


def _team(session: Session, case: Case) -> set[tuple[str, str, bool]]:
    rows = session.scalars(select(Assignment).where(Assignment.case_id == case.id)).all()
    return {(a.person.roster_no, a.role, a.is_presiding) for a in rows}


def _next_start(session: Session, case: Case) -> str:
    starts = session.scalars(
        select(SessionRow.starts_at)
        .join(SessionCase, SessionCase.session_id == SessionRow.id)
        .where(SessionCase.case_id == case.id, SessionRow.is_published.is_(True))
        .where(SessionRow.status != SessionStatus.CANCELLED, SessionRow.ends_at > NOW)
        .order_by(SessionRow.starts_at)
    ).all()
    return starts[0].astimezone(TZ).isoformat()


# --- the end-to-end path ------------------------------------------------------------------------


@pytest.mark.slow
def test_published_run_is_visible_by_any_form_of_the_case_number(
    demo: Session, client: FlaskClient
) -> None:
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=3)
    workflow.publish(demo, run.id)
    demo.expire_all()
    row = demo.scalars(
        select(SessionRow)
        .where(SessionRow.run_id == sched.id, SessionRow.is_published.is_(True))
        .order_by(SessionRow.id)
    ).first()
    assert row is not None
    case = row.cases[0]
    _, key = _key(demo, case.court_code)

    number = case.case_number
    forms = [number, _full_width(number), quote(number), quote(_full_width(number))]
    bodies = []
    for form in forms:
        response = client.get(f"/api/v1/cases/{form}", headers=_auth(key))
        assert response.status_code == 200, response.get_data(as_text=True)
        bodies.append(response.get_json())
    assert all(b == bodies[0] for b in bodies)
    body = bodies[0]
    assert body["case_number"] == number
    assert body["court"]["code"] == case.court_code
    assert body["status"] == "scheduled"
    assert body["deadline"] == (case.deadline_on.isoformat() if case.deadline_on else None)
    team = {(m["roster_no"], m["role"], m["presiding"]) for m in body["team"]}
    assert team and team == _team(demo, case)
    assert all(m["name"] and m["roster_no"] for m in body["team"])
    nxt = body["next_session"]
    assert nxt["start"] == _next_start(demo, case)
    assert nxt["start"].endswith("+08:00") and nxt["end"].endswith("+08:00")
    assert datetime.fromisoformat(nxt["start"]).date() >= TODAY
    assert isinstance(nxt["online"], bool)
    assert nxt["online"] or nxt["address"]
    assert body["history"] and all(h["sequence"] >= 0 for h in body["history"])


# --- scope, keys and the 案号 -------------------------------------------------------------------


def test_lookup_shows_team_and_next_session(demo: Session, client: FlaskClient) -> None:
    case = _scheduled_case(demo)
    _, key = _key(demo, case.court_code)
    response = client.get(
        f"/api/v1/cases/{quote(_full_width(case.case_number))}", headers=_auth(key)
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["case_number"] == case.case_number
    assert {(m["roster_no"], m["role"], m["presiding"]) for m in body["team"]} == _team(demo, case)
    assert body["next_session"]["start"] == _next_start(demo, case)
    starts = [h["start"] for h in body["history"]]
    assert starts == sorted(starts) and body["next_session"]["start"] in starts


def test_no_personal_names_of_parties(demo: Session, client: FlaskClient) -> None:
    case = _scheduled_case(demo)
    _, key = _key(demo, case.court_code)
    people = [p.name for p in case.parties if p.is_natural_person]
    assert people, "the demo case should have a natural-person party"
    text = client.get(f"/api/v1/cases/{quote(case.case_number)}", headers=_auth(key)).get_data(
        as_text=True
    )
    for name in people:
        assert name not in text


def test_cancelled_and_past_sessions_are_not_next(demo: Session, client: FlaskClient) -> None:
    case = _scheduled_case(demo)
    _, key = _key(demo, case.court_code)
    first = _next_start(demo, case)
    row = demo.scalars(
        select(SessionRow)
        .join(SessionCase, SessionCase.session_id == SessionRow.id)
        .where(SessionCase.case_id == case.id, SessionRow.is_published.is_(True))
        .where(SessionRow.ends_at > NOW)
        .order_by(SessionRow.starts_at)
    ).first()
    assert row is not None
    row.status = SessionStatus.CANCELLED
    demo.commit()
    body = client.get(f"/api/v1/cases/{quote(case.case_number)}", headers=_auth(key)).get_json()
    assert body["next_session"] is None or body["next_session"]["start"] != first
    assert any(h["status"] == "cancelled" and h["start"] == first for h in body["history"])


def test_other_courts_case_answers_exactly_like_a_missing_one(
    demo: Session, client: FlaskClient
) -> None:
    case = _scheduled_case(demo)
    _, other = _key(demo, _case_elsewhere(demo, case.court_code).court_code)
    hidden = client.get(f"/api/v1/cases/{quote(case.case_number)}", headers=_auth(other))
    missing_number = re.sub(r"\d+号$", "999999号", case.case_number)
    missing = client.get(f"/api/v1/cases/{quote(missing_number)}", headers=_auth(other))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data(as_text=True).replace(case.case_number, "N") == missing.get_data(
        as_text=True
    ).replace(missing_number, "N")
    assert hidden.headers.get("Content-Type") == missing.headers.get("Content-Type")
    assert hidden.get_json() == {
        "error": {
            "code": "not_found",
            "message": f"no case {case.case_number}",
            "details": {"case_number": case.case_number},
        }
    }


def test_intermediate_court_sees_its_basic_courts(demo: Session, client: FlaskClient) -> None:
    basic_case = _scheduled_case(demo)
    _, intermediate = _key(demo, "豫08")
    url = f"/api/v1/cases/{quote(basic_case.case_number)}"
    response = client.get(url, headers=_auth(intermediate))
    assert response.status_code == 200
    body = response.get_json()
    assert body["court"] == {"code": basic_case.court_code, "name": basic_case.court.name}
    assert body["team"] and body["next_session"]
    # ...but a basic court does not see the intermediate court's own (second-instance) cases.
    appeal = demo.scalars(select(Case).where(Case.court_code == "豫08")).first()
    assert appeal is not None
    _, basic = _key(demo, basic_case.court_code)
    assert (
        client.get(f"/api/v1/cases/{quote(appeal.case_number)}", headers=_auth(basic)).status_code
        == 404
    )
    ok = client.get(f"/api/v1/cases/{quote(appeal.case_number)}", headers=_auth(intermediate))
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "missing"),
        ({"Authorization": "Bearer stk_00000000_nothing"}, "unknown or revoked key"),
        ({"X-API-Key": "not-a-key"}, "unknown or revoked key"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "unsupported scheme 'Basic'; use Bearer"),
        ({"Authorization": "Bearer "}, "unsupported scheme"),
    ],
)
def test_no_or_bad_key_is_401(
    demo: Session, client: FlaskClient, headers: dict[str, str], detail: str
) -> None:
    case = _scheduled_case(demo)
    response = client.get(f"/api/v1/cases/{quote(case.case_number)}", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    error = response.get_json()["error"]
    assert error["code"] == "unauthorized" and error["message"]
    assert error["details"]["authorization"].startswith(detail)
    batch = client.post("/api/v1/cases/lookup", json={"case_numbers": []}, headers=headers)
    assert batch.status_code == 401


def test_revoked_key_is_401_and_x_api_key_header_works(demo: Session, client: FlaskClient) -> None:
    case = _scheduled_case(demo)
    prefix, key = _key(demo, case.court_code)
    url = f"/api/v1/cases/{quote(case.case_number)}"
    assert client.get(url, headers={"X-API-Key": key}).status_code == 200
    revoke_api_key(demo, prefix)
    demo.commit()
    response = client.get(url, headers={"X-API-Key": key})
    assert response.status_code == 401
    assert "revoked" in response.get_json()["error"]["message"]


def test_a_remembered_key_is_refused_once_revoked_and_reads_nothing(
    app: Flask, demo: Session, client: FlaskClient
) -> None:
    # The lookups remember a key for a while instead of reading it again on every request...
    reads: list[str] = []

    def note_key_reads(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "key_courts" in statement:  # apikeys._KEY_AND_COURTS, the key's read
            reads.append(statement)

    engine = app.extensions["sutiao.engine"]
    event.listen(engine, "before_cursor_execute", note_key_reads)
    case = _scheduled_case(demo)
    prefix, key = _key(demo, case.court_code)
    url = f"/api/v1/cases/{quote(case.case_number)}"
    for _ in range(3):
        assert client.get(url, headers=_auth(key)).status_code == 200
    lookup = {"case_numbers": [case.case_number]}
    assert client.post("/api/v1/cases/lookup", json=lookup, headers=_auth(key)).status_code == 200
    event.remove(engine, "before_cursor_execute", note_key_reads)
    assert len(reads) == 1
    memo = app.extensions["sutiao.key_memo"]
    assert memo.get(apikeys.digest(key)) is not None

    # ...but its read confirms the key is live: revoked meanwhile, it answers 401, reads no case
    # and audits no read, and the process forgets the key.
    revoke_api_key(demo, prefix)
    demo.commit()
    audited = demo.scalar(select(func.count()).select_from(AuditEntry))
    for request in (
        lambda: client.get(url, headers=_auth(key)),
        lambda: client.post("/api/v1/cases/lookup", json=lookup, headers=_auth(key)),
        lambda: client.post("/api/v1/cases/lookup", json={"case_numbers": []}, headers=_auth(key)),
    ):
        memo.put(apikeys.digest(key), _remembered(demo, prefix))
        response = request()
        assert response.status_code == 401, response.get_data(as_text=True)
        assert response.get_json()["error"]["details"] == {
            "authorization": "unknown or revoked key"
        }
        assert case.case_number not in response.get_data(as_text=True)
        assert memo.get(apikeys.digest(key)) is None
    demo.expire_all()
    assert demo.scalar(select(func.count()).select_from(AuditEntry)) == audited


def _remembered(session: Session, prefix: str) -> apikeys.KeyCaller:
    """What a process remembered of the key with this prefix before it was revoked."""
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one()
    courts = frozenset(apikeys.courts_under(session, key.court_id))
    return apikeys.KeyCaller(id=key.id, prefix=key.prefix, court_id=key.court_id, courts=courts)


def test_key_memo_forgets_after_its_time_and_when_full() -> None:
    caller = apikeys.KeyCaller(id=1, prefix="abcd1234", court_id=1, courts=frozenset({1}))
    memo = apikeys.KeyMemo(seconds=0.05, size=2)
    memo.put("a", caller)
    assert memo.get("a") == caller
    time.sleep(0.06)
    assert memo.get("a") is None
    memo.put("a", caller)
    memo.put("b", caller)
    memo.put("c", caller)  # full: starts over
    assert memo.get("a") is None and memo.get("c") == caller


def test_unparseable_case_number_is_400_naming_the_field(
    demo: Session, client: FlaskClient
) -> None:
    _, key = _key(demo, "豫0802")
    response = client.get(f"/api/v1/cases/{quote('2026豫0802民初1号')}", headers=_auth(key))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_case_number"
    assert "year in parentheses" in error["details"]["case_number"]


# --- batch lookup --------------------------------------------------------------------------------


def test_batch_lookup_reports_each_number(demo: Session, client: FlaskClient) -> None:
    case = _scheduled_case(demo)
    hidden = _case_elsewhere(demo, case.court_code)
    _, key = _key(demo, case.court_code)
    missing = re.sub(r"\d+号$", "999999号", case.case_number)
    numbers: list[Any] = [_full_width(case.case_number), missing, "垃圾", 42, hidden.case_number]
    response = client.post(
        "/api/v1/cases/lookup", json={"case_numbers": numbers}, headers=_auth(key)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert [r["query"] for r in results] == numbers
    assert [r["found"] for r in results] == [True, False, False, False, False]
    assert results[0]["case_number"] == case.case_number
    assert results[0]["team"] and results[0]["next_session"]["start"] == _next_start(demo, case)
    assert results[1] == {"query": missing, "case_number": missing, "found": False}
    assert results[2]["error"]["code"] == "bad_case_number"
    assert "year in parentheses" in results[2]["error"]["message"]
    assert results[3]["error"]["message"] == "must be a string"
    # Another court's case reads exactly like a missing one.
    assert results[4] == {
        "query": hidden.case_number,
        "case_number": hidden.case_number,
        "found": False,
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"case_numbers": ["(2026)豫0802民初1号"] * 501}, "case_numbers", "at most 500"),
        ({}, "case_numbers", "required"),
        ({"case_numbers": "(2026)豫0802民初1号"}, "case_numbers", "must be an array"),
        ({"case_numbers": [], "court": "豫0802"}, "court", "unknown field"),
        ([], "body", "not a JSON object"),
    ],
)
def test_batch_lookup_validation(
    demo: Session, client: FlaskClient, body: Any, field: str, message: str
) -> None:
    _, key = _key(demo, "豫0802")
    response = client.post("/api/v1/cases/lookup", json=body, headers=_auth(key))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert message in error["details"][field]


def test_batch_of_500_is_accepted_and_not_json_is_400(demo: Session, client: FlaskClient) -> None:
    _, key = _key(demo, "豫0802")
    numbers = [f"(2026)豫0802民初{n}号" for n in range(1, 501)]
    response = client.post(
        "/api/v1/cases/lookup", json={"case_numbers": numbers}, headers=_auth(key)
    )
    assert response.status_code == 200 and len(response.get_json()["results"]) == 500
    text = client.post("/api/v1/cases/lookup", data="case_numbers", headers=_auth(key))
    assert text.status_code == 400 and text.get_json()["error"]["details"] == {
        "body": "not a JSON object"
    }


# --- audit -------------------------------------------------------------------------------------


def test_every_read_through_a_key_is_audited(demo: Session, client: FlaskClient) -> None:
    case = _scheduled_case(demo)
    other = _case_elsewhere(demo, case.court_code)
    prefix, key = _key(demo, case.court_code)
    client.get(f"/api/v1/cases/{quote(case.case_number)}", headers=_auth(key))
    client.get(f"/api/v1/cases/{quote(other.case_number)}", headers=_auth(key))
    client.post(
        "/api/v1/cases/lookup",
        json={"case_numbers": [case.case_number, f"(2026){case.court_code}民初999999号"]},
        headers=_auth(key),
    )
    demo.expire_all()
    entries = demo.scalars(
        select(AuditEntry).where(AuditEntry.actor == f"apikey:{prefix}").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.object_type, e.details.get("via")) for e in entries] == [
        ("case.read", "case", "get"),
        ("case.read_missing", "case", "get"),
        ("case.read", "case", "lookup"),
        ("case.read_missing", "case", "lookup"),
    ]
    assert entries[0].object_id == str(case.id) == entries[2].object_id
    assert entries[1].object_id == str(other.id) and entries[1].details["reason"] == "other court"
    assert entries[3].object_id is None and entries[3].details["reason"] == "missing"


def test_key_use_is_recorded(demo: Session, client: FlaskClient) -> None:
    case = _scheduled_case(demo)
    row, key = create_api_key(demo, case.court_code)
    demo.commit()
    client.get(f"/api/v1/cases/{quote(case.case_number)}", headers=_auth(key))
    demo.refresh(row)
    assert row.last_used_at is not None


# --- rate limits, errors, OpenAPI ---------------------------------------------------------------


@pytest.fixture
def limited_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {"TESTING": True, "SUTIAO_DATABASE_URL": database_url, "SUTIAO_API_RATE_LIMIT": "3/minute"}
    )
    yield app
    app.extensions["sutiao.engine"].dispose()


def test_rate_limit_per_key_answers_429_in_json(demo: Session, limited_app: Flask) -> None:
    client = limited_app.test_client()
    case = _scheduled_case(demo)
    _, key = _key(demo, case.court_code)
    _, other = _key(demo, case.court_code)
    url = f"/api/v1/cases/{quote(case.case_number)}"
    allowed = [client.get(url, headers=_auth(key)) for _ in range(3)]
    assert [r.status_code for r in allowed] == [200] * 3
    # The counts are not announced on every answer (two more round trips to the store each)...
    assert not any(h.startswith("X-RateLimit") for r in allowed for h, _ in r.headers)
    limited = client.get(url, headers=_auth(key))
    assert limited.status_code == 429
    error = limited.get_json()["error"]
    assert error["code"] == "rate_limited" and "rate limit exceeded" in error["message"]
    assert error["details"]["limit"] == "3 per 1 minute"
    # ...but a refusal says when to come back.
    assert 1 <= int(limited.headers["Retry-After"]) <= 61  # the window, plus its last second
    assert limited.headers["X-RateLimit-Limit"] == "3"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) > NOW.timestamp()
    # The batch endpoint shares the key's budget; another key has its own.
    assert (
        client.post(
            "/api/v1/cases/lookup", json={"case_numbers": []}, headers=_auth(key)
        ).status_code
        == 429
    )
    assert client.get(url, headers=_auth(other)).status_code == 200
    # The OpenAPI document is not limited.
    assert all(client.get("/api/v1/openapi.json").status_code == 200 for _ in range(5))


def test_unknown_endpoint_and_wrong_method_are_json(app: Flask, client: FlaskClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/cases/lookup")
    assert wrong.status_code == 405
    error = wrong.get_json()["error"]
    assert error["code"] == "method_not_allowed" and error["details"]["method"] == "DELETE"
    assert "POST" in wrong.headers["Allow"]
    # Pages keep Flask's own error pages.
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_server_error_is_json(
    demo: Session, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _scheduled_case(demo)
    _, key = _key(demo, case.court_code)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(api, "read_cases", broken)
    response = client.get(f"/api/v1/cases/{quote(case.case_number)}", headers=_auth(key))
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "internal_error" and "fire" not in error["message"]


def test_openapi_describes_every_endpoint(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
            routes.setdefault(path, set()).update(
                m.lower() for m in (rule.methods or set()) if m not in {"HEAD", "OPTIONS"}
            )
    assert routes and set(doc["paths"]) == set(routes)
    for path, methods in routes.items():
        assert set(doc["paths"][path]) == methods
        for operation in doc["paths"][path].values():
            assert any(code.startswith("2") for code in operation["responses"]), path
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKeyHeader"]["name"] == "X-API-Key"
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message", "details"]
    # Every $ref resolves.
    text = json.dumps(doc)
    for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node: Any = doc
        for part in ref.split("/"):
            node = node[part]


def test_court_code_list_matches_the_reference(session: Session) -> None:
    # The scope tests above rely on 豫08 being the parent of the basic courts.
    parent = session.scalars(select(Court).where(Court.code == "豫08")).one()
    assert {c.code for c in parent.children} >= {"豫0802", "豫0811"}


def test_autocommit_connection_must_be_chosen_before_the_session_opens(app: Flask) -> None:
    from web.db import get_session, request_connection, use_autocommit_connection

    with app.test_request_context("/api/v1/cases/x"):
        connection = use_autocommit_connection()
        assert connection.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
        assert request_connection() is connection
    with app.test_request_context("/api/v1/cases/x"):
        get_session()
        with pytest.raises(RuntimeError, match="already open"):
            use_autocommit_connection()
    with app.test_request_context("/api/v1/cases/x"):
        # Without the choice, the request's connection is its session's, in its transaction.
        assert request_connection() is get_session().connection()


def test_batch_lookup_lists_each_member_and_session_once(
    demo: Session, client: FlaskClient
) -> None:
    # The lookup reads cases, team members and sessions in one joined statement: a case with a
    # team of three and four sessions comes back as twelve rows, which must make one answer.
    _, key = _key(demo, "豫08")  # the intermediate court sees every basic court's cases
    cases = demo.scalars(select(Case).order_by(Case.id)).all()
    response = client.post(
        "/api/v1/cases/lookup",
        json={"case_numbers": [c.case_number for c in cases][: api.MAX_BATCH]},
        headers=_auth(key),
    )
    assert response.status_code == 200
    answers = {r["case_number"]: r for r in response.get_json()["results"] if r["found"]}
    multi = 0
    for case in cases[: api.MAX_BATCH]:
        body = answers[case.case_number]
        members = demo.scalars(select(Assignment).where(Assignment.case_id == case.id)).all()
        published = demo.scalars(
            select(SessionRow)
            .join(SessionCase, SessionCase.session_id == SessionRow.id)
            .where(SessionCase.case_id == case.id, SessionRow.is_published.is_(True))
            .order_by(SessionRow.starts_at, SessionRow.id)
        ).all()
        assert len(body["team"]) == len(members), case.case_number
        assert sorted(m["roster_no"] for m in body["team"]) == sorted(
            a.person.roster_no for a in members
        )
        assert [(h["start"], h["sequence"]) for h in body["history"]] == [
            (s.starts_at.astimezone(TZ).isoformat(), s.sequence) for s in published
        ], case.case_number
        multi += len(members) > 1 and len(published) > 1
    assert multi, "the demo should have a case with a team and several sessions"
