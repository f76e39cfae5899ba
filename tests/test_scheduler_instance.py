"""The scheduler's JSON instance format: round trip, the example, error messages that name the field
path and the ID, and the schema agreeing with the loader."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from scheduler.instance import (
    ROLES,
    SCHEMA_PATH,
    InstanceError,
    load_instance,
    problem_to_json,
    write_schedule,
)
from scheduler.problem import (
    CASE_CONFERENCE,
    GRIDS,
    JOINT_MEDIATION,
    KINDS,
    MAX_WEIGHT,
    MODES,
    ONLINE,
    TZ,
    WEIGHT_NAMES,
    Availability,
    Block,
    Busy,
    CourtHours,
    Person,
    Placement,
    RecurringMeeting,
    Room,
    SchedulingProblem,
    Session,
    Settings,
    Weights,
)
from scheduler.result import Placed, Schedule, Unscheduled
from scheduler.workdays import YearSchedule

EXAMPLE = Path(__file__).resolve().parent.parent / "scheduler" / "examples" / "tiny.json"

Instance = dict[str, Any]


def tiny_instance() -> Instance:
    """Two rooms, three people, three sessions, one meeting; most optional fields left out."""
    return {
        "settings": {"today": "2026-09-24", "horizon_days": 28},
        "rooms": [
            {"id": "R1", "name": "第一调解室", "equipment": ["projector"]},
            {"id": "ONLINE", "online": True, "location": "online"},
        ],
        "people": [
            {"id": "p1", "name": "王敏"},
            {
                "id": "p2",
                "role": "expert",
                "availability": [{"weekday": 1, "start": "14:30", "end": "18:00"}],
                "leave": [{"from": "2026-10-13", "to": "2026-10-15"}],
            },
            {
                "id": "p3",
                "role": "liaison_judge",
                "busy": [
                    {
                        "start": "2026-09-29T14:30:00+08:00",
                        "end": "2026-09-29T17:30:00+08:00",
                        "label": "开庭",
                    }
                ],
            },
        ],
        "sessions": [
            {
                "id": "s1",
                "kind": "mediation",
                "cases": ["（2026）豫0802民诉前调1234号"],
                "duration": 60,
                "participants": ["p1"],
                "deadline": "2026-10-16",
                "small_claims": True,
            },
            {
                "id": "s2",
                "kind": "joint_mediation",
                "cases": ["（2026）豫0802民诉前调1236号"],
                "duration": 120,
                "participants": ["p1", "p2", "p3"],
                "deadline": "2026-10-20",
                "published": {"start": "2026-09-29T09:00:00+08:00", "room": "R1"},
                "pinned": True,
            },
            {
                "id": "s7",
                "kind": "case_conference",
                "cases": ["（2026）豫0802民诉前调1240号", "（2026）豫0802民诉前调1241号"],
                "duration": 90,
                "participants": ["p1", "p3"],
                "deadline": "2026-10-21",
                "mode": "online",
            },
        ],
        "meetings": [
            {
                "id": "weekly",
                "title": "中心周例会",
                "rrule": "FREQ=WEEKLY;BYDAY=MO",
                "start": "2026-09-07T08:30:00+08:00",
                "duration": 60,
                "members": ["p1", "p3"],
                "room": "R1",
            }
        ],
    }


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def full_problem() -> SchedulingProblem:
    """A problem with a non-default value in every field, built from the dataclasses."""
    today = date(2026, 12, 21)
    year_2027 = YearSchedule(
        year=2027,
        holidays={
            date(2027, 1, 1): "元旦",
            date(2027, 1, 2): "元旦",
            date(2027, 1, 3): "元旦",
            date(2027, 2, 6): "春节",
            date(2027, 2, 7): "春节",
            date(2027, 2, 9): "春节",  # not consecutive: a second run
        },
        workdays={date(2027, 2, 20): "春节调休"},
        source="国办发明电〔2026〕1号",
    )
    return SchedulingProblem(
        settings=Settings(
            today=today,
            horizon_days=60,
            grid=15,
            notice_days=3,
            travel_minutes=45,
            fast_track_days=7,
            hours=CourtHours(
                morning=Block(9 * 60, 12 * 60),
                afternoon=Block(14 * 60, 17 * 60 + 45),
                summer_afternoon=Block(15 * 60 + 15, 18 * 60),
                summer_start=(6, 1),
                summer_end=(8, 31),
            ),
            year_schedules=(year_2027,),
            weekend_fallback=True,
        ),
        weights=Weights(
            slack=1, fast_track=2, balance=3, locations=4, preference=5, stability=MAX_WEIGHT
        ),
        rooms=(
            Room(
                id="R3",
                name="解放区法院诉调对接室",
                capacity=6,
                equipment=frozenset({"recording", "projector"}),
                location="jiefang_court",
                closed=(Busy(at(today, 8, 30), at(today, 12), "消防安全检查"),),
            ),
            Room(id="ONLINE", name="在线调解平台", capacity=50, location="online", online=True),
        ),
        people=(
            Person(
                id="m1",
                name="张丽",
                role="mediator",
                availability=(Availability(0, 8 * 60, 12 * 60), Availability(4, 14 * 60, 24 * 60)),
                leave=(
                    (date(2027, 1, 4), date(2027, 1, 8)),
                    (date(2027, 1, 20), date(2027, 1, 20)),
                ),
                busy=(Busy(at(today, 9), at(today, 10, 15), "外出授课"),),
                max_sessions_per_day=2,
                max_minutes_per_day=240,
            ),
            Person(id="j1", name="赵建国", role="liaison_judge"),
            Person(id="l1", role="leader"),
        ),
        sessions=(
            Session(
                id="s1",
                kind=CASE_CONFERENCE,
                cases=("（2026）豫0802民诉前调1240号", "（2026）豫0802民诉前调1241号"),
                duration=105,
                participants=("l1", "m1", "j1"),
                deadline=date(2027, 1, 29),
                earliest=date(2026, 12, 28),
                mode=ONLINE,
                equipment=frozenset({"video", "recording"}),
                small_claims=True,
                preferred_days=(date(2027, 1, 12), date(2027, 1, 11)),
                preferred_rooms=("ONLINE", "R3"),
                published=Placement(at(date(2026, 12, 29), 9, 15), "ONLINE"),
                pinned=True,
            ),
            Session(
                id="s2",
                kind=JOINT_MEDIATION,
                cases=("（2026）豫08民终567号",),
                duration=60,
                participants=("m1", "j1"),
                deadline=date(2027, 2, 10),
            ),
        ),
        meetings=(
            RecurringMeeting(
                id="weekly",
                title="中心周例会",
                rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20270630T000000Z",
                start=at(date(2026, 9, 7), 8, 30),
                duration=45,
                members=("l1", "m1"),
                room="R3",
                exdates=(date(2027, 1, 4), date(2026, 12, 28)),
            ),
        ),
    )


def no_summer_problem() -> SchedulingProblem:
    problem = load_instance(tiny_instance())
    settings = problem.settings
    hours = CourtHours(summer_afternoon=None)
    return SchedulingProblem(
        settings=Settings(today=settings.today, horizon_days=settings.horizon_days, hours=hours),
        rooms=problem.rooms,
        people=problem.people,
        sessions=problem.sessions,
        meetings=problem.meetings,
    )


# --- round trip ----------------------------------------------------------------------------------


def test_tiny_instance_loads_with_defaults() -> None:
    problem = load_instance(tiny_instance())
    assert problem.settings == Settings(today=date(2026, 9, 24), horizon_days=28)
    assert problem.weights == Weights()
    r1, online = problem.rooms
    assert r1 == Room(id="R1", name="第一调解室", equipment=frozenset({"projector"}))
    assert online.online and problem.online_room == online
    p1, p2, p3 = problem.people
    assert p1 == Person(id="p1", name="王敏")
    assert p2.availability == (Availability(1, 14 * 60 + 30, 18 * 60),)
    assert p2.leave == ((date(2026, 10, 13), date(2026, 10, 15)),)
    assert p3.busy == (Busy(at(date(2026, 9, 29), 14, 30), at(date(2026, 9, 29), 17, 30), "开庭"),)
    s1, s2, s7 = problem.sessions
    assert s1.small_claims and s1.mode == "either" and s1.earliest is None
    assert s2.published == Placement(at(date(2026, 9, 29), 9), "R1") and s2.pinned
    assert s7.cases == ("（2026）豫0802民诉前调1240号", "（2026）豫0802民诉前调1241号")
    (meeting,) = problem.meetings
    assert meeting.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert meeting.start == at(date(2026, 9, 7), 8, 30)
    assert meeting.exdates == ()


@pytest.mark.parametrize(
    "make",
    [lambda: load_instance(tiny_instance()), full_problem, no_summer_problem],
    ids=["tiny", "full", "no summer hours"],
)
def test_problem_to_json_then_load_round_trips(make: Callable[[], SchedulingProblem]) -> None:
    problem = make()
    dumped = problem_to_json(problem)
    # Through real JSON text, as a file would carry it.
    again = load_instance(json.loads(json.dumps(dumped, ensure_ascii=False)))
    assert again == problem
    assert problem_to_json(again) == dumped


def test_problem_to_json_writes_plain_json() -> None:
    dumped = problem_to_json(full_problem())
    settings = dumped["settings"]
    assert settings["hours"] == {
        "morning": {"start": "09:00", "end": "12:00"},
        "afternoon": {"start": "14:00", "end": "17:45"},
        "summer_afternoon": {"start": "15:15", "end": "18:00"},
        "summer_start": "06-01",
        "summer_end": "08-31",
    }
    assert settings["year_schedules"] == [
        {
            "year": 2027,
            "holidays": [
                {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
                {"name": "春节", "from": "2027-02-06", "to": "2027-02-07"},
                {"name": "春节", "from": "2027-02-09", "to": "2027-02-09"},
            ],
            "workdays": [{"date": "2027-02-20", "name": "春节调休"}],
            "source": "国办发明电〔2026〕1号",
        }
    ]
    room = dumped["rooms"][0]
    assert room["equipment"] == ["projector", "recording"]  # sets sorted
    assert room["closed"][0]["start"] == "2026-12-21T08:30:00+08:00"
    person = dumped["people"][0]
    assert person["availability"][1] == {"weekday": 4, "start": "14:00", "end": "24:00"}
    assert person["leave"][1] == {"from": "2027-01-20", "to": "2027-01-20"}
    session = dumped["sessions"][0]
    assert session["preferred_days"] == ["2027-01-12", "2027-01-11"]  # lists keep their order
    assert session["published"] == {"start": "2026-12-29T09:15:00+08:00", "room": "ONLINE"}
    assert dumped["sessions"][1]["published"] is None
    assert dumped["sessions"][1]["earliest"] is None
    assert dumped["meetings"][0]["exdates"] == ["2027-01-04", "2026-12-28"]
    assert dumped["weights"]["stability"] == MAX_WEIGHT


def test_datetimes_are_read_as_instants_in_asia_shanghai() -> None:
    data = tiny_instance()
    data["people"][2]["busy"][0].update(start="2026-09-29T06:30Z", end="2026-09-29T09:30:00+00:00")
    busy = load_instance(data).people[2].busy[0]
    assert busy.start == at(date(2026, 9, 29), 14, 30)
    assert busy.start.isoformat() == "2026-09-29T14:30:00+08:00"
    assert busy.end.isoformat() == "2026-09-29T17:30:00+08:00"


def test_load_instance_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(tiny_instance(), ensure_ascii=False), encoding="utf-8")
    assert load_instance(path) == load_instance(tiny_instance())
    assert load_instance(str(path)) == load_instance(tiny_instance())


# --- the example ---------------------------------------------------------------------------------


def test_example_loads_and_covers_the_features() -> None:
    problem = load_instance(EXAMPLE)
    s = problem.settings
    assert s.today == date(2026, 9, 24)
    last = s.today + timedelta(days=s.horizon_days - 1)
    assert s.today < date(2026, 10, 1) and date(2026, 10, 7) < last  # Golden Week inside
    assert len(problem.rooms) == 4 and problem.online_room is not None
    roles = {p.role for p in problem.people}
    assert roles == set(ROLES)
    assert 6 <= len(problem.people) <= 10
    assert 8 <= len(problem.sessions) <= 14
    assert len({x.id for x in problem.sessions}) == len(problem.sessions)
    by_kind = {x.kind: x for x in problem.sessions}
    people = {p.id: p for p in problem.people}
    joint = by_kind[JOINT_MEDIATION]
    assert "liaison_judge" in {people[pid].role for pid in joint.participants}
    assert len(by_kind[CASE_CONFERENCE].cases) == 2
    assert any(x.small_claims for x in problem.sessions)
    assert any(x.pinned and x.published is not None for x in problem.sessions)
    (meeting,) = problem.meetings
    assert meeting.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert meeting.start.weekday() == 0
    case_number = re.compile(r"（2026）豫08(02)?民[^号]+\d+号")
    assert all(case_number.fullmatch(c) for x in problem.sessions for c in x.cases)


def test_example_round_trips() -> None:
    problem = load_instance(EXAMPLE)
    assert load_instance(problem_to_json(problem)) == problem


# --- errors name the field and the ID ------------------------------------------------------------

Mutation = Callable[[Instance], None]


def _keys(path: str) -> list[str | int]:
    return [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]


def _set(path: str, value: Any) -> Mutation:
    """A mutation that sets ``a.b[0].c`` to value."""

    def mutate(data: Instance) -> None:
        *head, last = _keys(path)
        target: Any = data
        for key in head:
            target = target[key]
        target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: Instance) -> None:
        *head, last = _keys(path)
        target: Any = data
        for key in head:
            target = target[key]
        del target[last]

    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(data: Instance) -> None:
        for m in mutations:
            m(data)

    return mutate


# Errors JSON Schema can express too: the loader and the schema both reject them.
STRUCTURAL: list[tuple[str, Mutation, str]] = [
    (
        "bad date",
        _set("sessions[2].deadline", "2026-13-01"),
        "sessions[s7].deadline: '2026-13-01' is not a date (YYYY-MM-DD)",
    ),
    (
        "date in another format",
        _set("sessions[0].deadline", "2026/10/16"),
        "sessions[s1].deadline: '2026/10/16' is not a date (YYYY-MM-DD)",
    ),
    (
        "bad today",
        _set("settings.today", "tomorrow"),
        "settings.today: 'tomorrow' is not a date (YYYY-MM-DD)",
    ),
    (
        "bad leave date",
        _set("people[1].leave[0].to", "2026-02-30"),
        "people[p2].leave[0].to: '2026-02-30' is not a date (YYYY-MM-DD)",
    ),
    (
        "naive datetime",
        _set("people[2].busy[0].start", "2026-09-29T14:30:00"),
        "people[p3].busy[0].start: needs a UTC offset",
    ),
    (
        "naive published start",
        _set("sessions[1].published.start", "2026-09-29T09:00"),
        "sessions[s2].published.start: needs a UTC offset",
    ),
    (
        "naive meeting start",
        _set("meetings[0].start", "2026-09-07T08:30:00"),
        "meetings[weekly].start: needs a UTC offset",
    ),
    (
        "date instead of a datetime",
        _set("rooms[0].closed", [{"start": "2026-10-13", "end": "2026-10-14T00:00:00+08:00"}]),
        "rooms[R1].closed[0].start: '2026-10-13' is not a date and time with an offset",
    ),
    ("grid 20", _set("settings.grid", 20), "settings.grid: 20 is not one of (15, 30)"),
    (
        "horizon too long",
        _set("settings.horizon_days", 400),
        "settings.horizon_days: 400 not in [1, 366]",
    ),
    (
        "negative notice",
        _set("settings.notice_days", -1),
        "settings.notice_days: must not be negative",
    ),
    (
        "weight out of range",
        _set("weights", {"fast_track": 101}),
        f"weights.fast_track: 101 is out of range [0, {MAX_WEIGHT}]",
    ),
    ("negative weight", _set("weights", {"balance": -1}), "weights.balance: -1 is out of range"),
    (
        "weight as a string",
        _set("weights", {"slack": "high"}),
        "weights.slack: must be an integer, got 'high'",
    ),
    (
        "unknown weight",
        _set("weights", {"stabilty": 3}),
        "weights: unknown field 'stabilty' (did you mean 'stability'?)",
    ),
    (
        "unknown kind",
        _set("sessions[0].kind", "hearing"),
        "sessions[s1].kind: unknown kind 'hearing'",
    ),
    ("unknown mode", _set("sessions[2].mode", "video"), "sessions[s7].mode: unknown mode 'video'"),
    (
        "unknown role",
        _set("people[0].role", "judge"),
        "people[p1].role: unknown role 'judge'",
    ),
    ("unknown top-level key", _set("session", []), "instance: unknown field 'session'"),
    (
        "unknown key in a session",
        _set("sessions[0].deadine", "2026-10-16"),
        "sessions[s1]: unknown field 'deadine' (did you mean 'deadline'?)",
    ),
    (
        "unknown key in a person",
        _set("people[1].vacation", []),
        "people[p2]: unknown field 'vacation'",
    ),
    (
        "unknown key in a room",
        _set("rooms[1].url", "https://tiaojie.court.gov.cn"),
        "rooms[ONLINE]: unknown field 'url'",
    ),
    (
        "unknown key in busy time",
        _set("people[2].busy[0].note", "x"),
        "people[p3].busy[0]: unknown field 'note'",
    ),
    (
        "unknown key in a meeting",
        _set("meetings[0].location", "R1"),
        "meetings[weekly]: unknown field 'location'",
    ),
    (
        "unknown key in settings",
        _set("settings.timezone", "Asia/Shanghai"),
        "settings: unknown field 'timezone'",
    ),
    (
        "unknown key in hours",
        _set("settings.hours", {"evening": {"start": "18:00", "end": "20:00"}}),
        "settings.hours: unknown field 'evening'",
    ),
    (
        "unknown key in published",
        _set("sessions[1].published.end", "2026-09-29T11:00:00+08:00"),
        "sessions[s2].published: unknown field 'end'",
    ),
    (
        "unknown key in a year schedule",
        _set("settings.year_schedules", [{"year": 2027, "holidays": [], "url": "x"}]),
        "settings.year_schedules[2027]: unknown field 'url'",
    ),
    (
        "duration as a string",
        _set("sessions[0].duration", "60"),
        "sessions[s1].duration: must be an integer, got '60'",
    ),
    (
        "negative duration",
        _set("sessions[0].duration", -30),
        "sessions[s1].duration: must be positive",
    ),
    (
        "participants as a string",
        _set("sessions[0].participants", "p1"),
        "sessions[s1].participants: must be a list, got a string",
    ),
    (
        "no participants",
        _set("sessions[0].participants", []),
        "sessions[s1].participants: at least one is needed",
    ),
    (
        "a participant listed twice",
        _set("sessions[2].participants", ["p1", "p1"]),
        "sessions[s7].participants: 'p1' is listed twice",
    ),
    (
        "boolean as a number",
        _set("sessions[0].small_claims", 1),
        "sessions[s1].small_claims: must be true or false, got 1",
    ),
    (
        "pinned without published",
        _delete("sessions[1].published"),
        "sessions[s2].pinned: a pinned session needs `published`",
    ),
    (
        "pinned with published null",
        _set("sessions[1].published", None),
        "sessions[s2].pinned: a pinned session needs `published`",
    ),
    ("numeric id", _set("sessions[0].id", 7), "sessions[0].id: must be a non-empty string, got 7"),
    ("missing id", _delete("people[1].id"), "people[1].id: required field is missing"),
    (
        "missing deadline",
        _delete("sessions[0].deadline"),
        "sessions[s1].deadline: required field is missing",
    ),
    ("missing rrule", _delete("meetings[0].rrule"), "meetings[weekly].rrule: required field"),
    ("missing today", _delete("settings.today"), "settings.today: required field is missing"),
    ("missing sessions", _delete("sessions"), "instance.sessions: required field is missing"),
    ("person not an object", _set("people[2]", "p3"), "people[2]: must be an object, got a string"),
    (
        "weekday 7",
        _set("people[1].availability[0].weekday", 7),
        "people[p2].availability[0].weekday: 7 is not 0 (Monday) to 6 (Sunday)",
    ),
    (
        "time without a colon",
        _set("people[1].availability[0].start", "1430"),
        "people[p2].availability[0].start: '1430' is not a time of day (HH:MM)",
    ),
    (
        "hour 25",
        _set("settings.hours", {"morning": {"start": "08:30", "end": "25:00"}}),
        "settings.hours.morning.end: '25:00' is not a time of day (HH:MM)",
    ),
    (
        "bad summer start",
        _set("settings.hours", {"summer_start": "5-1"}),
        "settings.hours.summer_start: '5-1' is not a month and day (MM-DD)",
    ),
    (
        "negative capacity",
        _set("rooms[0].capacity", -1),
        "rooms[R1].capacity: -1 is negative",
    ),
    (
        "negative daily limit",
        _set("people[0].max_minutes_per_day", -60),
        "people[p1].max_minutes_per_day: -60 is negative",
    ),
    (
        "two online rooms",
        _set("rooms[0].online", True),
        "rooms[ONLINE].online: a second online room (R1 is one already)",
    ),
    (
        "rrule with a prefix",
        _set("meetings[0].rrule", "RRULE:FREQ=WEEKLY;BYDAY=MO"),
        "meetings[weekly].rrule: 'RRULE:FREQ=WEEKLY;BYDAY=MO' is not an RRULE value",
    ),
    (
        "exdate listed twice",
        _set("meetings[0].exdates", ["2026-10-05", "2026-10-05"]),
        "meetings[weekly].exdates: '2026-10-05' is listed twice",
    ),
]

# Errors only the loader sees: references, uniqueness, the grid, calendar days, order.
SEMANTIC: list[tuple[str, Mutation, str]] = [
    ("duplicate session id", _set("sessions[2].id", "s1"), "sessions[s1]: duplicate id"),
    ("duplicate person id", _set("people[1].id", "p1"), "people[p1]: duplicate id"),
    ("duplicate room id", _set("rooms[1].id", "R1"), "rooms[R1]: duplicate id"),
    (
        "unknown participant",
        _set("sessions[2].participants", ["p1", "p9"]),
        "sessions[s7].participants: unknown person 'p9'",
    ),
    (
        "unknown meeting member",
        _set("meetings[0].members", ["p1", "p4"]),
        "meetings[weekly].members: unknown person 'p4'",
    ),
    (
        "unknown meeting room",
        _set("meetings[0].room", "R9"),
        "meetings[weekly].room: unknown room 'R9'",
    ),
    (
        "unknown published room",
        _set("sessions[1].published.room", "R2"),
        "sessions[s2].published.room: unknown room 'R2'",
    ),
    (
        "unknown preferred room",
        _set("sessions[0].preferred_rooms", ["R7"]),
        "sessions[s1].preferred_rooms: unknown room 'R7'",
    ),
    (
        "duration off-grid",
        _set("sessions[2].duration", 100),
        "sessions[s7].duration: 100 is not a multiple of the 30-minute grid",
    ),
    (
        "duration off a 15-minute grid",
        _both(_set("settings.grid", 15), _set("sessions[0].duration", 50)),
        "sessions[s1].duration: 50 is not a multiple of the 15-minute grid",
    ),
    (
        "court hours off the grid",
        _set("settings.hours", {"morning": {"start": "08:45", "end": "12:00"}}),
        "settings.hours.morning.start: 08:45 is off the 30-minute grid",
    ),
    (
        "court hours off the 30-minute grid",
        _both(
            _set("settings.grid", 30),
            _set("settings.hours", {"summer_afternoon": {"start": "15:00", "end": "17:45"}}),
        ),
        "settings.hours.summer_afternoon.end: 17:45 is off the 30-minute grid",
    ),
    (
        "afternoon before the morning ends",
        _set("settings.hours", {"afternoon": {"start": "11:30", "end": "17:30"}}),
        "settings.hours.afternoon: starts at 11:30, before the morning block ends at 12:00",
    ),
    (
        "block ends before it starts",
        _set("settings.hours", {"summer_afternoon": {"start": "18:00", "end": "15:00"}}),
        "settings.hours.summer_afternoon.end: 15:00 is not after start 18:00",
    ),
    (
        "summer reversed",
        _set("settings.hours", {"summer_start": "10-01", "summer_end": "05-01"}),
        "settings.hours.summer_end: 05-01 is before summer_start 10-01",
    ),
    (
        "no such day",
        _set("settings.hours", {"summer_end": "09-31"}),
        "settings.hours.summer_end: '09-31' is not a month and day (MM-DD)",
    ),
    (
        "window reversed",
        _set("people[1].availability[0].end", "14:00"),
        "people[p2].availability[0].end: 14:00 is not after start 14:30",
    ),
    (
        "leave reversed",
        _set("people[1].leave[0].to", "2026-10-12"),
        "people[p2].leave[0].to: 2026-10-12 is before from 2026-10-13",
    ),
    (
        "busy time reversed",
        _set("people[2].busy[0].end", "2026-09-29T14:00:00+08:00"),
        "people[p3].busy[0].end: 2026-09-29T14:00:00+08:00 is not after start",
    ),
    (
        "unknown rrule part",
        _set("meetings[0].rrule", "FREQ=WEEKLY;BYDAY=MO;FOO=1"),
        "meetings[weekly].rrule: 'FREQ=WEEKLY;BYDAY=MO;FOO=1' is not a valid RRULE",
    ),
    (
        "local until",
        _set("meetings[0].rrule", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231"),
        "meetings[weekly].rrule: 'FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231' is not a valid RRULE",
    ),
    (
        "empty year schedule",
        _set("settings.year_schedules", [{"year": 2027, "holidays": []}]),
        "settings.year_schedules[2027]: 'holidays' is empty",
    ),
    (
        "holiday in another year",
        _set(
            "settings.year_schedules",
            [
                {
                    "year": 2027,
                    "holidays": [{"name": "元旦", "from": "2026-12-31", "to": "2027-01-01"}],
                }
            ],
        ),
        "settings.year_schedules[2027]: holiday 2026-12-31 is not in 2027",
    ),
    (
        "bad holiday date",
        _set(
            "settings.year_schedules",
            [{"year": 2027, "holidays": [{"name": "元旦", "date": "2027-02-30"}]}],
        ),
        "settings.year_schedules[2027].holidays[0].from: '2027-02-30' is not a real date",
    ),
    (
        "two schedules for a year",
        _set(
            "settings.year_schedules",
            [
                {"year": 2027, "holidays": [{"name": "元旦", "date": "2027-01-01"}]},
                {"year": 2027, "holidays": [{"name": "元旦", "date": "2027-01-01"}]},
            ],
        ),
        "settings.year_schedules[2027]: a second schedule for 2027",
    ),
]


def _ids(cases: list[tuple[str, Mutation, str]]) -> list[str]:
    return [name for name, _, _ in cases]


@pytest.mark.parametrize(
    ("name", "mutate", "message"), STRUCTURAL + SEMANTIC, ids=_ids(STRUCTURAL + SEMANTIC)
)
def test_bad_instance_error_names_field_and_id(name: str, mutate: Mutation, message: str) -> None:
    data = tiny_instance()
    mutate(data)
    with pytest.raises(InstanceError) as raised:
        load_instance(data)
    assert message in str(raised.value)
    assert raised.value.__cause__ is None  # no chained ProblemError traceback


def test_instance_error_is_a_value_error() -> None:
    assert issubclass(InstanceError, ValueError)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(InstanceError, match=r"^instance: must be an object, got a list$"):
        load_instance([tiny_instance()])  # type: ignore[arg-type]


def test_invalid_json_is_an_instance_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"settings": {"today": "2026-09-24"},\n "rooms": [,]}', encoding="utf-8")
    with pytest.raises(InstanceError, match=r"broken\.json: invalid JSON at line 2 column 12"):
        load_instance(path)


def test_a_repeated_key_is_an_error(tmp_path: Path) -> None:
    # json.loads would keep the second duration silently.
    path = tmp_path / "twice.json"
    text = json.dumps(tiny_instance()).replace('"duration": 60', '"duration": 60, "duration": 90')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstanceError, match=r"twice\.json: duplicate key 'duration'"):
        load_instance(path)


def test_non_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps(tiny_instance(), ensure_ascii=False).encode("gbk"))
    with pytest.raises(InstanceError, match=r"gbk\.json: not UTF-8"):
        load_instance(path)


def test_a_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_instance(tmp_path / "absent.json")


# --- the schema ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_enums_and_ranges_match_the_dataclasses(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    assert defs["kind"]["enum"] == list(KINDS)
    assert defs["mode"]["enum"] == list(MODES)
    assert defs["role"]["enum"] == list(ROLES)
    assert defs["settings"]["properties"]["grid"]["enum"] == list(GRIDS)
    assert list(defs["weights"]["properties"]) == list(WEIGHT_NAMES)
    assert defs["weight"]["maximum"] == MAX_WEIGHT
    defaults = Weights()
    for name, prop in defs["weights"]["properties"].items():
        assert f"Default {getattr(defaults, name)}." in prop["description"], name


def test_schema_fields_are_the_loaders_fields(schema: dict[str, Any]) -> None:
    """Every field the dumper writes is in the schema, and the schema has no others."""
    dumped = problem_to_json(full_problem())
    defs = schema["$defs"]
    settings = dumped["settings"]
    room, person, session = dumped["rooms"][0], dumped["people"][0], dumped["sessions"][0]
    pairs = [
        (schema, dumped),
        (defs["settings"], settings),
        (defs["hours"], settings["hours"]),
        (defs["block"], settings["hours"]["morning"]),
        (defs["year_schedule"], settings["year_schedules"][0]),
        (defs["weights"], dumped["weights"]),
        (defs["room"], room),
        (defs["busy"], room["closed"][0]),
        (defs["person"], person),
        (defs["availability"], person["availability"][0]),
        (defs["leave"], person["leave"][0]),
        (defs["session"], session),
        (defs["placement"], session["published"]),
        (defs["meeting"], dumped["meetings"][0]),
    ]
    for definition, written in pairs:
        assert set(definition["properties"]) == set(written)


def test_every_schema_field_has_a_description(schema: dict[str, Any]) -> None:
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if not sub.get("description"):
                    missing.append(f"{where}.{name}")
            for key, sub in node.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk(schema, "#")
    # The "if" of pinned sessions and "contains" of rooms restate fields documented elsewhere.
    restated = ("/if", "/then", "/contains")
    assert [m for m in missing if not any(part in m for part in restated)] == []
    text = json.dumps(schema, ensure_ascii=False)
    for word in ("例会", "联络法官", "调休", "小额"):
        assert word in text


@pytest.mark.parametrize(
    "make",
    [
        tiny_instance,
        lambda: problem_to_json(full_problem()),
        lambda: problem_to_json(no_summer_problem()),
        lambda: json.loads(EXAMPLE.read_text(encoding="utf-8")),
    ],
    ids=["tiny", "full", "no summer hours", "example"],
)
def test_schema_accepts_valid_instances(
    validator: Draft202012Validator, make: Callable[[], Instance]
) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(make())]
    assert errors == []


@pytest.mark.parametrize(("name", "mutate", "message"), STRUCTURAL, ids=_ids(STRUCTURAL))
def test_schema_rejects_what_the_loader_rejects(
    validator: Draft202012Validator, name: str, mutate: Mutation, message: str
) -> None:
    data = tiny_instance()
    mutate(data)
    assert not validator.is_valid(data), name


def test_schema_rejects_a_broken_dumped_instance(validator: Draft202012Validator) -> None:
    data = copy.deepcopy(problem_to_json(full_problem()))
    data["rooms"][0]["capacity"] = -3
    data["sessions"][1]["kind"] = "hearing"
    data["weights"]["balance"] = 1000
    data["people"][0]["busy"][0]["start"] = "2026-12-21T09:00:00"
    data["meetings"][0]["extra"] = 1
    messages = sorted(e.message for e in validator.iter_errors(data))
    assert len(messages) == 5, messages


# --- writing a schedule --------------------------------------------------------------------------


def test_write_schedule_writes_the_json_form(tmp_path: Path) -> None:
    day = date(2026, 9, 29)
    schedule = Schedule(
        status="optimal",
        objective=469,
        bound=469,
        seconds=0.25,
        sessions=(
            Placed(
                session="s1",
                kind="mediation",
                cases=("（2026）豫0802民诉前调1234号",),
                start=at(day, 8, 30),
                end=at(day, 9, 30),
                room="R1",
                participants=("p1",),
            ),
        ),
        unscheduled=(
            Unscheduled("s7", "no_common_time", "p1 和 p3 没有共同空闲时间", "p3", {"p3": 0}),
        ),
        kpis={"sessions_placed": 1.0},
        stats={"days": {date(2026, 9, 29)}, "blocked": frozenset({"p3", "p1"})},
    )
    path = tmp_path / "schedule.json"
    write_schedule(schedule, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["sessions"][0]["start"] == "2026-09-29T08:30:00+08:00"
    assert data["sessions"][0]["case"] == "（2026）豫0802民诉前调1234号"
    assert data["unscheduled"][0]["detail"] == "p1 和 p3 没有共同空闲时间"
    assert data["stats"] == {"days": ["2026-09-29"], "blocked": ["p1", "p3"]}
    assert "豫0802" in path.read_text(encoding="utf-8")  # not \u-escaped
