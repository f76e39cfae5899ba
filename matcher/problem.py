"""The matching problem: frozen dataclasses with plain IDs, integer minutes and integer scores.

Validated once, on construction; every error names the field and the ID. Nothing else in the
package converts units. See ``matcher/instance.schema.json`` for the JSON form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import MappingProxyType

MEDIATOR = "mediator"
EXPERT = "expert"
ROLES = (MEDIATOR, EXPERT)

CATEGORIES = (
    "financial_loan",
    "credit_card",
    "insurance",
    "guarantee",
    "financial_leasing",
    "securities_futures",
    "deposit",
    "financial_tort",
    "other_financial",
)
SIMPLE, ORDINARY, COMPLEX, MAJOR = "simple", "ordinary", "complex", "major"
COMPLEXITIES = (SIMPLE, ORDINARY, COMPLEX, MAJOR)
TEAM_COMPLEXITIES = (COMPLEX, MAJOR)

WEIGHT_NAMES = ("specialty", "workload", "rotation", "batch", "locality", "urgency", "stability")
MAX_WEIGHT = 100


class ProblemError(ValueError):
    """An invalid instance; the message names the field and the ID."""


@dataclass(frozen=True)
class Weights:
    """Leadership's weights, each an integer in [0, MAX_WEIGHT]."""

    specialty: int = 10
    workload: int = 8
    rotation: int = 4
    batch: int = 6
    locality: int = 3
    urgency: int = 5
    stability: int = 2

    def __post_init__(self) -> None:
        for name in WEIGHT_NAMES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ProblemError(f"weights.{name}: must be an integer, got {value!r}")
            if not 0 <= value <= MAX_WEIGHT:
                raise ProblemError(f"weights.{name}: {value} is out of range [0, {MAX_WEIGHT}]")

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in WEIGHT_NAMES}


@dataclass(frozen=True)
class Settings:
    today: date
    lookback_days: int = 730  # affiliations that ended this recently still recuse
    # Session minutes a case of each complexity needs before its deadline.
    minutes_needed: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(
            {SIMPLE: 120, ORDINARY: 180, COMPLEX: 360, MAJOR: 480}
        )
    )
    urgent_days: int = 10  # a deadline this close makes urgency count
    early_days: int = 5  # free time within this many days is "early"
    pure: bool = False  # side constraints off: one mediator per case, no teams or balance

    def __post_init__(self) -> None:
        if self.lookback_days < 0:
            raise ProblemError(f"settings.lookback_days: {self.lookback_days} is negative")
        for complexity in COMPLEXITIES:
            minutes = self.minutes_needed.get(complexity)
            if minutes is None or minutes < 0:
                raise ProblemError(
                    f"settings.minutes_needed.{complexity}: must be a non-negative integer"
                )


@dataclass(frozen=True)
class Affiliation:
    institution: str
    until: date | None = None  # None: current


@dataclass(frozen=True)
class Person:
    id: str
    roles: frozenset[str]
    specialties: Mapping[str, int]  # category -> level 1..5
    capacity: int  # most concurrent cases
    active_cases: int = 0
    evaluation: frozenset[str] = frozenset()  # categories they may evaluate neutrally
    is_senior: bool = False
    base_court: str | None = None
    roster_courts: frozenset[str] = frozenset()
    affiliations: tuple[Affiliation, ...] = ()
    conflict_institutions: frozenset[str] = frozenset()  # declared conflicts
    conflict_cases: frozenset[str] = frozenset()
    free_minutes: tuple[int, ...] = ()  # free minutes on each day from settings.today
    recent_assignments: int = 0  # assignments in the rotation window
    batches: frozenset[str] = frozenset()  # batch keys this person already keeps


@dataclass(frozen=True)
class Member:
    person: str
    role: str
    presiding: bool = False


@dataclass(frozen=True)
class Case:
    id: str
    court: str
    category: str
    complexity: str
    deadline: date
    parties: frozenset[str] = frozenset()  # party institution IDs
    instance: int | None = None  # None for 委派, else 1 or 2
    is_small_claim: bool = False
    needs_evaluation: bool = False
    batch: str | None = None
    chosen_mediator: str | None = None  # the parties' joint choice: binding
    pins: tuple[Member, ...] = ()  # the coordinator's pins: binding
    other_roles: frozenset[str] = frozenset()  # people with another role in this case
    waivers: frozenset[str] = frozenset()  # people whose recusal both parties waived
    previous: tuple[Member, ...] = ()  # the earlier proposal, for stability

    @property
    def is_team(self) -> bool:
        return self.complexity in TEAM_COMPLEXITIES and not self.is_small_claim

    @property
    def needs_senior_presiding(self) -> bool:
        return self.instance == 2 or self.complexity == MAJOR

    def mediators_needed(self, pure: bool = False) -> int:
        return 2 if self.is_team and not pure else 1

    def experts_needed(self, pure: bool = False) -> int:
        if pure:
            return 0
        return 1 if self.is_team or self.needs_evaluation else 0


@dataclass(frozen=True)
class Court:
    id: str
    parent: str | None = None


@dataclass(frozen=True)
class MatchingProblem:
    cases: tuple[Case, ...]
    people: tuple[Person, ...]
    courts: tuple[Court, ...]
    settings: Settings
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        courts = _unique("courts", [c.id for c in self.courts])
        parents = {c.id: c.parent for c in self.courts}
        for court in self.courts:
            if court.parent is not None and court.parent not in courts:
                raise ProblemError(
                    f"courts (id {court.id!r}).parent: unknown court {court.parent!r}"
                )
            seen, up = {court.id}, court.parent
            while up is not None:
                if up in seen:
                    raise ProblemError(f"courts (id {court.id!r}).parent: a cycle through {up!r}")
                seen.add(up)
                up = parents[up]
        people = _unique("people", [p.id for p in self.people])
        _unique("cases", [c.id for c in self.cases])
        for person in self.people:
            _check_person(person, courts)
        for case in self.cases:
            _check_case(case, courts, people)

    @cached_property
    def person_index(self) -> dict[str, int]:
        return {p.id: i for i, p in enumerate(self.people)}

    @cached_property
    def court_children(self) -> dict[str, frozenset[str]]:
        """Court -> the courts whose parent it is (an intermediate court's basic courts)."""
        kids: dict[str, set[str]] = {}
        for court in self.courts:
            if court.parent is not None:
                kids.setdefault(court.parent, set()).add(court.id)
        return {k: frozenset(v) for k, v in kids.items()}

    @cached_property
    def case_index(self) -> dict[str, int]:
        return {c.id: i for i, c in enumerate(self.cases)}


def _unique(kind: str, ids: list[str]) -> set[str]:
    seen: set[str] = set()
    for ident in ids:
        if not isinstance(ident, str) or not ident:
            raise ProblemError(f"{kind}: every id must be a non-empty string, got {ident!r}")
        if ident in seen:
            raise ProblemError(f"{kind} (id {ident!r}): duplicate id")
        seen.add(ident)
    return seen


def _check_person(p: Person, courts: set[str]) -> None:
    where = f"people (id {p.id!r})"
    if not p.roles or not p.roles <= set(ROLES):
        raise ProblemError(
            f"{where}.roles: must be a non-empty subset of {list(ROLES)}, got {sorted(p.roles)}"
        )
    if p.capacity < 0:
        raise ProblemError(f"{where}.capacity: {p.capacity} is negative")
    if p.active_cases < 0:
        raise ProblemError(f"{where}.active_cases: {p.active_cases} is negative")
    if p.recent_assignments < 0:
        raise ProblemError(f"{where}.recent_assignments: {p.recent_assignments} is negative")
    for category, level in p.specialties.items():
        if category not in CATEGORIES:
            raise ProblemError(f"{where}.specialties: unknown category {category!r}")
        if not 1 <= level <= 5:
            raise ProblemError(f"{where}.specialties.{category}: level {level} is not 1–5")
    for category in p.evaluation:
        if category not in CATEGORIES:
            raise ProblemError(f"{where}.evaluation: unknown category {category!r}")
    if p.base_court is not None and p.base_court not in courts:
        raise ProblemError(f"{where}.base_court: unknown court {p.base_court!r}")
    for court in sorted(p.roster_courts):
        if court not in courts:
            raise ProblemError(f"{where}.roster_courts: unknown court {court!r}")
    if any(m < 0 for m in p.free_minutes):
        raise ProblemError(f"{where}.free_minutes: minutes must not be negative")


def _check_case(c: Case, courts: set[str], people: set[str]) -> None:
    where = f"cases (id {c.id!r})"
    if c.category not in CATEGORIES:
        raise ProblemError(f"{where}.category: unknown category {c.category!r}")
    if c.complexity not in COMPLEXITIES:
        raise ProblemError(f"{where}.complexity: unknown complexity {c.complexity!r}")
    if c.court not in courts:
        raise ProblemError(f"{where}.court: unknown court {c.court!r}")
    if c.instance not in (None, 1, 2):
        raise ProblemError(f"{where}.instance: must be null, 1 or 2, got {c.instance!r}")
    refs = [("chosen_mediator", c.chosen_mediator)] if c.chosen_mediator else []
    refs += [("pins", m.person) for m in c.pins] + [("previous", m.person) for m in c.previous]
    for name, ref in refs:
        if ref not in people:
            raise ProblemError(f"{where}.{name}: unknown person {ref!r}")
    for name, members in (("pins", c.pins), ("previous", c.previous)):
        for m in members:
            if m.role not in ROLES:
                raise ProblemError(
                    f"{where}.{name}: unknown role {m.role!r} for person {m.person!r}"
                )
