"""The scheduling benchmark: its generator, the greedy baseline and the
``python -m benchmarks.scheduling`` harness.

Hard rules are checked here by a small independent checker (pairwise, from the problem and the
time grid), and by ``scheduler.validate`` where the test says so.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from benchmarks.sched_baselines import greedy
from benchmarks.sched_generate import (
    SIZES,
    dimensions,
    generate,
    generate_planted,
    shape,
    tightness,
)
from scheduler.grid import DAY, Grid
from scheduler.problem import (
    CASE_CONFERENCE,
    EITHER,
    EVALUATION,
    IN_PERSON,
    JOINT_MEDIATION,
    MEDIATION,
    ONLINE,
    REGULAR_MEETING,
    Placement,
    Room,
    SchedulingProblem,
    Session,
)
from scheduler.result import (
    CROWDED,
    NO_COMMON_TIME,
    NO_ROOM,
    WINDOW_EMPTY,
    Placed,
    Schedule,
)
from scheduler.score import evaluate

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 9, 21)
SMALL = (40, 20)


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def s0() -> SchedulingProblem:
    return generate("S", 0)


# --- an independent checker ----------------------------------------------------------------------


def _fits(room: Room, session: Session) -> bool:
    if room.online:
        return session.mode in (ONLINE, EITHER)
    return (
        session.mode != ONLINE
        and room.capacity >= len(session.participants)
        and session.equipment <= room.equipment
    )


def breaches(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    """Hard-rule breaches found without the validator: every session accounted for once; fixed
    meetings at their time; the grid (working day, one block, window, participants' hours, leave
    and busy time: ``Grid.starts``); pins; room fit; nobody and no physical room in two places
    at once (closures and fixed meetings included); daily loads; the travel buffer."""
    grid = Grid(problem)
    sessions = {s.id: s for s in grid.sessions}
    rooms = {r.id: r for r in problem.rooms}
    people = {p.id: p for p in problem.people}
    fixed = {o.id: o for o in grid.occurrences if o.fixed}
    meeting_of = {o.id: o.meeting.id for o in grid.occurrences}
    out: list[str] = []
    placed = Counter(p.session for p in schedule.sessions)
    listed = Counter(u.session for u in schedule.unscheduled)
    for sid in sessions:
        if placed[sid] + listed[sid] != 1:
            out.append(f"{sid}: placed {placed[sid]}, unscheduled {listed[sid]}")
    for oid in fixed:
        if placed[oid] != 1 or listed[oid]:
            out.append(f"{oid}: a fixed occurrence placed {placed[oid]} times")
    items: list[tuple[str, int, int, str, tuple[str, ...], bool]] = []
    for p in schedule.sessions:
        a, b = grid.to_minute(p.start), grid.to_minute(p.end)
        if p.session in fixed:
            occ = fixed[p.session]
            at = grid.index[occ.day] * DAY + occ.minute
            if (a, b, p.room) != (at, at + occ.meeting.duration, occ.meeting.room):
                out.append(f"{p.session}: fixed meeting moved")
            if p.meeting != occ.meeting.id or p.participants != occ.meeting.members:
                out.append(f"{p.session}: fixed meeting without its id or members")
            items.append((p.session, a, b, p.room, p.participants, True))
            continue
        s = sessions.get(p.session)
        if s is None:
            out.append(f"{p.session}: unknown")
            continue
        if b - a != s.duration or p.participants != s.participants:
            out.append(f"{s.id}: wrong duration or participants")
        if p.meeting != meeting_of.get(s.id):
            out.append(f"{s.id}: meeting {p.meeting!r}")
        if s.pinned and s.published is not None:
            if (p.start, p.room) != (s.published.start, s.published.room):
                out.append(f"{s.id}: pinned but moved")
        elif a not in set(grid.starts(s).tolist()):
            out.append(f"{s.id}: {p.start} is not a feasible start on the grid")
        if not _fits(rooms[p.room], s):
            out.append(f"{s.id}: room {p.room} does not fit")
        items.append((s.id, a, b, p.room, p.participants, False))
    # People: overlaps, daily loads, travel.
    by_person: dict[str, list[tuple[str, int, int, str, tuple[str, ...], bool]]] = defaultdict(list)
    for it in items:
        for pid in it[4]:
            by_person[pid].append(it)
    travel = problem.settings.travel_minutes
    for pid, its in by_person.items():
        its.sort(key=lambda it: (it[1], it[2]))
        for x, y in pairwise(its):
            if y[1] < x[2]:
                out.append(f"{pid}: {x[0]} and {y[0]} overlap")
        per_day: dict[int, list[tuple[str, int, int, str, tuple[str, ...], bool]]] = defaultdict(
            list
        )
        for it in its:
            per_day[it[1] // DAY].append(it)
        person = people[pid]
        for day, day_items in per_day.items():
            if all(it[5] for it in day_items):
                continue
            if len(day_items) > person.max_sessions_per_day:
                out.append(f"{pid}: {len(day_items)} sessions on day {day}")
            if sum(it[2] - it[1] for it in day_items) > person.max_minutes_per_day:
                out.append(f"{pid}: too many minutes on day {day}")
            physical = [it for it in day_items if not rooms[it[3]].online]
            for x, y in pairwise(physical):
                if rooms[x[3]].location != rooms[y[3]].location and y[1] - x[2] < travel:
                    out.append(f"{pid}: no time to travel from {x[0]} to {y[0]}")
    # Physical rooms: overlaps, closures and fixed meetings.
    by_room: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for sid, a, b, rid, _, is_fixed in items:
        if not rooms[rid].online and not is_fixed:
            by_room[rid].append((a, b, sid))
    for rid, spans in by_room.items():
        spans.sort()
        for u, v in pairwise(spans):
            if v[0] < u[1]:
                out.append(f"room {rid}: {u[2]} and {v[2]} overlap")
        for lo, hi in grid.room_busy.get(rid, []):
            out.extend(
                f"room {rid}: {sid} in a closure" for a, b, sid in spans if a < hi and lo < b
            )
    return out


def _as_schedule(problem: SchedulingProblem, planted: dict[str, tuple[int, str]]) -> Schedule:
    grid = Grid(problem)
    sessions = {s.id: s for s in grid.sessions}
    meeting_of = {o.id: o.meeting.id for o in grid.occurrences}
    out = [
        Placed(
            sid,
            sessions[sid].kind,
            sessions[sid].cases,
            grid.to_datetime(start),
            grid.to_datetime(start + sessions[sid].duration),
            room,
            sessions[sid].participants,
            meeting_of.get(sid),
        )
        for sid, (start, room) in planted.items()
    ]
    for o in grid.occurrences:
        if o.fixed:
            at = grid.index[o.day] * DAY + o.minute
            end = at + o.meeting.duration
            out.append(
                Placed(
                    o.id,
                    REGULAR_MEETING,
                    (),
                    grid.to_datetime(at),
                    grid.to_datetime(end),
                    o.meeting.room,
                    o.meeting.members,
                    o.meeting.id,
                )
            )
    objective = evaluate(grid, [(sid, start, room) for sid, (start, room) in planted.items()])
    return Schedule("feasible", objective.objective, objective.objective, 0.0, tuple(out), ())


# --- the generator -------------------------------------------------------------------------------


def test_the_same_seed_gives_an_equal_problem_and_another_seed_does_not() -> None:
    assert generate("S", 3) == generate("S", 3)
    assert generate("S", 3) != generate("S", 4)
    assert generate(SMALL, 1) == generate(SMALL, 1)


def test_sizes_match_the_table(s0: SchedulingProblem) -> None:
    assert SIZES == {"S": (150, 60), "M": (1_000, 300), "L": (5_000, 1_500)}
    assert dimensions("s") == (150, 60)
    for name, weeks, rooms in (("S", 3, 6), ("M", 6, 20), ("L", 8, 60)):
        dims = shape(name)
        assert (dims.sessions, dims.people) == SIZES[name]
        assert (dims.horizon_days, dims.rooms) == (7 * weeks, rooms)
    assert len(s0.sessions) == 150 and len(s0.people) == 60
    assert sum(not r.online for r in s0.rooms) == 6 and sum(r.online for r in s0.rooms) == 1
    assert s0.settings.today == TODAY and s0.settings.horizon_days == 21
    assert s0.settings.grid == 30
    small = generate(SMALL, 0)
    assert (len(small.sessions), len(small.people)) == SMALL
    with pytest.raises(ValueError, match="size"):
        shape("XL")
    with pytest.raises(ValueError, match="size"):
        shape((5, 3))


def test_the_horizon_crosses_the_golden_week(s0: SchedulingProblem) -> None:
    grid = Grid(s0)
    working = {d for d, w in zip(grid.days, grid.workday, strict=True) if w}
    assert not any(date(2026, 10, k) in working for k in range(1, 8))
    assert date(2026, 10, 10) in working  # an adjusted working Saturday
    assert date(2026, 9, 25) not in working  # Mid-Autumn
    # The Monday meeting of Oct 5 and the Thursday meeting of Oct 1 must be rescheduled.
    moved = {o.id for o in grid.occurrences if not o.fixed}
    assert moved == {"weekly-monday@2026-10-05", "weekly-thursday@2026-10-01"}
    monday = next(m for m in s0.meetings if m.id == "weekly-monday")
    assert monday.rrule == "FREQ=WEEKLY;BYDAY=MO" and monday.start.hour == 9
    assert monday.duration == 60
    assert any(p.role == "leader" for p in s0.people if p.id in monday.members)
    assert any(o.fixed for o in grid.occurrences)


def test_the_instance_looks_like_a_mediation_center(s0: SchedulingProblem) -> None:
    roles = Counter(p.role for p in s0.people)
    assert roles == {"mediator": 36, "expert": 15, "liaison_judge": 6, "leader": 3}
    assert any(p.availability for p in s0.people if p.role == "mediator")
    with_leave = [p for p in s0.people if p.leave]
    assert 2 <= len(with_leave) <= 12
    assert all((last - first).days >= 6 for p in with_leave for first, last in p.leave)
    assert all(p.busy for p in s0.people if p.role == "liaison_judge")
    physical = [r for r in s0.rooms if not r.online]
    assert Counter(r.location for r in physical).most_common(1)[0][0] == "center"
    assert any(r.location.startswith("court-") for r in physical)
    assert all(4 <= r.capacity <= 12 for r in physical)
    assert set().union(*(r.equipment for r in physical)) == {"video", "projector", "recording"}
    sessions = s0.sessions
    kinds = Counter(s.kind for s in sessions)
    assert set(kinds) == {MEDIATION, JOINT_MEDIATION, EVALUATION, CASE_CONFERENCE}
    assert 0.05 <= kinds[JOINT_MEDIATION] / len(sessions) <= 0.16
    for s in sessions:
        assert s.duration % 30 == 0
        if s.kind == JOINT_MEDIATION:
            assert s.duration == 120 and len(s.participants) == 4
        if s.kind == CASE_CONFERENCE:
            assert s.duration == 120 and 2 <= len(s.cases) <= 4
        if s.small_claims:
            assert s.kind == MEDIATION and s.duration == 60
    assert any(s.small_claims for s in sessions)
    assert {s.mode for s in sessions} == {IN_PERSON, ONLINE, EITHER}
    assert any(s.equipment for s in sessions)
    assert any(s.preferred_days for s in sessions) and any(s.preferred_rooms for s in sessions)
    assert any(s.earliest is not None for s in sessions)
    assert [s.id for s in sessions] == sorted(s.id for s in sessions)  # arrival order


@pytest.mark.parametrize("size", ["S", SMALL])
@pytest.mark.parametrize("seed", [0, 1])
def test_every_session_is_individually_feasible(size: str | tuple[int, int], seed: int) -> None:
    problem = generate(size, seed)
    grid = Grid(problem)
    for s in grid.sessions:
        assert grid.starts(s).size > 0, s.id
        assert any(_fits(r, s) for r in problem.rooms), s.id


@pytest.mark.parametrize("size", ["S", SMALL])
def test_a_complete_schedule_is_planted(size: str | tuple[int, int]) -> None:
    problem, planted = generate_planted(size, 2)
    assert set(planted) == {s.id for s in Grid(problem).sessions}
    schedule = _as_schedule(problem, planted)
    assert breaches(problem, schedule) == []
    if _have("scheduler.validate"):
        from scheduler.validate import validate

        assert validate(problem, schedule) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_instance_is_tight_greedy_in_arrival_order_misses_deadlines(seed: int) -> None:
    problem, planted = generate_planted("S", seed)
    result = greedy(problem)
    assert len(result.unscheduled) >= 1  # the planted schedule places every session
    assert {u.reason for u in result.unscheduled} == {CROWDED}
    figures = tightness(problem)
    assert set(figures) >= {"person_load", "room_load", "deadline_room_load", "close_deadlines"}
    assert 0 < figures["deadline_room_load"] <= 1.0
    assert figures["peak_person_load"] >= 0.6
    assert figures["room_load_either"] >= 0.5
    assert figures["close_deadlines"] >= 0.15
    planted_objective = _as_schedule(problem, planted).objective
    assert result.objective < planted_objective


# --- the greedy baseline -------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["S", SMALL])
def test_greedy_breaks_no_hard_rule(size: str | tuple[int, int]) -> None:
    problem = generate(size, 1)
    result = greedy(problem)
    assert breaches(problem, result) == []
    grid = Grid(problem)
    fixed = {o.id for o in grid.occurrences if o.fixed}
    rows = [(p.session, grid.to_minute(p.start), p.room) for p in result.sessions]
    assert result.objective == evaluate(grid, [r for r in rows if r[0] not in fixed]).objective
    assert result.bound == result.objective and result.status == "feasible"
    assert fixed <= {p.session for p in result.sessions}
    if _have("scheduler.validate"):
        from scheduler.validate import validate

        assert validate(problem, result) == []


def test_greedy_is_deterministic_and_places_sessions_in_arrival_order(
    s0: SchedulingProblem,
) -> None:
    first, second = greedy(s0), greedy(s0)
    assert first.sessions == second.sessions and first.unscheduled == second.unscheduled
    # The first session to arrive takes its earliest feasible start: nothing was there before
    # it but pins and meetings.
    grid = Grid(s0)
    head = next(s for s in s0.sessions if not s.pinned)
    where = next(p for p in first.sessions if p.session == head.id)
    assert grid.to_minute(where.start) == int(grid.starts(head)[0])


def test_greedy_keeps_pins_and_moves_golden_week_meetings(s0: SchedulingProblem) -> None:
    problem, planted = generate_planted(SMALL, 0)
    target = problem.sessions[-1]
    start, room = planted[target.id]
    grid = Grid(problem)
    pin = Placement(grid.to_datetime(start), room)
    sessions = tuple(
        replace(s, published=pin, pinned=True) if s.id == target.id else s for s in problem.sessions
    )
    pinned = replace(problem, sessions=sessions)
    result = greedy(pinned)
    where = next(p for p in result.sessions if p.session == target.id)
    assert (where.start, where.room) == (pin.start, pin.room)
    assert breaches(pinned, result) == []
    moved = [p for p in greedy(s0).sessions if p.session == "weekly-monday@2026-10-05"]
    assert moved and moved[0].meeting == "weekly-monday"
    assert date(2026, 10, 5) < moved[0].start.date() <= date(2026, 10, 12)


def test_greedy_names_the_reason_a_session_cannot_be_placed() -> None:
    problem = generate(SMALL, 0)
    first = problem.sessions[0]
    nobody = replace(first, id="x-window", deadline=TODAY, earliest=None, pinned=False)
    no_room = replace(
        first, id="x-room", mode=IN_PERSON, equipment=frozenset({"hologram"}), pinned=False
    )
    members = {pid for m in problem.meetings for pid in m.members}
    away = next(p for p in problem.people if p.id not in members)
    on_leave = replace(away, leave=((TODAY, TODAY + timedelta(days=40)),))
    no_time = replace(first, id="x-time", participants=(away.id,), pinned=False, published=None)
    changed = replace(
        problem,
        people=tuple(on_leave if p.id == away.id else p for p in problem.people),
        sessions=(nobody, no_room, no_time),
    )
    reasons = {u.session: u.reason for u in greedy(changed).unscheduled}
    assert reasons == {"x-window": WINDOW_EMPTY, "x-room": NO_ROOM, "x-time": NO_COMMON_TIME}


# --- the harness ---------------------------------------------------------------------------------

needs_solver = pytest.mark.skipif(
    not (_have("scheduler.solve") and _have("scheduler.validate")),
    reason="scheduler.solve and scheduler.validate are not written yet",
)


@needs_solver
def test_the_harness_runs_on_a_small_instance() -> None:
    from benchmarks.scheduling import run

    out = run(SMALL, seed=0, time_limit=3.0, repair_time_limit=2.0, workers=1)
    json.dumps(out)
    assert (out["size"], out["sessions"], out["people"]) == ("40x20", 40, 20)
    assert out["peak_rss_mb"] > 0 and out["days"] == 21
    assert set(out["tightness"]) >= {"person_load", "room_load"}
    for name in ("solver", "greedy"):
        figures = out[name]
        assert set(figures) >= {
            "objective",
            "bound",
            "seconds",
            "violations",
            "deadline_misses",
            "mean_slack_days",
            "unscheduled",
        }
        assert figures["violations"] == 0, name
    assert out["solver"]["objective"] >= out["greedy"]["objective"]
    assert out["planted_objective"] >= out["greedy"]["objective"]
    if _have("scheduler.repair"):
        repair = out["repair"]
        assert set(repair) >= {"seconds", "affected", "moved"}
        assert repair["violations"] == 0


@needs_solver
@pytest.mark.slow
def test_python_m_benchmarks_scheduling_prints_one_json_object() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.scheduling", "--size", "S", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    out = json.loads(run.stdout)
    assert (out["size"], out["sessions"], out["people"], out["rooms"]) == ("S", 150, 60, 7)
    assert out["solver"]["violations"] == 0 and out["greedy"]["violations"] == 0
    assert out["greedy"]["deadline_misses"] >= 1
