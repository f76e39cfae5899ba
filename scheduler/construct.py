"""A constructive schedule: urgent sessions first, each at its best feasible slot.

Used as the CP-SAT warm start and as the answer when CP-SAT has no time. Sessions go in order of
urgency (deadline, then the fewest feasible starts); each takes the (start, room) that scores
best under the shared objective given what is already placed, checked against every hard rule
the solver enforces: people and rooms free, daily load, one physical location per person and day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .grid import DAY, Grid
from .problem import IN_PERSON, ONLINE, Room, Session
from .score import SLACK_CAP

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass
class Occupancy:
    """What is taken so far: person and room time in grid cells (sessions are grid-aligned, so
    a cell with any busy minute is lost to them), daily loads and locations."""

    grid: Grid
    person_busy: BoolArray = field(init=False)
    room_busy: BoolArray = field(init=False)
    day_count: IntArray = field(init=False)  # (person, day) sessions
    day_minutes: IntArray = field(init=False)
    day_place: IntArray = field(init=False)  # (person, day) location index, -1 none
    locations: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        g = self.grid
        problem = g.problem
        n = len(g.days) * DAY // g.step
        self.person_busy = np.zeros((len(problem.people), n), dtype=bool)
        self.room_busy = np.zeros((len(problem.rooms), n), dtype=bool)
        self.day_count = np.zeros((len(problem.people), len(g.days)), dtype=np.int64)
        self.day_minutes = np.zeros_like(self.day_count)
        self.day_place = np.full_like(self.day_count, -1)
        self.locations = {}
        for r in problem.rooms:
            self.locations.setdefault(r.location, len(self.locations))
        index = problem.room_index
        for rid, spans in g.room_busy.items():
            for lo, hi in spans:
                a, b = self.cells(lo, hi)
                self.room_busy[index[rid], max(a, 0) : max(min(b, n), 0)] = True
        people = problem.person_index
        for occ in g.occurrences:
            if occ.fixed:
                k = g.index[occ.day]
                for pid in occ.meeting.members:
                    p = people[pid]
                    self.day_count[p, k] += 1
                    self.day_minutes[p, k] += occ.meeting.duration
                    room = problem.rooms[index[occ.meeting.room]]
                    if not room.online:
                        self.day_place[p, k] = self.locations[room.location]

    def cells(self, start: int, end: int) -> tuple[int, int]:
        """The grid cells covering minutes [start, end)."""
        step = self.grid.step
        return start // step, -(-end // step)

    def open_at(self, busy: BoolArray, starts: IntArray, duration: int) -> BoolArray:
        """For each start minute, whether ``busy`` (a cell row) is free for the duration."""
        step = self.grid.step
        return free_run(busy, starts // step, -(-duration // step))

    def take(self, session: Session, start: int, room: Room) -> None:
        g = self.grid
        problem = g.problem
        k = g.day_of(start)
        start, end = self.cells(start, start + session.duration)
        for pid in session.participants:
            p = problem.person_index[pid]
            self.person_busy[p, start:end] = True
            self.day_count[p, k] += 1
            self.day_minutes[p, k] += session.duration
            if not room.online:
                self.day_place[p, k] = self.locations[room.location]
        if not room.online:
            self.room_busy[problem.room_index[room.id], start:end] = True


def candidate_rooms(grid: Grid, session: Session) -> list[Room]:
    """Rooms that fit the session: capacity and equipment for physical rooms, the mode."""
    out = []
    for r in grid.problem.rooms:
        if r.online:
            if session.mode != IN_PERSON:
                out.append(r)
        elif (
            session.mode != ONLINE
            and r.capacity >= len(session.participants)
            and session.equipment <= r.equipment
        ):
            out.append(r)
    return out


def free_run(busy: BoolArray, starts: IntArray, duration: int) -> BoolArray:
    """For each start, whether ``busy`` is False throughout [start, start + duration)."""
    if starts.size == 0:
        return np.zeros(0, dtype=bool)
    lo, hi = int(starts.min()), int(starts.max()) + duration
    c = np.concatenate([[0], np.cumsum(busy[lo:hi], dtype=np.int64)])
    out: BoolArray = (c[starts - lo + duration] - c[starts - lo]) == 0
    return out


def options(
    grid: Grid, occ: Occupancy, session: Session, starts: IntArray, rooms: list[Room]
) -> tuple[IntArray, IntArray]:
    """Every (start, room index into ``rooms``) still open to the session."""
    problem = grid.problem
    people = [problem.person_index[pid] for pid in session.participants]
    if starts.size == 0 or not rooms:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    busy: BoolArray = np.asarray(occ.person_busy[people].any(axis=0), dtype=bool)
    ok = occ.open_at(busy, starts, session.duration)
    days = starts // DAY
    for p in people:
        person = problem.people[p]
        ok &= occ.day_count[p, days] < person.max_sessions_per_day
        ok &= occ.day_minutes[p, days] + session.duration <= person.max_minutes_per_day
    starts = starts[ok]
    days = days[ok]
    out_s: list[IntArray] = []
    out_r: list[IntArray] = []
    physical = [j for j, room in enumerate(rooms) if not room.online]
    if physical and starts.size:
        # All physical rooms at once: free for the duration, and at a place every participant
        # can be that day (one place a day in the construction).
        step = grid.step
        rows = [problem.room_index[rooms[j].id] for j in physical]
        cells, width = starts // step, -(-session.duration // step)
        lo, hi = int(cells.min()), int(cells.max()) + width
        c = np.zeros((len(rows), hi - lo + 1), dtype=np.int64)
        np.cumsum(occ.room_busy[rows, lo:hi], axis=1, out=c[:, 1:])
        fits = (c[:, cells - lo + width] - c[:, cells - lo]) == 0
        places = np.array([occ.locations[rooms[j].location] for j in physical])
        here = occ.day_place[people][:, days]  # (people, starts)
        fits &= ((here[None] == -1) | (here[None] == places[:, None, None])).all(axis=1)
        r_idx, s_idx = np.nonzero(fits)
        out_s.append(starts[s_idx])
        out_r.append(np.asarray(physical, dtype=np.int64)[r_idx])
    for j, room in enumerate(rooms):
        if room.online:
            out_s.append(starts)
            out_r.append(np.full(starts.size, j, dtype=np.int64))
    if not out_s:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_s), np.concatenate(out_r)


def day_value(grid: Grid, session: Session) -> IntArray:
    """Per horizon day: the day-dependent score of holding the session then (slack, fast
    track, preferred day)."""
    problem = grid.problem
    w = problem.weights
    out = np.zeros(len(grid.days), dtype=np.int64)
    first, last = grid.window(session)
    for k, day in enumerate(grid.days):
        if not (first <= day <= last) or not grid.workday[k]:
            continue
        minute = k * DAY
        value = w.slack * grid.workdays_left(minute, session.deadline, SLACK_CAP)
        if session.small_claims:
            late = grid.workdays_from_today(minute) - problem.settings.fast_track_days
            value -= w.fast_track * max(0, late)
        if day in session.preferred_days:
            value += w.preference
        out[k] = value
    return out


def construct(
    grid: Grid,
    order: list[Session],
    starts: dict[str, IntArray],
    rooms: dict[str, list[Room]],
    occ: Occupancy,
) -> dict[str, tuple[int, Room]]:
    """Place ``order`` one by one at the best open (start, room); returns the placements."""
    problem = grid.problem
    w = problem.weights
    placed: dict[str, tuple[int, Room]] = {}
    for session in order:
        cand = rooms[session.id]
        s_opt, r_opt = options(grid, occ, session, starts[session.id], cand)
        if s_opt.size == 0:
            continue
        days = s_opt // DAY
        value = day_value(grid, session)[days]
        preferred = np.array([r.id in session.preferred_rooms for r in cand], dtype=bool)
        value = value + w.preference * preferred[r_opt]
        # Stacking a person's day costs balance; keep published placements when possible.
        people = [problem.person_index[pid] for pid in session.participants]
        stacked = (occ.day_count[people][:, days] >= 1).sum(axis=0)
        value = value - w.balance * stacked
        if session.published is not None:
            old = grid.to_minute(session.published.start)
            same = (s_opt == old) & np.array(
                [cand[j].id == session.published.room for j in r_opt.tolist()], dtype=bool
            )
            value = value - w.stability * (~same)
        # The online room before physical ones for "either" (it never runs out, rooms do),
        # then the smallest room that fits, then the earliest.
        physical = np.array([not r.online for r in cand], dtype=bool)[r_opt]
        size = np.array([r.capacity for r in cand], dtype=np.int64)[r_opt]
        best = np.lexsort((s_opt, size, physical, -value))[0]
        start, room = int(s_opt[best]), cand[int(r_opt[best])]
        occ.take(session, start, room)
        placed[session.id] = (start, room)
    return placed
