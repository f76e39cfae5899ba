"""The scheduling problem: frozen dataclasses with plain IDs, aware datetimes and integer minutes.

Validated once, on construction; every error names the field and the ID. The JSON form is
documented by ``scheduler/instance.schema.json`` (see :mod:`scheduler.instance`).

Time: the center works in Asia/Shanghai. Days are civil dates; times of day are integer minutes
after midnight on a 15- or 30-minute grid. Court hours come in a morning and an afternoon block,
with a different afternoon in summer. A session fits inside one block: never across lunch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from types import MappingProxyType
from zoneinfo import ZoneInfo

from .workdays import YearSchedule

TZ = ZoneInfo("Asia/Shanghai")

# Session kinds (DESIGN.md vocabulary).
MEDIATION = "mediation"
JOINT_MEDIATION = "joint_mediation"
EVALUATION = "evaluation"
CASE_CONFERENCE = "case_conference"
REGULAR_MEETING = "regular_meeting"
TRAINING = "training"
KINDS = (MEDIATION, JOINT_MEDIATION, EVALUATION, CASE_CONFERENCE, REGULAR_MEETING, TRAINING)

# Where a session may take place.
IN_PERSON, ONLINE, EITHER = "in_person", "online", "either"
MODES = (IN_PERSON, ONLINE, EITHER)

ROLES = ("mediator", "expert", "liaison_judge", "leader")
GRIDS = (15, 30)
WEIGHT_NAMES = ("slack", "fast_track", "balance", "locations", "preference", "stability")
MAX_WEIGHT = 100


class ProblemError(ValueError):
    """An invalid instance; the message names the field and the ID."""


@dataclass(frozen=True)
class Block:
    """A block of court hours, minutes after midnight, [start, end)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= 24 * 60:
            raise ProblemError(f"hours: block {self.start}-{self.end} is not within one day")

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class CourtHours:
    """Morning and afternoon blocks; from ``summer_start`` to ``summer_end`` (month, day),
    inclusive, the afternoon is ``summer_afternoon``."""

    morning: Block = Block(8 * 60 + 30, 12 * 60)
    afternoon: Block = Block(14 * 60 + 30, 17 * 60 + 30)
    summer_afternoon: Block | None = Block(15 * 60, 18 * 60)
    summer_start: tuple[int, int] = (5, 1)
    summer_end: tuple[int, int] = (9, 30)

    def __post_init__(self) -> None:
        for name in ("afternoon", "summer_afternoon"):
            block = getattr(self, name)
            if block is not None and block.start < self.morning.end:
                raise ProblemError(f"hours.{name}: must start after the morning block ends")

    def blocks(self, day: date) -> tuple[Block, Block]:
        summer = (
            self.summer_afternoon is not None
            and self.summer_start <= (day.month, day.day) <= self.summer_end
        )
        afternoon = self.summer_afternoon if summer and self.summer_afternoon else self.afternoon
        return self.morning, afternoon


@dataclass(frozen=True)
class Weights:
    """Leadership's weights for the schedule, each an integer in [0, MAX_WEIGHT]."""

    slack: int = 5  # finish early: working days left before the deadline
    fast_track: int = 20  # small claims heard within the fast-track target
    balance: int = 3  # spread each person's sessions over days
    locations: int = 10  # fewer changes of location in a person's day
    preference: int = 4  # preferred days and rooms
    stability: int = 30  # keep the published schedule

    def __post_init__(self) -> None:
        for name in WEIGHT_NAMES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ProblemError(f"weights.{name}: must be an integer, got {value!r}")
            if not 0 <= value <= MAX_WEIGHT:
                raise ProblemError(f"weights.{name}: {value} is out of range [0, {MAX_WEIGHT}]")


@dataclass(frozen=True)
class Settings:
    today: date
    horizon_days: int = 42  # calendar days from today (inclusive) that may hold sessions
    grid: int = 30  # minutes
    notice_days: int = 2  # working days of notice before a session may be held
    travel_minutes: int = 60  # between sessions at two locations on one day
    fast_track_days: int = 10  # working days: small claims get a session within this
    hours: CourtHours = CourtHours()
    # Official schedules for years chinese-calendar does not cover.
    year_schedules: tuple[YearSchedule, ...] = ()
    weekend_fallback: bool = False  # explicitly accept weekends-only for uncovered years

    def __post_init__(self) -> None:
        if self.grid not in GRIDS:
            raise ProblemError(f"settings.grid: {self.grid} is not one of {GRIDS}")
        if not 1 <= self.horizon_days <= 366:
            raise ProblemError(f"settings.horizon_days: {self.horizon_days} not in [1, 366]")
        for name in ("notice_days", "travel_minutes", "fast_track_days"):
            if getattr(self, name) < 0:
                raise ProblemError(f"settings.{name}: must not be negative")
        for name in ("morning", "afternoon", "summer_afternoon"):
            block = getattr(self.hours, name)
            if block is not None and (block.start % self.grid or block.end % self.grid):
                raise ProblemError(
                    f"settings.hours.{name}: {block.start}-{block.end} is off the "
                    f"{self.grid}-minute grid"
                )


@dataclass(frozen=True)
class Room:
    id: str
    name: str = ""
    capacity: int = 8
    equipment: frozenset[str] = frozenset()
    location: str = "center"  # rooms at one location need no travel between them
    online: bool = False  # the online room: any number of sessions at once
    closed: tuple[Busy, ...] = ()  # times the room cannot be used (works, another event)

    def __post_init__(self) -> None:
        if self.capacity < 0:
            raise ProblemError(f"rooms[{self.id}].capacity: must not be negative")


@dataclass(frozen=True)
class Availability:
    """A weekly window: weekday 0 (Monday) to 6, minutes [start, end)."""

    weekday: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6 or not 0 <= self.start < self.end <= 24 * 60:
            raise ProblemError(f"availability {self}: weekday 0-6 and 0 <= start < end <= 1440")


@dataclass(frozen=True)
class Busy:
    """Fixed busy time: a court hearing, a published session outside this problem, leave."""

    start: datetime
    end: datetime
    label: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ProblemError(f"busy {self.label!r}: times need a time zone")
        if self.end <= self.start:
            raise ProblemError(f"busy {self.label!r}: ends before it starts")


@dataclass(frozen=True)
class Person:
    id: str
    name: str = ""
    role: str = "mediator"  # mediator, expert, liaison_judge, leader
    # Weekly windows when they can sit; empty means all court hours.
    availability: tuple[Availability, ...] = ()
    leave: tuple[tuple[date, date], ...] = ()  # inclusive date ranges
    busy: tuple[Busy, ...] = ()
    max_sessions_per_day: int = 4
    max_minutes_per_day: int = 6 * 60

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ProblemError(f"people[{self.id}].role: unknown role {self.role!r}")
        if self.max_sessions_per_day < 0 or self.max_minutes_per_day < 0:
            raise ProblemError(f"people[{self.id}]: daily limits must not be negative")
        for first, last in self.leave:
            if last < first:
                raise ProblemError(f"people[{self.id}].leave: {first} to {last} is reversed")

    def on_leave(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.leave)


@dataclass(frozen=True)
class Placement:
    """Where and when a session is (or was published): start in Asia/Shanghai, a room."""

    start: datetime
    room: str


@dataclass(frozen=True)
class Session:
    """A session to place. Joint sessions and case conferences are sessions whose participants
    are everyone required (the team and the liaison judge; leaders, presiding mediators and
    liaison judges); a conference covers several cases."""

    id: str
    kind: str
    cases: tuple[str, ...]
    duration: int  # minutes, a multiple of the grid
    participants: tuple[str, ...]
    deadline: date  # last day it may be held (the case's statutory deadline)
    earliest: date | None = None  # first day; default: today plus the notice lead
    mode: str = EITHER
    equipment: frozenset[str] = frozenset()
    small_claims: bool = False
    preferred_days: tuple[date, ...] = ()
    preferred_rooms: tuple[str, ...] = ()
    published: Placement | None = None  # where it stands in the published schedule
    pinned: bool = False  # must stay at ``published``

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ProblemError(f"sessions[{self.id}].kind: unknown kind {self.kind!r}")
        if self.mode not in MODES:
            raise ProblemError(f"sessions[{self.id}].mode: unknown mode {self.mode!r}")
        if self.duration <= 0:
            raise ProblemError(f"sessions[{self.id}].duration: must be positive")
        if not self.participants:
            raise ProblemError(f"sessions[{self.id}].participants: at least one is needed")
        if len(set(self.participants)) != len(self.participants):
            raise ProblemError(f"sessions[{self.id}].participants: a person is listed twice")
        if self.pinned and self.published is None:
            raise ProblemError(f"sessions[{self.id}].pinned: a pinned session needs `published`")
        if self.published is not None and self.published.start.tzinfo is None:
            raise ProblemError(f"sessions[{self.id}].published.start: needs a time zone")


@dataclass(frozen=True)
class RecurringMeeting:
    """A regular meeting (例会): an RFC 5545 RRULE from ``start`` (aware), in one room, with
    all its members. Occurrences on working days are held fixed; one that falls on a holiday is
    scheduled on a working day of the following week, with all members."""

    id: str
    title: str
    rrule: str  # e.g. "FREQ=WEEKLY;BYDAY=MO"
    start: datetime
    duration: int
    members: tuple[str, ...]
    room: str
    exdates: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ProblemError(f"meetings[{self.id}].start: needs a time zone")
        if self.duration <= 0:
            raise ProblemError(f"meetings[{self.id}].duration: must be positive")
        if not self.members:
            raise ProblemError(f"meetings[{self.id}].members: at least one is needed")


@dataclass(frozen=True)
class SchedulingProblem:
    settings: Settings
    rooms: tuple[Room, ...]
    people: tuple[Person, ...]
    sessions: tuple[Session, ...]
    meetings: tuple[RecurringMeeting, ...] = ()
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        for kind, items in (
            ("rooms", self.rooms),
            ("people", self.people),
            ("sessions", self.sessions),
            ("meetings", self.meetings),
        ):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ProblemError(f"{kind}[{item.id}]: duplicate id")
                seen.add(item.id)
        if sum(1 for r in self.rooms if r.online) > 1:
            raise ProblemError("rooms: at most one online room")
        people = self.person_index
        rooms = self.room_index
        grid = self.settings.grid
        for s in self.sessions:
            for pid in s.participants:
                if pid not in people:
                    raise ProblemError(f"sessions[{s.id}].participants: unknown person {pid!r}")
            if s.duration % grid:
                raise ProblemError(
                    f"sessions[{s.id}].duration: {s.duration} is not a multiple of the "
                    f"{grid}-minute grid"
                )
            for rid in s.preferred_rooms:
                if rid not in rooms:
                    raise ProblemError(f"sessions[{s.id}].preferred_rooms: unknown room {rid!r}")
            if s.published is not None and s.published.room not in rooms:
                raise ProblemError(
                    f"sessions[{s.id}].published.room: unknown room {s.published.room!r}"
                )
        for m in self.meetings:
            if m.room not in rooms:
                raise ProblemError(f"meetings[{m.id}].room: unknown room {m.room!r}")
            for pid in m.members:
                if pid not in people:
                    raise ProblemError(f"meetings[{m.id}].members: unknown person {pid!r}")

    @cached_property
    def person_index(self) -> Mapping[str, int]:
        return MappingProxyType({p.id: i for i, p in enumerate(self.people)})

    @cached_property
    def room_index(self) -> Mapping[str, int]:
        return MappingProxyType({r.id: i for i, r in enumerate(self.rooms)})

    @cached_property
    def online_room(self) -> Room | None:
        return next((r for r in self.rooms if r.online), None)
