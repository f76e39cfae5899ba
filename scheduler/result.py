"""What the scheduler returns: placements, unscheduled sessions with reasons, moves, figures.

Hard rules and reason codes are named constants shared by the solver, the validator, the API
and the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Hard rules.
TIME = "time"  # working day, inside one block of court hours, never across lunch, on the grid
WINDOW = "window"  # after the notice lead, on or before the deadline
PEOPLE = "people"  # every participant available: weekly hours, leave, fixed busy time
DOUBLE_BOOKING = "double_booking"  # nobody in two sessions at once
ROOM_CONFLICT = "room_conflict"  # no physical room holds two sessions at once
ROOM_CAPACITY = "room_capacity"
EQUIPMENT = "equipment"
ONLINE_ROOM = "online_room"  # online sessions in the online room; in-person ones never there
TRAVEL = "travel"  # a buffer between sessions at two locations on one day
DAILY_LOAD = "daily_load"  # sessions and minutes per person per day
JOINT = "joint"  # every required participant attends (joint sessions, conferences)
REGULAR_MEETING = "regular_meeting"  # every occurrence held with all members
PINS = "pins"  # pinned sessions stay where they were published
HARD_RULES = (
    TIME,
    WINDOW,
    PEOPLE,
    DOUBLE_BOOKING,
    ROOM_CONFLICT,
    ROOM_CAPACITY,
    EQUIPMENT,
    ONLINE_ROOM,
    TRAVEL,
    DAILY_LOAD,
    JOINT,
    REGULAR_MEETING,
    PINS,
)

# Why a session could not be scheduled.
NO_COMMON_TIME = "no_common_time"  # the participants are never free together in the window
WINDOW_EMPTY = "window_empty"  # no working day between the notice lead and the deadline
NO_ROOM = "no_room"  # no room fits the participants and the equipment
CROWDED = "crowded"  # slots exist, but other sessions took them

OPTIMAL, FEASIBLE, UNKNOWN = "optimal", "feasible", "unknown"


class Cancelled(Exception):
    """The solve was stopped by its ``stop`` event before it finished."""


@dataclass(frozen=True)
class Placed:
    session: str
    kind: str
    cases: tuple[str, ...]
    start: datetime  # Asia/Shanghai
    end: datetime
    room: str
    participants: tuple[str, ...]
    meeting: str | None = None  # the regular meeting this is an occurrence of

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.session,
            "case": self.cases[0] if len(self.cases) == 1 else list(self.cases),
            "cases": list(self.cases),
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "room": self.room,
            "participants": list(self.participants),
        }
        if self.meeting is not None:
            out["meeting"] = self.meeting
        return out


@dataclass(frozen=True)
class Unscheduled:
    session: str
    reason: str
    detail: str  # a sentence for the coordinator
    blocker: str | None = None  # the participant or room that blocks it most
    free_slots: dict[str, int] = field(default_factory=dict)  # counts behind the reason

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.session,
            "reason": self.reason,
            "detail": self.detail,
            "blocker": self.blocker,
            "free_slots": dict(self.free_slots),
        }


@dataclass(frozen=True)
class Move:
    """A published session the result moves (its iCal SEQUENCE goes up when published)."""

    session: str
    old_start: datetime
    old_room: str
    new_start: datetime | None  # None: it could not be placed again
    new_room: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.session,
            "old": {"start": self.old_start.isoformat(), "room": self.old_room},
            "new": (
                None
                if self.new_start is None
                else {"start": self.new_start.isoformat(), "room": self.new_room}
            ),
        }


@dataclass(frozen=True)
class Progress:
    seconds: float
    objective: int
    bound: int


@dataclass(frozen=True)
class Schedule:
    status: str
    objective: int
    bound: int
    seconds: float
    sessions: tuple[Placed, ...]
    unscheduled: tuple[Unscheduled, ...]
    moved: tuple[Move, ...] = ()
    fallback_years: tuple[int, ...] = ()  # years scheduled on the weekends-only fallback
    kpis: dict[str, float] = field(default_factory=dict)
    progress: tuple[Progress, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        if self.bound == 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / abs(self.bound))

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": round(self.gap, 6),
            "seconds": round(self.seconds, 3),
            "sessions": [p.as_json() for p in self.sessions],
            "unscheduled": [u.as_json() for u in self.unscheduled],
            "moved": [m.as_json() for m in self.moved],
            "fallback_years": list(self.fallback_years),
            "kpis": dict(self.kpis),
            "progress": [
                {"seconds": round(p.seconds, 3), "objective": p.objective, "bound": p.bound}
                for p in self.progress
            ],
            "stats": dict(self.stats),
        }
