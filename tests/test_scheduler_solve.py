"""The scheduler end to end: deadlines, reasons, pins, meetings, repair and determinism. Every
schedule goes through the independent validator."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from scheduler.problem import (
    TZ,
    Availability,
    Person,
    Placement,
    RecurringMeeting,
    Room,
    SchedulingProblem,
    Session,
    Settings,
)
from scheduler.repair import affected, release_pins, repair
from scheduler.result import CROWDED, NO_COMMON_TIME, NO_ROOM, WINDOW_EMPTY, Schedule
from scheduler.solve import solve
from scheduler.validate import validate

TODAY = date(2026, 9, 21)  # a Monday; Mid-Autumn (Sep 25-27) and National Day (Oct 1-7) ahead


def checked(problem: SchedulingProblem, **kw: float) -> Schedule:
    result = solve(problem, time_limit=kw.get("time_limit", 10.0), workers=1)
    assert validate(problem, result) == []
    return result


def instance(n: int = 40, people: int = 14, seed: int = 0) -> SchedulingProblem:
    rng = random.Random(seed)
    staff = tuple(Person(f"p{i}", name=f"调解员{i}") for i in range(people))
    rooms = (
        Room("r1", capacity=6, equipment=frozenset({"video"})),
        Room("r2", capacity=4),
        Room("court", capacity=8, location="court-0802"),
        Room("online", online=True),
    )
    sessions = tuple(
        Session(
            f"s{i}",
            "mediation",
            (f"（2026）豫0802民诉前调{i}号",),
            60,
            tuple(rng.sample([p.id for p in staff], 2)),
            TODAY + timedelta(days=rng.randint(12, 24)),
            mode=rng.choice(["in_person", "either", "online"]),
            small_claims=rng.random() < 0.2,
        )
        for i in range(n)
    )
    return SchedulingProblem(Settings(today=TODAY, horizon_days=28), rooms, staff, sessions)


def test_feasible_instance_meets_every_deadline() -> None:
    problem = instance()
    result = checked(problem)
    assert result.unscheduled == ()
    placed = {p.session: p for p in result.sessions}
    for s in problem.sessions:
        assert placed[s.id].start.date() <= s.deadline
        assert placed[s.id].start.utcoffset() == timedelta(hours=8)
        assert placed[s.id].start.date() not in {TODAY + timedelta(days=k) for k in range(10, 17)}


def test_holidays_are_skipped_and_an_adjusted_saturday_used() -> None:
    # Sat 2026-10-10 is an adjusted working day; Sat 2026-09-26 is in the Mid-Autumn holiday.
    a, b = Person("a"), Person("b")
    only_saturday = Person(
        "c", availability=(Availability(5, 8 * 60, 18 * 60),)
    )  # free on Saturdays only
    session = Session("s", "mediation", ("c1",), 60, ("a", "b", "c"), date(2026, 10, 10))
    problem = SchedulingProblem(
        Settings(today=TODAY, horizon_days=28),
        (Room("r", capacity=4),),
        (a, b, only_saturday),
        (session,),
    )
    result = checked(problem)
    days = {p.start.date() for p in result.sessions}
    assert days == {date(2026, 10, 10)}


def test_unschedulable_sessions_are_named_with_their_reason() -> None:
    staff = (
        Person("a", leave=((TODAY, TODAY + timedelta(days=30)),)),
        Person("b"),
        Person("c"),
    )
    rooms = (Room("small", capacity=2),)
    sessions = (
        Session("leave", "mediation", ("c1",), 60, ("a", "b"), TODAY + timedelta(days=10)),
        Session("too-soon", "mediation", ("c2",), 60, ("b", "c"), TODAY),
        Session(
            "no-room", "joint_mediation", ("c3",), 60, ("b", "c", "a"), TODAY + timedelta(days=10)
        ),
    )
    problem = SchedulingProblem(Settings(today=TODAY, horizon_days=28), rooms, staff, sessions)
    result = checked(problem)
    why = {u.session: u for u in result.unscheduled}
    assert why["leave"].reason == NO_COMMON_TIME
    assert why["leave"].blocker == "a"
    assert why["too-soon"].reason == WINDOW_EMPTY
    assert why["no-room"].reason in (NO_COMMON_TIME, NO_ROOM)


def test_crowded_sessions_name_the_blocking_person() -> None:
    # Five one-hour sessions for one person, one working day before the deadline, 3 per day.
    staff = (Person("busy", max_sessions_per_day=3), Person("x"))
    deadline = date(2026, 9, 23)  # today + notice (2 working days) = the only day
    sessions = tuple(
        Session(f"s{i}", "mediation", (f"c{i}",), 60, ("busy", "x"), deadline, mode="online")
        for i in range(5)
    )
    problem = SchedulingProblem(
        Settings(today=TODAY, horizon_days=14),
        (Room("online", online=True),),
        staff,
        sessions,
    )
    result = checked(problem)
    assert len(result.sessions) == 3
    assert {u.reason for u in result.unscheduled} == {CROWDED}
    assert result.status == "optimal"


def test_pinned_sessions_stay_and_the_rest_fits_around_them() -> None:
    problem = instance(20)
    first = checked(problem)
    placed = {p.session: p for p in first.sessions}
    pin = problem.sessions[0]
    sessions = tuple(
        replace(s, published=Placement(placed[s.id].start, placed[s.id].room), pinned=True)
        if s.id == pin.id
        else s
        for s in problem.sessions
    )
    result = checked(replace(problem, sessions=sessions))
    again = {p.session: p for p in result.sessions}
    assert (again[pin.id].start, again[pin.id].room) == (placed[pin.id].start, placed[pin.id].room)


def test_regular_meeting_occurrences_are_held_and_a_holiday_one_moves() -> None:
    staff = tuple(Person(f"p{i}") for i in range(4))
    meeting = RecurringMeeting(
        "weekly",
        "例会",
        "FREQ=WEEKLY;BYDAY=MO",
        datetime(2026, 9, 21, 9, 0, tzinfo=TZ),
        60,
        ("p0", "p1"),
        "r",
    )
    problem = SchedulingProblem(
        Settings(today=TODAY, horizon_days=28),
        (Room("r", capacity=6),),
        staff,
        (),
        (meeting,),
    )
    result = checked(problem)
    held = sorted(p.start.date() for p in result.sessions if p.meeting == "weekly")
    # Mondays Sep 21, Sep 28, Oct 12 are working days; Oct 5 is in the National Day holiday.
    assert date(2026, 10, 5) not in held
    assert {date(2026, 9, 21), date(2026, 9, 28), date(2026, 10, 12)} <= set(held)
    assert len(held) == 4


def test_repair_after_leave_moves_only_the_affected_sessions() -> None:
    problem = instance(40, people=16, seed=3)
    first = checked(problem)
    placed = {p.session: p for p in first.sessions}
    published = tuple(
        replace(s, published=Placement(placed[s.id].start, placed[s.id].room))
        for s in problem.sessions
    )
    victim = max(
        (pid for s in problem.sessions for pid in s.participants),
        key=lambda pid: sum(pid in s.participants for s in problem.sessions),
    )
    leave = (TODAY, TODAY + timedelta(days=9))
    people = tuple(
        replace(p, leave=(*p.leave, leave)) if p.id == victim else p for p in problem.people
    )
    changed = replace(problem, sessions=published, people=people)
    hit = affected(changed)
    assert hit == {
        s.id
        for s in problem.sessions
        if victim in s.participants and placed[s.id].start.date() <= leave[1]
    }
    result = repair(changed, time_limit=10.0, workers=1)
    assert validate(release_pins(changed, result), result) == []
    moved = {m.session for m in result.moved}
    others = len(problem.sessions) - len(hit)
    assert hit <= moved | {u.session for u in result.unscheduled}
    assert len(moved - hit) <= max(1, int(0.02 * others))
    for m in result.moved:
        if m.session in hit and m.new_start is not None:
            assert not (leave[0] <= m.new_start.date() <= leave[1])


def test_same_seed_one_worker_same_schedule() -> None:
    problem = instance(30)
    a = solve(problem, time_limit=5.0, workers=1, seed=4)
    b = solve(problem, time_limit=5.0, workers=1, seed=4)
    assert [(p.session, p.start, p.room) for p in a.sessions] == [
        (p.session, p.start, p.room) for p in b.sessions
    ]


def test_progress_is_reported_and_time_limit_returns_a_schedule() -> None:
    seen = []
    result = solve(instance(60, people=20), time_limit=1.0, workers=2, progress=seen.append)
    assert seen
    assert seen[-1].objective == result.objective
    assert result.bound >= result.objective


@pytest.mark.parametrize("grid", [15, 30])
def test_starts_lie_on_the_grid(grid: int) -> None:
    problem = instance(10)
    problem = replace(problem, settings=replace(problem.settings, grid=grid))
    result = checked(problem)
    assert all(p.start.minute % grid == 0 for p in result.sessions)
