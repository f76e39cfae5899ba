"""A mediator's pages on the demo center: only their own cases and sessions (a list and a week
view), the calendar links with a reset that kills the old URL, and leave that hands a repair
run to the coordinators."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from factories import login, make_user
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Assignment,
    AssignmentRun,
    AuditEntry,
    Case,
    Leave,
    Person,
    RecurringMeeting,
    RecurringMeetingMember,
    User,
)
from models import Session as SessionRow
from models.vocabulary import OPEN_CASE_STATUSES, RunKind, RunStatus, SessionStatus
from scheduler.problem import TZ
from web import workflow
from web.pages import display

TODAY = date(2026, 11, 20)  # a Friday


@pytest.fixture(autouse=True)
def _fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(display, "now", lambda: datetime(2026, 11, 20, 1, 0, tzinfo=UTC))


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY  # the demo center is in the database already
    return session


@pytest.fixture
def published(demo: Session) -> Session:
    """The demo day assigned, scheduled and published by the daily run."""
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    workflow.schedule(demo, run.id, today=TODAY, time_limit=3)
    workflow.publish(demo, run.id)
    demo.expire_all()
    return demo


def _upcoming(session: Session, *, exclude: frozenset[int] = frozenset()) -> SessionRow:
    """A published session after TODAY with none of ``exclude`` in it, run-published ones
    first."""
    rows = session.scalars(
        select(SessionRow)
        .where(SessionRow.is_published.is_(True), SessionRow.status == SessionStatus.CONFIRMED)
        .where(SessionRow.recurring_meeting_id.is_(None))
        .order_by(SessionRow.run_id.is_(None), SessionRow.starts_at, SessionRow.id)
    ).all()
    for row in rows:
        people = {p.person_id for p in row.participants}
        ahead = row.starts_at.astimezone(TZ).date() > TODAY
        mediated = any(p.role == "mediator" for p in row.participants)
        if ahead and mediated and row.cases and not people & exclude:
            return row
    raise AssertionError("no upcoming session")


def _mediator_of(row: SessionRow) -> Person:
    return next(p.person for p in row.participants if p.role == "mediator")


def _client(app: Flask, session: Session, person: Person, name: str = "med") -> FlaskClient:
    make_user(session, name, "mediator", roster_no=person.roster_no)
    client = app.test_client()
    login(client, name)
    return client


def _token(client: FlaskClient, path: str) -> str:
    body = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', body)
    assert found, path
    return found.group(1)


def _sessions_of(session: Session, person_id: int) -> list[SessionRow]:
    return list(
        session.scalars(
            select(SessionRow)
            .where(SessionRow.is_published.is_(True), SessionRow.recurring_meeting_id.is_(None))
            .where(SessionRow.participants.any(person_id=person_id))
        )
    )


# --- cases and sessions ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_mediator_sees_only_their_own_cases_and_sessions(app: Flask, published: Session) -> None:
    # Someone outside the weekly meeting, so that the list holds only sessions of cases.
    members = frozenset(published.scalars(select(RecurringMeetingMember.person_id)).all())
    mine = _upcoming(published, exclude=members)
    me = _mediator_of(mine)
    theirs = _upcoming(published, exclude=frozenset({me.id}))
    my_sessions = _sessions_of(published, me.id)
    my_numbers = {c.case_number for s in my_sessions for c in s.cases}
    other_numbers = {c.case_number for c in theirs.cases} - my_numbers
    assert other_numbers
    client = _client(app, published, me)

    day = mine.starts_at.astimezone(TZ).date()
    week = client.get(f"/me/?week={day.isoformat()}").get_data(as_text=True)
    monday = day - timedelta(days=day.weekday())
    assert f"{monday.isoformat()} 至 {(monday + timedelta(days=6)).isoformat()}" in week
    grid = week[week.index('<table class="week">') : week.index("</table>")]
    start = mine.starts_at.astimezone(TZ)
    end = mine.ends_at.astimezone(TZ)
    assert f"{start:%H:%M}–{end:%H:%M}" in grid
    assert all(c.case_number in grid for c in mine.cases)
    in_week = [
        s
        for s in my_sessions
        if monday <= s.starts_at.astimezone(TZ).date() < monday + timedelta(7)
    ]
    assert grid.count('<div class="slot') == len(in_week)
    for number in other_numbers:
        assert number not in week

    # The cases table: the open cases of my published teams, who presides, the deadline.
    open_cases = published.scalars(
        select(Case)
        .join(Assignment, Assignment.case_id == Case.id)
        .where(Assignment.person_id == me.id)
        .where(Case.status.in_([s.value for s in OPEN_CASE_STATUSES]))
    ).all()
    assert f"在办 {len(open_cases)} 件" in week
    cases = week[week.index('id="h-cases"') :]
    for case in open_cases:
        assert case.case_number in cases and case.cause_text in cases
    assert mine.cases[0].deadline_on and mine.cases[0].deadline_on.isoformat() in cases

    # The list: my sessions from a week back to 60 days ahead, nobody else's.
    listed = week[week.index('id="h-sessions"') : week.index('id="h-cases"')]
    window = (TODAY - timedelta(days=7), TODAY + timedelta(days=60))
    ahead = [s for s in my_sessions if window[0] <= s.starts_at.astimezone(TZ).date() <= window[1]]
    assert listed.count("<tr class=") == len(ahead)
    for number in other_numbers:
        assert number not in listed


def test_the_week_view_moves_by_week(app: Flask, demo: Session) -> None:
    me = _mediator_of(_upcoming(demo))
    client = _client(app, demo, me)
    body = client.get("/me/?week=2026-11-25").get_data(as_text=True)
    assert "2026-11-23 至 2026-11-29" in body
    assert 'href="/me/?week=2026-11-16" rel="prev"' in body
    assert 'href="/me/?week=2026-11-30" rel="next"' in body
    assert body.count('<th scope="col"') >= 5 and "周一" in body and "周五" in body
    today = client.get("/me/").get_data(as_text=True)
    assert "2026-11-16 至 2026-11-22" in today and 'aria-current="date"' in today
    bad = client.get("/me/?week=next-tuesday").get_data(as_text=True)
    assert "日期格式应为 YYYY-MM-DD" in bad and "2026-11-16 至 2026-11-22" in bad


def test_a_login_without_a_roster_entry_is_told_so(app: Flask, demo: Session) -> None:
    user = make_user(demo, "lost", "mediator")
    user.person_id = None
    demo.commit()
    client = app.test_client()
    login(client, "lost")
    for path in ("/me/", "/me/calendar", "/me/leave"):
        response = client.get(path)
        assert response.status_code == 409
        assert "账号尚未关联名册" in response.get_data(as_text=True)


# --- calendar links -------------------------------------------------------------------------------


def _links(client: FlaskClient) -> tuple[str, str]:
    body = client.get("/me/calendar").get_data(as_text=True)
    webcal = re.search(r'id="link-webcal" class="copy-field" value="(webcal://[^"]+)"', body)
    https = re.search(r'id="link-https" class="copy-field" value="(https?://[^"]+)"', body)
    assert webcal and https, body
    assert 'data-copy="link-webcal"' in body and 'data-copy="link-https"' in body
    assert "readonly" in body
    return webcal.group(1), https.group(1)


def test_the_feed_links_are_shown_and_a_reset_replaces_them(app: Flask, demo: Session) -> None:
    row = _upcoming(demo)
    me = _mediator_of(row)
    client = _client(app, demo, me)
    webcal, https = _links(client)
    assert webcal.removeprefix("webcal://") == https.split("://", 1)[1]
    assert _links(client) == (webcal, https)  # the same link on every visit
    old = urlsplit(https).path
    feed = client.get(old)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert f"UID:{row.uid}" in feed.get_data(as_text=True).replace("\r\n ", "")

    token = _token(client, "/me/calendar")
    unconfirmed = client.post("/me/calendar/reset", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    assert "请先勾选确认" in unconfirmed.get_data(as_text=True)
    assert _links(client) == (webcal, https)

    reset = client.post("/me/calendar/reset", data={"csrf_token": token, "confirm": "yes"})
    assert reset.status_code == 302 and reset.headers["Location"] == "/me/calendar"
    page = client.get("/me/calendar").get_data(as_text=True)
    assert "旧链接已失效" in page
    new_webcal, new_https = _links(client)
    assert new_webcal != webcal and new_https != https
    assert client.get(old).status_code == 404
    assert client.get(urlsplit(new_https).path).status_code == 200


def test_a_reset_needs_the_csrf_token(app: Flask, demo: Session) -> None:
    client = _client(app, demo, _mediator_of(_upcoming(demo)))
    before = _links(client)
    response = client.post("/me/calendar/reset", data={"confirm": "yes"})
    assert response.status_code == 400
    assert _links(client) == before


# --- leave ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_recording_leave_hands_a_repair_to_the_coordinators(app: Flask, published: Session) -> None:
    row = _upcoming(published)
    assert row.run_id is not None  # published by the daily run
    me = _mediator_of(row)
    client = _client(app, published, me)
    day = row.starts_at.astimezone(TZ).date()
    token = _token(client, "/me/leave")
    response = client.post(
        "/me/leave",
        data={
            "csrf_token": token,
            "starts_on": day.isoformat(),
            "ends_on": day.isoformat(),
            "reason": "病假",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/me/leave"
    page = client.get("/me/leave").get_data(as_text=True)
    assert "请假已登记" in page and "协调员" in page
    assert f"<td>{day.isoformat()}</td><td>{day.isoformat()}</td>" in page and "病假" in page

    published.expire_all()
    user = published.scalars(select(User).where(User.username == "med")).one()
    leave = published.scalars(select(Leave).where(Leave.person_id == me.id)).all()
    assert [(x.starts_on, x.ends_on, x.reason) for x in leave][-1] == (day, day, "病假")
    run = published.scalars(select(AssignmentRun).where(AssignmentRun.kind == RunKind.REPAIR)).one()
    assert run.status == RunStatus.SUCCEEDED and run.created_by_id == user.id
    assert run.published_at is None  # the coordinators publish it
    assert row.id in {m["session"] for m in run.stats["moves"]}
    assert f"调整任务 {run.id}" in page
    audit = published.scalars(select(AuditEntry).where(AuditEntry.action == "leave.record")).one()
    assert audit.user_id == user.id and audit.object_id == str(me.id)
    # Nothing on the calendar moves before the coordinators publish the repair.
    assert published.get_one(SessionRow, row.id).starts_at == row.starts_at


def test_bad_leave_is_refused_with_the_field_named(app: Flask, demo: Session) -> None:
    me = _mediator_of(_upcoming(demo))
    client = _client(app, demo, me)
    token = _token(client, "/me/leave")
    cases = [
        ({"starts_on": "2026-13-01", "ends_on": "2026-12-02"}, "开始日期应为 YYYY-MM-DD 格式"),
        ({"starts_on": "2026-12-03", "ends_on": "2026-12-01"}, "结束日期不能早于开始日期"),
        ({"starts_on": "", "ends_on": "2026-12-01"}, "请填写开始日期"),
        ({"starts_on": "2026-11-02", "ends_on": "2026-11-03"}, "结束日期已过"),
        ({"starts_on": "2026-12-01", "ends_on": "2026-12-01", "reason": "长" * 129}, "事由最多"),
    ]
    for data, message in cases:
        response = client.post("/me/leave", data={"csrf_token": token, **data})
        assert response.status_code == 400, data
        body = response.get_data(as_text=True)
        assert message in body, (data, message)
        assert 'aria-invalid="true"' in body
    demo.expire_all()
    assert not demo.scalars(select(Leave).where(Leave.person_id == me.id)).all()
    count = demo.scalar(
        select(func.count()).select_from(AssignmentRun).where(AssignmentRun.kind == "repair")
    )
    assert count == 0


def test_leave_dates_are_read_as_people_type_them() -> None:
    for text in ("2026-12-01", "2026/12/1", "2026.12.01", "2026年12月1日", "２０２６－１２－０１"):
        assert display.parse_date(text) == date(2026, 12, 1), text
    for text in ("12/01/2026", "2026-12", "tomorrow", "2026-02-30"):
        with pytest.raises(ValueError):
            display.parse_date(text)


def test_a_meeting_member_sees_the_weekly_meeting_and_its_cancelled_occurrence(
    app: Flask, demo: Session
) -> None:
    meeting = demo.scalars(select(RecurringMeeting)).one()
    member = next(p for p in meeting.members if p.is_mediator)
    client = _client(app, demo, member)
    local = meeting.starts_at.astimezone(TZ)
    grid = _week_grid(client.get("/me/?week=2026-11-23").get_data(as_text=True))
    monday = grid.split("<td", 2)[1]  # the Monday column
    assert "工作例会" in monday and f"{local:%H:%M}–" in monday
    assert meeting.room is not None and meeting.room.name in monday

    # The coordinators cancel the 30 November occurrence: it shows crossed out, not gone.
    occurrence = datetime(2026, 11, 30, local.hour, local.minute, tzinfo=TZ).astimezone(UTC)
    demo.add(
        SessionRow(
            uid="meeting-exception-test@sutiao",
            kind="regular_meeting",
            status=SessionStatus.CANCELLED.value,
            title=meeting.title,
            starts_at=occurrence,
            ends_at=occurrence + timedelta(minutes=meeting.duration_minutes),
            room_id=meeting.room_id,
            is_published=True,
            recurring_meeting_id=meeting.id,
            recurrence_of=occurrence,
        )
    )
    demo.commit()
    grid = _week_grid(client.get("/me/?week=2026-11-30").get_data(as_text=True))
    monday = grid.split("<td", 2)[1]
    assert "工作例会" in monday and "已取消" in monday and "cancelled" in monday
    assert grid.count("工作例会") == 1
    other = _week_grid(client.get("/me/?week=2026-12-07").get_data(as_text=True))
    assert "已取消" not in other.split("<td", 2)[1] and "工作例会" in other


def _week_grid(body: str) -> str:
    start = body.index('<table class="week">')
    return body[start : body.index("</table>", start)]
