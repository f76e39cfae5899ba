"""What the matcher returns: the teams, their explanations, the unassigned cases and the KPIs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Status values.
OPTIMAL = "optimal"  # proven optimal
FEASIBLE = "feasible"  # a solution, not proven optimal (time limit)
INFEASIBLE = "infeasible"  # the locks themselves break a hard rule

# Hard rules. The explanation, the validator, the JSON API and the templates use these names.
ELIGIBILITY = "eligibility"
ROSTER_SCOPE = "roster_scope"
RECUSAL = "recusal"
CAPACITY = "capacity"
AVAILABILITY = "availability"
TEAM_COMPOSITION = "team_composition"
DISTINCT_PEOPLE = "distinct_people"
PRESIDING = "presiding"
LOCKS = "locks"
HARD_RULES = (
    ELIGIBILITY,
    ROSTER_SCOPE,
    RECUSAL,
    CAPACITY,
    AVAILABILITY,
    TEAM_COMPOSITION,
    DISTINCT_PEOPLE,
    PRESIDING,
    LOCKS,
)

# Why a case is left without a team.
NO_ELIGIBLE_SPECIALIST = "no_eligible_specialist"
ALL_CONFLICTED = "all_conflicted"
CAPACITY_EXHAUSTED = "capacity_exhausted"
NO_AVAILABILITY = "no_availability_before_deadline"
TEAM_INCOMPLETE = "team_incomplete"
UNASSIGNED_REASONS = (
    NO_ELIGIBLE_SPECIALIST,
    ALL_CONFLICTED,
    CAPACITY_EXHAUSTED,
    NO_AVAILABILITY,
    TEAM_INCOMPLETE,
)


class Cancelled(Exception):
    """The solve was stopped by its ``stop`` event before it finished."""


@dataclass(frozen=True)
class Assignment:
    case: str
    person: str
    role: str
    presiding: bool = False


@dataclass(frozen=True)
class Alternate:
    """A person who could have held a role, and why they did not."""

    person: str
    score_difference: int | None = None  # how many score units behind the chosen person
    rule: str | None = None  # the hard rule that excludes them


@dataclass(frozen=True)
class CaseExplanation:
    case: str
    score: Mapping[str, int]  # term -> score units
    alternates: Mapping[str, tuple[Alternate, ...]]  # role -> top 3


@dataclass(frozen=True)
class Unassigned:
    case: str
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    seconds: float
    objective: int
    bound: int

    @property
    def gap(self) -> float:
        return gap(self.objective, self.bound)


def gap(objective: int, bound: int) -> float:
    if bound == 0:
        return 0.0 if objective == 0 else 1.0
    return max(0.0, (bound - objective) / abs(bound))


@dataclass(frozen=True)
class MatchResult:
    status: str
    objective: int
    bound: int
    seconds: float
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    kpis: Mapping[str, float]
    explanations: Mapping[str, CaseExplanation] = field(default_factory=dict)
    progress: tuple[Progress, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        return gap(self.objective, self.bound)

    def team(self, case: str) -> list[Assignment]:
        return [a for a in self.assignments if a.case == case]

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": round(self.gap, 6),
            "seconds": round(self.seconds, 3),
            "assignments": [
                {"case": a.case, "person": a.person, "role": a.role, "presiding": a.presiding}
                for a in self.assignments
            ],
            "unassigned": [
                {"case": u.case, "reason": u.reason, "details": dict(u.details)}
                for u in self.unassigned
            ],
            "kpis": dict(self.kpis),
            "explanations": {
                case: {
                    "score": dict(e.score),
                    "alternates": {
                        role: [
                            {
                                "person": alt.person,
                                "score_difference": alt.score_difference,
                                "rule": alt.rule,
                            }
                            for alt in alts
                        ]
                        for role, alts in e.alternates.items()
                    },
                }
                for case, e in self.explanations.items()
            },
            "progress": [
                {"seconds": round(p.seconds, 3), "objective": p.objective, "bound": p.bound}
                for p in self.progress
            ],
            "stats": dict(self.stats),
        }
