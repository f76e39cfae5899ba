"""Schedule sessions: a constructive warm start, then CP-SAT with interval variables.

Model, per session to place: a presence literal; one literal per candidate day (the day's
feasible starts, already filtered for working days, court-hour blocks, the window and every
participant's availability, as a domain on the start); one literal per candidate room with an
optional interval on it. Constraints: NoOverlap per person (their sessions, pinned sessions and
fixed meetings) and per physical room (its sessions, pins, fixed meetings, closures); daily load
per person and day; one physical location per person and day (which keeps the travel rule: the
solver never needs a buffer, the validator still checks it). The objective is
:mod:`scheduler.score`'s, term by term, so the reported objective is the shared function's value.

Large instances are solved in windows (large neighbourhood search over time): the constructive
schedule is fixed outside a window of days and CP-SAT re-optimises the sessions inside it.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from .construct import Occupancy, candidate_rooms, construct, day_value, free_run
from .grid import DAY, Grid, IntArray
from .problem import Room, SchedulingProblem, Session
from .result import (
    CROWDED,
    FEASIBLE,
    NO_COMMON_TIME,
    NO_ROOM,
    OPTIMAL,
    WINDOW_EMPTY,
    Cancelled,
    Move,
    Placed,
    Progress,
    Schedule,
    Unscheduled,
)
from .score import MISSED, evaluate, session_terms

ProgressFn = Callable[[Progress], None]
CONSTRUCT_SHARE = 0.35  # of the time limit, for the squeaky-wheel construction


def _squeaky_wheel(
    grid: Grid,
    free: Sequence[Session],
    fixed: dict[str, tuple[int, Room]],
    starts: dict[str, IntArray],
    rooms: dict[str, list[Room]],
    base: Occupancy,
    deadline: float,
    stop: threading.Event | None = None,
) -> tuple[dict[str, tuple[int, Room]], int]:
    """Squeaky-wheel construction: build in order of deadline (then fewest open starts);
    the sessions left out go to the front of the next round's order, the rest keep theirs.
    The best round is kept; it stops once a round places everything without improving, or
    at ``deadline``."""
    order = sorted(free, key=lambda s: (s.deadline, int(starts[s.id].size), s.id))
    best: dict[str, tuple[int, Room]] = {}
    best_value: int | None = None
    rounds = 0
    while True:
        rounds += 1
        placed = construct(grid, order, starts, rooms, _copy(base))
        value = _objective(grid, fixed | placed)
        improved = best_value is None or value > best_value
        if improved:
            best, best_value = placed, value
        left_out = [s for s in order if s.id not in placed and starts[s.id].size and rooms[s.id]]
        if (not left_out and not improved) or time.perf_counter() > deadline:
            return best, rounds
        if stop is not None and stop.is_set():
            return best, rounds
        if not left_out:
            return best, rounds
        ids = {s.id for s in left_out}
        order = left_out + [s for s in order if s.id not in ids]


MAX_DAYS = 12  # in windows: candidate days per session, the first ones open to it
FULL_MODEL_SESSIONS = 400  # above this, CP-SAT works on windows of days


@dataclass(frozen=True)
class _Run:
    """What every phase of one solve shares: the grid, each free session's feasible starts
    and fitting rooms, CP-SAT's settings and the statistics being collected."""

    grid: Grid
    starts: dict[str, IntArray]
    rooms: dict[str, list[Room]]
    workers: int
    seed: int
    stats: dict[str, object]
    stop: threading.Event | None = None

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    @contextmanager
    def solving(self, solver: cp_model.CpSolver) -> Iterator[None]:
        """Stop ``solver`` from another thread as soon as the run's stop event is set."""
        stop = self.stop
        if stop is None:
            yield
            return
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.05):
                if stop.is_set():
                    solver.stop_search()
                    return

        watcher = threading.Thread(target=watch, name="scheduler-stop", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()


def solve(
    problem: SchedulingProblem,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
) -> Schedule:
    """Schedule ``problem`` within about ``time_limit`` seconds.

    ``stop``, when given, is watched throughout (between rounds, windows and rescues; CP-SAT is
    stopped asynchronously); once it is set the solve raises :class:`~scheduler.result.Cancelled`.
    """
    start = time.perf_counter()

    def check() -> None:
        if stop is not None and stop.is_set():
            raise Cancelled(f"the solve was cancelled after {time.perf_counter() - start:.1f} s")

    grid = Grid(problem)
    stats: dict[str, object] = {}
    pinned = [s for s in grid.sessions if s.pinned and s.published is not None]
    free = [s for s in grid.sessions if not (s.pinned and s.published is not None)]
    starts = {s.id: grid.starts(s) for s in free}
    rooms = {s.id: candidate_rooms(grid, s) for s in free}
    base = Occupancy(grid)
    fixed: dict[str, tuple[int, Room]] = {}
    room_of = {r.id: r for r in problem.rooms}
    for s in pinned:
        assert s.published is not None
        placement = (grid.to_minute(s.published.start), room_of[s.published.room])
        fixed[s.id] = placement
        base.take(s, *placement)
    placed, rounds = _squeaky_wheel(
        grid, free, fixed, starts, rooms, base, start + CONSTRUCT_SHARE * time_limit, stop
    )
    check()
    run = _Run(grid, starts, rooms, workers, seed, stats, stop)
    stats["construct_rounds"] = rounds
    stats["construct_seconds"] = round(time.perf_counter() - start, 3)
    trace: list[Progress] = []
    current = _objective(grid, fixed | placed)
    trace.append(Progress(time.perf_counter() - start, current, _upper_bound(grid, free, starts)))
    if progress is not None:
        progress(trace[-1])
    status = FEASIBLE
    bound = trace[-1].bound
    deadline = start + time_limit - max(0.08 * time_limit, 0.4)
    if len(free) > RESCUE_MIN:
        placed = _rescue(run, free, fixed, placed, start + RESCUE_SHARE * time_limit)
    check()
    current = _objective(grid, fixed | placed)
    if len(free) <= FULL_MODEL_SESSIONS:
        result = _cpsat(run, free, fixed, placed, deadline - time.perf_counter())
        if result is not None:
            new, proven, cp_bound = result
            if _objective(grid, fixed | new) >= current:
                placed = new
                current = _objective(grid, fixed | placed)
            if cp_bound is not None:
                bound = min(bound, cp_bound)
            if proven:
                status = OPTIMAL
    else:
        placed = _windows(run, free, fixed, placed, deadline, trace, start)
        current = _objective(grid, fixed | placed)
    check()
    bound = max(bound, current)
    seconds = time.perf_counter() - start
    trace.append(Progress(seconds, current, bound))
    if progress is not None:
        progress(trace[-1])
    return _result(grid, free, fixed | placed, starts, rooms, status, bound, seconds, trace, stats)


def _copy(occ: Occupancy) -> Occupancy:
    out = Occupancy.__new__(Occupancy)
    out.grid = occ.grid
    out.person_busy = occ.person_busy.copy()
    out.room_busy = occ.room_busy.copy()
    out.day_count = occ.day_count.copy()
    out.day_minutes = occ.day_minutes.copy()
    out.day_place = occ.day_place.copy()
    out.locations = occ.locations
    return out


def _objective(grid: Grid, placed: dict[str, tuple[int, Room]]) -> int:
    return evaluate(grid, [(sid, t, r.id) for sid, (t, r) in placed.items()]).objective


def _upper_bound(grid: Grid, free: Sequence[Session], starts: dict[str, IntArray]) -> int:
    """Every session at its best day and a preferred room, nobody stacked, nothing moved;
    sessions with no feasible start are missed in any schedule."""
    w = grid.problem.weights
    total = 0
    for s in free:
        st = starts[s.id]
        if st.size == 0:
            total -= MISSED
            continue
        days = np.unique(st // DAY)
        total += int(day_value(grid, s)[days].max()) + (w.preference if s.preferred_rooms else 0)
    return total


def _cpsat(
    run: _Run,
    sessions: Sequence[Session],
    fixed: dict[str, tuple[int, Room]],
    hint: dict[str, tuple[int, Room]],
    seconds: float,
    *,
    starts: dict[str, IntArray] | None = None,
    max_days: int | None = None,
) -> tuple[dict[str, tuple[int, Room]], bool, int | None] | None:
    """Optimise ``sessions`` with everything in ``fixed`` held, from ``starts`` (default: all
    of each session's feasible starts). Returns the placements, whether they are proven optimal
    (given the fixed ones) and CP-SAT's bound on the whole objective (None when ``max_days`` cut
    some session's days, which makes the model a restriction)."""
    grid, rooms, stats = run.grid, run.rooms, run.stats
    starts = run.starts if starts is None else starts
    truncated = False
    if seconds <= 0.05 or not sessions:
        return None
    problem = grid.problem
    w = problem.weights
    step = grid.step
    m = cp_model.CpModel()
    person_iv: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    room_iv: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    day_lits: dict[tuple[int, int], list[tuple[cp_model.IntVar, int]]] = defaultdict(list)
    place_lits: dict[tuple[int, int, int], list[cp_model.IntVar]] = defaultdict(list)
    objective: list[cp_model.LinearExprT] = []
    constant = 0
    pindex, rindex = problem.person_index, problem.room_index
    locations: dict[str, int] = {}
    for r in problem.rooms:
        locations.setdefault(r.location, len(locations))
    fixed_count: dict[tuple[int, int], int] = defaultdict(int)
    fixed_minutes: dict[tuple[int, int], int] = defaultdict(int)
    fixed_place: dict[tuple[int, int], set[int]] = defaultdict(set)
    sessions_by_id = {s.id: s for s in grid.sessions}

    # Per person: fixed items at a physical place, (start, duration, place), for travel.
    fixed_items: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    travel: dict[int, list[tuple[cp_model.LinearExprT, int, dict[int, cp_model.IntVar]]]] = (
        defaultdict(list)
    )

    def hold(p: int, t: int, minutes: int, room: Room | None) -> None:
        k = t // DAY
        fixed_count[(p, k)] += 1
        fixed_minutes[(p, k)] += minutes
        if room is not None and not room.online:
            fixed_place[(p, k)].add(locations[room.location])
            fixed_items[p].append((t, minutes, locations[room.location]))

    for sid, (t, room) in fixed.items():
        s = sessions_by_id[sid]
        for pid in s.participants:
            person_iv[pindex[pid]].append(m.new_fixed_size_interval_var(t, s.duration, ""))
            hold(pindex[pid], t, s.duration, room)
        if not room.online:
            room_iv[rindex[room.id]].append(m.new_fixed_size_interval_var(t, s.duration, ""))
    for occ in grid.occurrences:
        if occ.fixed:
            t = grid.index[occ.day] * DAY + occ.minute
            room = problem.rooms[rindex[occ.meeting.room]]
            for pid in occ.meeting.members:
                hold(pindex[pid], t, occ.meeting.duration, room)
    for rid, spans in grid.room_busy.items():
        for lo, hi in spans:
            if hi > lo:
                room_iv[rindex[rid]].append(m.new_fixed_size_interval_var(lo, hi - lo, ""))
    # Balance counts fixed meetings out (the shared objective scores sessions only).
    balance_fixed: dict[tuple[int, int], int] = defaultdict(int)
    for sid, (t, _) in fixed.items():
        for pid in sessions_by_id[sid].participants:
            balance_fixed[(pindex[pid], t // DAY)] += 1

    # Places each person could be at: their sessions' rooms and what is held.
    person_places: dict[int, set[int]] = defaultdict(set)
    for s in sessions:
        for room in rooms[s.id]:
            if not room.online:
                for pid in s.participants:
                    person_places[pindex[pid]].add(locations[room.location])
    for (p, _), held in fixed_place.items():
        person_places[p] |= held

    presence: dict[str, cp_model.IntVar] = {}
    start_var: dict[str, cp_model.IntVar] = {}
    room_lits: dict[str, list[tuple[Room, cp_model.IntVar]]] = {}
    day_lit: dict[str, dict[int, cp_model.IntVar]] = {}
    for s in sessions:
        st = starts[s.id]
        cand = rooms[s.id]
        if st.size == 0 or not cand:
            constant -= MISSED
            continue
        days_all = np.unique(st // DAY)
        days = days_all if max_days is None else days_all[:max_days]
        truncated |= days.size < days_all.size
        hinted = hint.get(s.id)
        if hinted is not None and hinted[0] // DAY not in set(days.tolist()):
            days = np.append(days, hinted[0] // DAY)
        st = st[np.isin(st // DAY, days)]
        present = m.new_bool_var(f"present[{s.id}]")
        presence[s.id] = present
        objective.append(MISSED * present)
        constant -= MISSED
        k_var = m.new_int_var_from_domain(
            cp_model.Domain.from_values((st // step).tolist()), f"start[{s.id}]"
        )
        start_var[s.id] = k_var
        value = day_value(grid, s)
        lits: dict[int, cp_model.IntVar] = {}
        for k in days.tolist():
            lit = m.new_bool_var(f"day[{s.id},{k}]")
            on_day = st[st // DAY == k] // step
            m.add_linear_expression_in_domain(
                k_var, cp_model.Domain.from_values(on_day.tolist())
            ).only_enforce_if(lit)
            lits[k] = lit
            objective.append(int(value[k]) * lit)
        day_lit[s.id] = lits
        m.add(sum(lits.values()) == present)
        expr = step * k_var
        iv = m.new_optional_fixed_size_interval_var(expr, s.duration, present, f"iv[{s.id}]")
        for pid in s.participants:
            p = pindex[pid]
            person_iv[p].append(iv)
            for k, lit in lits.items():
                day_lits[(p, k)].append((lit, s.duration))
        rl: list[tuple[Room, cp_model.IntVar]] = []
        for room in cand:
            z = m.new_bool_var(f"room[{s.id},{room.id}]")
            rl.append((room, z))
            if not room.online:
                room_iv[rindex[room.id]].append(
                    m.new_optional_fixed_size_interval_var(expr, s.duration, z, "")
                )
            if room.id in s.preferred_rooms:
                objective.append(w.preference * z)
        room_lits[s.id] = rl
        m.add(sum(z for _, z in rl) == present)
        # Travel: for people who could be at two places, where each session is.
        movers = [pindex[pid] for pid in s.participants if len(person_places[pindex[pid]]) > 1]
        if movers:
            by_place: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for room, z in rl:
                if not room.online:
                    by_place[locations[room.location]].append(z)
            at_place = {}
            for place, zs in by_place.items():
                at = m.new_bool_var("")
                m.add(at == sum(zs))
                at_place[place] = at
            for p in movers:
                travel[p].append((expr, s.duration, at_place))
            for k, lit in lits.items():
                for place, at in at_place.items():
                    both = m.new_bool_var("")
                    m.add(both >= lit + at - 1)
                    for p in movers:
                        place_lits[(p, k, place)].append(both)
        if s.published is not None:
            old = grid.to_minute(s.published.start)
            same = m.new_bool_var(f"same[{s.id}]")
            if old % step == 0 and (old // step) in set((st // step).tolist()):
                m.add(k_var == old // step).only_enforce_if(same)
                old_room = [z for room, z in rl if room.id == s.published.room]
                if old_room:
                    m.add_implication(same, old_room[0])
                else:
                    m.add(same == 0)
            else:
                m.add(same == 0)
            moved = m.new_bool_var(f"moved[{s.id}]")
            m.add(moved >= present - same)
            objective.append(-w.stability * moved)
    for ivs in person_iv.values():
        if len(ivs) > 1:
            m.add_no_overlap(ivs)
    for ivs in room_iv.values():
        if len(ivs) > 1:
            m.add_no_overlap(ivs)
    people = problem.people
    for (p, k), items in day_lits.items():
        person = people[p]
        m.add(sum(lit for lit, _ in items) <= person.max_sessions_per_day - fixed_count[(p, k)])
        m.add(
            sum(d * lit for lit, d in items) <= person.max_minutes_per_day - fixed_minutes[(p, k)]
        )
        count = len(items) + balance_fixed[(p, k)]
        if w.balance and count >= 2:
            extra = m.new_int_var(0, count, "")
            m.add(extra >= sum(lit for lit, _ in items) + balance_fixed[(p, k)] - 1)
            objective.append(-w.balance * extra)
        elif balance_fixed[(p, k)] > 1:
            constant -= w.balance * (balance_fixed[(p, k)] - 1)
    _add_travel(m, grid, travel, fixed_items, person_places)
    # Location changes: a person's extra physical places in a day.
    places: dict[tuple[int, int], dict[int, list[cp_model.IntVar]]] = defaultdict(dict)
    for (p, k, place), lits_ in place_lits.items():
        places[(p, k)][place] = lits_
    for (p, k), by_place in places.items():
        held = fixed_place.get((p, k), set())
        used = []
        for place, lits_ in by_place.items():
            if place in held:
                continue
            u = m.new_bool_var("")
            for lit in lits_:
                m.add_implication(lit, u)
            used.append(u)
        if w.locations and used:
            changes = m.new_int_var(0, len(used) + len(held), "")
            m.add(changes >= sum(used) + len(held) - 1)
            objective.append(-w.locations * changes)
    # The fixed sessions' own terms (their balance is counted above, per person and day).
    for sid, (t, room) in fixed.items():
        constant += sum(session_terms(grid, sessions_by_id[sid], t, room.id).values())
    for (p, k), count in balance_fixed.items():
        if (p, k) not in day_lits and count > 1:
            constant -= w.balance * (count - 1)
    for s in sessions:
        if s.id not in presence:
            continue
        h = hint.get(s.id)
        m.add_hint(presence[s.id], h is not None)
        if h is not None:
            m.add_hint(start_var[s.id], h[0] // step)
            for k, lit in day_lit[s.id].items():
                m.add_hint(lit, k == h[0] // DAY)
            for room, z in room_lits[s.id]:
                m.add_hint(z, room.id == h[1].id)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = run.workers
    solver.parameters.random_seed = run.seed
    started = time.perf_counter()
    placed_count = sum(presence.values())
    if sum(1 for sid in presence if sid in hint) < len(presence):
        # Phase 1, coverage alone: place as many sessions as possible. Feasibility-shaped
        # models are where CP-SAT's search is strongest.
        m.maximize(placed_count)
        solver.parameters.max_time_in_seconds = COVERAGE_SHARE * seconds
        with run.solving(solver):
            code = solver.solve(m)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best = round(solver.objective_value)
            stats["coverage_phase"] = {"placed": best, "of": len(presence)}
            m.clear_hints()  # type: ignore[no-untyped-call]
            for var in _hinted_vars(presence, start_var, day_lit, room_lits):
                m.add_hint(var, solver.value(var))
            m.add(placed_count >= best)
    m.maximize(sum(objective) + constant)
    solver.parameters.max_time_in_seconds = max(0.05, seconds - (time.perf_counter() - started))
    with run.solving(solver):
        code = solver.solve(m)
    stats["cpsat_status"] = solver.status_name(code)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out: dict[str, tuple[int, Room]] = {}
    for sid, present in presence.items():
        if solver.boolean_value(present):
            t = solver.value(start_var[sid]) * step
            room = next(r for r, z in room_lits[sid] if solver.boolean_value(z))
            out[sid] = (t, room)
    if truncated:
        return out, False, None
    return out, code == cp_model.OPTIMAL, int(solver.best_objective_bound)


WINDOW_DAYS = 7  # calendar days re-optimised at once on large instances
WINDOW_SESSIONS = 350  # at most this many sessions free in one window


RESCUE_MIN = 60  # with fewer free sessions, CP-SAT sees them all at once anyway
RESCUE_SHARE = 0.6  # of the time limit, for placing what the construction left out
RESCUE_SESSIONS = 60  # at most this many sessions freed around one stranded session


def _rescue(
    run: _Run,
    free: Sequence[Session],
    fixed: dict[str, tuple[int, Room]],
    placed: dict[str, tuple[int, Room]],
    deadline: float,
) -> dict[str, tuple[int, Room]]:
    """Place stranded sessions by moving what stands in their way: for each session the
    construction could not place, free the sessions placed where it could go (same people, or
    a room it fits, at an overlapping time) and let CP-SAT place them all, coverage first.
    Kept when the whole objective improves."""
    grid, starts, rooms = run.grid, run.starts, run.rooms
    by_id = {s.id: s for s in free}
    current = _objective(grid, fixed | placed)
    rescued = 0
    stranded = [s for s in free if s.id not in placed and starts[s.id].size and rooms[s.id]]
    stranded.sort(key=lambda s: (s.deadline, s.id))
    for s in stranded:
        left = deadline - time.perf_counter()
        if left <= 0.1 or run.stopped():
            break
        if s.id in placed:
            continue
        st = starts[s.id]
        fits = {r.id for r in rooms[s.id]}
        people = set(s.participants)
        days = set((st // DAY).tolist())
        near = []
        for sid, (t, room) in placed.items():
            other = by_id.get(sid)
            if other is None or t // DAY not in days:
                continue
            end = t + other.duration
            # Overlaps some candidate start of the stranded session? The latest start before
            # its end is the one that can.
            i = int(np.searchsorted(st, end))
            if not (i > 0 and st[i - 1] + s.duration > t):
                continue
            if (room.id in fits and not room.online) or people & set(other.participants):
                near.append(other)
        near.sort(key=lambda o: (-(len(people & set(o.participants))), o.deadline, o.id))
        group = [s, *near[: RESCUE_SESSIONS - 1]]
        ids = {g.id for g in group}
        held = fixed | {sid: v for sid, v in placed.items() if sid not in ids}
        result = _cpsat(run, group, held, placed, min(left, max(0.5, left / max(1, len(stranded)))))
        if result is None:
            continue
        new = {sid: v for sid, v in placed.items() if sid not in ids} | result[0]
        value = _objective(grid, fixed | new)
        if value > current:
            rescued += int(s.id in new)
            placed, current = new, value
    run.stats["rescued"] = rescued
    return placed


COVERAGE_SHARE = 0.4  # of CP-SAT's time, to place as many sessions as possible first


def _hinted_vars(
    presence: dict[str, cp_model.IntVar],
    start_var: dict[str, cp_model.IntVar],
    day_lit: dict[str, dict[int, cp_model.IntVar]],
    room_lits: dict[str, list[tuple[Room, cp_model.IntVar]]],
) -> list[cp_model.IntVar]:
    out = list(presence.values()) + list(start_var.values())
    for lits in day_lit.values():
        out += list(lits.values())
    for rl in room_lits.values():
        out += [z for _, z in rl]
    return out


TRAVEL_CAPACITY = 16  # more same-place sessions than this never fall within one travel span


def _add_travel(
    m: cp_model.CpModel,
    grid: Grid,
    travel: dict[int, list[tuple[cp_model.LinearExprT, int, dict[int, cp_model.IntVar]]]],
    fixed_items: dict[int, list[tuple[int, int, int]]],
    person_places: dict[int, set[int]],
) -> None:
    """Hard (travel): between a person's items at two physical places, a gap of at least the
    travel time. Per person and place P, one cumulative constraint: each item at P occupies its
    time widened by the travel time on both sides with demand 1; each item at another place
    occupies its own time with demand equal to the capacity. Items at P may overlap each
    other's margins freely; an item elsewhere may touch no margin of an item at P."""
    buffer = grid.problem.settings.travel_minutes
    if buffer == 0:
        return
    for p, items in travel.items():
        for place in person_places[p]:
            ivs: list[cp_model.IntervalVar] = []
            demands: list[int] = []
            for start, duration, at_place in items:
                here = at_place.get(place)
                if here is not None:
                    ivs.append(
                        m.new_optional_fixed_size_interval_var(
                            start - buffer, duration + 2 * buffer, here, ""
                        )
                    )
                    demands.append(1)
                elsewhere = [at for q, at in at_place.items() if q != place]
                if elsewhere:
                    away = m.new_bool_var("")
                    m.add(away == sum(elsewhere))
                    ivs.append(m.new_optional_fixed_size_interval_var(start, duration, away, ""))
                    demands.append(TRAVEL_CAPACITY)
            for t, duration, q in fixed_items.get(p, []):
                if q == place:
                    ivs.append(m.new_fixed_size_interval_var(t - buffer, duration + 2 * buffer, ""))
                    demands.append(1)
                else:
                    ivs.append(m.new_fixed_size_interval_var(t, duration, ""))
                    demands.append(TRAVEL_CAPACITY)
            if len(ivs) > 1:
                m.add_cumulative(ivs, demands, TRAVEL_CAPACITY)


def _windows(
    run: _Run,
    free: Sequence[Session],
    fixed: dict[str, tuple[int, Room]],
    placed: dict[str, tuple[int, Room]],
    deadline: float,
    trace: list[Progress],
    t0: float,
) -> dict[str, tuple[int, Room]]:
    """Large neighbourhood search over time: sweep windows of days; in each, free the sessions
    placed there and the unplaced ones that could go there, hold everything else, and let
    CP-SAT re-optimise. A window's result is kept when the whole objective improves."""
    grid, starts, rooms = run.grid, run.starts, run.rooms
    current = _objective(grid, fixed | placed)
    n_days = len(grid.days)
    windows = [(lo, min(lo + WINDOW_DAYS, n_days)) for lo in range(0, n_days, WINDOW_DAYS)]
    improved_windows = 0
    passes = 0
    while time.perf_counter() < deadline:
        passes += 1
        progress_made = False
        for j, (lo, hi) in enumerate(windows):
            left = deadline - time.perf_counter()
            if left <= 0.2 or run.stopped():
                break
            inside = []
            for s in free:
                st = starts[s.id]
                if st.size == 0 or not rooms[s.id]:
                    continue
                if s.id in placed:
                    if lo <= placed[s.id][0] // DAY < hi:
                        inside.append(s)
                elif ((st // DAY >= lo) & (st // DAY < hi)).any():
                    inside.append(s)
            if not inside:
                continue
            inside.sort(key=lambda s: (s.id not in placed, s.deadline, s.id))
            inside = inside[:WINDOW_SESSIONS]
            ids = {s.id for s in inside}
            held = fixed | {sid: v for sid, v in placed.items() if sid not in ids}
            local = {
                s.id: starts[s.id][(starts[s.id] // DAY >= lo) & (starts[s.id] // DAY < hi)]
                for s in inside
            }
            share = left / max(1, len(windows) - j)
            result = _cpsat(
                run, inside, held, placed, min(share, left), starts=local, max_days=MAX_DAYS
            )
            if result is None:
                continue
            new = {sid: v for sid, v in placed.items() if sid not in ids} | result[0]
            value = _objective(grid, fixed | new)
            if value > current:
                placed, current = new, value
                improved_windows += 1
                progress_made = True
                trace.append(Progress(time.perf_counter() - t0, current, trace[-1].bound))
        if not progress_made:
            break
    run.stats["windows_improved"] = improved_windows
    run.stats["window_passes"] = passes
    return placed


def _result(
    grid: Grid,
    free: Sequence[Session],
    placed: dict[str, tuple[int, Room]],
    starts: dict[str, IntArray],
    rooms: dict[str, list[Room]],
    status: str,
    bound: int,
    seconds: float,
    trace: list[Progress],
    stats: dict[str, object],
) -> Schedule:
    by_id = {s.id: s for s in grid.sessions}
    meeting_of = {o.id: o.meeting.id for o in grid.occurrences}
    items: list[Placed] = []
    for sid, (t, room) in sorted(placed.items(), key=lambda kv: (kv[1][0], kv[0])):
        s = by_id[sid]
        items.append(
            Placed(
                session=sid,
                kind=s.kind,
                cases=s.cases,
                start=grid.to_datetime(t),
                end=grid.to_datetime(t + s.duration),
                room=room.id,
                participants=s.participants,
                meeting=meeting_of.get(sid),
            )
        )
    for occ in grid.occurrences:
        if occ.fixed:
            t = grid.index[occ.day] * DAY + occ.minute
            items.append(
                Placed(
                    session=occ.id,
                    kind="regular_meeting",
                    cases=(),
                    start=grid.to_datetime(t),
                    end=grid.to_datetime(t + occ.meeting.duration),
                    room=occ.meeting.room,
                    participants=occ.meeting.members,
                    meeting=occ.meeting.id,
                )
            )
    occ_final = Occupancy(grid)
    for sid, (t, room) in placed.items():
        occ_final.take(by_id[sid], t, room)
    unscheduled = tuple(
        _why(grid, s, starts[s.id], rooms[s.id], occ_final) for s in free if s.id not in placed
    )
    moved = []
    for s in grid.sessions:
        if s.published is None:
            continue
        now = placed.get(s.id)
        old_t = grid.to_minute(s.published.start)
        if now is None or now[0] != old_t or now[1].id != s.published.room:
            moved.append(
                Move(
                    session=s.id,
                    old_start=s.published.start,
                    old_room=s.published.room,
                    new_start=None if now is None else grid.to_datetime(now[0]),
                    new_room=None if now is None else now[1].id,
                )
            )
    breakdown = evaluate(grid, [(sid, t, r.id) for sid, (t, r) in placed.items()])
    slack = [grid.workdays_left(t, by_id[sid].deadline, 10**6) for sid, (t, _) in placed.items()]
    kpis: dict[str, float] = {
        "sessions_placed": float(len(placed)),
        "unscheduled": float(len(unscheduled)),
        "mean_slack_days": round(float(np.mean(slack)), 3) if slack else 0.0,
        "min_slack_days": float(min(slack)) if slack else 0.0,
        "moved": float(len(moved)),
    }
    stats["terms"] = breakdown.terms
    return Schedule(
        status=status,
        objective=breakdown.objective,
        bound=max(bound, breakdown.objective),
        seconds=seconds,
        sessions=tuple(items),
        unscheduled=unscheduled,
        moved=tuple(moved),
        fallback_years=grid.fallback_years,
        kpis=kpis,
        progress=tuple(trace),
        stats=stats,
    )


def _why(
    grid: Grid, s: Session, starts: IntArray, rooms: list[Room], occ: Occupancy
) -> Unscheduled:
    """Why a session has no place: its window, its participants, its rooms, or crowding (then
    the participant or room that takes most of its open slots)."""
    problem = grid.problem
    first, last = grid.window(s)
    window = grid.starts(s, people=False)
    counts = {"window_starts": int(window.size), "common_free": int(starts.size)}
    if window.size == 0:
        return Unscheduled(
            s.id,
            WINDOW_EMPTY,
            f"no court hours on a working day between {first} and the deadline {last}",
            None,
            counts,
        )
    if starts.size == 0:
        index = problem.person_index
        lost = {
            pid: int((~_all_free(~grid.free[index[pid]], window, s.duration)).sum())
            for pid in s.participants
        }
        who = max(lost, key=lambda pid: (lost[pid], pid))
        return Unscheduled(
            s.id,
            NO_COMMON_TIME,
            f"the participants are never free together between {first} and {last}; "
            f"{_named(problem, who)} is unavailable at {lost[who]} of {window.size} possible "
            f"starts",
            who,
            counts,
        )
    if not rooms:
        return Unscheduled(
            s.id,
            NO_ROOM,
            f"no room holds {len(s.participants)} people with {sorted(s.equipment)}",
            None,
            counts,
        )
    index = problem.person_index
    taken = {
        pid: int((~occ.open_at(occ.person_busy[index[pid]], starts, s.duration)).sum())
        for pid in s.participants
    }
    physical = [r for r in rooms if not r.online]
    if physical and len(physical) == len(rooms):
        # In person only: a start is lost when every fitting room is taken.
        all_taken = np.ones(starts.size, dtype=bool)
        for room in physical:
            row = occ.room_busy[problem.room_index[room.id]]
            all_taken &= ~occ.open_at(row, starts, s.duration)
        taken["rooms " + ", ".join(r.id for r in physical)] = int(all_taken.sum())
    who = max(taken, key=lambda k: (taken[k], k))
    counts["taken_by_blocker"] = taken[who]
    return Unscheduled(
        s.id,
        CROWDED,
        f"{starts.size} common free starts before {last}, but other sessions took them; "
        f"{_named(problem, who)} is busy at {taken[who]} of them",
        who,
        counts,
    )


def _named(problem: SchedulingProblem, who: str) -> str:
    """A participant by name and id (rooms and groups of rooms as they are)."""
    index = problem.person_index.get(who)
    if index is None:
        return who
    name = problem.people[index].name
    return f"{name} ({who})" if name else who


def _all_free(row: np.ndarray, starts: IntArray, duration: int) -> np.ndarray:
    return free_run(row, starts, duration)
