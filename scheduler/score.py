"""The schedule's objective, in integer units, shared by the solver, the greedy baseline and the
validator, so that every schedule is scored by the same function.

objective = Σ sessions (slack + preference − fast-track lateness − moved)
            − balance (a person's second and later sessions on one day)
            − location changes (a person's extra physical locations on one day)
            − MISSED × unscheduled sessions

Leadership's weights scale every term (``Weights``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .grid import Grid
from .problem import Session

SLACK_CAP = 10  # working days of slack beyond which finishing earlier earns nothing
MISSED = 10_000  # per unscheduled session: scheduling comes before every preference
TERMS = ("slack", "fast_track", "balance", "locations", "preference", "stability", "missed")


@dataclass(frozen=True)
class Breakdown:
    objective: int
    terms: dict[str, int]
    unscheduled: int


def session_terms(grid: Grid, session: Session, start: int, room: str) -> dict[str, int]:
    """The per-session terms of one placement (start in grid minutes)."""
    problem = grid.problem
    w = problem.weights
    s = problem.settings
    terms = {
        "slack": w.slack * grid.workdays_left(start, session.deadline, SLACK_CAP),
        "fast_track": 0,
        "preference": 0,
        "stability": 0,
    }
    if session.small_claims:
        late = grid.workdays_from_today(start) - s.fast_track_days
        terms["fast_track"] = -w.fast_track * max(0, late)
    day = grid.days[grid.day_of(start)]
    if day in session.preferred_days:
        terms["preference"] += w.preference
    if room in session.preferred_rooms:
        terms["preference"] += w.preference
    if session.published is not None:
        old = grid.to_minute(session.published.start)
        if old != start or session.published.room != room:
            terms["stability"] = -w.stability
    return terms


def evaluate(grid: Grid, placements: Iterable[tuple[str, int, str]]) -> Breakdown:
    """Score placements given as (session id, start minute, room id); sessions of the grid
    not placed count as unscheduled."""
    problem = grid.problem
    w = problem.weights
    sessions = {s.id: s for s in grid.sessions}
    rooms = {r.id: r for r in problem.rooms}
    terms = dict.fromkeys(TERMS, 0)
    per_day: dict[tuple[str, int], int] = defaultdict(int)
    places: dict[tuple[str, int], set[str]] = defaultdict(set)
    placed: set[str] = set()
    for sid, start, room in placements:
        session = sessions[sid]
        placed.add(sid)
        for name, value in session_terms(grid, session, start, room).items():
            terms[name] += value
        day = grid.day_of(start)
        for pid in session.participants:
            per_day[(pid, day)] += 1
            if not rooms[room].online:
                places[(pid, day)].add(rooms[room].location)
    terms["balance"] = -w.balance * sum(n - 1 for n in per_day.values() if n > 1)
    terms["locations"] = -w.locations * sum(len(v) - 1 for v in places.values() if len(v) > 1)
    missing = sum(1 for s in grid.sessions if s.id not in placed)
    terms["missed"] = -MISSED * missing
    return Breakdown(objective=sum(terms.values()), terms=terms, unscheduled=missing)
