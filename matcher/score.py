"""The objective, in integer score units, shared by the solver, the validator and the baselines.

Objective = sum of pair scores (specialty, locality, rotation, batch continuity across days,
urgency, stability) − workload balance (a convex cost per person's load, which spreads
utilisation, plus the maximum utilisation) − batch cohesion (each extra lead mediator a batch is
split over). Leadership's weights scale every term. In pure mode only the pair scores count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .problem import MEDIATOR, Case, MatchingProblem, Person

SPECIALTY_UNIT = 2  # per level
LOCALITY_UNIT = 4
BATCH_UNIT = 6  # keeping an earlier day's batch, and per extra lead mediator today
STABILITY_UNIT = 10
MAX_UTILISATION_UNIT = 1  # per utilisation percentage point of the busiest person
# Workload: weight × BALANCE_UNIT × (load / capacity)², summed over people; a full person costs
# about as much per extra case as a specialty level is worth.
BALANCE_UNIT = 20
TERMS = ("specialty", "locality", "rotation", "batch", "urgency", "stability")


def early_hours(problem: MatchingProblem, person: Person) -> int:
    """Free hours in the first ``early_days`` days, capped at 10."""
    return min(sum(person.free_minutes[: problem.settings.early_days]) // 60, 10)


def urgency_factor(problem: MatchingProblem, case: Case) -> int:
    """0 for a relaxed deadline, up to urgent_days + 1 for a deadline today."""
    days = (case.deadline - problem.settings.today).days
    return max(0, problem.settings.urgent_days + 1 - max(days, 0))


def pair_terms(problem: MatchingProblem, case: Case, person: Person, role: str) -> dict[str, int]:
    w = problem.weights
    s = problem.settings
    previous = any(m.person == person.id and m.role == role for m in case.previous)
    return {
        "specialty": w.specialty * SPECIALTY_UNIT * person.specialties.get(case.category, 0),
        "locality": w.locality * LOCALITY_UNIT if person.base_court == case.court else 0,
        "rotation": -((w.rotation * person.recent_assignments) // 2),
        "batch": (
            w.batch * BATCH_UNIT
            if role == MEDIATOR and case.batch is not None and case.batch in person.batches
            else 0
        ),
        "urgency": (w.urgency * early_hours(problem, person) * urgency_factor(problem, case))
        // max(s.urgent_days, 1),
        "stability": w.stability * STABILITY_UNIT if previous else 0,
    }


def pair_score(problem: MatchingProblem, case: Case, person: Person, role: str) -> int:
    return sum(pair_terms(problem, case, person, role).values())


def balance_increment(weight: int, capacity: int, load_before: int) -> int:
    """The cost of one more case on a person at ``load_before`` cases: the floor of a linear,
    increasing function of the load, so the summed cost is convex (sum of squared utilisation)."""
    if capacity <= 0:
        return 0
    return (weight * BALANCE_UNIT * (2 * load_before + 1)) // (capacity * capacity)


def balance_cost(weight: int, capacity: int, active: int, load: int) -> int:
    return sum(balance_increment(weight, capacity, k) for k in range(active, load))


def utilisation_pct(capacity: int, load: int) -> int:
    """Load over capacity in whole percent, rounded up."""
    if capacity <= 0:
        return 0
    return -((-100 * load) // capacity)


@dataclass(frozen=True)
class Breakdown:
    objective: int
    terms: dict[str, int]
    loads: dict[str, int]
    max_utilisation_pct: int
    batch_splits: int


def evaluate(problem: MatchingProblem, members: Iterable[tuple[str, str, str, bool]]) -> Breakdown:
    """Score a set of (case, person, role, presiding) members with the full objective."""
    cases = {c.id: c for c in problem.cases}
    people = {p.id: p for p in problem.people}
    terms = dict.fromkeys((*TERMS, "workload", "max_utilisation", "batch_cohesion"), 0)
    new_load: dict[str, int] = defaultdict(int)
    leads: dict[str, set[str]] = defaultdict(set)
    for case_id, person_id, role, presiding in members:
        case, person = cases[case_id], people[person_id]
        for name, value in pair_terms(problem, case, person, role).items():
            terms[name] += value
        new_load[person_id] += 1
        if role == MEDIATOR and presiding and case.batch is not None:
            leads[case.batch].add(person_id)
    loads = {p.id: p.active_cases + new_load.get(p.id, 0) for p in problem.people}
    max_util = 0
    splits = 0
    if not problem.settings.pure:
        w = problem.weights.workload
        for p in problem.people:
            terms["workload"] -= balance_cost(w, p.capacity, p.active_cases, loads[p.id])
            max_util = max(max_util, utilisation_pct(p.capacity, loads[p.id]))
        terms["max_utilisation"] = -w * MAX_UTILISATION_UNIT * max_util
        splits = sum(len(ps) - 1 for ps in leads.values() if ps)
        terms["batch_cohesion"] = -problem.weights.batch * BATCH_UNIT * splits
    return Breakdown(
        objective=sum(terms.values()),
        terms=terms,
        loads=loads,
        max_utilisation_pct=max_util,
        batch_splits=splits,
    )
