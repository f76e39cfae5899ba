"""The court's lookup page on the demo center: one 案号 or a pasted list, the published team,
who presides and the next session; another court's case "not found" exactly like a missing one;
bad numbers with their reason; every read audited."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from factories import login, make_user
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Assignment, AuditEntry, Case, SessionCase
from models import Session as SessionRow
from models.vocabulary import SessionStatus
from scheduler.problem import TZ
from web import workflow
from web.pages import display

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # the morning of the demo day


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(display, "now", lambda: NOW)


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY  # the demo center is in the database already
    return session


def _court_client(app: Flask, session: Session, court: str = "豫0802") -> FlaskClient:
    name = f"clerk-{court}"
    make_user(session, name, "court", court_code=court)
    client = app.test_client()
    login(client, name)
    return client


def _lookup(client: FlaskClient, text: str) -> tuple[int, str]:
    page = client.get("/court/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post("/court/", data={"csrf_token": token.group(1), "numbers": text})
    return response.status_code, response.get_data(as_text=True)


def _scheduled(
    session: Session, court: str | None = None, skip: int = 0
) -> tuple[Case, SessionRow]:
    """A basic court's (``court``'s) case with a published upcoming session, and that
    session."""
    rows = session.execute(
        select(Case, SessionRow)
        .join(SessionCase, SessionCase.case_id == Case.id)
        .join(SessionRow, SessionRow.id == SessionCase.session_id)
        .where(Case.court_code == court if court else Case.court_code != "豫08")
        .where(SessionRow.is_published.is_(True))
        .where(SessionRow.status != SessionStatus.CANCELLED, SessionRow.starts_at > NOW)
        .order_by(SessionRow.starts_at, Case.id)
    ).all()
    seen: dict[int, tuple[Case, SessionRow]] = {}
    for case, row in rows:
        seen.setdefault(case.id, (case, row))  # the first is the next session
    return list(seen.values())[skip]


def _row(body: str, number: str) -> str:
    """The result table's row of ``number``."""
    table = body[body.index('<table class="lookup">') :]
    found = re.search(rf"<tr[^>]*>\s*<td[^>]*>{re.escape(number)}.*?</tr>", table, re.S)
    assert found, number
    return found.group(0)


def _elsewhere(session: Session, court: str = "豫0802") -> Case:
    case = session.scalars(
        select(Case).where(Case.court_code != court, Case.court_code != "豫08").order_by(Case.id)
    ).first()
    assert case is not None
    return case


def test_one_number_shows_team_presiding_and_next_session(app: Flask, demo: Session) -> None:
    case, nxt = _scheduled(demo)
    client = _court_client(app, demo, court=case.court_code)
    full_width = case.case_number.replace("(", "（").replace(")", "）")
    status, body = _lookup(client, f"  {full_width}  \n")
    assert status == 200
    row = _row(body, case.case_number)
    team = demo.scalars(select(Assignment).where(Assignment.case_id == case.id)).all()
    assert team and all(a.person.name in row for a in team)
    presiding = [a.person.name for a in team if a.is_presiding]
    assert len(presiding) == 1
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert presiding[0] in cells[4] and "已排期" in cells[1]
    start, end = nxt.starts_at.astimezone(TZ), nxt.ends_at.astimezone(TZ)
    assert f"{start:%Y-%m-%d}" in cells[5] and f"{start:%H:%M}–{end:%H:%M}" in cells[5]
    assert "+08:00" in cells[5]
    assert nxt.room is not None
    assert ("线上" in cells[6]) if nxt.room.is_online else (nxt.room.name in cells[6])
    assert case.deadline_on and case.deadline_on.isoformat() in cells[2]
    assert "共 1 个案号：找到 1 个，未找到 0 个，案号有误 0 个。" in body
    # Never a party's name.
    for party in case.parties:
        assert party.name not in body
    entry = demo.scalars(
        select(AuditEntry).where(AuditEntry.action == "case.read").order_by(AuditEntry.id)
    ).all()[-1]
    assert entry.object_id == str(case.id) and entry.actor == f"clerk-{case.court_code}"
    assert entry.details["via"] == "page"


def test_a_pasted_list_answers_each_line_in_order(app: Flask, demo: Session) -> None:
    first, _ = _scheduled(demo)
    second, second_next = _scheduled(demo, court=first.court_code, skip=1)
    other = _elsewhere(demo, first.court_code)
    missing = f"(2026){first.court_code}民初99999号"
    lines = [
        first.case_number,
        other.case_number,
        "2026豫0802民初1号",
        missing,
        "",
        second.case_number.replace("(", "（").replace(")", "）"),
        "(2026)豫0802刑初5号",
    ]
    client = _court_client(app, demo, court=first.court_code)
    status, body = _lookup(client, "\r\n".join(lines))
    assert status == 200
    assert "共 6 个案号：找到 2 个，未找到 2 个，案号有误 2 个。" in body
    table = body[body.index('<table class="lookup">') :]
    order = [
        first.case_number,
        other.case_number,
        "2026豫0802民初1号",
        missing,
        second.case_number,
        "(2026)豫0802刑初5号",
    ]
    positions = [table.index(f">{n}") for n in order]
    assert positions == sorted(positions)
    assert "未找到" in _row(body, other.case_number)
    # Another court's case reads exactly like a missing one: same words, nothing of it shown.
    strip = lambda row, n: row.replace(n, "#")  # noqa: E731
    assert strip(_row(body, other.case_number), other.case_number) == strip(
        _row(body, missing), missing
    )
    for a in demo.scalars(select(Assignment).where(Assignment.case_id == other.id)):
        assert a.person.name not in _row(body, other.case_number)
    bad = _row(body, "2026豫0802民初1号")
    assert "案号有误" in bad and "应以括号中的年份开头" in bad
    assert "类型代字" in _row(body, "(2026)豫0802刑初5号")
    start = second_next.starts_at.astimezone(TZ)
    assert f"{start:%Y-%m-%d}" in _row(body, second.case_number)
    # Every parsed number was audited: two reads, two misses (the other court's named so).
    reads = demo.scalars(select(AuditEntry).where(AuditEntry.action.like("case.read%"))).all()
    assert sorted(e.action for e in reads) == ["case.read"] * 2 + ["case.read_missing"] * 2
    reasons = {
        e.details["case_number"]: e.details["reason"] for e in reads if e.details.get("reason")
    }
    assert reasons == {other.case_number: "other court", missing: "missing"}
    assert client.get("/court/").status_code == 200


def test_the_intermediate_court_sees_its_basic_courts(app: Flask, demo: Session) -> None:
    case, nxt = _scheduled(demo)
    client = _court_client(app, demo, court="豫08")
    status, body = _lookup(client, case.case_number)
    assert status == 200 and "找到 1 个" in body
    assert f"{nxt.starts_at.astimezone(TZ):%Y-%m-%d}" in _row(body, case.case_number)


def test_too_many_or_no_numbers_are_refused_before_any_read(app: Flask, demo: Session) -> None:
    client = _court_client(app, demo)
    numbers = "\n".join(f"(2026)豫0802民初{i}号" for i in range(1, 502))
    status, body = _lookup(client, numbers)
    assert status == 400
    assert "一次最多查询 500 个案号，本次输入了 501 个" in body
    assert 'aria-invalid="true"' in body and "(2026)豫0802民初501号" in body  # the text stays
    status, body = _lookup(client, " \n \n")
    assert status == 400 and "请输入至少一个案号" in body
    assert (
        demo.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("case.read%"))
        )
        == 0
    )
    ok, _ = _lookup(client, "\n".join(f"(2026)豫0802民初{i}号" for i in range(1, 501)))
    assert ok == 200


@pytest.mark.slow
def test_a_case_published_by_the_daily_run_shows_its_date(app: Flask, demo: Session) -> None:
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
    case = next(c for c in row.cases)
    client = _court_client(app, demo, court="豫08")
    status, body = _lookup(client, case.case_number)
    assert status == 200
    cells = _row(body, case.case_number)
    assert f"{row.starts_at.astimezone(TZ):%Y-%m-%d}" in cells and "已排期" in cells


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "案号为空"),
        ("2026豫0802民初1号", "应以括号中的年份开头"),
        ("(2026)豫0802民初1", "应以“号”结尾"),
        ("(2026)民初1号", "缺少法院代字"),
        # Has the year, a court code and 号, yet no sequence number: the general format, not
        # the court code (its English message names both).
        ("(2026)豫0802民初号", "格式应为"),
        ("(1980)豫0802民初1号", "年份不合理"),
        ("(2026)豫0802刑初5号", "类型代字"),
        ("(2026)豫0802民初0号", "序号应为正整数"),
    ],
)
def test_each_unreadable_case_number_gets_its_own_reason(
    app: Flask, query: str, reason: str
) -> None:
    from models.case_number import CaseNumberError, parse_case_number
    from web.pages.court import reason_text

    with pytest.raises(CaseNumberError) as caught:
        parse_case_number(query, today_year=2026)
    with app.test_request_context("/court/"):
        text = reason_text(caught.value)
    assert reason in text
    others = {"应以括号中的年份开头", "应以“号”结尾", "缺少法院代字", "格式应为", "年份不合理"}
    assert not any(o in text for o in others - {reason})
