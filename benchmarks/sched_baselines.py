"""The scheduling baseline the solver must beat, scored with exactly the solver's objective.

:func:`greedy` is what a coordinator does by hand: pinned sessions stay where they were published,
regular meetings held on a rest day go first (they bind leaders and many mediators), then every
session in input order (by id, i.e. arrival; NOT by deadline) takes the earliest feasible start,
and at that start the first room that fits: its preferred rooms, then the physical rooms in input
order, then the online room (only for ``online`` sessions, and for ``either`` sessions when no
physical room is free). A published, unpinned session keeps its published placement while that
is still feasible.

Every hard rule the validator checks is respected: the grid (working day, one block, the window,
participants' weekly hours, leave and fixed busy time, via :meth:`scheduler.grid.Grid.starts`),
nobody in two items at once (fixed meeting occurrences included), no physical room holding two
sessions (closures and fixed occurrences included), capacity, equipment and mode, daily loads
(fixed occurrences count), and the travel buffer between items at two physical locations on one
day. Its objective is :func:`scheduler.score.evaluate` over the placed (non-fixed) sessions.

:class:`Book` keeps the occupancy at grid-slot resolution with numpy arrays (person × slot,
room × slot), which the benchmark generator also uses to plant its feasible schedule.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from scheduler.grid import DAY, Grid
from scheduler.problem import EITHER, ONLINE, REGULAR_MEETING, Room, SchedulingProblem, Session
from scheduler.result import (
    CROWDED,
    FEASIBLE,
    NO_COMMON_TIME,
    NO_ROOM,
    WINDOW_EMPTY,
    Move,
    Placed,
    Schedule,
    Unscheduled,
)
from scheduler.score import evaluate

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def room_fits(room: Room, session: Session) -> bool:
    """Mode, and for a physical room capacity and equipment: the room-level hard rules (the
    online room holds any number of sessions of any size)."""
    if room.online:
        return session.mode in (ONLINE, EITHER)
    if session.mode == ONLINE:
        return False
    return room.capacity >= len(session.participants) and session.equipment <= room.equipment


def room_order(problem: SchedulingProblem, session: Session) -> list[int]:
    """Room indices that fit, in the order a coordinator tries them: preferred rooms, then
    physical rooms in input order, then the online room."""
    index = problem.room_index
    rooms = problem.rooms
    preferred = [index[r] for r in session.preferred_rooms if room_fits(rooms[index[r]], session)]
    rest = [
        i
        for i, r in enumerate(rooms)
        if not r.online and i not in preferred and room_fits(r, session)
    ]
    online = [
        i for i, r in enumerate(rooms) if r.online and i not in preferred and room_fits(r, session)
    ]
    return preferred + rest + online


class Book:
    """Who and which room is taken when, at grid-slot resolution, and each person's daily load.

    Sessions start on the grid and last whole grid steps, so a slot is either wholly inside or
    wholly outside them; an item off the grid (a closure, a pinned session) takes every slot it
    touches, which is exact for overlaps with sessions on the grid. ``loc`` holds the location
    code of the physical item a person is in (-1: none or online), for the travel buffer.
    """

    def __init__(self, grid: Grid) -> None:
        problem = grid.problem
        self.grid = grid
        self.problem = problem
        self.step = grid.step
        self.per_day = DAY // self.step
        self.n_days = len(grid.days)
        self.n_slots = self.n_days * self.per_day
        n_people, n_rooms = len(problem.people), len(problem.rooms)
        self.busy = np.zeros((n_people, self.n_slots), dtype=bool)
        self.loc = np.full((n_people, self.n_slots), -1, dtype=np.int8)
        self.room = np.zeros((n_rooms, self.n_slots), dtype=bool)
        self.count = np.zeros((n_people, self.n_days), dtype=np.int64)
        self.minutes = np.zeros((n_people, self.n_days), dtype=np.int64)
        self.max_count = np.array([p.max_sessions_per_day for p in problem.people], dtype=np.int64)
        self.max_minutes = np.array([p.max_minutes_per_day for p in problem.people], dtype=np.int64)
        locations = sorted({r.location for r in problem.rooms if not r.online})
        if len(locations) > 127:
            raise ValueError("rooms: more than 127 physical locations")
        self.location_code = {name: k for k, name in enumerate(locations)}
        self.room_location = np.array(
            [-1 if r.online else self.location_code[r.location] for r in problem.rooms],
            dtype=np.int64,
        )
        self.online = np.array([r.online for r in problem.rooms], dtype=bool)
        travel = problem.settings.travel_minutes
        self.travel = -(-travel // self.step)  # whole slots of buffer
        for rid, spans in grid.room_busy.items():
            r = problem.room_index[rid]
            for lo, hi in spans:
                a, b = self._span(lo, hi)
                self.room[r, a:b] = True
        for occ in grid.occurrences:
            if occ.fixed:
                lo = grid.index[occ.day] * DAY + occ.minute
                self.book(occ.meeting.members, lo, occ.meeting.duration, occ.meeting.room)

    def _span(self, lo: int, hi: int) -> tuple[int, int]:
        """Slots touched by minutes [lo, hi), clipped to the horizon."""
        a = max(lo // self.step, 0)
        b = min(-(-hi // self.step), self.n_slots)
        return a, b

    def book(self, participants: Sequence[str], start: int, duration: int, room: str) -> None:
        """Take the people and the room for [start, start + duration) minutes."""
        problem = self.problem
        r = problem.room_index[room]
        a, b = self._span(start, start + duration)
        day = start // DAY
        code = int(self.room_location[r])
        for pid in participants:
            p = problem.person_index[pid]
            self.busy[p, a:b] = True
            if code >= 0:
                self.loc[p, a:b] = code
            if 0 <= day < self.n_days:
                self.count[p, day] += 1
                self.minutes[p, day] += duration
        if not self.online[r]:
            self.room[r, a:b] = True

    def options(self, session: Session, starts: IntArray, rooms: Sequence[int]) -> BoolArray:
        """(room, start) -> feasible now, for the given start minutes (each one the grid allows:
        ``Grid.starts``) and room indices (each one fitting the session)."""
        out = np.zeros((len(rooms), starts.size), dtype=bool)
        if starts.size == 0 or not rooms:
            return out
        n = -(-session.duration // self.step)
        people = [self.problem.person_index[pid] for pid in session.participants]
        live = np.flatnonzero(self.people_ok(session, people, starts))
        if live.size == 0:
            return out
        c = starts[live] // self.step
        day = starts[live] // DAY
        codes = [int(self.room_location[r]) for r in rooms]
        # Travel: no item at another physical location within the buffer, on the same day.
        travel: dict[int, BoolArray] = {}
        wanted = set(codes) - {-1}
        if self.travel > 0 and wanted:
            offsets = np.arange(-self.travel, n + self.travel, dtype=np.int64)
            slots = c[:, None] + offsets[None, :]
            first = (day * self.per_day)[:, None]
            inside = (slots >= first) & (slots < first + self.per_day)
            slots = np.clip(slots, 0, self.n_slots - 1)
            near = [np.where(inside, self.loc[p][slots], -1) for p in people]
            near = [g for g in near if (g >= 0).any()]
            for code in wanted:
                t_ok = np.ones(c.size, dtype=bool)
                for g in near:
                    t_ok &= ~((g >= 0) & (g != code)).any(axis=1)
                travel[code] = t_ok
        phys = [k for k, r in enumerate(rooms) if not self.online[r]]
        if phys:
            idx = np.array([rooms[k] for k in phys], dtype=np.int64)
            taken = np.zeros((idx.size, c.size), dtype=bool)
            for k in range(n):
                taken |= self.room[np.ix_(idx, c + k)]
            for row, k in enumerate(phys):
                free = ~taken[row]
                if codes[k] in travel:
                    free &= travel[codes[k]]
                out[k, live] = free
        for k, r in enumerate(rooms):
            if self.online[r]:
                out[k, live] = True
        return out

    def people_ok(self, session: Session, people: Sequence[int], starts: IntArray) -> BoolArray:
        """Starts where no participant is booked and everyone stays within the daily loads."""
        c = starts // self.step
        n = -(-session.duration // self.step)
        day = starts // DAY
        ok = np.ones(c.size, dtype=bool)
        for p in people:
            row = self.busy[p]
            for k in range(n):
                ok &= ~row[c + k]
            ok &= self.count[p, day] < self.max_count[p]
            ok &= self.minutes[p, day] + session.duration <= self.max_minutes[p]
        return ok


def _meeting_of(grid: Grid) -> dict[str, str]:
    return {o.id: o.meeting.id for o in grid.occurrences}


def _unscheduled(grid: Grid, book: Book, session: Session, rooms: Sequence[int]) -> Unscheduled:
    """Why a session found no place, with the counts behind the reason."""
    first, last = grid.window(session)
    open_days = workdays(grid, first, last)
    loose = grid.starts(session, people=False)
    counts = {"working_days": len(open_days), "window_starts": int(loose.size)}
    if not open_days or loose.size == 0:
        detail = (
            f"no working day between {first.isoformat()} and {last.isoformat()} in the horizon"
            if not open_days
            else f"no start between {first.isoformat()} and {last.isoformat()} fits "
            f"{session.duration} minutes inside one block"
        )
        return Unscheduled(session.id, WINDOW_EMPTY, detail, None, counts)
    if not rooms:
        return Unscheduled(
            session.id,
            NO_ROOM,
            f"no room holds {len(session.participants)} people with "
            f"{sorted(session.equipment) or 'no equipment'} for mode {session.mode}",
            None,
            counts,
        )
    starts = grid.starts(session)
    counts["common_starts"] = int(starts.size)
    index = grid.problem.person_index
    if starts.size == 0:
        # The participant free least often in the window blocks most.
        worst = min(
            session.participants,
            key=lambda pid: int(np.isin(loose, grid.starts(_alone(session, pid))).sum()),
        )
        return Unscheduled(
            session.id,
            NO_COMMON_TIME,
            f"the participants are never free together between {first.isoformat()} and "
            f"{last.isoformat()}",
            worst,
            counts,
        )
    taken = {
        pid: int((~book.people_ok(session, [index[pid]], starts)).sum())
        for pid in session.participants
    }
    blocker = max(session.participants, key=lambda pid: taken[pid])
    counts["starts_taken_by_blocker"] = taken[blocker]
    return Unscheduled(
        session.id,
        CROWDED,
        f"{starts.size} common starts exist, but other sessions took them "
        f"(most by {blocker}'s bookings)",
        blocker if taken[blocker] else None,
        counts,
    )


def _alone(session: Session, pid: str) -> Session:
    return Session(
        id=session.id,
        kind=session.kind,
        cases=session.cases,
        duration=session.duration,
        participants=(pid,),
        deadline=session.deadline,
        earliest=session.earliest,
    )


def mean_slack_days(grid: Grid, placements: Sequence[tuple[str, int, str]]) -> float | None:
    """Mean working days between each placed session's day and its deadline."""
    sessions = {s.id: s for s in grid.sessions}
    values = [
        grid.workdays_left(start, sessions[sid].deadline, 10**6)
        for sid, start, _ in placements
        if sid in sessions
    ]
    return round(float(np.mean(values)), 3) if values else None


def greedy(problem: SchedulingProblem, grid: Grid | None = None) -> Schedule:
    """Earliest fit in input order (see the module docstring)."""
    started = time.perf_counter()
    grid = Grid(problem) if grid is None else grid
    book = Book(grid)
    rooms = problem.rooms
    meeting_of = _meeting_of(grid)
    placed: list[tuple[Session, int, int]] = []  # (session, start minute, room index)
    unscheduled: list[Unscheduled] = []

    def put(session: Session, start: int, r: int) -> None:
        book.book(session.participants, start, session.duration, rooms[r].id)
        placed.append((session, start, r))

    # Pinned sessions first, at their published placement, whatever else holds.
    pinned = [s for s in grid.sessions if s.pinned and s.published is not None]
    for s in pinned:
        assert s.published is not None
        put(s, grid.to_minute(s.published.start), problem.room_index[s.published.room])
    occurrences = [s for s in grid.sessions if s.kind == REGULAR_MEETING and s.id in meeting_of]
    rest = [s for s in grid.sessions if not s.pinned and s.id not in meeting_of]
    for s in [*occurrences, *rest]:
        order = room_order(problem, s)
        starts = grid.starts(s)
        if s.published is not None:
            # A coordinator keeps a published session where it is while that still works.
            at = grid.to_minute(s.published.start)
            r = problem.room_index[s.published.room]
            if r in order and np.isin(at, starts):
                here = book.options(s, np.array([at], dtype=np.int64), [r])
                if here[0, 0]:
                    put(s, at, r)
                    continue
        ok = book.options(s, starts, order)
        anywhere = ok.any(axis=0)
        if not anywhere.any():
            unscheduled.append(_unscheduled(grid, book, s, order))
            continue
        j = int(np.argmax(anywhere))
        put(s, int(starts[j]), order[int(np.argmax(ok[:, j]))])

    items = [(s.id, start, rooms[r].id) for s, start, r in placed]
    score = evaluate(grid, items)
    out: list[Placed] = []
    for s, start, r in placed:
        out.append(
            Placed(
                session=s.id,
                kind=s.kind,
                cases=s.cases,
                start=grid.to_datetime(start),
                end=grid.to_datetime(start + s.duration),
                room=rooms[r].id,
                participants=s.participants,
                meeting=meeting_of.get(s.id),
            )
        )
    for occ in grid.occurrences:
        if occ.fixed:
            lo = grid.index[occ.day] * DAY + occ.minute
            out.append(
                Placed(
                    session=occ.id,
                    kind=REGULAR_MEETING,
                    cases=(),
                    start=grid.to_datetime(lo),
                    end=grid.to_datetime(lo + occ.meeting.duration),
                    room=occ.meeting.room,
                    participants=occ.meeting.members,
                    meeting=occ.meeting.id,
                )
            )
    out.sort(key=lambda p: (p.start, p.session))
    moved = _moves(grid, placed)
    return Schedule(
        status=FEASIBLE,
        objective=score.objective,
        bound=score.objective,
        seconds=time.perf_counter() - started,
        sessions=tuple(out),
        unscheduled=tuple(unscheduled),
        moved=moved,
        fallback_years=grid.fallback_years,
        kpis={
            "sessions_placed": float(len(placed)),
            "sessions_unscheduled": float(len(unscheduled)),
            "mean_slack_days": mean_slack_days(grid, items) or 0.0,
        },
        stats={"terms": dict(score.terms)},
    )


def _moves(grid: Grid, placed: Sequence[tuple[Session, int, int]]) -> tuple[Move, ...]:
    """Published sessions the schedule places elsewhere or not at all."""
    rooms = grid.problem.rooms
    where = {s.id: (start, rooms[r].id) for s, start, r in placed}
    out: list[Move] = []
    for s in grid.sessions:
        if s.published is None:
            continue
        old = (grid.to_minute(s.published.start), s.published.room)
        new = where.get(s.id)
        if new == old:
            continue
        out.append(
            Move(
                session=s.id,
                old_start=s.published.start,
                old_room=s.published.room,
                new_start=None if new is None else grid.to_datetime(new[0]),
                new_room=None if new is None else new[1],
            )
        )
    return tuple(out)


def workdays(grid: Grid, first: date, last: date) -> list[date]:
    """Working days of the horizon in [first, last]."""
    out = []
    day = first
    while day <= last:
        k = grid.index.get(day)
        if k is not None and grid.workday[k]:
            out.append(day)
        day += timedelta(days=1)
    return out
