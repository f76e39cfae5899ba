"""Recusal waivers (web/waivers.py) on the demo center, on SQLite and PostgreSQL: an override
refused for recusal, the waiver recorded, the override made and pinned; every refused waiver
names its field and writes nothing; a waiver of one ground leaves another standing; the CLI,
the API (who may record one, the error bodies) and the coordinator's review page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from factories import login, make_user, recused_replacement
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.rules import recusal_grounds
from models import AuditEntry, Case, DeclaredConflict, Person, Proposal, Waiver
from models.vocabulary import CaseStatus, RunStatus
from web import api, api_work, waivers, workflow
from web.apikeys import create_api_key
from web.assignment import build_day_problem

TODAY = date(2026, 11, 20)  # the demo center's day
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY
    return session


def _counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    rows = session.scalar(select(func.count()).select_from(Waiver))
    audited = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("waiver.%"))
    )
    return int(rows or 0), int(audited or 0)


def _recused_pair(session: Session) -> tuple[Case, Person]:
    """A received case and an active mediator recused from it by affiliation alone."""
    day = build_day_problem(session, today=TODAY).problem
    for case in day.cases:
        for person in day.people:
            if "mediator" in person.roles and recusal_grounds(day.settings, case, person) == (
                "affiliation",
            ):
                return session.get_one(Case, int(case.id)), session.get_one(Person, int(person.id))
    pytest.skip("no recused mediator in this demo")


def _free_pair(session: Session, case: Case) -> Person:
    """An active mediator with no recusal ground on ``case``."""
    day = build_day_problem(session, today=TODAY).problem
    m_case = day.cases[day.case_index[str(case.id)]]
    for person in day.people:
        if "mediator" in person.roles and not recusal_grounds(day.settings, m_case, person):
            return session.get_one(Person, int(person.id))
    raise AssertionError("every mediator is recused from the case")


def _recused_proposal(session: Session) -> tuple[Proposal, Person]:
    """A proposed mediator and someone who could replace them but for an affiliation."""
    run = workflow.assign(session, today=TODAY, time_limit=2)
    assert run.status == RunStatus.SUCCEEDED
    found = recused_replacement(session, run, TODAY)
    if found is None:
        pytest.skip("no recused but otherwise eligible mediator in this demo")
    return found


def _record(session: Session, case: Case, person: Person, **kw: Any) -> Waiver:
    values: dict[str, Any] = {
        "case_id": case.id,
        "person_id": person.id,
        "ground": "affiliation",
        "plaintiff_consent_on": TODAY,
        "defendant_consent_on": TODAY - timedelta(days=1),
        "today": TODAY,
    }
    values.update(kw)
    return waivers.record_waiver(session, **values)


# --- the operation ------------------------------------------------------------------------------


def test_refused_override_then_waiver_then_override_is_made_and_pinned(demo: Session) -> None:
    proposal, person = _recused_proposal(demo)
    with pytest.raises(workflow.RuleBroken) as broken:
        workflow.override(demo, proposal.id, person.id, reason="双方同意", today=TODAY)
    assert broken.value.rule == "recusal" and broken.value.ground == "affiliation"
    assert "recusal (affiliation)" in str(broken.value)

    case = demo.get_one(Case, proposal.case_id)
    waiver = _record(demo, case, person, note="书面同意书已归档", user_id=None)
    assert waiver.id and waiver.ground == "affiliation"
    assert waiver.plaintiff_consent_on == TODAY

    done = workflow.override(demo, proposal.id, person.id, reason="双方同意", today=TODAY)
    assert done.person_id == person.id and done.is_pinned
    assert done.override_reason == "双方同意"


def test_the_waiver_is_audited_with_who_and_what(demo: Session) -> None:
    case, person = _recused_pair(demo)
    user = make_user(demo, "coord-audit", "coordinator")
    waiver = _record(demo, case, person, note="同意书见卷宗", user_id=user.id)
    assert waiver.recorded_by_id == user.id
    entry = demo.scalars(select(AuditEntry).where(AuditEntry.action == "waiver.record")).one()
    assert entry.user_id == user.id and entry.actor == f"user:{user.id}"
    assert entry.object_type == "waiver" and entry.object_id == str(waiver.id)
    assert entry.old is None
    assert entry.new == {
        "case": case.id,
        "case_number": case.case_number,
        "person": person.id,
        "roster_no": person.roster_no,
        "ground": "affiliation",
        "plaintiff_consent_on": TODAY.isoformat(),
        "defendant_consent_on": (TODAY - timedelta(days=1)).isoformat(),
        "note": "同意书见卷宗",
    }
    shown = waivers.list_waivers(demo, case_ids=[case.id])
    assert [w.id for w in shown] == [waiver.id] and shown[0].recorded_by == "coord-audit"


def test_revoking_a_waiver_is_audited_and_recusal_is_back(demo: Session) -> None:
    case, person = _recused_pair(demo)
    waiver = _record(demo, case, person)
    day = build_day_problem(demo, today=TODAY).problem
    assert person.id and str(person.id) in day.cases[day.case_index[str(case.id)]].waivers
    waivers.revoke_waiver(demo, waiver.id, reason="被告撤回同意")
    assert _counts(demo) == (0, 2)
    entry = demo.scalars(select(AuditEntry).where(AuditEntry.action == "waiver.revoke")).one()
    assert entry.old and entry.old["ground"] == "affiliation"
    assert entry.new == {"reason": "被告撤回同意"}
    day = build_day_problem(demo, today=TODAY).problem
    assert str(person.id) not in day.cases[day.case_index[str(case.id)]].waivers
    with pytest.raises(workflow.NotFound):
        waivers.revoke_waiver(demo, waiver.id)


def _refused(
    session: Session, error: type[workflow.WorkflowError], field: str, match: str, **kw: Any
) -> workflow.WorkflowError:
    before = _counts(session)
    with pytest.raises(error, match=match) as refused:
        waivers.record_waiver(session, **kw)
    session.rollback()
    assert refused.value.field == field
    assert _counts(session) == before, "a refused waiver must write nothing"
    return refused.value


def test_each_invalid_waiver_is_refused_naming_its_field(demo: Session) -> None:
    case, person = _recused_pair(demo)
    ok: dict[str, Any] = {
        "case_id": case.id,
        "person_id": person.id,
        "ground": "affiliation",
        "plaintiff_consent_on": TODAY,
        "defendant_consent_on": TODAY,
        "today": TODAY,
    }
    nf, bad = workflow.NotFound, workflow.WorkflowError
    tomorrow = TODAY + timedelta(days=1)
    early = case.received_on - timedelta(days=1)
    free = _free_pair(demo, case)
    refusals: list[tuple[type[workflow.WorkflowError], str, str, dict[str, Any]]] = [
        (nf, "case", "case: no case 2147483647", {"case_id": 2**31 - 1}),
        (nf, "person", "person: no person 2147483647", {"person_id": 2**31 - 1}),
        (bad, "ground", "must be one of affiliation, declared_conflict", {"ground": "recusal"}),
        (
            bad,
            "ground",
            r"another role in the same case cannot be waived \(Art. 16\)",
            {"ground": "other_role"},
        ),
        (
            bad,
            "ground",
            "declared_conflict does not apply .*; the ground that applies today is affiliation",
            {"ground": "declared_conflict"},
        ),
        (
            bad,
            "ground",
            "does not apply .*no recusal ground applies today: there is nothing to waive",
            {"person_id": free.id},
        ),
        (
            bad,
            "plaintiff_consent_on",
            f"{tomorrow} is in the future",
            {"plaintiff_consent_on": tomorrow},
        ),
        (
            bad,
            "defendant_consent_on",
            f"{tomorrow} is in the future",
            {"defendant_consent_on": tomorrow},
        ),
        (
            bad,
            "defendant_consent_on",
            "before case .* was received",
            {"defendant_consent_on": early},
        ),
        (bad, "plaintiff_consent_on", "required", {"plaintiff_consent_on": None}),
        (bad, "note", "at most 255 characters", {"note": "x" * 256}),
    ]
    for error, field, match, change in refusals:
        _refused(demo, error, field, match, **ok | change)

    first = waivers.record_waiver(demo, **ok)
    dup = _refused(demo, workflow.Conflict, "ground", f"waiver {first.id} already records", **ok)
    assert dup.status == 409 and case.case_number in str(dup)


def test_a_person_off_the_roster_or_a_case_already_assigned_is_refused(demo: Session) -> None:
    case, person = _recused_pair(demo)
    ok: dict[str, Any] = {
        "case_id": case.id,
        "person_id": person.id,
        "ground": "affiliation",
        "plaintiff_consent_on": TODAY,
        "defendant_consent_on": TODAY,
        "today": TODAY,
    }
    person.is_active = False
    demo.commit()
    _refused(demo, workflow.WorkflowError, "person", "not on the active roster", **ok)
    person.is_active = True
    case.status = CaseStatus.ASSIGNED
    demo.commit()
    _refused(demo, workflow.Conflict, "case", "not waiting for a team", **ok)


def test_waiving_one_ground_leaves_another_standing(demo: Session) -> None:
    proposal, person = _recused_proposal(demo)
    case = demo.get_one(Case, proposal.case_id)
    demo.add(
        DeclaredConflict(
            person_id=person.id, case_id=case.id, reason="曾为原告提供咨询", declared_on=TODAY
        )
    )
    demo.commit()
    _record(demo, case, person)
    with pytest.raises(workflow.RuleBroken) as broken:
        workflow.override(demo, proposal.id, person.id, reason="双方同意", today=TODAY)
    assert broken.value.ground == "declared_conflict"
    assert "recusal (declared_conflict)" in str(broken.value)
    _record(demo, case, person, ground="declared_conflict")
    done = workflow.override(demo, proposal.id, person.id, reason="双方同意", today=TODAY)
    assert done.person_id == person.id and done.is_pinned


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_records_lists_and_refuses(demo: Session, runner: FlaskCliRunner) -> None:
    case, person = _recused_pair(demo)
    args = [
        "record-waiver",
        "--case", case.case_number,
        "--person", person.roster_no,
        "--ground", "affiliation",
        "--plaintiff-consent", "2026-11-20",
        "--defendant-consent", "2026-11-19",
        "--today", "2026-11-20",
    ]  # fmt: skip
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    waiver = demo.scalars(select(Waiver)).one()
    assert f"Waiver {waiver.id} recorded: affiliation lifted for {person.name}" in done.output
    assert case.case_number in done.output

    again = runner.invoke(args=args)
    assert again.exit_code != 0 and again.exception is not None
    assert isinstance(again.exception, SystemExit)  # a ClickException: no traceback
    assert "Traceback" not in again.output
    assert f"waiver {waiver.id} already records" in again.output

    future = runner.invoke(args=[*args[:-4], "--defendant-consent", "2026-11-21", *args[-2:]])
    assert future.exit_code != 0
    assert "defendant_consent_on: 2026-11-21 is in the future" in future.output
    unknown = runner.invoke(args=["record-waiver", "--case", "(2026)豫0802民初99999号",
                                  *args[3:]])  # fmt: skip
    assert unknown.exit_code != 0 and "case: no case" in unknown.output
    assert _counts(demo) == (1, 1)

    listed = runner.invoke(args=["waivers", "--case", str(case.id)])
    assert listed.exit_code == 0 and person.roster_no in listed.output
    assert "affiliation" in listed.output
    revoked = runner.invoke(args=["revoke-waiver", str(waiver.id), "--reason", "撤回"])
    assert revoked.exit_code == 0, revoked.output
    assert "No waivers recorded." in runner.invoke(args=["waivers"]).output


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture
def api_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_work, "_today", lambda: TODAY)


def _api_client(app: Flask, session: Session, role: str) -> tuple[FlaskClient, dict[str, str]]:
    make_user(session, f"api-{role}", role)
    client = app.test_client()
    token = login(client, f"api-{role}")
    return client, {"X-CSRFToken": token}


def test_api_records_and_lists_a_waiver(app: Flask, demo: Session, api_today: None) -> None:
    case, person = _recused_pair(demo)
    client, headers = _api_client(app, demo, "coordinator")
    body = {
        "case": case.id,
        "person": person.id,
        "ground": "affiliation",
        "plaintiff_consent_on": "2026-11-20",
        "defendant_consent_on": "2026-11-20",
        "note": "同意书已归档",
    }
    made = client.post("/api/v1/waivers", json=body, headers=headers)
    assert made.status_code == 201, made.get_json()
    data = made.get_json()
    assert data["case"] == case.id and data["person"] == person.id
    assert data["ground"] == "affiliation" and data["recorded_by"] == "api-coordinator"
    assert made.headers["Location"] == f"/api/v1/cases/{case.id}/waivers"

    listed = client.get(f"/api/v1/cases/{case.id}/waivers")
    assert listed.status_code == 200
    assert [w["id"] for w in listed.get_json()["waivers"]] == [data["id"]]

    dup = client.post("/api/v1/waivers", json=body, headers=headers)
    assert dup.status_code == 409
    error = dup.get_json()["error"]
    assert error["code"] == "conflict" and f"waiver {data['id']} already" in error["message"]
    assert "ground" in error["details"]

    gone = client.delete(f"/api/v1/waivers/{data['id']}", headers=headers)
    assert gone.status_code == 200 and gone.get_json() == {"waiver": data["id"], "revoked": True}
    assert client.get(f"/api/v1/cases/{case.id}/waivers").get_json()["waivers"] == []


def test_api_errors_name_each_bad_field(app: Flask, demo: Session, api_today: None) -> None:
    case, person = _recused_pair(demo)
    client, headers = _api_client(app, demo, "coordinator")
    empty = client.post("/api/v1/waivers", json={"extra": 1}, headers=headers)
    assert empty.status_code == 400
    details = empty.get_json()["error"]["details"]
    assert details == {
        "extra": "unknown field",
        "case": "required",
        "person": "required",
        "ground": "required",
        "plaintiff_consent_on": "required",
        "defendant_consent_on": "required",
    }
    body = {
        "case": case.id,
        "person": person.id,
        "ground": "affiliation",
        "plaintiff_consent_on": "20.11.2026",
        "defendant_consent_on": "2026-11-20",
    }
    baddate = client.post("/api/v1/waivers", json=body, headers=headers)
    assert baddate.status_code == 400
    assert "plaintiff_consent_on" in baddate.get_json()["error"]["details"]
    big = client.post("/api/v1/waivers", json=body | {"case": 2**31}, headers=headers)
    assert big.status_code == 400 and "out of range" in big.get_json()["error"]["details"]["case"]

    future = client.post(
        "/api/v1/waivers", json=body | {"plaintiff_consent_on": "2026-11-21"}, headers=headers
    )
    assert future.status_code == 400
    error = future.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert "in the future" in error["details"]["plaintiff_consent_on"]

    wrong = client.post(
        "/api/v1/waivers",
        json=body | {"plaintiff_consent_on": "2026-11-20", "ground": "declared_conflict"},
        headers=headers,
    )
    assert wrong.status_code == 400
    assert "applies today is affiliation" in wrong.get_json()["error"]["details"]["ground"]

    missing = client.post(
        "/api/v1/waivers",
        json=body | {"plaintiff_consent_on": "2026-11-20", "person": 2**31 - 1},
        headers=headers,
    )
    assert missing.status_code == 404
    assert missing.get_json()["error"]["details"] == {"person": "person: no person 2147483647"}
    assert client.get("/api/v1/cases/2147483647/waivers").status_code == 404
    assert client.delete("/api/v1/waivers/2147483647", headers=headers).status_code == 404
    assert _counts(demo) == (0, 0)


def test_a_court_key_and_a_mediator_cannot_record_a_waiver(
    app: Flask, demo: Session, api_today: None
) -> None:
    case, person = _recused_pair(demo)
    body = {
        "case": case.id,
        "person": person.id,
        "ground": "affiliation",
        "plaintiff_consent_on": "2026-11-20",
        "defendant_consent_on": "2026-11-20",
    }
    _, key = create_api_key(demo, "豫0802")
    demo.commit()
    keyed = app.test_client().post(
        "/api/v1/waivers", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert keyed.status_code == 403
    assert keyed.get_json()["error"]["code"] == "forbidden"
    client, headers = _api_client(app, demo, "mediator")
    assert client.post("/api/v1/waivers", json=body, headers=headers).status_code == 403
    assert client.get(f"/api/v1/cases/{case.id}/waivers").status_code == 403
    assert _counts(demo) == (0, 0)


# --- the review page ----------------------------------------------------------------------------


def _token(client: FlaskClient) -> str:
    body = client.get("/coordinator/runs").get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', body)
    assert found
    return found.group(1)


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": _token(client), **data})


def test_the_review_page_records_a_waiver_then_the_override_goes_through(
    app: Flask, demo: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "now", lambda: NOW)
    make_user(demo, "coord", "coordinator")
    client = app.test_client()
    login(client, "coord")
    proposal, person = _recused_proposal(demo)
    case = demo.get_one(Case, proposal.case_id)

    refused = _post(
        client,
        f"/coordinator/proposals/{proposal.id}/override",
        {"person": str(person.id), "reason": "双方同意"},
    )
    assert refused.status_code == 302
    where = refused.headers["Location"]
    assert f"waive={person.id}" in where and "ground=affiliation" in where
    page = client.get(where).get_data(as_text=True)
    assert "违反硬性规则「回避」" in page and "回避事由：与当事人机构存在任职关系" in page
    form = page[page.index(f'action="/coordinator/cases/{case.id}/waivers"') :]
    form = form[: form.index("</form>")]
    assert f'name="person" value="{person.id}"' in form
    assert f'name="proposal" value="{proposal.id}"' in form
    assert '<option value="affiliation" selected>' in form

    bad = _post(
        client,
        f"/coordinator/cases/{case.id}/waivers",
        {"run": str(proposal.run_id), "proposal": str(proposal.id), "person": str(person.id),
         "ground": "affiliation", "plaintiff_consent_on": "2026-11-21",
         "defendant_consent_on": "2026-11-20"},
    )  # fmt: skip
    assert f"waive={person.id}" in bad.headers["Location"]  # the form comes back filled in
    assert "未记录回避豁免" in client.get(bad.headers["Location"]).get_data(as_text=True)
    assert _counts(demo) == (0, 0)

    recorded = _post(
        client,
        f"/coordinator/cases/{case.id}/waivers",
        {"run": str(proposal.run_id), "proposal": str(proposal.id), "person": str(person.id),
         "ground": "affiliation", "plaintiff_consent_on": "2026-11-20",
         "defendant_consent_on": "2026-11-19", "note": "同意书已归档"},
    )  # fmt: skip
    assert recorded.status_code == 302
    assert f"retry={proposal.id}" in recorded.headers["Location"]
    page = client.get(recorded.headers["Location"]).get_data(as_text=True)
    assert f"已记录 {person.name} 在 {case.case_number} 的回避豁免" in page
    roster = page[page.index(f'id="ov-roster-{proposal.id}"') :]
    assert f'value="{person.roster_no}"' in roster[: roster.index(">")]
    listed = page[page.index(f'id="waivers-{case.id}"') :]
    assert person.roster_no in listed[: listed.index("</table>")]
    entry = demo.scalars(select(AuditEntry).where(AuditEntry.action == "waiver.record")).one()
    assert entry.actor.startswith("user:")

    done = _post(
        client,
        f"/coordinator/proposals/{proposal.id}/override",
        {"roster_no": person.roster_no, "reason": "双方同意"},
    )
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"替换为 {person.name}，并已固定" in page
    demo.refresh(proposal)
    assert proposal.person_id == person.id and proposal.is_pinned
    english = client.get(done.headers["Location"].split("#")[0] + "&lang=en").get_data(as_text=True)
    assert "Recusal waivers" in english and "Record a recusal waiver" in english

    client.get("/coordinator/?lang=zh_CN")  # back to Chinese
    waiver = demo.scalars(select(Waiver)).one()
    revoked = _post(
        client,
        f"/coordinator/waivers/{waiver.id}/revoke",
        {"run": str(proposal.run_id), "reason": "被告撤回同意"},
    )
    assert revoked.status_code == 302 and f"#case-{case.id}" in revoked.headers["Location"]
    page = client.get(revoked.headers["Location"])
    assert f"已撤销回避豁免 #{waiver.id}" in page.get_data(as_text=True)
    assert _counts(demo) == (0, 2)
