"""Minimal-change repair of a published schedule.

The input is the problem as it stands now: sessions carry their ``published`` placement, and the
change (a person's leave, a closed room, a new urgent case, a moved deadline) is already in it.
A session is *affected* when its published placement breaks a hard rule under the change, or
when it has none yet; a pinned session the change breaks loses its pin (``pins_released``).
Everything else is pinned where it stands, the affected sessions are placed again, and only if
some of them find no place are a few others (at most ``SPARE_SHARE`` of the rest, those sharing
people with the stranded sessions) released to make room. The result's ``moved`` lists every
published session that moved, for the feeds to bump SEQUENCE.
"""

from __future__ import annotations

import time
from dataclasses import replace

from .construct import candidate_rooms
from .grid import Grid
from .problem import SchedulingProblem, Session
from .result import CROWDED, Schedule
from .solve import solve

SPARE_SHARE = 0.02  # of the unaffected sessions, at most this many may move to make room


def affected(problem: SchedulingProblem, grid: Grid | None = None) -> set[str]:
    """Sessions whose published placement no longer holds, and sessions never placed."""
    grid = grid or Grid(problem)
    out: set[str] = set()
    busy_rooms = grid.room_busy
    for s in problem.sessions:
        if s.published is None:
            out.add(s.id)
            continue
        t = grid.to_minute(s.published.start)
        starts = grid.starts(s)
        if not (starts == t).any():
            out.add(s.id)  # a participant, the calendar or the window rules it out now
            continue
        room = next((r for r in candidate_rooms(grid, s) if r.id == s.published.room), None)
        if room is None:
            out.add(s.id)
            continue
        end = t + s.duration
        if any(lo < end and t < hi for lo, hi in busy_rooms.get(room.id, [])):
            out.add(s.id)
    return out


def repair(
    problem: SchedulingProblem,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
) -> Schedule:
    start = time.perf_counter()
    grid = Grid(problem)
    hit = affected(problem, grid)
    others = [
        s for s in problem.sessions if s.id not in hit and s.published is not None and not s.pinned
    ]
    spare = int(SPARE_SHARE * len(others))
    released: set[str] = set()
    result = _attempt(problem, hit, released, time_limit / 2, workers, seed)
    # Only sessions that lost to crowding can gain from moving others.
    stranded = {u.session for u in result.unscheduled if u.reason == CROWDED} & hit
    left = time_limit - (time.perf_counter() - start)
    if stranded and spare and left > 0.2:
        released = _neighbours(problem, stranded, others, spare)
        second = _attempt(problem, hit, released, left, workers, seed)
        if second.objective > result.objective:
            result = second
    stats = dict(result.stats)
    pins = sorted(s.id for s in problem.sessions if s.pinned and s.id in hit)
    stats.update({"affected": sorted(hit), "released": sorted(released), "pins_released": pins})
    return replace(result, seconds=time.perf_counter() - start, stats=stats)


def release_pins(problem: SchedulingProblem, schedule: Schedule) -> SchedulingProblem:
    """The problem a repair actually solved: a pin the change broke (its person on leave, its
    room closed) cannot hold and was released; the schedule lists the session as moved."""
    released = set(schedule.stats.get("pins_released", ()))
    return replace(
        problem,
        sessions=tuple(
            replace(s, pinned=False) if s.id in released else s for s in problem.sessions
        ),
    )


def _attempt(
    problem: SchedulingProblem,
    hit: set[str],
    released: set[str],
    time_limit: float,
    workers: int,
    seed: int,
) -> Schedule:
    sessions = tuple(
        # Pins hold unless the change breaks them; released sessions were never pinned.
        replace(
            s,
            pinned=s.published is not None
            and s.id not in hit
            and (s.pinned or s.id not in released),
        )
        for s in problem.sessions
    )
    return solve(
        replace(problem, sessions=sessions), time_limit=time_limit, workers=workers, seed=seed
    )


def _neighbours(
    problem: SchedulingProblem, stranded: set[str], others: list[Session], spare: int
) -> set[str]:
    """The unaffected sessions that share the most people with the stranded ones, whose
    deadlines leave them the most room to move."""
    by_id = {s.id: s for s in problem.sessions}
    people = {pid for sid in stranded for pid in by_id[sid].participants}
    scored = [
        (len(people & set(s.participants)), s.deadline, s.id)
        for s in others
        if people & set(s.participants)
    ]
    scored.sort(key=lambda x: (-x[0], -x[1].toordinal(), x[2]))
    return {sid for _, _, sid in scored[:spare]}
