"""The independent schedule validator: for every hard rule, valid schedules that pass (some right
at the rule's edge) and a broken one that is flagged with that rule and no other.

Everything is built by hand, without the solver: one problem and one valid schedule of it; each
case changes one thing. The reported objective is recomputed for each case, so that only the
rule under test can fire.

2026 facts (chinese-calendar 1.11, the State Council notice): Mid-autumn 9/25–27 and National Day
10/1–7 are off; Sun 9/20 and Sat 10/10 are worked; 10/8 is an ordinary working day. The summer
afternoon (15:00–18:00) runs to 9/30; from 10/1 the afternoon is 14:30–17:30.

      September 2026          October 2026
   Mo Tu We Th Fr Sa Su   Mo Tu We Th Fr Sa Su
       1  2  3  4  5  6             1  2  3  4
    7  8  9 10 11 12 13    5  6  7  8  9 10 11
   14 15 16 17 18 19 20   12 13 14 15 16 17 18
   21 22 23 24 25 26 27   19 20 21 22 23 24 25
   28 29 30               26 27 28 29 30 31
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from scheduler.grid import Grid
from scheduler.problem import (
    CASE_CONFERENCE,
    EVALUATION,
    IN_PERSON,
    JOINT_MEDIATION,
    MEDIATION,
    ONLINE,
    TZ,
    Availability,
    Busy,
    Person,
    Placement,
    RecurringMeeting,
    Room,
    SchedulingProblem,
    Session,
    Settings,
    Weights,
)
from scheduler.problem import REGULAR_MEETING as MEETING_KIND
from scheduler.result import (
    CROWDED,
    DAILY_LOAD,
    DOUBLE_BOOKING,
    EQUIPMENT,
    HARD_RULES,
    JOINT,
    ONLINE_ROOM,
    OPTIMAL,
    PEOPLE,
    PINS,
    REGULAR_MEETING,
    ROOM_CAPACITY,
    ROOM_CONFLICT,
    TIME,
    TRAVEL,
    WINDOW,
    Placed,
    Schedule,
    Unscheduled,
)
from scheduler.validate import (
    OBJECTIVE,
    UNACCOUNTED,
    UNKNOWN_ROOM,
    UNKNOWN_SESSION,
    Violation,
    recompute_objective,
    validate,
)
from scheduler.workdays import YearNotCovered

D = date
TODAY = D(2026, 9, 21)  # a Monday; the horizon is 9/21–10/18, the default earliest day 9/23


def at(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def session(sid: str, participants: tuple[str, ...], **kw: object) -> Session:
    values: dict[str, object] = {
        "kind": MEDIATION,
        "cases": (f"C{sid[1:]}",),
        "duration": 60,
        "deadline": D(2026, 10, 30),
    }
    values.update(kw)
    return Session(id=sid, participants=participants, **values)  # type: ignore[arg-type]


ROOMS = (
    Room("R1", capacity=4, equipment=frozenset({"projector"})),
    Room("R2", capacity=8),
    Room(
        "R3",
        capacity=6,
        location="branch",
        closed=(Busy(at(D(2026, 9, 24), "00:00"), at(D(2026, 9, 25), "00:00"), "renovation"),),
    ),
    Room("R5", capacity=10, equipment=frozenset({"projector"})),
    Room("SMALL", capacity=2, equipment=frozenset({"projector"})),
    Room("ONLINE", capacity=0, online=True),
)
PEOPLE_ = (
    Person("M1", leave=((D(2026, 10, 14), D(2026, 10, 14)),)),
    # Sits on Thursday mornings only, in two adjacent windows.
    Person("M2", availability=(Availability(3, 510, 600), Availability(3, 600, 720))),
    Person("M3"),
    Person("M4", max_sessions_per_day=2, max_minutes_per_day=210),
    Person(
        "E1",
        role="expert",
        busy=(Busy(at(D(2026, 9, 24), "15:00"), at(D(2026, 9, 24), "16:00"), "court hearing"),),
    ),
    Person("J1", role="liaison_judge"),
    Person("L1", role="leader", max_sessions_per_day=1),
)
SESSIONS = (
    session("S1", ("M1",)),
    session(
        "S2",
        ("M1", "E1", "J1"),
        kind=JOINT_MEDIATION,
        duration=90,
        mode=IN_PERSON,
        equipment=frozenset({"projector"}),
    ),
    session("S3", ("E1",), kind=EVALUATION, mode=ONLINE, deadline=D(2026, 10, 15)),
    session(
        "S4",
        ("M2",),
        published=Placement(at(D(2026, 9, 24), "11:00"), "R2"),
        pinned=True,
    ),
    session("S5", ("M2",)),
    session("S6", ("M3",)),
    session("S7", ("M3",)),
    session("S8", ("M4",)),
    session("S9", ("M4",), duration=90),
    session("S10", ("M4",)),
    session("S11", ("M4",), duration=150),
    session("S12", ("L1",), kind=CASE_CONFERENCE, cases=("C1", "C2")),
    session("S13", ("J1",), earliest=D(2026, 10, 8), deadline=D(2026, 10, 9)),
)
# Mondays 08:30: 9/21 and 9/28 are held fixed, 10/5 (National Day) moves into the following week,
# 10/12 is cancelled.
WEEKLY = RecurringMeeting(
    id="WEEKLY",
    title="周例会",
    rrule="FREQ=WEEKLY;BYDAY=MO",
    start=at(D(2026, 9, 7), "08:30"),
    duration=60,
    members=("M1", "M3", "L1"),
    room="R2",
    exdates=(D(2026, 10, 12),),
)
PROBLEM = SchedulingProblem(
    settings=Settings(today=TODAY, horizon_days=28),
    rooms=ROOMS,
    people=PEOPLE_,
    sessions=SESSIONS,
    meetings=(WEEKLY,),
)
SESSION = {s.id: s for s in SESSIONS}
MEMBERS = WEEKLY.members
FIXED_1, FIXED_2, MOVED = "WEEKLY@2026-09-21", "WEEKLY@2026-09-28", "WEEKLY@2026-10-05"


def duration_of(sid: str) -> int:
    return SESSION[sid].duration if sid in SESSION else WEEKLY.duration


def place(sid: str, day: date, hhmm: str, room: str, people: tuple[str, ...] = ()) -> Placed:
    start = at(day, hhmm)
    if sid in SESSION:
        s = SESSION[sid]
        end = start + timedelta(minutes=s.duration)
        return Placed(sid, s.kind, s.cases, start, end, room, people or s.participants)
    end = start + timedelta(minutes=WEEKLY.duration)
    return Placed(sid, MEETING_KIND, (), start, end, room, people or MEMBERS, meeting="WEEKLY")


W23, W24, W28, W29 = D(2026, 9, 23), D(2026, 9, 24), D(2026, 9, 28), D(2026, 9, 29)
BASE = (
    place(FIXED_1, TODAY, "08:30", "R2"),
    place(FIXED_2, W28, "08:30", "R2"),
    place(MOVED, D(2026, 10, 8), "08:30", "R2"),
    place("S1", W23, "08:30", "R1"),
    place("S2", W23, "10:00", "R1"),
    place("S3", W23, "15:00", "ONLINE"),
    place("S4", W24, "11:00", "R2"),
    place("S5", W24, "08:30", "R2"),
    place("S6", W23, "08:30", "R3"),
    place("S7", W23, "15:00", "R2"),
    place("S8", W23, "08:30", "R2"),
    place("S9", W23, "15:00", "R5"),
    place("S10", W24, "15:00", "R1"),
    place("S11", W29, "08:30", "R1"),
    place("S12", W29, "15:00", "R2"),
    place("S13", D(2026, 10, 8), "10:00", "R2"),
)

Change = Callable[[list[Placed], list[Unscheduled]], None]


def _index(placed: list[Placed], sid: str) -> int:
    return next(i for i, p in enumerate(placed) if p.session == sid)


def move(sid: str, day: date, hhmm: str, room: str | None = None) -> Change:
    def change(placed: list[Placed], unscheduled: list[Unscheduled]) -> None:
        i = _index(placed, sid)
        placed[i] = place(sid, day, hhmm, room or placed[i].room, placed[i].participants)

    return change


def edit(sid: str, **fields: object) -> Change:
    def change(placed: list[Placed], unscheduled: list[Unscheduled]) -> None:
        i = _index(placed, sid)
        placed[i] = dataclasses.replace(placed[i], **fields)  # type: ignore[arg-type]

    return change


def drop(sid: str) -> Change:
    def change(placed: list[Placed], unscheduled: list[Unscheduled]) -> None:
        del placed[_index(placed, sid)]

    return change


def unschedule(sid: str, keep: bool = False) -> Change:
    def change(placed: list[Placed], unscheduled: list[Unscheduled]) -> None:
        if not keep:
            del placed[_index(placed, sid)]
        unscheduled.append(Unscheduled(sid, CROWDED, "every slot is taken"))

    return change


def add(item: Placed) -> Change:
    def change(placed: list[Placed], unscheduled: list[Unscheduled]) -> None:
        placed.append(item)

    return change


def build(*changes: Change, objective: int | None = None) -> Schedule:
    placed = list(BASE)
    unscheduled: list[Unscheduled] = []
    for change in changes:
        change(placed, unscheduled)
    if objective is None:
        objective = recompute_objective(PROBLEM, placed) or 0
    return Schedule(OPTIMAL, objective, objective, 0.1, tuple(placed), tuple(unscheduled))


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def test_the_base_schedule_is_valid() -> None:
    assert validate(PROBLEM, build()) == []


# (rule, changes): valid schedules, most at the edge of the rule.
VALID = [
    pytest.param(TIME, [move("S1", D(2026, 10, 10), "08:30")], id="time-adjusted-working-sat"),
    pytest.param(TIME, [move("S1", D(2026, 10, 8), "10:00", "R5")], id="time-10-08-is-working"),
    pytest.param(TIME, [move("S7", W23, "17:00")], id="time-summer-afternoon-to-18:00"),
    pytest.param(TIME, [move("S13", D(2026, 10, 9), "14:30")], id="time-autumn-afternoon-14:30"),
    pytest.param(TIME, [move("S7", W23, "11:00")], id="time-morning-up-to-lunch"),
    pytest.param(
        TIME,
        [edit("S1", start=at(W23, "08:30").astimezone(UTC))],
        id="time-given-in-utc",
    ),
    pytest.param(WINDOW, [move("S3", D(2026, 10, 15), "08:30")], id="window-on-the-deadline"),
    pytest.param(WINDOW, [move("S13", D(2026, 10, 9), "08:30")], id="window-explicit-window"),
    pytest.param(WINDOW, [move("S1", D(2026, 10, 16), "08:30")], id="window-last-working-day"),
    pytest.param(PEOPLE, [move("S5", W24, "09:30")], id="people-across-adjacent-windows"),
    pytest.param(PEOPLE, [move("S3", W24, "16:00")], id="people-right-after-busy"),
    pytest.param(PEOPLE, [move("S1", W28, "09:30")], id="people-right-after-fixed-meeting"),
    pytest.param(PEOPLE, [move("S1", D(2026, 10, 13), "08:30")], id="people-day-before-leave"),
    pytest.param(DOUBLE_BOOKING, [move("S1", W23, "09:00")], id="double-booking-back-to-back"),
    pytest.param(ROOM_CONFLICT, [move("S1", W23, "15:00", "ONLINE")], id="room-online-overlap"),
    pytest.param(ROOM_CONFLICT, [move("S6", D(2026, 9, 30), "08:30")], id="room-after-closure"),
    pytest.param(ROOM_CAPACITY, [move("S1", W23, "08:30", "SMALL")], id="capacity-small-room"),
    pytest.param(ROOM_CAPACITY, [move("S1", W23, "08:30", "ONLINE")], id="capacity-online-room"),
    pytest.param(EQUIPMENT, [move("S2", W23, "10:00", "R5")], id="equipment-projector-room"),
    pytest.param(ONLINE_ROOM, [move("S1", W23, "08:30", "ONLINE")], id="online-either-mode"),
    pytest.param(TRAVEL, [move("S7", W23, "10:30")], id="travel-exactly-60-minutes"),
    pytest.param(TRAVEL, [move("S7", W23, "09:30", "ONLINE")], id="travel-online-needs-none"),
    pytest.param(TRAVEL, [move("S1", W28, "10:30", "R3")], id="travel-after-fixed-meeting"),
    pytest.param(DAILY_LOAD, [move("S8", W29, "15:00", "R1")], id="daily-load-minutes-at-limit"),
    pytest.param(JOINT, [edit("S2", participants=("J1", "E1", "M1"))], id="joint-any-order"),
    pytest.param(REGULAR_MEETING, [unschedule(MOVED)], id="meeting-moved-unscheduled"),
    pytest.param(
        REGULAR_MEETING, [move(MOVED, D(2026, 10, 12), "08:30")], id="meeting-moved-7-days-on"
    ),
    pytest.param(PINS, [edit("S4", start=at(W24, "11:00").astimezone(UTC))], id="pins-in-utc"),
]


@pytest.mark.parametrize(("rule", "changes"), VALID)
def test_valid_schedules_pass(rule: str, changes: list[Change]) -> None:
    assert validate(PROBLEM, build(*changes)) == []


# (rule, session, a fragment of the detail, changes): each breaks exactly one rule.
BROKEN = [
    pytest.param(TIME, "S1", "off the 30-minute grid", [move("S1", W23, "08:45")], id="time-grid"),
    pytest.param(
        TIME,
        "S1",
        "lasts 90 minutes; the session lasts 60",
        [edit("S1", end=at(W23, "10:00"))],
        id="time-duration",
    ),
    pytest.param(
        TIME,
        "S1",
        "2026-10-01 is a public holiday (National Day)",
        [move("S1", D(2026, 10, 1), "08:30")],
        id="time-national-day",
    ),
    pytest.param(
        TIME,
        "S1",
        "2026-09-27 is a public holiday",
        [move("S1", D(2026, 9, 27), "08:30")],
        id="time-mid-autumn-sunday",
    ),
    pytest.param(
        TIME,
        "S1",
        "2026-10-11 is a rest day",
        [move("S1", D(2026, 10, 11), "08:30")],
        id="time-weekend",
    ),
    pytest.param(
        TIME,
        "S1",
        "11:30–12:30 is not inside one block",
        [move("S1", W23, "11:30")],
        id="time-across-lunch",
    ),
    pytest.param(
        TIME, "S7", "08:30–12:00, 15:00–18:00", [move("S7", W23, "14:30")], id="time-not-summer"
    ),
    pytest.param(TIME, "S7", "17:30–18:30", [move("S7", W23, "17:30")], id="time-after-hours"),
    pytest.param(
        TIME,
        "S13",
        "08:30–12:00, 14:30–17:30",
        [move("S13", D(2026, 10, 8), "17:00")],
        id="time-autumn-after-hours",
    ),
    pytest.param(
        TIME,
        "S1",
        "no time zone",
        [edit("S1", start=datetime(2026, 9, 23, 8, 30), end=datetime(2026, 9, 23, 9, 30))],
        id="time-naive",
    ),
    pytest.param(
        WINDOW,
        "S1",
        "before its earliest day 2026-09-23",
        [move("S1", D(2026, 9, 22), "08:30")],
        id="window-notice",
    ),
    pytest.param(
        WINDOW,
        "S13",
        "before its earliest day 2026-10-08",
        [move("S13", D(2026, 9, 30), "10:00")],
        id="window-explicit-earliest",
    ),
    pytest.param(
        WINDOW,
        "S3",
        "after its deadline 2026-10-15",
        [move("S3", D(2026, 10, 16), "08:30")],
        id="window-deadline",
    ),
    pytest.param(
        WINDOW,
        "S1",
        "outside the horizon 2026-09-21 to 2026-10-18",
        [move("S1", D(2026, 10, 19), "08:30")],
        id="window-horizon",
    ),
    pytest.param(
        PEOPLE,
        "S1",
        "M1 is on leave on 2026-10-14",
        [move("S1", D(2026, 10, 14), "08:30")],
        id="people-leave",
    ),
    pytest.param(
        PEOPLE,
        "S5",
        "M2 does not sit at 2026-09-23 16:00–17:00 (Wednesday)",
        [move("S5", W23, "16:00")],
        id="people-weekly-hours",
    ),
    pytest.param(
        PEOPLE,
        "S3",
        "E1 is busy (court hearing) 2026-09-24 15:00–2026-09-24 16:00",
        [move("S3", W24, "15:30")],
        id="people-busy",
    ),
    pytest.param(
        PEOPLE,
        "S1",
        f"M1 has the regular meeting {FIXED_2} at 2026-09-28 08:30–09:30",
        [move("S1", W28, "09:00")],
        id="people-fixed-meeting",
    ),
    pytest.param(
        DOUBLE_BOOKING,
        "S2",
        "M1 is in S1 (2026-09-23 10:00–11:00) and S2 (2026-09-23 10:00–11:30) at once",
        [move("S1", W23, "10:00", "R5")],
        id="double-booking",
    ),
    pytest.param(
        DOUBLE_BOOKING,
        "S6",
        f"M3 is in {MOVED}",
        [move("S6", D(2026, 10, 8), "08:30", "R5")],
        id="double-booking-moved-meeting",
    ),
    pytest.param(
        ROOM_CONFLICT,
        "S2",
        "room R1 holds S6 (2026-09-23 10:00–11:00) and S2 (2026-09-23 10:00–11:30) at once",
        [move("S6", W23, "10:00", "R1")],
        id="room-two-sessions",
    ),
    pytest.param(
        ROOM_CONFLICT,
        "S6",
        "room R3 is closed (renovation)",
        [move("S6", W24, "08:30")],
        id="room-closed",
    ),
    pytest.param(
        ROOM_CONFLICT,
        "S10",
        f"room R2 holds the regular meeting {FIXED_2}",
        [move("S10", W28, "09:00", "R2")],
        id="room-fixed-meeting",
    ),
    pytest.param(
        ROOM_CAPACITY,
        "S2",
        "3 participants in room SMALL, which seats 2",
        [move("S2", W23, "10:00", "SMALL")],
        id="capacity",
    ),
    pytest.param(
        EQUIPMENT,
        "S2",
        "room R2 lacks projector",
        [move("S2", W23, "10:00", "R2")],
        id="equipment",
    ),
    pytest.param(
        ONLINE_ROOM,
        "S3",
        "an online session in room R1",
        [move("S3", W23, "15:00", "R1")],
        id="online-session-in-a-room",
    ),
    pytest.param(
        ONLINE_ROOM,
        "S2",
        "an in-person session in the online room",
        [move("S2", W23, "10:00", "ONLINE")],
        id="in-person-session-online",
    ),
    pytest.param(
        ONLINE_ROOM,
        MOVED,
        "an in-person session in the online room",
        [move(MOVED, D(2026, 10, 8), "08:30", "ONLINE")],
        id="moved-meeting-online",
    ),
    pytest.param(
        TRAVEL,
        "S7",
        "M3 has 30 minutes on 2026-09-23 to go from branch (S6, ends 09:30) to center",
        [move("S7", W23, "10:00")],
        id="travel",
    ),
    pytest.param(
        TRAVEL,
        "S1",
        f"from center ({FIXED_2}, ends 09:30) to branch (S1, starts 10:00)",
        [move("S1", W28, "10:00", "R3")],
        id="travel-after-fixed-meeting",
    ),
    pytest.param(
        DAILY_LOAD,
        "S9",
        "M4 has 3 sessions on 2026-09-23 (S8, S10, S9); at most 2",
        [move("S10", W23, "11:00", "R5")],
        id="daily-load-count",
    ),
    pytest.param(
        DAILY_LOAD,
        "S9",
        "M4 has 240 minutes of sessions on 2026-09-29 (S11, S9); at most 210",
        [move("S9", W29, "15:00")],
        id="daily-load-minutes",
    ),
    pytest.param(
        DAILY_LOAD,
        "S12",
        f"L1 has 2 sessions on 2026-09-28 ({FIXED_2}, S12); at most 1",
        [move("S12", W28, "15:00")],
        id="daily-load-with-fixed-meeting",
    ),
    pytest.param(
        JOINT,
        "S2",
        "J1 required but absent",
        [edit("S2", participants=("M1", "E1"))],
        id="joint-missing",
    ),
    pytest.param(
        JOINT,
        "S2",
        "L1 not a participant",
        [edit("S2", participants=("M1", "E1", "J1", "L1"))],
        id="joint-extra",
    ),
    pytest.param(
        REGULAR_MEETING,
        FIXED_2,
        "on working day 2026-09-28 is not held",
        [drop(FIXED_2)],
        id="meeting-fixed-missing",
    ),
    pytest.param(
        REGULAR_MEETING,
        FIXED_2,
        "listed as unscheduled",
        [unschedule(FIXED_2)],
        id="meeting-fixed-unscheduled",
    ),
    pytest.param(
        REGULAR_MEETING,
        FIXED_2,
        "not at its fixed time 2026-09-28 08:30–09:30",
        [move(FIXED_2, W28, "09:00")],
        id="meeting-fixed-time",
    ),
    pytest.param(
        REGULAR_MEETING,
        FIXED_2,
        "in room R1, not in its room R2",
        [move(FIXED_2, W28, "08:30", "R1")],
        id="meeting-fixed-room",
    ),
    pytest.param(
        REGULAR_MEETING,
        FIXED_2,
        "L1 required but absent",
        [edit(FIXED_2, participants=("M1", "M3"))],
        id="meeting-fixed-member-missing",
    ),
    pytest.param(
        REGULAR_MEETING,
        MOVED,
        "not between 2026-10-06 and 2026-10-12",
        [move(MOVED, D(2026, 10, 13), "08:30")],
        id="meeting-moved-too-late",
    ),
    pytest.param(
        REGULAR_MEETING,
        MOVED,
        "M3 required but absent",
        [edit(MOVED, participants=("M1", "L1"))],
        id="meeting-moved-member-missing",
    ),
    pytest.param(
        REGULAR_MEETING,
        MOVED,
        "placed 0 time(s) and listed 0 time(s)",
        [drop(MOVED)],
        id="meeting-moved-unaccounted",
    ),
    pytest.param(
        REGULAR_MEETING,
        MOVED,
        "`meeting` is None",
        [edit(MOVED, meeting=None)],
        id="meeting-field",
    ),
    pytest.param(
        PINS,
        "S4",
        "pinned at 2026-09-24 11:00 in room R2 but placed at 2026-09-24 10:00 in room R2",
        [move("S4", W24, "10:00")],
        id="pins-time",
    ),
    pytest.param(
        PINS,
        "S4",
        "placed at 2026-09-24 11:00 in room R1",
        [move("S4", W24, "11:00", "R1")],
        id="pins-room",
    ),
    pytest.param(PINS, "S4", "but not placed", [unschedule("S4")], id="pins-unscheduled"),
    pytest.param(
        UNKNOWN_SESSION,
        "S99",
        "placed 'S99' is not in the problem",
        [add(dataclasses.replace(BASE[3], session="S99"))],
        id="unknown-placed",
    ),
    pytest.param(
        UNKNOWN_SESSION,
        "S99",
        "unscheduled 'S99' is not in the problem",
        [unschedule("S99", keep=True)],
        id="unknown-unscheduled",
    ),
    pytest.param(
        UNKNOWN_SESSION,
        "WEEKLY@2026-10-12",
        "is not in the problem",
        [add(place("WEEKLY@2026-10-12", D(2026, 10, 12), "08:30", "R2"))],
        id="unknown-cancelled-occurrence",
    ),
    pytest.param(
        UNKNOWN_ROOM, "S1", "room 'R9' is not in the problem", [edit("S1", room="R9")], id="room"
    ),
    pytest.param(
        UNACCOUNTED,
        "S1",
        "placed 0 time(s) and listed 0 time(s)",
        [drop("S1")],
        id="unaccounted-missing",
    ),
    pytest.param(
        UNACCOUNTED,
        "S1",
        "placed 1 time(s) and listed 1 time(s)",
        [unschedule("S1", keep=True)],
        id="unaccounted-both",
    ),
    pytest.param(
        UNACCOUNTED,
        "S1",
        "placed 2 time(s)",
        [add(place("S1", W29, "15:00", "R1"))],
        id="unaccounted-twice",
    ),
]


@pytest.mark.parametrize(("rule", "sid", "fragment", "changes"), BROKEN)
def test_each_broken_rule_is_flagged_alone(
    rule: str, sid: str, fragment: str, changes: list[Change]
) -> None:
    violations = validate(PROBLEM, build(*changes))
    assert rules(violations) == {rule}, violations
    assert any(v.session == sid and fragment in v.detail for v in violations), violations


def test_every_hard_rule_has_a_valid_and_a_broken_case() -> None:
    assert {p.values[0] for p in VALID} == set(HARD_RULES)
    assert {p.values[0] for p in BROKEN} >= set(HARD_RULES)


def test_a_wrong_objective_is_flagged() -> None:
    good = build()
    assert validate(PROBLEM, good) == []
    wrong = dataclasses.replace(good, objective=good.objective + 1)
    violations = validate(PROBLEM, wrong)
    assert rules(violations) == {OBJECTIVE}
    assert f"reported {good.objective + 1}, recomputed {good.objective}" in violations[0].detail


def test_the_objective_is_recomputed_by_hand() -> None:
    """One session on Wed 9/23 with its deadline on Wed 9/30: four working days of slack after it
    (9/24, 9/28, 9/29, 9/30; Mid-autumn is off), 5 each; nothing else scores."""
    problem = SchedulingProblem(
        settings=Settings(today=TODAY, horizon_days=14),
        rooms=(Room("R1"),),
        people=(Person("M1"),),
        sessions=(session("S1", ("M1",), deadline=D(2026, 9, 30)),),
        weights=Weights(slack=5),
    )
    placed = (Placed("S1", MEDIATION, ("C1",), at(W23, "08:30"), at(W23, "09:30"), "R1", ("M1",)),)
    good = Schedule(OPTIMAL, 20, 20, 0.1, placed, ())
    assert validate(problem, good) == []
    unplaced = Schedule(OPTIMAL, -10_000, -10_000, 0.1, (), (Unscheduled("S1", CROWDED, ""),))
    assert validate(problem, unplaced) == []
    for objective in (0, 19, 21):
        bad = dataclasses.replace(good, objective=objective)
        assert rules(validate(problem, bad)) == {OBJECTIVE}


def test_an_empty_schedule_leaves_every_session_and_meeting_unaccounted() -> None:
    violations = validate(PROBLEM, Schedule(OPTIMAL, 0, 0, 0.0, (), ()))
    unaccounted = {v.session for v in violations if v.rule == UNACCOUNTED}
    assert unaccounted == set(SESSION)
    meetings = {v.session for v in violations if v.rule == REGULAR_MEETING}
    assert meetings == {FIXED_1, FIXED_2, MOVED}
    assert rules(violations) == {UNACCOUNTED, REGULAR_MEETING, PINS, OBJECTIVE}


def test_several_violations_are_all_reported() -> None:
    violations = validate(
        PROBLEM, build(move("S1", D(2026, 10, 1), "08:30", "R9"), drop("S2"), drop(FIXED_1))
    )
    assert rules(violations) == {TIME, UNKNOWN_ROOM, UNACCOUNTED, REGULAR_MEETING}
    assert all(str(v).startswith(f"{v.rule}: {v.session}: ") for v in violations)


def test_a_horizon_without_a_holiday_schedule_raises_like_the_solver() -> None:
    problem = dataclasses.replace(
        PROBLEM, settings=Settings(today=D(2026, 12, 14), horizon_days=42)
    )
    with pytest.raises(YearNotCovered, match="2027"):
        validate(problem, build())


# Edges of court hours: before the morning, its first and last starts, across lunch, the autumn
# and the summer afternoon, the last start of a summer afternoon and after it.
EDGES = ("08:00", "08:30", "11:00", "11:30", "14:30", "15:00", "17:00", "17:30")


@pytest.mark.parametrize("sid", ["S1", "S3", "S5", "S13", MOVED])
def test_the_validator_and_the_grid_agree_on_where_one_session_may_start(sid: str) -> None:
    """Two independent computations of the time rules: leave and a fixed meeting (S1), busy time
    (S3), weekly hours (S5), an explicit window (S13) and the week of a moved meeting."""
    p = dataclasses.replace(PROBLEM, sessions=tuple(s for s in SESSIONS if s.id == sid))
    grid = Grid(p)
    s = next(s for s in grid.sessions if s.id == sid)
    feasible = {grid.to_datetime(int(m)) for m in grid.starts(s)}
    room = "ONLINE" if s.mode == ONLINE else "R5"
    meeting = "WEEKLY" if sid == MOVED else None
    unscheduled = () if sid == MOVED else (Unscheduled(MOVED, CROWDED, ""),)
    agreed = Counter[bool]()
    for k in range(-1, p.settings.horizon_days + 1):
        for hhmm in EDGES:
            start = at(TODAY + timedelta(days=k), hhmm)
            end = start + timedelta(minutes=s.duration)
            placed = Placed(sid, s.kind, s.cases, start, end, room, s.participants, meeting)
            schedule = Schedule(OPTIMAL, 0, 0, 0.0, (BASE[0], BASE[1], placed), unscheduled)
            broken = rules(validate(p, schedule)) & {TIME, WINDOW, PEOPLE, REGULAR_MEETING}
            assert (not broken) == (start in feasible), (start, broken)
            agreed[not broken] += 1
    assert agreed[True] and agreed[False]
