"""An independent check of a schedule against its problem, without the solver.

Every test and benchmark runs it. It recomputes each hard rule from datetimes, the working-day
calendar and the problem; it does not use the time grid's feasibility masks
(:mod:`scheduler.grid`). Only the reported objective is recomputed with the shared objective
(:func:`scheduler.score.evaluate` over a :class:`~scheduler.grid.Grid`), as the solver scores it.

A schedule places three kinds of item:

* a session of the problem;
* a *fixed* occurrence of a regular meeting, one on a working day: the problem fixes it at its
  RRULE time, in its room, with all members. Only REGULAR_MEETING checks how it is placed; the
  other rules take it from the problem, as busy time of its members (PEOPLE) and of its room
  (ROOM_CONFLICT) and as part of their day (TRAVEL, DAILY_LOAD);
* a *moved* occurrence, one that fell on a rest day: placed like an in-person session on a working
  day of the following week, with all members, or listed as unscheduled.

Clashes between two things the problem itself fixes (two fixed meetings, a fixed meeting and a
room closure) are not the schedule's doing and are not reported.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from dateutil.rrule import rrulestr

from .grid import Grid
from .problem import IN_PERSON, ONLINE, TZ, RecurringMeeting, SchedulingProblem, Session
from .result import (
    DAILY_LOAD,
    DOUBLE_BOOKING,
    EQUIPMENT,
    JOINT,
    ONLINE_ROOM,
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
)
from .score import evaluate
from .workdays import WorkdayCalendar, YearNotCovered

UNKNOWN_SESSION = "unknown_session"  # an id that is neither a session nor a meeting occurrence
UNKNOWN_ROOM = "unknown_room"
UNACCOUNTED = "unaccounted"  # a session neither placed nor unscheduled, or listed twice
OBJECTIVE = "objective"  # the reported objective does not match the recomputed one
MOVE_DAYS = 7  # an occurrence on a rest day is held within the following week


@dataclass(frozen=True)
class Violation:
    rule: str  # a hard rule of scheduler.result, or one of the names above
    session: str  # session id or meeting occurrence id
    detail: str  # which person, room or day, and why

    def __str__(self) -> str:
        return f"{self.rule}: {self.session}: {self.detail}"


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a regular meeting in the horizon."""

    meeting: RecurringMeeting
    start: datetime  # Asia/Shanghai
    fixed: bool  # on a working day: held at its RRULE time

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.meeting.duration)

    @property
    def id(self) -> str:
        return f"{self.meeting.id}@{self.day.isoformat()}"


@dataclass(frozen=True)
class Item:
    """A placed session or moved occurrence, with what it requires."""

    placed: Placed
    start: datetime  # Asia/Shanghai
    end: datetime
    duration: int
    required: tuple[str, ...]  # participants or members
    mode: str
    equipment: frozenset[str]
    session: Session | None  # None for a moved occurrence
    occurrence: Occurrence | None

    @property
    def id(self) -> str:
        return self.placed.session

    @property
    def day(self) -> date:
        return self.start.date()


@dataclass(frozen=True)
class Entry:
    """A stretch of a person's day: a placed item or a fixed occurrence they are a member of."""

    id: str
    start: datetime
    end: datetime
    location: str | None  # None: online
    fixed: bool


def validate(problem: SchedulingProblem, schedule: Schedule) -> list[Violation]:
    """Every violated hard rule of ``schedule``; [] when it is valid.

    Raises YearNotCovered, as the solver does, when the horizon reaches a year without a holiday
    schedule and the weekends-only fallback is not allowed.
    """
    ctx = _Context(problem, schedule)
    return [v for check in CHECKS for v in check(ctx)]


def recompute_objective(problem: SchedulingProblem, placed: Iterable[Placed]) -> int | None:
    """The objective of the placed items as score.evaluate computes it (fixed meeting
    occurrences are not scored); None when an item cannot be scored: an unknown id or room,
    a time without a time zone, or a day outside the horizon."""
    grid = Grid(problem)
    scored = {s.id for s in grid.sessions}
    fixed = {o.id for o in grid.occurrences if o.fixed}
    rooms = {r.id for r in problem.rooms}
    rows: list[tuple[str, int, str]] = []
    for p in placed:
        if p.session in fixed:
            continue
        if p.session not in scored or p.room not in rooms or p.start.tzinfo is None:
            return None
        minute = grid.to_minute(p.start)
        if not 0 <= grid.day_of(minute) < len(grid.days):
            return None
        rows.append((p.session, minute, p.room))
    return evaluate(grid, rows).objective


# --- context -----------------------------------------------------------------------------------


class _Context:
    """The problem's lookups, the meeting occurrences and the schedule's items, built once."""

    def __init__(self, problem: SchedulingProblem, schedule: Schedule) -> None:
        s = problem.settings
        self.problem = problem
        self.schedule = schedule
        self.settings = s
        self.calendar = WorkdayCalendar(s.year_schedules, weekend_fallback=s.weekend_fallback)
        self.last_day = s.today + timedelta(days=s.horizon_days - 1)
        if not s.weekend_fallback:
            for year in range(s.today.year, self.last_day.year + 1):
                if not self.calendar.covers(year):
                    raise YearNotCovered(year)
        self.sessions = {x.id: x for x in problem.sessions}
        self.rooms = {r.id: r for r in problem.rooms}
        self.people = {p.id: p for p in problem.people}
        self.occurrences = {o.id: o for o in self._expand()}
        self._default_earliest: date | None = None
        self.items: list[Item] = []
        self.fixed: list[tuple[Placed, Occurrence]] = []
        self.unknown: list[Placed] = []
        self.naive: list[Placed] = []
        for p in schedule.sessions:
            self._classify(p)

    def _expand(self) -> list[Occurrence]:
        s = self.settings
        first = datetime.combine(s.today, time(), tzinfo=TZ)
        last = first + timedelta(days=s.horizon_days)
        out: list[Occurrence] = []
        for m in self.problem.meetings:
            rule = rrulestr(m.rrule, dtstart=m.start.astimezone(TZ))
            for moment in rule.between(first, last, inc=True):
                local = moment.astimezone(TZ)
                if local >= last or local.date() in m.exdates:
                    continue
                out.append(Occurrence(m, local, self.calendar.is_workday(local.date())))
        return out

    def _classify(self, p: Placed) -> None:
        session = self.sessions.get(p.session)
        occ = self.occurrences.get(p.session)
        if session is None and occ is None:
            self.unknown.append(p)
            return
        if p.start.tzinfo is None or p.end.tzinfo is None:
            self.naive.append(p)
            return
        if occ is not None and session is None and occ.fixed:
            self.fixed.append((p, occ))
            return
        start, end = p.start.astimezone(TZ), p.end.astimezone(TZ)
        if session is not None:
            need = (session.duration, session.participants, session.mode, session.equipment)
        else:
            assert occ is not None  # moved: like an in-person session of its members
            need = (occ.meeting.duration, occ.meeting.members, IN_PERSON, frozenset())
        moved = occ if session is None else None
        self.items.append(Item(p, start, end, *need, session=session, occurrence=moved))

    def workday(self, day: date) -> bool | None:
        """Whether ``day`` is a working day; None when no schedule covers its year."""
        try:
            return self.calendar.is_workday(day)
        except YearNotCovered:
            return None

    def default_earliest(self) -> date:
        if self._default_earliest is None:
            s = self.settings
            self._default_earliest = self.calendar.add_workdays(s.today, s.notice_days)
        return self._default_earliest

    def fixed_occurrences(self) -> list[Occurrence]:
        return [o for o in self.occurrences.values() if o.fixed]

    def known_room_items(self) -> Iterator[Item]:
        return (it for it in self.items if it.placed.room in self.rooms)

    def days(self) -> dict[tuple[str, date], list[Entry]]:
        """(person, day) -> the placed items they attend and their fixed meetings, by start."""
        out: dict[tuple[str, date], list[Entry]] = defaultdict(list)
        for it in self.items:
            room = self.rooms.get(it.placed.room)
            location = None if room is None or room.online else room.location
            for pid in set(it.placed.participants):
                out[(pid, it.day)].append(Entry(it.id, it.start, it.end, location, False))
        for occ in self.fixed_occurrences():
            room = self.rooms[occ.meeting.room]
            location = None if room.online else room.location
            for pid in occ.meeting.members:
                out[(pid, occ.day)].append(Entry(occ.id, occ.start, occ.end, location, True))
        for entries in out.values():
            entries.sort(key=lambda e: (e.start, e.end))
        return out


def _hm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _when(start: datetime, end: datetime) -> str:
    return f"{start.date().isoformat()} {_hm(start)}–{_hm(end)}"


def _minutes(moment: datetime, day: date) -> int:
    """Minutes from midnight of ``day`` to ``moment`` (Asia/Shanghai)."""
    midnight = datetime.combine(day, time(), tzinfo=TZ)
    return int((moment - midnight).total_seconds() // 60)


def _overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _covered(windows: list[tuple[int, int]], lo: int, hi: int) -> bool:
    """Whether the union of the [start, end) windows covers [lo, hi)."""
    reached = lo
    for start, end in sorted(windows):
        if start > reached:
            break
        reached = max(reached, end)
    return reached >= hi


# --- the checks, one per rule ------------------------------------------------------------------


def _unknown_session(ctx: _Context) -> Iterator[Violation]:
    for p in ctx.unknown:
        yield Violation(UNKNOWN_SESSION, p.session, f"placed {p.session!r} is not in the problem")
    for u in ctx.schedule.unscheduled:
        if u.session not in ctx.sessions and u.session not in ctx.occurrences:
            yield Violation(
                UNKNOWN_SESSION, u.session, f"unscheduled {u.session!r} is not in the problem"
            )


def _unknown_room(ctx: _Context) -> Iterator[Violation]:
    placed = [it.placed for it in ctx.items] + [p for p, _ in ctx.fixed]
    for p in placed:
        if p.room not in ctx.rooms:
            yield Violation(UNKNOWN_ROOM, p.session, f"room {p.room!r} is not in the problem")


def _unaccounted(ctx: _Context) -> Iterator[Violation]:
    placed = Counter(p.session for p in ctx.schedule.sessions)
    unscheduled = Counter(u.session for u in ctx.schedule.unscheduled)
    for sid in ctx.sessions:
        if placed[sid] + unscheduled[sid] != 1:
            yield Violation(
                UNACCOUNTED,
                sid,
                f"placed {placed[sid]} time(s) and listed {unscheduled[sid]} time(s) as "
                f"unscheduled: every session is either placed once or listed once",
            )
    for occ in ctx.fixed_occurrences():
        if placed[occ.id] > 1:
            yield Violation(UNACCOUNTED, occ.id, f"placed {placed[occ.id]} times")


def _time(ctx: _Context) -> Iterator[Violation]:
    for p in ctx.naive:
        yield Violation(TIME, p.session, f"start {p.start} or end {p.end} has no time zone")
    step = ctx.settings.grid
    for it in ctx.items:
        day = it.day
        start = _minutes(it.start, day)
        end = _minutes(it.end, day)
        if it.start.second or it.start.microsecond or start % step:
            yield Violation(TIME, it.id, f"starts at {_hm(it.start)}, off the {step}-minute grid")
        if it.end - it.start != timedelta(minutes=it.duration):
            yield Violation(
                TIME,
                it.id,
                f"{_when(it.start, it.end)} lasts {(it.end - it.start).total_seconds() / 60:g} "
                f"minutes; the session lasts {it.duration}",
            )
        working = ctx.workday(day)
        if working is None:
            yield Violation(TIME, it.id, f"no holiday schedule covers {day.year}")
            continue
        if not working:
            name = ctx.calendar.holiday_name(day)
            why = f"a public holiday ({name})" if name else "a rest day"
            yield Violation(TIME, it.id, f"{day.isoformat()} is {why}, not a working day")
            continue
        blocks = ctx.settings.hours.blocks(day)
        if not any(b.start <= start and end <= b.end for b in blocks):
            hours = ", ".join(f"{_clock(b.start)}–{_clock(b.end)}" for b in blocks)
            yield Violation(
                TIME,
                it.id,
                f"{_when(it.start, it.end)} is not inside one block of court hours ({hours})",
            )


def _window(ctx: _Context) -> Iterator[Violation]:
    s = ctx.settings
    for it in ctx.items:
        day = it.day
        if not s.today <= day <= ctx.last_day:
            yield Violation(
                WINDOW,
                it.id,
                f"{day.isoformat()} is outside the horizon {s.today.isoformat()} to "
                f"{ctx.last_day.isoformat()}",
            )
        if it.session is None:
            continue  # a moved occurrence: its week is checked by _regular_meeting
        earliest = it.session.earliest
        if earliest is None:
            earliest = ctx.default_earliest()
        if day < earliest:
            yield Violation(
                WINDOW, it.id, f"{day.isoformat()} is before its earliest day {earliest}"
            )
        if day > it.session.deadline:
            yield Violation(
                WINDOW, it.id, f"{day.isoformat()} is after its deadline {it.session.deadline}"
            )


def _people(ctx: _Context) -> Iterator[Violation]:
    meetings: dict[str, list[Occurrence]] = defaultdict(list)
    for occ in ctx.fixed_occurrences():
        for pid in occ.meeting.members:
            meetings[pid].append(occ)
    for it in ctx.items:
        day = it.day
        for pid in it.placed.participants:
            person = ctx.people.get(pid)
            if person is None:
                continue  # JOINT reports who should not be there
            if person.on_leave(day):
                yield Violation(PEOPLE, it.id, f"{pid} is on leave on {day.isoformat()}")
            if person.availability:
                windows = [
                    (w.start, w.end) for w in person.availability if w.weekday == day.weekday()
                ]
                if not _covered(windows, _minutes(it.start, day), _minutes(it.end, day)):
                    yield Violation(
                        PEOPLE,
                        it.id,
                        f"{pid} does not sit at {_when(it.start, it.end)} "
                        f"({day.strftime('%A')}): outside their weekly hours",
                    )
            for busy in person.busy:
                if _overlap(it.start, it.end, busy.start, busy.end):
                    yield Violation(
                        PEOPLE,
                        it.id,
                        f"{pid} is busy ({busy.label or 'fixed busy time'}) "
                        f"{busy.start.astimezone(TZ):%Y-%m-%d %H:%M}–"
                        f"{busy.end.astimezone(TZ):%Y-%m-%d %H:%M}",
                    )
            for occ in meetings[pid]:
                if occ.id != it.id and _overlap(it.start, it.end, occ.start, occ.end):
                    yield Violation(
                        PEOPLE,
                        it.id,
                        f"{pid} has the regular meeting {occ.id} at {_when(occ.start, occ.end)}",
                    )


def _double_booking(ctx: _Context) -> Iterator[Violation]:
    by_person: dict[str, list[Item]] = defaultdict(list)
    for it in ctx.items:
        for pid in set(it.placed.participants):
            by_person[pid].append(it)
    for pid, items in sorted(by_person.items()):
        items.sort(key=lambda it: (it.start, it.end))
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b.start >= a.end:
                    break
                yield Violation(
                    DOUBLE_BOOKING,
                    b.id,
                    f"{pid} is in {a.id} ({_when(a.start, a.end)}) and {b.id} "
                    f"({_when(b.start, b.end)}) at once",
                )


def _room_conflict(ctx: _Context) -> Iterator[Violation]:
    by_room: dict[str, list[Item]] = defaultdict(list)
    for it in ctx.known_room_items():
        if not ctx.rooms[it.placed.room].online:
            by_room[it.placed.room].append(it)
    fixed = ctx.fixed_occurrences()
    for rid, items in sorted(by_room.items()):
        items.sort(key=lambda it: (it.start, it.end))
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b.start >= a.end:
                    break
                yield Violation(
                    ROOM_CONFLICT,
                    b.id,
                    f"room {rid} holds {a.id} ({_when(a.start, a.end)}) and {b.id} "
                    f"({_when(b.start, b.end)}) at once",
                )
        for it in items:
            for closed in ctx.rooms[rid].closed:
                if _overlap(it.start, it.end, closed.start, closed.end):
                    yield Violation(
                        ROOM_CONFLICT,
                        it.id,
                        f"room {rid} is closed ({closed.label or 'closed'}) "
                        f"{closed.start.astimezone(TZ):%Y-%m-%d %H:%M}–"
                        f"{closed.end.astimezone(TZ):%Y-%m-%d %H:%M}",
                    )
            for occ in fixed:
                if occ.meeting.room == rid and _overlap(it.start, it.end, occ.start, occ.end):
                    yield Violation(
                        ROOM_CONFLICT,
                        it.id,
                        f"room {rid} holds the regular meeting {occ.id} at "
                        f"{_when(occ.start, occ.end)}",
                    )


def _room_capacity(ctx: _Context) -> Iterator[Violation]:
    for it in ctx.known_room_items():
        room = ctx.rooms[it.placed.room]
        if not room.online and len(it.placed.participants) > room.capacity:
            yield Violation(
                ROOM_CAPACITY,
                it.id,
                f"{len(it.placed.participants)} participants in room {room.id}, which seats "
                f"{room.capacity}",
            )


def _equipment(ctx: _Context) -> Iterator[Violation]:
    for it in ctx.known_room_items():
        room = ctx.rooms[it.placed.room]
        missing = it.equipment - room.equipment
        if not room.online and missing:
            yield Violation(EQUIPMENT, it.id, f"room {room.id} lacks {', '.join(sorted(missing))}")


def _online_room(ctx: _Context) -> Iterator[Violation]:
    for it in ctx.known_room_items():
        room = ctx.rooms[it.placed.room]
        if it.mode == ONLINE and not room.online:
            yield Violation(
                ONLINE_ROOM, it.id, f"an online session in room {room.id}, not the online room"
            )
        if it.mode == IN_PERSON and room.online:
            yield Violation(
                ONLINE_ROOM, it.id, f"an in-person session in the online room {room.id}"
            )


def _travel(ctx: _Context) -> Iterator[Violation]:
    need = timedelta(minutes=ctx.settings.travel_minutes)
    for (pid, day), entries in sorted(ctx.days().items()):
        physical = [e for e in entries if e.location is not None]
        for a, b in pairwise(physical):
            if (a.fixed and b.fixed) or b.start < a.end or a.location == b.location:
                continue  # fixed by the problem, or already a double booking
            if b.start - a.end < need:
                yield Violation(
                    TRAVEL,
                    a.id if b.fixed else b.id,
                    f"{pid} has {(b.start - a.end).total_seconds() / 60:g} minutes on "
                    f"{day.isoformat()} to go from {a.location} ({a.id}, ends {_hm(a.end)}) to "
                    f"{b.location} ({b.id}, starts {_hm(b.start)}); travel needs "
                    f"{ctx.settings.travel_minutes}",
                )


def _daily_load(ctx: _Context) -> Iterator[Violation]:
    for (pid, day), entries in sorted(ctx.days().items()):
        person = ctx.people.get(pid)
        placed = [e.id for e in entries if not e.fixed]
        if person is None or not placed:
            continue
        count = len(entries)
        minutes = sum(int((e.end - e.start).total_seconds() // 60) for e in entries)
        ids = ", ".join(e.id for e in entries)
        if count > person.max_sessions_per_day:
            yield Violation(
                DAILY_LOAD,
                placed[-1],
                f"{pid} has {count} sessions on {day.isoformat()} ({ids}); at most "
                f"{person.max_sessions_per_day}",
            )
        if minutes > person.max_minutes_per_day:
            yield Violation(
                DAILY_LOAD,
                placed[-1],
                f"{pid} has {minutes} minutes of sessions on {day.isoformat()} ({ids}); at most "
                f"{person.max_minutes_per_day}",
            )


def _attendance(placed: tuple[str, ...], required: tuple[str, ...]) -> str | None:
    """What is wrong with who attends, or None."""
    missing = [pid for pid in required if pid not in placed]
    extra = sorted(set(placed) - set(required))
    twice = sorted(pid for pid, n in Counter(placed).items() if n > 1)
    problems = []
    if missing:
        problems.append(f"{', '.join(missing)} required but absent")
    if extra:
        problems.append(f"{', '.join(extra)} not a participant")
    if twice:
        problems.append(f"{', '.join(twice)} listed twice")
    return "; ".join(problems) or None


def _joint(ctx: _Context) -> Iterator[Violation]:
    for it in ctx.items:
        if it.session is not None:
            wrong = _attendance(it.placed.participants, it.required)
            if wrong:
                yield Violation(JOINT, it.id, f"everyone required attends: {wrong}")


def _regular_meeting(ctx: _Context) -> Iterator[Violation]:
    placed = Counter(p.session for p in ctx.schedule.sessions)
    unscheduled = Counter(u.session for u in ctx.schedule.unscheduled)
    for occ in ctx.occurrences.values():
        m = occ.meeting
        if occ.fixed and placed[occ.id] == 0:
            yield Violation(
                REGULAR_MEETING,
                occ.id,
                f"{m.title or m.id} on working day {occ.day.isoformat()} is not held",
            )
        if occ.fixed and unscheduled[occ.id]:
            yield Violation(
                REGULAR_MEETING,
                occ.id,
                f"listed as unscheduled, but {occ.day.isoformat()} is a working day: it is held "
                f"at its time",
            )
        if not occ.fixed and placed[occ.id] + unscheduled[occ.id] != 1:
            yield Violation(
                REGULAR_MEETING,
                occ.id,
                f"falls on rest day {occ.day.isoformat()}; placed {placed[occ.id]} time(s) and "
                f"listed {unscheduled[occ.id]} time(s) as unscheduled: it is placed once in the "
                f"following week or listed once",
            )
    for p, occ in ctx.fixed:
        m = occ.meeting
        if p.start != occ.start or p.end != occ.end:
            yield Violation(
                REGULAR_MEETING,
                p.session,
                f"at {_when(p.start.astimezone(TZ), p.end.astimezone(TZ))}, not at its fixed "
                f"time {_when(occ.start, occ.end)}",
            )
        if p.room != m.room:
            yield Violation(
                REGULAR_MEETING, p.session, f"in room {p.room}, not in its room {m.room}"
            )
        yield from _meeting_placed(p, occ)
    for it in ctx.items:
        if it.occurrence is None:
            continue
        occ = it.occurrence
        last = occ.day + timedelta(days=MOVE_DAYS)
        if not occ.day < it.day <= last:
            yield Violation(
                REGULAR_MEETING,
                it.id,
                f"falls on rest day {occ.day.isoformat()} but is held on {it.day.isoformat()}, "
                f"not between {(occ.day + timedelta(days=1)).isoformat()} and "
                f"{last.isoformat()}",
            )
        yield from _meeting_placed(it.placed, occ)


def _meeting_placed(p: Placed, occ: Occurrence) -> Iterator[Violation]:
    m = occ.meeting
    if p.meeting != m.id:
        yield Violation(
            REGULAR_MEETING, p.session, f"`meeting` is {p.meeting!r}, expected {m.id!r}"
        )
    wrong = _attendance(p.participants, m.members)
    if wrong:
        yield Violation(REGULAR_MEETING, p.session, f"all members attend: {wrong}")


def _pins(ctx: _Context) -> Iterator[Violation]:
    for s in ctx.problem.sessions:
        if not s.pinned or s.published is None:
            continue
        pub = s.published
        where = f"{pub.start.astimezone(TZ):%Y-%m-%d %H:%M} in room {pub.room}"
        places = [p for p in ctx.schedule.sessions if p.session == s.id]
        if not places:
            yield Violation(PINS, s.id, f"pinned at {where} but not placed")
        for p in places:
            if p.start != pub.start or p.room != pub.room:
                start = p.start.astimezone(TZ) if p.start.tzinfo else p.start
                yield Violation(
                    PINS,
                    s.id,
                    f"pinned at {where} but placed at {start:%Y-%m-%d %H:%M} in room {p.room}",
                )


def _objective(ctx: _Context) -> Iterator[Violation]:
    recomputed = recompute_objective(ctx.problem, ctx.schedule.sessions)
    if recomputed is not None and recomputed != ctx.schedule.objective:
        yield Violation(
            OBJECTIVE, "", f"reported {ctx.schedule.objective}, recomputed {recomputed}"
        )


CHECKS: tuple[Callable[[_Context], Iterator[Violation]], ...] = (
    _unknown_session,
    _unknown_room,
    _unaccounted,
    _time,
    _window,
    _people,
    _double_booking,
    _room_conflict,
    _room_capacity,
    _equipment,
    _online_room,
    _travel,
    _daily_load,
    _joint,
    _regular_meeting,
    _pins,
    _objective,
)
