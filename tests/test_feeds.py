"""iCal feeds (web/feeds.py): every kind of feed parsed by icalendar (validated) and expanded by
recurring-ical-events, and by Mozilla's ical.js under node; tokens, HTTP caching, the byte
format, the CLI; on SQLite and PostgreSQL.

ical.js lives in tests/js (``npm ci`` there; ``.ci/run`` does it). Without node or the module
those tests are skipped, or fail when CI is set (or SUTIAO_REQUIRE_NODE=1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from factories import login, make_case, make_person, make_user
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from icalendar import Calendar
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from models import (
    FEED_TABLES,
    Assignment,
    AssignmentRun,
    AuditEntry,
    Case,
    CaseParty,
    FeedToken,
    FeedVersion,
    Institution,
    Person,
    RecurringMeeting,
    Room,
    SessionParticipant,
    User,
    migrate,
)
from models import Session as SessionRow
from web import create_app, feeds
from web.db import autocommit_connection, get_session, make_engine
from web.repairs import publish_repair

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wednesday 2 December 2026, 12:00 in Shanghai
# 30 days back and 180 days ahead, in whole local days.
WINDOW_START = datetime(2026, 11, 2, tzinfo=TZ)
WINDOW_END = datetime(2027, 6, 1, tzinfo=TZ)
STAMP = NOW - timedelta(days=3)  # when most rows were last written
DEFENDANT = "欧阳娜娜"  # a natural person: her name must never reach a feed
BANK = "中国工商银行股份有限公司新乡分行"
MEETING_UID = "meeting-1@sutiao"
JS_DIR = Path(__file__).parent / "js"

Occurrence = tuple[str, str, str, str]  # UID, UTC start, UTC end, STATUS


def at(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- the world ----------------------------------------------------------------------------------


@dataclass
class World:
    db: Session
    people: dict[str, Person] = field(default_factory=dict)
    rooms: dict[str, Room] = field(default_factory=dict)
    rows: dict[str, SessionRow] = field(default_factory=dict)
    meeting: RecurringMeeting | None = None

    def add_session(
        self,
        key: str,
        start: datetime,
        minutes: int,
        people: list[tuple[str, str]],
        room: str,
        cases: list[Case] | None = None,
        **kw: Any,
    ) -> SessionRow:
        values: dict[str, Any] = dict(
            uid=f"session-{key}@sutiao",
            kind="mediation",
            status="confirmed",
            title="调解",
            is_published=True,
            updated_at=STAMP,
            created_at=STAMP - timedelta(days=1),
        )
        values.update(kw)
        row = SessionRow(
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            room=self.rooms[room],
            **values,
        )
        row.cases = list(cases or [])
        row.participants = [
            SessionParticipant(person=self.people[p], role=role) for p, role in people
        ]
        self.db.add(row)
        self.rows[key] = row
        return row


def build_world(db: Session) -> World:
    w = World(db)
    w.people["mediator"] = make_person(db, "M-001", title="资深调解员")  # 张明
    w.people["colleague"] = make_person(db, "M-002")
    w.people["colleague"].name = "李华"
    w.people["expert"] = Person(roster_no="E-001", name="王强", is_expert=True)
    w.people["leader"] = Person(roster_no="L-001", name="赵敏", is_leader=True)
    db.add_all([w.people["expert"], w.people["leader"]])
    w.rooms["room"] = Room(
        name="中院诉调第一调解室",
        location="中院",
        # Long enough that LOCATION and DESCRIPTION lines fold inside Chinese text.
        address="河南省新乡市红旗区人民东路与新中大道交叉口新乡市中级人民法院诉讼服务中心二楼西侧",
        capacity=8,
    )
    w.rooms["online"] = Room(
        name="线上调解室",
        location="线上",
        address="人民法院在线服务平台",
        capacity=200,
        is_online=True,
    )
    w.rooms["meeting_room"] = Room(
        name="诉调中心会议室", location="诉调中心", address="诉调中心三楼", capacity=20
    )
    db.add_all(w.rooms.values())
    bank = Institution(name=BANK, kind="state_bank")
    db.add(bank)
    db.flush()

    case1 = make_case(db, "(2026)豫0802民初567号")
    case1.parties = [
        CaseParty(role="plaintiff", position=0, institution=bank, name=BANK),
        CaseParty(role="defendant", position=0, name=DEFENDANT),
    ]
    case2 = make_case(db, "(2026)豫0802民初568号", cause_text="信用卡纠纷", category="credit_card")
    case2.parties = [CaseParty(role="defendant", position=0, name="司马光明")]
    assigned = NOW - timedelta(days=5)
    db.add_all(
        [
            Assignment(
                case=case1,
                person=w.people["mediator"],
                role="mediator",
                is_presiding=True,
                assigned_at=assigned,
            ),
            Assignment(
                case=case1,
                person=w.people["expert"],
                role="expert",
                is_presiding=False,
                assigned_at=assigned,
            ),
            Assignment(
                case=case2,
                person=w.people["colleague"],
                role="mediator",
                is_presiding=True,
                assigned_at=assigned,
            ),
        ]
    )

    d = NOW.astimezone(TZ).date()  # 2026-12-02
    m = [("mediator", "mediator")]
    # A UID without a domain gets @sutiao in the feed.
    w.add_session(
        "upcoming",
        at(d + timedelta(days=2), "09:00"),
        120,
        [("mediator", "mediator"), ("expert", "expert")],
        "room",
        [case1],
        uid="session-upcoming",
        sequence=2,
    )
    w.add_session(
        "colleague_only", at(d + timedelta(days=3), "09:00"), 120, [("colleague", "mediator")],
        "room", [case2],
    )  # fmt: skip
    w.add_session(
        "held_online",
        at(d - timedelta(days=10), "14:30"),
        120,
        [("mediator", "mediator"), ("colleague", "mediator")],
        "online",
        [case1],
        kind="joint_mediation",
        status="held",
    )
    w.add_session(
        "cancelled_recently",
        at(d + timedelta(days=5), "14:30"),
        120,
        m,
        "room",
        [case1],
        status="cancelled",
        sequence=1,
        updated_at=NOW - timedelta(days=2),
    )
    w.add_session(
        "cancelled_long_ago",
        at(d + timedelta(days=6), "09:00"),
        120,
        m,
        "room",
        [case1],
        status="cancelled",
        sequence=1,
        updated_at=NOW - timedelta(days=10),
    )
    w.add_session(
        "unpublished", at(d + timedelta(days=4), "09:00"), 120, m, "room", [case1],
        is_published=False, status="tentative",
    )  # fmt: skip
    w.add_session("too_old", at(d - timedelta(days=40), "09:00"), 120, m, "room", [case1])
    w.add_session("too_far", at(d + timedelta(days=200), "09:00"), 120, m, "room", [case1])
    w.add_session(
        "tentative", at(d + timedelta(days=30), "14:30"), 180, m, "room", [case1],
        status="tentative",
    )  # fmt: skip
    w.add_session(
        "conference",
        at(d + timedelta(days=9), "14:30"),
        120,
        [("mediator", "mediator"), ("leader", "leader")],
        "room",
        [case1, case2],
        kind="case_conference",
    )

    meeting = RecurringMeeting(
        uid=MEETING_UID,
        title="金融纠纷诉调对接中心工作例会",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        starts_at=at(date(2026, 11, 2), "09:00"),
        duration_minutes=90,
        timezone="Asia/Shanghai",
        room=w.rooms["meeting_room"],
        is_published=True,
        members=[w.people["mediator"], w.people["leader"]],
    )
    db.add(meeting)
    db.flush()
    w.meeting = meeting
    occurrence = {
        "kind": "regular_meeting",
        "title": meeting.title,
        "recurring_meeting_id": meeting.id,
    }
    # 7 December cancelled (long ago: an EXDATE stays), 14 December moved to Tuesday afternoon,
    # 21 December moved to another room at the same time.
    w.add_session(
        "m_cancelled", at(date(2026, 12, 7), "09:00"), 90, [], "meeting_room",
        status="cancelled", recurrence_of=at(date(2026, 12, 7), "09:00"),
        updated_at=NOW - timedelta(days=20), **occurrence,
    )  # fmt: skip
    w.add_session(
        "m_moved", at(date(2026, 12, 15), "14:30"), 90, [], "meeting_room",
        recurrence_of=at(date(2026, 12, 14), "09:00"), sequence=1,
        updated_at=NOW - timedelta(days=1), **occurrence,
    )  # fmt: skip
    w.add_session(
        "m_other_room", at(date(2026, 12, 21), "09:00"), 90, [], "room",
        recurrence_of=at(date(2026, 12, 21), "09:00"), sequence=1, **occurrence,
    )  # fmt: skip
    # An unpublished meeting of the same person shows nowhere.
    db.add(
        RecurringMeeting(
            uid="meeting-draft@sutiao",
            title="草拟的培训例会",
            rrule="FREQ=WEEKLY;BYDAY=FR",
            starts_at=at(date(2026, 11, 6), "15:00"),
            duration_minutes=60,
            room=w.rooms["meeting_room"],
            is_published=False,
            members=[w.people["mediator"]],
        )
    )
    db.flush()
    return w


@pytest.fixture
def world(session: Session) -> World:
    w = build_world(session)
    session.commit()
    return w


# --- the oracle: what each feed must show, straight from the rows --------------------------------

STATUS = {"confirmed": "CONFIRMED", "held": "CONFIRMED", "tentative": "TENTATIVE"}
STATUS["cancelled"] = "CANCELLED"


def meeting_occurrences(w: World, *, owner: str) -> list[Occurrence]:
    """Mondays 09:00–10:30 in the window, written out by hand from the rows' meaning."""
    assert w.meeting is not None
    out = []
    day = date(2026, 11, 2)
    while at(day, "09:00") < WINDOW_END:
        if day == date(2026, 12, 7):
            pass  # cancelled
        elif day == date(2026, 12, 14):
            moved = w.rows["m_moved"]
            out.append((MEETING_UID, iso(moved.starts_at), iso(moved.ends_at), "CONFIRMED"))
        elif day == date(2026, 12, 21) and owner == "meeting_room":
            pass  # this one happens in another room
        else:
            start = at(day, "09:00")
            out.append((MEETING_UID, iso(start), iso(start + timedelta(minutes=90)), "CONFIRMED"))
        day += timedelta(days=7)
    return out


def session_occurrence(row: SessionRow) -> Occurrence:
    uid = row.uid if "@" in row.uid else f"{row.uid}@sutiao"
    return (uid, iso(row.starts_at), iso(row.ends_at), STATUS[row.status])


# owner -> the session keys it shows (everything else in the world it must not show)
EXPECTED_SESSIONS = {
    "mediator": ["upcoming", "held_online", "cancelled_recently", "tentative", "conference"],
    "colleague": ["colleague_only", "held_online"],
    "expert": ["upcoming"],
    "leader": ["conference"],
    "room": [
        "upcoming",
        "colleague_only",
        "cancelled_recently",
        "tentative",
        "conference",
        "m_other_room",  # a meeting occurrence moved here: a plain event in this room
    ],
    "online": ["held_online"],
    "meeting_room": [],
}
MEETING_OWNERS = {"mediator", "leader", "meeting_room"}


def expected(w: World, owner: str) -> list[Occurrence]:
    items = [session_occurrence(w.rows[key]) for key in EXPECTED_SESSIONS[owner]]
    if owner in MEETING_OWNERS:
        items += meeting_occurrences(w, owner=owner)
    return sorted(items)


def owner_ids(w: World, owner: str) -> dict[str, int]:
    if owner in w.people:
        return {"person_id": w.people[owner].id}
    return {"room_id": w.rooms[owner].id}


def feed_of(w: World, owner: str, now: datetime = NOW) -> feeds.Feed:
    return feeds.build_feed(w.db, now=now, **owner_ids(w, owner))


# --- parsers ------------------------------------------------------------------------------------


def parse(body: bytes) -> Calendar:
    """icalendar, with what validation it offers: required calendar properties, no property
    that failed to parse, and the properties every event of ours must have."""
    calendar = Calendar.from_ical(body)
    calendar.validate()
    for component in calendar.walk():
        assert not component.errors, (component.name, component.errors)
    for event in calendar.walk("VEVENT"):
        for name in ("UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "STATUS"):
            assert name in event, (name, event.get("UID"))
    return calendar


def expand_python(
    body: bytes, start: datetime = WINDOW_START, end: datetime = WINDOW_END
) -> list[Occurrence]:
    calendar = parse(body)
    return sorted(
        (
            str(event["UID"]),
            iso(event.decoded("DTSTART")),
            iso(event.decoded("DTEND")),
            str(event["STATUS"]),
        )
        for event in recurring_ical_events.of(calendar).between(start, end)
    )


def node_required() -> bool:
    ci = os.environ.get("CI", "").strip().lower()
    return ci not in ("", "0", "false") or os.environ.get("SUTIAO_REQUIRE_NODE") == "1"


IcalJs = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def icaljs() -> IcalJs:
    node = shutil.which("node")
    module = JS_DIR / "node_modules" / "ical.js" / "package.json"
    reason = None
    if node is None:
        reason = "node is not installed"
    elif not module.exists():
        reason = f"ical.js is not installed in {JS_DIR} (run `npm ci` there)"
    if reason is not None:
        if node_required():
            pytest.fail(f"ical.js tests are required (CI) but {reason}", pytrace=False)
        pytest.skip(f"ical.js tests skipped: {reason}; `bash .ci/run` sets it up")
    assert node is not None

    def run(
        body: bytes, start: datetime = WINDOW_START, end: datetime = WINDOW_END
    ) -> list[dict[str, Any]]:
        done = subprocess.run(
            [node, "parse_ics.mjs", iso(start), iso(end)],
            input=body,
            capture_output=True,
            cwd=JS_DIR,
            env={**os.environ, "TZ": "UTC"},
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        result: list[dict[str, Any]] = json.loads(done.stdout)
        return result

    return run


def expand_js(icaljs: IcalJs, body: bytes, **window: datetime) -> list[Occurrence]:
    return sorted((o["uid"], o["start"], o["end"], o["status"]) for o in icaljs(body, **window))


Expand = Callable[..., list[Occurrence]]


@pytest.fixture(params=["icalendar", "ical.js"])
def expand(request: pytest.FixtureRequest) -> Expand:
    """A feed's occurrences over a window (default: the feed's), by one parser or the other."""
    if request.param == "icalendar":
        return expand_python
    icaljs: IcalJs = request.getfixturevalue("icaljs")
    return lambda body, **window: expand_js(icaljs, body, **window)


def unfolded(body: bytes) -> list[str]:
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")


def events_of(body: bytes) -> list[dict[str, str]]:
    """Each VEVENT as {property line name with parameters: value}, unfolded, raw."""
    out: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfolded(body):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            out.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return out


# --- every kind of feed equals the database -----------------------------------------------------

OWNERS = sorted(EXPECTED_SESSIONS)


@pytest.mark.parametrize("owner", OWNERS)
def test_feed_expands_to_exactly_the_database_sessions(
    world: World, owner: str, expand: Expand
) -> None:
    feed = feed_of(world, owner)
    assert expand(feed.body) == expected(world, owner)


def test_moved_occurrence_is_one_event_at_the_new_time(world: World, expand: Expand) -> None:
    body = feed_of(world, "mediator").body
    around = {"start": datetime(2026, 12, 14, tzinfo=TZ), "end": datetime(2026, 12, 16, tzinfo=TZ)}
    moved = world.rows["m_moved"]
    want = [(MEETING_UID, iso(moved.starts_at), iso(moved.ends_at), "CONFIRMED")]
    assert [o for o in expand(body, **around) if o[0] == MEETING_UID] == want


def test_regular_meeting_is_one_series_with_exdate_and_override(world: World) -> None:
    for owner, exdates in (
        ("mediator", "20261207T090000"),
        ("meeting_room", "20261207T090000,20261221T090000"),
    ):
        series = [e for e in events_of(feed_of(world, owner).body) if e["UID"] == MEETING_UID]
        masters = [e for e in series if not any(k.startswith("RECURRENCE-ID") for k in e)]
        assert len(masters) == 1
        master = masters[0]
        assert master["RRULE"] == "FREQ=WEEKLY;BYDAY=MO"
        assert master["DTSTART;TZID=Asia/Shanghai"] == "20261102T090000"
        assert master["DTEND;TZID=Asia/Shanghai"] == "20261102T103000"
        assert master["EXDATE;TZID=Asia/Shanghai"] == exdates
        overrides = [e for e in series if e is not master]
        recurrence_ids = [e["RECURRENCE-ID;TZID=Asia/Shanghai"] for e in overrides]
        # The mediator's copy of the 21st moved room only; the meeting room no longer has it.
        assert recurrence_ids == (
            ["20261214T090000", "20261221T090000"] if owner == "mediator" else ["20261214T090000"]
        )
        assert overrides[0]["DTSTART;TZID=Asia/Shanghai"] == "20261215T143000"
        assert overrides[0]["SEQUENCE"] == "1"
    # The draft meeting is in no feed.
    assert "meeting-draft" not in feed_of(world, "mediator").body.decode()


def test_meeting_in_another_time_zone_keeps_its_wall_clock_across_daylight_saving(
    world: World, expand: Expand
) -> None:
    person = world.people["colleague"]
    world.db.add(
        RecurringMeeting(
            uid="meeting-berlin@sutiao",
            title="欧洲合作方视频例会",
            rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=6",
            starts_at=datetime(2027, 3, 16, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")),
            duration_minutes=60,
            timezone="Europe/Berlin",
            room=world.rooms["online"],
            is_published=True,
            members=[person],
        )
    )
    world.db.commit()
    body = feed_of(world, "colleague").body
    text = body.decode()
    assert text.count("BEGIN:VTIMEZONE") == 2
    assert "DTSTART;TZID=Europe/Berlin:20270316T100000" in text
    # 10:00 in Berlin: 09:00Z in winter, 08:00Z from 28 March 2027.
    want = [
        iso(datetime(2027, 3, 16, 9, tzinfo=UTC)),
        iso(datetime(2027, 3, 23, 9, tzinfo=UTC)),
        iso(datetime(2027, 3, 30, 8, tzinfo=UTC)),
        iso(datetime(2027, 4, 6, 8, tzinfo=UTC)),
        iso(datetime(2027, 4, 13, 8, tzinfo=UTC)),
        iso(datetime(2027, 4, 20, 8, tzinfo=UTC)),
    ]
    assert [o[1] for o in expand(body) if o[0] == "meeting-berlin@sutiao"] == want


# --- content ------------------------------------------------------------------------------------


def test_calendar_properties(world: World) -> None:
    body = feed_of(world, "mediator").body
    lines = unfolded(body)
    head = lines[: lines.index("BEGIN:VTIMEZONE")]
    assert head[0] == "BEGIN:VCALENDAR"
    assert "VERSION:2.0" in head
    assert f"PRODID:{feeds.PRODID}" in head
    assert "NAME:张明的调解日程" in head
    assert "X-WR-CALNAME:张明的调解日程" in head
    assert "X-WR-TIMEZONE:Asia/Shanghai" in head
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in head
    assert "X-PUBLISHED-TTL:PT1H" in head
    # No METHOD (so no ORGANIZER is needed), no attendees, and no calendar-level UID (which
    # icalendar's Calendar.new() would make random).
    assert not [line for line in lines if line.split(":")[0].split(";")[0] == "METHOD"]
    assert not [line for line in lines if line.startswith(("ATTENDEE", "ORGANIZER"))]
    assert not [line for line in head if line.startswith("UID")]
    room = parse(feed_of(world, "room").body)
    assert str(room["X-WR-CALNAME"]) == "中院诉调第一调解室日程"


def test_session_event_content(world: World) -> None:
    events = {e["UID"]: e for e in events_of(feed_of(world, "mediator").body)}
    row = world.rows["upcoming"]
    event = events["session-upcoming@sutiao"]  # the stored UID had no domain
    assert event["SEQUENCE"] == "2"
    assert event["DTSTAMP"] == row.updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["DTSTART;TZID=Asia/Shanghai"] == "20261204T090000"
    assert event["DTEND;TZID=Asia/Shanghai"] == "20261204T110000"
    assert event["STATUS"] == "CONFIRMED"
    assert event["SUMMARY"] == "调解：(2026)豫0802民初567号"
    assert event["LOCATION"] == (
        "中院诉调第一调解室，河南省新乡市红旗区人民东路与新中大道交叉口"
        "新乡市中级人民法院诉讼服务中心二楼西侧"
    )
    description = event["DESCRIPTION"].split("\\n")
    assert "案号：(2026)豫0802民初567号" in description
    assert "类型：调解" in description
    assert f"当事机构：{BANK}" in description
    assert "调解团队：张明（主持调解员）、王强（专家）" in description
    assert "主持调解员：张明" in description

    online = events["session-held_online@sutiao"]
    assert online["LOCATION"] == "线上：人民法院在线服务平台"
    assert online["SUMMARY"] == "联合调解：(2026)豫0802民初567号"

    conference = events["session-conference@sutiao"]
    assert conference["SUMMARY"] == "疑难案件研讨会：(2026)豫0802民初567号等2件"
    assert "其他参加人员：赵敏（中心领导）" in conference["DESCRIPTION"]

    assert events["session-tentative@sutiao"]["STATUS"] == "TENTATIVE"
    cancelled = events["session-cancelled_recently@sutiao"]
    assert cancelled["STATUS"] == "CANCELLED"
    assert cancelled["SUMMARY"].startswith("【已取消】")


def test_no_feed_carries_a_natural_persons_name(world: World) -> None:
    for owner in OWNERS:
        text = "".join(unfolded(feed_of(world, owner).body))
        assert DEFENDANT not in text
        assert "司马光明" not in text
    assert BANK in "".join(unfolded(feed_of(world, "room").body))


def test_one_clean_vtimezone(world: World) -> None:
    body = feed_of(world, "mediator").body
    text = body.decode()
    assert text.count("BEGIN:VTIMEZONE") == 1
    assert "DAYLIGHT" not in text
    calendar = parse(body)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    (standard,) = zone.walk("STANDARD")
    assert standard.decoded("TZOFFSETFROM") == standard.decoded("TZOFFSETTO") == timedelta(hours=8)
    # Every zone an event names is the one defined.
    assert set(re.findall(r";TZID=([^:;]+)", text)) == {"Asia/Shanghai"}


def test_cancelled_session_shows_for_seven_days_then_is_gone(world: World) -> None:
    row = world.rows["cancelled_recently"]
    uid = "session-cancelled_recently@sutiao"
    week = row.updated_at + timedelta(days=7)
    shown = feed_of(world, "mediator", now=week - timedelta(minutes=1))
    assert {e["UID"]: e["STATUS"] for e in events_of(shown.body)}[uid] == "CANCELLED"
    gone = feed_of(world, "mediator", now=week + timedelta(minutes=1))
    assert uid not in gone.body.decode()
    # Dropping it changed the body, so it moved Last-Modified too.
    assert gone.last_modified >= week > shown.last_modified


def test_unchanged_feed_is_byte_identical_and_moves_only_with_the_data(world: World) -> None:
    first = feed_of(world, "mediator")
    assert feed_of(world, "mediator").body == first.body
    assert feed_of(world, "mediator", now=NOW + timedelta(hours=3)).body == first.body
    assert first.etag == hashlib.sha256(first.body).hexdigest()
    assert first.last_modified == NOW - timedelta(days=1)  # the moved meeting occurrence
    row = world.rows["upcoming"]
    row.starts_at += timedelta(hours=1)
    row.ends_at += timedelta(hours=1)
    row.sequence += 1
    row.updated_at = NOW - timedelta(hours=1)
    world.db.commit()
    moved = feed_of(world, "mediator")
    assert moved.etag != first.etag
    assert moved.last_modified == NOW - timedelta(hours=1)


# --- format -------------------------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["mediator", "room"])
def test_lines_are_crlf_folded_at_75_octets_without_splitting_characters(
    world: World, owner: str
) -> None:
    body = feed_of(world, owner).body
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert b"\r" not in body.replace(b"\r\n", b"")
    lines = body[:-2].split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # a split character would not decode on its own
    continued = [line for line in lines if line.startswith(b" ")]
    assert any(not line.isascii() for line in continued)  # Chinese text did fold
    # Folding lost nothing: the unfolded DESCRIPTION is the text that went in.
    event = next(e for e in events_of(body) if e["UID"] == "session-upcoming@sutiao")
    assert "新乡市中级人民法院诉讼服务中心二楼西侧" in event["DESCRIPTION"]


@pytest.mark.parametrize(
    "value",
    [
        # Shifted one octet at a time, so every fold lands once on each kind of boundary.
        *("a" * pad + "甲乙，丙丁；戊\\己\n庚" * 9 for pad in range(12)),
        *("b" * pad + "\\\\\n" * 40 for pad in range(4)),  # escaped backslashes, newlines
    ],
)
def test_fold_keeps_escapes_and_characters_whole(value: str) -> None:
    line = f"DESCRIPTION:{feeds._text(value)}"
    parts = feeds.fold(line).split("\r\n ")
    assert "".join(parts) == line
    assert len(parts) > 2
    for i, part in enumerate(parts):
        assert len(part.encode("utf-8")) <= (75 if i == 0 else 74)
        trailing = len(part) - len(part.rstrip("\\"))
        assert trailing % 2 == 0, part  # no escape cut in half
    assert feeds.fold("SUMMARY:short") == "SUMMARY:short"


def test_events_at_the_same_instants_in_other_zones_are_written_apart() -> None:
    """Written events are remembered by value, and aware datetimes compare by instant: the
    zone they are written in must keep two such events apart."""
    start = datetime(2027, 3, 16, 17, 0, tzinfo=TZ)
    event = feeds._Event(
        uid="meeting-x@sutiao",
        sequence=0,
        stamp=NOW,
        start=start,
        end=start + timedelta(hours=1),
        summary="例会",
        description="类型：工作例会",
        location=None,
        status="CONFIRMED",
        rrule="FREQ=WEEKLY;BYDAY=TU",
    )
    berlin = ZoneInfo("Europe/Berlin")
    moved = event._replace(start=start.astimezone(berlin), end=event.end.astimezone(berlin))
    assert moved == event  # the same instants
    shanghai = feeds.render_calendar("x", [event]).decode()
    assert "DTSTART;TZID=Asia/Shanghai:20270316T170000" in shanghai
    elsewhere = feeds.render_calendar("x", [moved]).decode()
    assert "DTSTART;TZID=Europe/Berlin:20270316T100000" in elsewhere
    assert "Asia/Shanghai:2027" not in elsewhere


def test_text_escapes_and_drops_other_controls() -> None:
    plain = "调解：(2026)豫0802民初1号\t（线上）"
    assert feeds._text(plain) is plain  # nothing to escape: the value itself
    value = "a;b,c\\d\r\ne\rf\ng\x00h\x1fi\tj\x7fk\x0b"
    assert feeds._text(value) == "a\\;b\\,c\\\\d\\ne\\nf\\ngh" + "i\tjk"


def test_every_long_line_of_an_event_is_folded() -> None:
    """The UID, RRULE and EXDATE lines have no bounded length: a long one folds too."""
    start = datetime(2027, 3, 16, 17, 0, tzinfo=TZ)
    exdates = tuple(start + timedelta(weeks=k) for k in range(1, 12))
    event = feeds._Event(
        uid="meeting-" + "x" * 80 + "@sutiao",
        sequence=3,
        stamp=NOW,
        start=start,
        end=start + timedelta(hours=1),
        summary="例会" * 30,
        description="类型：工作例会",
        location="第一调解室，" + "新乡市" * 20,
        status="CONFIRMED",
        rrule="FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;BYHOUR=17;UNTIL=20271231T090000Z",
        exdates=exdates,
    )
    body = feeds.render_calendar("x", [event])
    lines = body[:-2].split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    written = {name: value for name, _, value in (line.partition(":") for line in unfolded(body))}
    assert written["UID"] == event.uid
    assert written["RRULE"] == event.rrule
    assert written["EXDATE;TZID=Asia/Shanghai"] == ",".join(
        d.strftime("%Y%m%dT%H%M%S") for d in exdates
    )
    assert written["SEQUENCE"] == "3"
    assert written["LOCATION"] == event.location


# --- a reschedule through the real repair operation ---------------------------------------------


def test_reschedule_keeps_uid_raises_sequence_and_cancellation_expires(
    session: Session, expand: Expand
) -> None:
    person = make_person(session, "M-010")
    rooms = [
        Room(name=f"调解室{i}", location="诉调中心", address="诉调中心一楼", capacity=6)
        for i in (1, 2)
    ]
    session.add_all(rooms)
    case = make_case(session, "(2026)豫0802民初901号")
    today = datetime.now(UTC).astimezone(TZ).date()
    start = at(today + timedelta(days=3), "09:00")
    row = SessionRow(
        uid="session-901@sutiao",
        kind="mediation",
        status="confirmed",
        title="调解",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        room=rooms[0],
        is_published=True,
    )
    row.cases = [case]
    row.participants = [SessionParticipant(person=person, role="mediator")]
    session.add(row)
    session.commit()

    def feed(now: datetime | None = None) -> tuple[list[Occurrence], bytes]:
        body = feeds.build_feed(session, person_id=person.id, now=now).body
        return expand(body), body

    def repair(new_start: datetime | None, new_room: Room | None) -> None:
        run = AssignmentRun(
            kind="repair",
            status="succeeded",
            stats={
                "moves": [
                    {
                        "session": row.id,
                        "old_start": row.starts_at.isoformat(),
                        "old_room": row.room_id,
                        "new_start": None if new_start is None else new_start.isoformat(),
                        "new_room": None if new_room is None else new_room.id,
                    }
                ]
            },
        )
        session.add(run)
        session.commit()
        publish_repair(session, run.id)
        session.expire_all()

    uid, two_hours = "session-901@sutiao", timedelta(hours=2)
    occurrences, body = feed()
    assert occurrences == [(uid, iso(start), iso(start + two_hours), "CONFIRMED")]
    assert "SEQUENCE:0" in body.decode()

    later = at(today + timedelta(days=4), "14:30")
    repair(later, rooms[1])
    occurrences, body = feed()
    # The same UID, once, at the new time, with a higher SEQUENCE and the new room.
    assert occurrences == [(uid, iso(later), iso(later + two_hours), "CONFIRMED")]
    (event,) = events_of(body)
    assert event["SEQUENCE"] == "1"
    assert event["LOCATION"].startswith("调解室2")

    repair(None, None)  # no place found: the repair cancels it
    cancelled_at = session.get_one(SessionRow, row.id).updated_at
    occurrences, body = feed(cancelled_at + timedelta(minutes=1))
    assert occurrences == [(uid, iso(later), iso(later + two_hours), "CANCELLED")]
    assert events_of(body)[0]["SEQUENCE"] == "2"
    occurrences, body = feed(cancelled_at + timedelta(days=7, minutes=1))
    assert occurrences == []
    assert b"BEGIN:VEVENT" not in body


# --- tokens -------------------------------------------------------------------------------------


@pytest.fixture
def client(app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:
    monkeypatch.setattr(feeds, "utcnow", lambda: NOW)
    yield app.test_client()


def issue(world: World, **owner: int) -> str:
    token = feeds.issue_token(world.db, **owner)
    world.db.commit()
    return token


def path(token: str) -> str:
    return f"/calendar/{token}.ics"


def hmac_token(secret: bytes, owner: str) -> str:
    """The URL token as the README describes it, computed here independently."""
    mac = hmac.new(secret, f"sutiao-feed:{owner}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_token_is_derived_from_a_random_per_owner_secret(world: World) -> None:
    person = world.people["mediator"]
    token = issue(world, person_id=person.id)
    other = issue(world, person_id=world.people["colleague"].id)
    room = issue(world, room_id=world.rooms["room"].id)
    assert len({token, other, room}) == 3
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 256 bits, URL-safe
    rows = world.db.scalars(select(FeedToken).order_by(FeedToken.id)).all()
    assert [len(r.secret) for r in rows] == [32, 32, 32]
    assert len({r.secret for r in rows}) == 3
    owners = [f"person:{person.id}", f"person:{world.people['colleague'].id}"]
    owners.append(f"room:{world.rooms['room'].id}")
    assert [hmac_token(r.secret, o) for r, o in zip(rows, owners, strict=True)] == [
        token,
        other,
        room,
    ]
    # The URL token itself is stored nowhere; its SHA-256 is the index a request looks up.
    assert [r.token_hash for r in rows] == [
        hashlib.sha256(t.encode()).hexdigest() for t in (token, other, room)
    ]
    entry = world.db.scalars(
        select(AuditEntry).where(AuditEntry.action == "feed_token.issue").order_by(AuditEntry.id)
    ).first()
    assert entry is not None
    assert entry.new == {"person_id": person.id, "room_id": None}
    logged = json.dumps([entry.new, entry.details], ensure_ascii=False)
    assert token not in logged and rows[0].secret.hex() not in logged


def test_the_owner_sees_the_same_url_again_until_a_reset(
    world: World, client: FlaskClient, app: Flask
) -> None:
    person_id = world.people["mediator"].id
    with app.app_context():
        app.config["SUTIAO_BASE_URL"] = "https://tiao.example.cn"
        first = feeds.current_links(world.db, person_id=person_id)
        assert feeds.current_links(world.db, person_id=person_id) == first
        token = first.https.removeprefix("https://tiao.example.cn/calendar/").removesuffix(".ics")
        assert first.webcal == f"webcal://tiao.example.cn/calendar/{token}.ics"
        assert client.get(path(token)).status_code == 200
        issued = world.db.scalars(
            select(AuditEntry).where(AuditEntry.action == "feed_token.issue")
        ).all()
        assert len(issued) == 1  # showing it again issued nothing

        reset = feeds.reset_links(world.db, person_id=person_id)
        assert reset != first
        assert feeds.current_links(world.db, person_id=person_id) == reset
    new = reset.https.rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(path(token)).status_code == 404
    assert client.get(path(new)).status_code == 200
    entries = world.db.scalars(
        select(AuditEntry).where(AuditEntry.action == "feed_token.issue").order_by(AuditEntry.id)
    ).all()
    assert len(entries) == 2
    assert entries[-1].details["revoked"] == [int(entries[0].object_id or 0)]


def test_a_forged_or_tampered_token_is_404(world: World, client: FlaskClient) -> None:
    person_id = world.people["mediator"].id
    token = issue(world, person_id=person_id)
    row = world.db.scalars(select(FeedToken)).one()
    missing = client.get(path("z" * 43)).data
    # The right form for this owner under another secret; and another owner under this one.
    for forged in (
        hmac_token(os.urandom(32), f"person:{person_id}"),
        hmac_token(row.secret, f"person:{world.people['colleague'].id}"),
        hmac_token(row.secret, f"room:{person_id}"),
    ):
        response = client.get(path(forged))
        assert response.status_code == 404 and response.data == missing
    # A row whose secret no longer signs the token (its digest alone is not enough).
    row.secret = os.urandom(32)
    world.db.commit()
    assert client.get(path(token)).status_code == 404


def test_urls_do_not_depend_on_the_secret_key(
    world: World, client: FlaskClient, database_url: str
) -> None:
    token = issue(world, person_id=world.people["mediator"].id)
    assert client.get(path(token)).status_code == 200
    rotated = create_app(
        {"TESTING": True, "SUTIAO_DATABASE_URL": database_url, "SECRET_KEY": "a-new-key-entirely"}
    )
    try:
        assert rotated.test_client().get(path(token)).status_code == 200
    finally:
        rotated.extensions["sutiao.engine"].dispose()


def test_wrong_or_malformed_token_is_404_like_a_missing_page(
    world: World, client: FlaskClient
) -> None:
    issue(world, person_id=world.people["mediator"].id)
    missing = client.get("/calendar/no/such/page.ics")
    assert missing.status_code == 404
    for token in ("x" * 43, "", "a" * 500, "abc$def", "../../etc/passwd"):
        response = client.get(path(token))
        assert response.status_code == 404, token
        assert response.data == missing.data
        assert "text/calendar" not in response.content_type


def test_reset_kills_the_old_url(world: World, client: FlaskClient) -> None:
    person_id = world.people["mediator"].id
    old = issue(world, person_id=person_id)
    assert client.get(path(old)).status_code == 200
    new = issue(world, person_id=person_id)
    gone = client.get(path(old))
    assert gone.status_code == 404
    assert gone.data == client.get(path("y" * 43)).data  # the same as a token never issued
    assert client.get(path(new)).status_code == 200
    entries = world.db.scalars(
        select(AuditEntry).where(AuditEntry.action == "feed_token.issue").order_by(AuditEntry.id)
    ).all()
    assert entries[-1].details["revoked"] == [int(entries[0].object_id or 0)]
    assert feeds.revoke_tokens(world.db, person_id=person_id) == 1
    world.db.commit()
    assert client.get(path(new)).status_code == 404


def test_a_token_shows_only_its_owners_sessions(world: World, client: FlaskClient) -> None:
    tokens = {owner: issue(world, **owner_ids(world, owner)) for owner in OWNERS}
    every_uid = {session_occurrence(row)[0] for row in world.rows.values()} | {MEETING_UID}
    for owner, token in tokens.items():
        response = client.get(path(token))
        assert response.status_code == 200
        shown = {e["UID"] for e in events_of(response.data)}
        mine = {o[0] for o in expected(world, owner)}
        assert shown == mine
        assert not (shown & (every_uid - mine))
    # In particular, the mediator never sees the colleague's own session, and vice versa.
    mediator = client.get(path(tokens["mediator"])).data.decode()
    colleague = client.get(path(tokens["colleague"])).data.decode()
    assert "session-colleague_only@sutiao" not in mediator
    assert "session-upcoming@sutiao" not in colleague


def test_issue_token_refuses_unknown_or_ambiguous_owners(world: World) -> None:
    with pytest.raises(feeds.FeedError, match="no person"):
        feeds.issue_token(world.db, person_id=999_999)
    with pytest.raises(feeds.FeedError, match="no room"):
        feeds.issue_token(world.db, room_id=999_999)
    with pytest.raises(feeds.FeedError, match="exactly one"):
        feeds.issue_token(
            world.db, person_id=world.people["mediator"].id, room_id=world.rooms["room"].id
        )
    with pytest.raises(feeds.FeedError, match="exactly one"):
        feeds.issue_token(world.db)


def test_feed_url_and_webcal(app: Flask) -> None:
    with app.app_context():
        app.config["SUTIAO_BASE_URL"] = "https://tiao.example.cn/"
        links = feeds.feed_url("abc")
    assert links.https == "https://tiao.example.cn/calendar/abc.ics"
    assert links.webcal == "webcal://tiao.example.cn/calendar/abc.ics"


# --- HTTP ---------------------------------------------------------------------------------------


def test_http_headers_and_conditional_gets(world: World, client: FlaskClient) -> None:
    token = issue(world, person_id=world.people["mediator"].id)
    first = client.get(path(token))
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = first.headers["ETag"]
    assert etag == f'"{hashlib.sha256(first.data).hexdigest()}"'
    last_modified = first.headers["Last-Modified"]
    assert last_modified == "Tue, 01 Dec 2026 04:00:00 GMT"  # the latest change: NOW - 1 day
    assert "private" in first.headers["Cache-Control"]
    assert "Set-Cookie" not in first.headers
    assert "Content-Encoding" not in first.headers

    second = client.get(path(token))
    assert second.data == first.data
    assert second.headers["ETag"] == etag

    by_etag = client.get(path(token), headers={"If-None-Match": etag})
    assert by_etag.status_code == 304
    assert by_etag.data == b""
    assert by_etag.headers["ETag"] == etag
    by_date = client.get(path(token), headers={"If-Modified-Since": last_modified})
    assert by_date.status_code == 304
    older = "Mon, 30 Nov 2026 04:00:00 GMT"
    assert client.get(path(token), headers={"If-Modified-Since": older}).status_code == 200
    stale = client.get(path(token), headers={"If-None-Match": '"0123abcd"'})
    assert stale.status_code == 200
    assert stale.data == first.data
    # A stale ETag wins over a fresh date (RFC 9110: If-None-Match first).
    both = {"If-None-Match": '"0123abcd"', "If-Modified-Since": last_modified}
    assert client.get(path(token), headers=both).status_code == 200
    assert client.head(path(token), headers={"If-None-Match": etag}).status_code == 304

    # A change: the old validators no longer match.
    row = world.rows["upcoming"]
    row.sequence += 1
    row.updated_at = NOW - timedelta(hours=1)
    world.db.commit()
    changed = client.get(path(token), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    refetch = client.get(path(token), headers={"If-Modified-Since": last_modified})
    assert refetch.status_code == 200
    assert refetch.headers["Last-Modified"] == "Wed, 02 Dec 2026 03:00:00 GMT"


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},
        {"Accept": "text/html,application/xhtml+xml;q=0.9", "Accept-Language": "en-US"},
        {"Accept": "text/calendar;q=0, */*;q=0"},
        {"Accept-Encoding": "gzip, deflate, br"},
        {"Accept": "application/json", "Accept-Encoding": "gzip"},
        {"User-Agent": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)"},
    ],
)
def test_no_content_negotiation_and_no_gzip(
    world: World, client: FlaskClient, headers: dict[str, str]
) -> None:
    token = issue(world, person_id=world.people["mediator"].id)
    plain = client.get(path(token))
    odd = client.get(path(token), headers=headers)
    assert odd.status_code == 200
    assert odd.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Encoding" not in odd.headers
    assert odd.data == plain.data
    assert odd.headers["ETag"] == plain.headers["ETag"]
    vary = odd.headers.get("Vary", "")
    assert "Accept" not in vary


def test_http_body_is_the_feed(world: World, client: FlaskClient) -> None:
    token = issue(world, room_id=world.rooms["room"].id)
    response = client.get(path(token))
    assert response.data == feed_of(world, "room").body
    assert expand_python(response.data) == expected(world, "room")


# --- the cache: an unchanged feed is not rendered again; every change is -------------------------


@dataclass
class Renders:
    """Counts the feeds the app renders (build_feed, which also reads the database)."""

    count: int = 0


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Renders:
    seen = Renders()
    build = feeds.build_feed

    def counting(*args: Any, **kwargs: Any) -> feeds.Feed:
        seen.count += 1
        return build(*args, **kwargs)

    monkeypatch.setattr(feeds, "build_feed", counting)
    return seen


def test_an_unchanged_feed_is_answered_without_rendering(
    world: World, client: FlaskClient, renders: Renders
) -> None:
    token = issue(world, person_id=world.people["mediator"].id)
    first = client.get(path(token))
    assert first.status_code == 200 and renders.count == 1
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    for _ in range(3):
        assert client.get(path(token), headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path(token), headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.head(path(token), headers={"If-None-Match": etag}).status_code == 304
    again = client.get(path(token))  # an unconditional GET is served from the cache too
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["ETag"] == etag and again.headers["Last-Modified"] == last_modified
    assert renders.count == 1
    # Another owner's feed is its own entry; a reset URL still shows the same feed, unrendered.
    client.get(path(issue(world, person_id=world.people["colleague"].id)))
    assert renders.count == 2
    reset = issue(world, person_id=world.people["mediator"].id)
    assert client.get(path(token), headers={"If-None-Match": etag}).status_code == 404
    assert client.get(path(reset), headers={"If-None-Match": etag}).status_code == 304
    assert renders.count == 2


def test_the_cache_can_be_turned_off(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch, renders: Renders
) -> None:
    monkeypatch.setattr(feeds, "utcnow", lambda: NOW)
    monkeypatch.setenv("SUTIAO_FEED_CACHE", "0")
    app = create_app({"TESTING": True, "SUTIAO_DATABASE_URL": database_url})
    try:
        assert app.config["SUTIAO_FEED_CACHE"] is False
        assert feeds.CACHE_EXTENSION not in app.extensions
        token = issue(world, person_id=world.people["mediator"].id)
        client = app.test_client()
        etag = client.get(path(token)).headers["ETag"]
        assert client.get(path(token), headers={"If-None-Match": etag}).status_code == 304
        assert renders.count == 2  # rendered every time, with the same result
    finally:
        app.extensions["sutiao.engine"].dispose()


def _rename_room(w: World) -> None:
    w.rooms["room"].name = "中院诉调第二调解室"


def _move_room_by_sql(w: World) -> None:
    # Not through the ORM, nor any audited operation: the database still notices.
    w.db.execute(
        text("UPDATE rooms SET address = :a WHERE id = :id"),
        {"a": "新乡市中级人民法院三楼", "id": w.rooms["room"].id},
    )


def _new_session(w: World) -> None:
    day = NOW.astimezone(TZ).date() + timedelta(days=12)
    w.add_session("added", at(day, "09:00"), 60, [("mediator", "mediator")], "online")


def _cancel(w: World) -> None:
    row = w.rows["conference"]
    row.status = "cancelled"
    row.sequence += 1
    row.updated_at = NOW - timedelta(hours=2)


def _unpublish(w: World) -> None:
    w.rows["tentative"].is_published = False


def _rename_colleague(w: World) -> None:
    w.people["colleague"].name = "李华华"  # in the team of a session the mediator shares


def _rename_bank(w: World) -> None:
    bank = w.db.scalars(select(Institution).where(Institution.name == BANK)).one()
    bank.name = "中国工商银行股份有限公司新乡红旗支行"


def _drop_party(w: World) -> None:
    party = w.db.scalars(select(CaseParty).where(CaseParty.institution_id.is_not(None))).one()
    w.db.delete(party)


def _change_cause(w: World) -> None:
    case = w.db.scalars(select(Case).where(Case.case_number == "(2026)豫0802民初567号")).one()
    case.cause_text = "金融借款合同纠纷、保证合同纠纷"


def _hand_over_presiding(w: World) -> None:
    for assignment in w.db.scalars(select(Assignment)):
        if assignment.role == "expert":
            assignment.is_presiding = True


def _drop_case_of_conference(w: World) -> None:
    w.rows["conference"].cases = w.rows["conference"].cases[:1]


def _drop_participant(w: World) -> None:
    row = w.rows["conference"]
    row.participants = [p for p in row.participants if p.role != "leader"]


def _retitle_meeting(w: World) -> None:
    assert w.meeting is not None
    w.meeting.title = "金融纠纷诉调对接中心月度例会"


def _leave_meeting(w: World) -> None:
    assert w.meeting is not None
    w.meeting.members = [w.people["leader"]]


CHANGES: dict[str, Callable[[World], None]] = {
    "rooms: renamed": _rename_room,
    "rooms: address, by SQL": _move_room_by_sql,
    "sessions: a new published one": _new_session,
    "sessions: cancelled": _cancel,
    "sessions: unpublished": _unpublish,
    "people: renamed": _rename_colleague,
    "institutions: renamed": _rename_bank,
    "case_parties: removed": _drop_party,
    "cases: 案由": _change_cause,
    "assignments: who presides": _hand_over_presiding,
    "session_cases: removed": _drop_case_of_conference,
    "session_participants: removed": _drop_participant,
    "recurring_meetings: retitled": _retitle_meeting,
    "recurring_meeting_members: left": _leave_meeting,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_change_a_feed_shows_renders_it_afresh(
    world: World, client: FlaskClient, renders: Renders, change: str
) -> None:
    token = issue(world, person_id=world.people["mediator"].id)
    first = client.get(path(token))
    etag = first.headers["ETag"]
    assert client.get(path(token), headers={"If-None-Match": etag}).status_code == 304
    CHANGES[change](world)
    world.db.commit()
    changed = client.get(path(token), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.data != first.data and changed.headers["ETag"] != etag
    assert renders.count == 2
    # The new feed is cached in turn.
    new_etag = changed.headers["ETag"]
    assert client.get(path(token), headers={"If-None-Match": new_etag}).status_code == 304
    assert renders.count == 2
    world.db.expire_all()  # a change by SQL went past this session's objects
    assert changed.data == feed_of(world, "mediator").body


def test_a_change_the_feed_does_not_show_keeps_the_etag(
    world: World, client: FlaskClient, renders: Renders
) -> None:
    token = issue(world, person_id=world.people["mediator"].id)
    first = client.get(path(token))
    world.db.add(Person(roster_no="M-099", name="新来的调解员", is_mediator=True))
    world.db.commit()
    # Rendered again (the database changed), byte for byte the same: the old ETag still holds.
    again = client.get(path(token), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and renders.count == 2
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_rolled_back_write_changes_nothing(
    world: World, client: FlaskClient, renders: Renders
) -> None:
    token = issue(world, person_id=world.people["mediator"].id)
    etag = client.get(path(token)).headers["ETag"]
    _rename_room(world)
    world.db.flush()
    world.db.rollback()
    assert client.get(path(token), headers={"If-None-Match": etag}).status_code == 304
    assert renders.count == 1


def test_the_cache_moves_with_the_clock(
    world: World, client: FlaskClient, renders: Renders, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the database unchanged: the next local day renders again (the window moved), and a
    cancelled session is dropped at the very moment its week is over."""
    clock = [NOW]
    monkeypatch.setattr(feeds, "utcnow", lambda: clock[0])
    token = issue(world, person_id=world.people["mediator"].id)
    first = client.get(path(token))
    etag = first.headers["ETag"]

    clock[0] = NOW + timedelta(hours=11, minutes=59)  # 23:59 in Shanghai: the same day
    assert client.get(path(token), headers={"If-None-Match": etag}).status_code == 304
    assert renders.count == 1
    clock[0] = NOW + timedelta(hours=12)  # midnight: rendered again, and nothing moved
    assert client.get(path(token), headers={"If-None-Match": etag}).status_code == 304
    assert renders.count == 2

    uid = "session-cancelled_recently@sutiao"
    week = world.rows["cancelled_recently"].updated_at + timedelta(days=7)
    clock[0] = week - timedelta(minutes=1)
    shown = client.get(path(token))
    assert uid in shown.data.decode()
    clock[0] = week + timedelta(minutes=1)  # the same local day, the same database
    assert week.astimezone(TZ).date() == clock[0].astimezone(TZ).date()
    gone = client.get(path(token), headers={"If-None-Match": shown.headers["ETag"]})
    assert gone.status_code == 200 and uid not in gone.data.decode()


def test_reschedule_and_cancellation_by_the_real_repair_reach_the_cached_feed(
    world: World, client: FlaskClient, renders: Renders
) -> None:
    token = issue(world, person_id=world.people["mediator"].id)
    row = world.rows["upcoming"]
    uid = "session-upcoming@sutiao"

    def repair(new_start: datetime | None, new_room: Room | None) -> None:
        move = {
            "session": row.id,
            "old_start": row.starts_at.isoformat(),
            "old_room": row.room_id,
            "new_start": None if new_start is None else new_start.isoformat(),
            "new_room": None if new_room is None else new_room.id,
        }
        run = AssignmentRun(kind="repair", status="succeeded", stats={"moves": [move]})
        world.db.add(run)
        world.db.commit()
        publish_repair(world.db, run.id)
        world.db.expire_all()

    def event() -> tuple[str, dict[str, str]]:
        response = client.get(path(token), headers={"If-None-Match": etag})
        assert response.status_code == 200
        return response.headers["ETag"], {e["UID"]: e for e in events_of(response.data)}[uid]

    etag = client.get(path(token)).headers["ETag"]
    later = row.starts_at + timedelta(days=1, hours=5)
    repair(later, world.rooms["online"])
    etag, moved = event()
    assert moved["SEQUENCE"] == "3"
    assert moved["DTSTART;TZID=Asia/Shanghai"] == later.astimezone(TZ).strftime("%Y%m%dT%H%M%S")
    assert moved["LOCATION"] == "线上：人民法院在线服务平台"
    repair(None, None)
    etag, cancelled = event()
    assert cancelled["STATUS"] == "CANCELLED" and cancelled["SEQUENCE"] == "4"
    assert renders.count == 3


@pytest.mark.slow
def test_a_newly_published_schedule_reaches_the_cached_feed(
    session: Session, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daily run on the demo center: assign, schedule, then publish; a feed cached before the
    publication shows the new sessions right after it."""
    from web import workflow
    from web.demo import load_demo

    today = date(2026, 11, 20)
    monkeypatch.setattr(feeds, "utcnow", lambda: datetime(2026, 11, 20, 4, tzinfo=UTC))
    load_demo(session, today=today, cases=150, people=80)
    session.commit()
    run = workflow.assign(session, today=today, time_limit=2)
    schedule = workflow.schedule(session, run.id, today=today, time_limit=3)
    person_id = session.scalars(
        select(SessionParticipant.person_id)
        .join(SessionRow, SessionRow.id == SessionParticipant.session_id)
        .where(SessionRow.run_id == schedule.id)
        .order_by(SessionParticipant.person_id)
    ).first()
    assert person_id is not None
    token = feeds.issue_token(session, person_id=person_id)
    session.commit()
    client = app.test_client()
    before = client.get(path(token))
    etag = before.headers["ETag"]
    assert client.get(path(token), headers={"If-None-Match": etag}).status_code == 304

    workflow.publish(session, run.id)
    after = client.get(path(token), headers={"If-None-Match": etag})
    assert after.status_code == 200
    new_uids = {
        row.uid
        for row in session.scalars(
            select(SessionRow)
            .join(SessionParticipant, SessionParticipant.session_id == SessionRow.id)
            .where(SessionRow.run_id == schedule.id, SessionParticipant.person_id == person_id)
        )
    }
    shown = {e["UID"].removesuffix("@sutiao") for e in events_of(after.data)}
    assert new_uids and {u.removesuffix("@sutiao") for u in new_uids} <= shown
    assert not new_uids & {e["UID"] for e in events_of(before.data)}


# --- the feed version: what the cache compares ----------------------------------------------------


EVENTS = ("insert", "update", "delete")


def version(db: Session) -> int:
    value = db.scalar(select(FeedVersion.version).where(FeedVersion.id == 1))
    assert value is not None
    return value


def test_every_feed_table_has_its_version_triggers(session: Session) -> None:
    """Every write to a table the feed shows raises the version: insert, update, delete (and
    truncate on PostgreSQL). A migration that recreates one of these tables on SQLite must
    create its triggers again; this test notices when it does not."""
    assert set(FEED_TABLES) <= set(inspect(session.get_bind()).get_table_names())
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                "SELECT c.relname, t.tgname, t.tgdeferrable, t.tginitdeferred "
                "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'tr_feed_version%'"
            )
        ).all()
        found = {(table, name) for table, name, _, _ in rows}
        want = {
            (t, n) for t in FEED_TABLES for n in ("tr_feed_version", "tr_feed_version_truncate")
        }
        assert found == want
        # The per-row trigger waits for the commit: no lock on the version row before it.
        assert all(d and i for _, name, d, i in rows if name == "tr_feed_version")
    else:
        names = set(session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        want_sqlite = {f"tr_feed_version_{t}_{e}" for t in FEED_TABLES for e in EVENTS}
        assert want_sqlite <= names


def test_a_committed_write_to_any_feed_table_raises_the_version(world: World) -> None:
    db = world.db
    for table in FEED_TABLES:
        column = next(iter(inspect(db.get_bind()).get_pk_constraint(table)["constrained_columns"]))
        before = version(db)
        db.commit()
        changed = db.execute(text(f"UPDATE {table} SET {column} = {column}"))
        assert changed.rowcount > 0, table  # type: ignore[attr-defined]
        db.commit()
        assert version(db) > before, table
    before = version(db)
    db.execute(text("DELETE FROM session_participants WHERE role = 'leader'"))
    db.commit()
    assert version(db) > before
    before = version(db)
    db.execute(text("UPDATE rooms SET name = name || '*'"))
    db.rollback()
    assert version(db) == before  # a rolled-back write leaves it


@pytest.mark.postgres
def test_postgresql_writers_do_not_wait_on_the_version_until_they_commit(
    world: World, engine: Engine
) -> None:
    """The version row is locked only while a transaction commits: a long writer does not
    hold up another, and readers see the new version with the new data, not before."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    db = world.db
    start = version(db)
    db.commit()
    with Session(engine) as long_writer, Session(engine) as other:
        long_writer.execute(text("UPDATE rooms SET name = name || '甲'"))
        long_writer.flush()
        other.execute(text("SET LOCAL lock_timeout = '2s'"))
        other.execute(text("UPDATE people SET name = name || '乙'"))
        other.commit()  # would time out if the first writer held the version row
        assert version(db) == start + 1
        db.commit()
        long_writer.commit()
    assert version(db) == start + 2


@pytest.mark.postgres
def test_postgresql_plans_the_feed_statements_once(
    world: World, database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The route renders on an autocommit connection, so psycopg's prepared statements survive
    between renders (psycopg drops them all at a ROLLBACK, which is how a request's session
    ends): from the fifth render on, PostgreSQL runs the feed's statements without planning
    them again."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(feeds, "utcnow", lambda: NOW)
    person_id = world.people["mediator"].id
    world.db.commit()
    app = create_app({"TESTING": True, "SUTIAO_DATABASE_URL": database_url})

    def prepared() -> list[str]:
        with autocommit_connection() as connection:  # the pool's one connection
            return list(connection.scalars(text("SELECT statement FROM pg_prepared_statements")))

    try:
        with app.app_context():
            for _ in range(6):  # in the request's session, ended as a request ends it
                feeds.build_feed(get_session(), person_id=person_id)
                get_session().rollback()
            assert not any("feed_sessions" in s for s in prepared())
            first = feeds.render(person_id, None)
            for _ in range(5):
                assert feeds.render(person_id, None).body == first.body
            statements = prepared()
            assert any("feed_sessions" in s for s in statements)  # the details statement
            assert sum("FROM sessions" in s for s in statements) >= 2  # sessions, window
    finally:
        app.extensions["sutiao.engine"].dispose()


# --- a mediator's own feed through the API --------------------------------------------------------


@pytest.fixture
def mediator(app: Flask, world: World) -> tuple[FlaskClient, str, int]:
    user = make_user(
        world.db, "zhangming", "mediator", roster_no=world.people["mediator"].roster_no
    )
    client = app.test_client()
    csrf = login(client, "zhangming")
    return client, csrf, user.id


def test_a_mediator_reads_and_resets_the_feed_through_the_api(
    world: World, client: FlaskClient, mediator: tuple[FlaskClient, str, int]
) -> None:
    api, csrf, user_id = mediator
    first = api.get("/api/v1/me/feed")
    assert first.status_code == 200, first.get_json()
    links = first.get_json()
    assert set(links) == {"https", "webcal"}
    assert links["webcal"] == "webcal://" + links["https"].split("://", 1)[1]
    assert first.headers["Cache-Control"] == "no-store"
    assert api.get("/api/v1/me/feed").get_json() == links  # the same URL, shown again
    old = links["https"].rsplit("/", 1)[1].removesuffix(".ics")
    feed = client.get(path(old))
    assert feed.status_code == 200 and "X-WR-CALNAME:张明的调解日程" in feed.data.decode()

    assert api.post("/api/v1/me/feed/reset").status_code == 400  # no CSRF token
    reset = api.post("/api/v1/me/feed/reset", headers={"X-CSRFToken": csrf})
    assert reset.status_code == 200, reset.get_json()
    new_links = reset.get_json()
    assert set(new_links) == {"https", "webcal"} and new_links != links
    new = new_links["https"].rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(path(old)).status_code == 404
    assert client.get(path(new)).status_code == 200
    assert api.get("/api/v1/me/feed").get_json() == new_links
    issued = world.db.scalars(
        select(AuditEntry).where(AuditEntry.action == "feed_token.issue").order_by(AuditEntry.id)
    ).all()
    assert [(e.user_id, e.actor) for e in issued] == [(user_id, f"user:{user_id}")] * 2


def test_a_mediator_login_without_a_person_has_no_feed(
    world: World, mediator: tuple[FlaskClient, str, int]
) -> None:
    api, csrf, user_id = mediator
    user = world.db.get_one(User, user_id)
    user.person_id = None
    world.db.commit()
    for response in (
        api.get("/api/v1/me/feed"),
        api.post("/api/v1/me/feed/reset", headers={"X-CSRFToken": csrf}),
    ):
        assert response.status_code == 404
        error = response.get_json()["error"]
        assert error["code"] == "not_found"
        assert "not linked to a person" in error["message"]
    assert world.db.scalars(select(FeedToken)).all() == []


def test_the_feed_endpoints_are_in_the_openapi_document(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    read = document["paths"]["/api/v1/me/feed"]["get"]
    reset = document["paths"]["/api/v1/me/feed/reset"]["post"]
    for operation in (read, reset):
        assert operation["security"] == [{"session": []}]
        responses = operation["responses"]
        assert responses["200"]["content"]["application/json"]["schema"]["required"] == [
            "https",
            "webcal",
        ]
        for status, name in (
            ("401", "Unauthorized"),
            ("403", "Forbidden"),
            ("405", "MethodNotAllowed"),
            ("429", "RateLimited"),
            ("500", "InternalError"),
        ):
            assert responses[status] == {"$ref": f"#/components/responses/{name}"}
            assert name in document["components"]["responses"]
    assert set(document["paths"]["/api/v1/me/feed"]) == {"get"}


# --- the migration --------------------------------------------------------------------------------


def test_migration_0004_revokes_the_tokens_that_had_no_secret(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO rooms (name, location, capacity, is_online, equipment, is_active)"
                    " VALUES ('第一调解室', '中院', 8, false, '[]', true)"
                )
            )
            room_id = conn.scalar(text("SELECT id FROM rooms"))
            for digest, revoked in (("a" * 64, None), ("b" * 64, NOW)):
                conn.execute(
                    text(
                        "INSERT INTO feed_tokens (token_hash, room_id, created_at, revoked_at) "
                        "VALUES (:h, :r, :c, :v)"
                    ),
                    {"h": digest, "r": room_id, "c": NOW, "v": revoked},
                )
        migrate.upgrade(engine)
        with Session(engine) as db:
            rows = db.scalars(select(FeedToken).order_by(FeedToken.id)).all()
            assert [len(r.secret) for r in rows] == [32, 32]
            assert rows[0].secret != rows[1].secret
            assert all(r.revoked_at is not None for r in rows)
            assert rows[1].revoked_at == NOW  # already revoked: left as it was
            assert version(db) == 0
        migrate.downgrade(engine, "0003")
        migrate.upgrade(engine)
    finally:
        engine.dispose()


# --- CLI ----------------------------------------------------------------------------------------


def test_feed_url_command(world: World, runner: FlaskCliRunner, client: FlaskClient) -> None:
    person = world.people["mediator"]
    result = runner.invoke(args=["feed-url", str(person.id)])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    base = runner.app.config["SUTIAO_BASE_URL"].rstrip("/")
    match = re.fullmatch(re.escape(base) + r"/calendar/([A-Za-z0-9_-]{43})\.ics", url)
    assert match is not None, url
    first = client.get(path(match.group(1)))
    assert first.status_code == 200
    assert "X-WR-CALNAME:张明的调解日程" in first.data.decode()

    # The same URL again, until --reset issues a new one and kills the old.
    assert runner.invoke(args=["feed-url", str(person.id)]).output.strip() == url
    webcal = runner.invoke(args=["feed-url", str(person.id), "--webcal"]).output.strip()
    assert webcal == "webcal://" + url.split("://", 1)[1]
    reset = runner.invoke(args=["feed-url", str(person.id), "--reset"])
    assert reset.exit_code == 0, reset.output
    again = reset.output.strip()
    assert again != url and again.startswith(f"{base}/calendar/")
    assert client.get(path(match.group(1))).status_code == 404  # the reset killed it
    assert runner.invoke(args=["feed-url", str(person.id)]).output.strip() == again
    token = again.rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(path(token)).status_code == 200

    room = runner.invoke(args=["feed-url", "--room", str(world.rooms["room"].id), "--webcal"])
    assert room.exit_code == 0, room.output
    assert room.output.startswith("webcal://")
    token = room.output.strip().rsplit("/", 1)[1].removesuffix(".ics")
    assert "中院诉调第一调解室日程" in client.get(path(token)).data.decode()

    unknown = runner.invoke(args=["feed-url", "999999"])
    assert unknown.exit_code != 0
    assert "no person with id 999999" in unknown.output
    unknown = runner.invoke(args=["feed-url", "999999", "--reset"])
    assert unknown.exit_code != 0
    assert "no person with id 999999" in unknown.output
    neither = runner.invoke(args=["feed-url"])
    assert neither.exit_code == 2
    assert "PERSON_ID or --room" in neither.output
