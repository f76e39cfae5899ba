"""An independent check of any result against its problem, without the solver.

Every test and benchmark runs it. It recomputes everything from the problem: pair rules, team
composition, distinct people, presiding, capacity, locks and the reported objective.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from .problem import EXPERT, MEDIATOR, MatchingProblem
from .result import (
    CAPACITY,
    DISTINCT_PEOPLE,
    LOCKS,
    PRESIDING,
    TEAM_COMPOSITION,
    MatchResult,
)
from .rules import pair_violation
from .score import evaluate

OBJECTIVE = "objective"  # the reported objective does not match the recomputed one
UNKNOWN_ID = "unknown_id"
COVERAGE = "coverage"  # a case is both assigned and unassigned, or neither


@dataclass(frozen=True)
class Violation:
    rule: str
    case: str | None
    person: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def validate(problem: MatchingProblem, result: MatchResult) -> list[Violation]:
    out: list[Violation] = []
    cases = {c.id: c for c in problem.cases}
    people = {p.id: p for p in problem.people}
    pure = problem.settings.pure

    teams: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    for a in result.assignments:
        if a.case not in cases or a.person not in people:
            out.append(Violation(UNKNOWN_ID, a.case, a.person, f"unknown id in {a}"))
            continue
        teams[a.case].append((a.person, a.role, a.presiding))
        rule = pair_violation(problem, cases[a.case], people[a.person], a.role)
        if rule is not None:
            out.append(
                Violation(rule, a.case, a.person, f"{a.person} as {a.role} on {a.case}: {rule}")
            )

    for u in result.unassigned:
        if u.case not in cases:
            out.append(Violation(UNKNOWN_ID, u.case, None, f"unknown case {u.case!r} unassigned"))
    unassigned = Counter(u.case for u in result.unassigned)
    for case_id in cases:
        listed = unassigned.get(case_id, 0) + (1 if case_id in teams else 0)
        if listed != 1:
            out.append(Violation(COVERAGE, case_id, None, f"{case_id} is listed {listed} times"))

    for case_id, team in teams.items():
        case = cases[case_id]
        persons = [p for p, _, _ in team]
        if len(persons) != len(set(persons)):
            out.append(Violation(DISTINCT_PEOPLE, case_id, None, f"{case_id}: {persons}"))
        mediators = [(p, pres) for p, role, pres in team if role == MEDIATOR]
        experts = [p for p, role, _ in team if role == EXPERT]
        if len(mediators) != case.mediators_needed(pure) or len(experts) != case.experts_needed(
            pure
        ):
            out.append(
                Violation(
                    TEAM_COMPOSITION,
                    case_id,
                    None,
                    f"{case_id} needs {case.mediators_needed(pure)} mediator(s) and "
                    f"{case.experts_needed(pure)} expert(s), has {len(mediators)} and "
                    f"{len(experts)}",
                )
            )
        presiding = [p for p, pres in mediators if pres]
        if any(pres for p, role, pres in team if role != MEDIATOR) or len(presiding) != 1:
            out.append(Violation(PRESIDING, case_id, None, f"{case_id}: presiding {presiding}"))
        elif not pure and case.needs_senior_presiding and not people[presiding[0]].is_senior:
            out.append(
                Violation(
                    PRESIDING, case_id, presiding[0], f"{case_id} needs a senior presiding mediator"
                )
            )
        members = {(p, role) for p, role, _ in team}
        locks = list(case.pins)
        locked = [(m.person, m.role) for m in locks]
        if case.chosen_mediator is not None:
            locked.append((case.chosen_mediator, MEDIATOR))
        for locked_id, role in locked:
            if (locked_id, role) not in members:
                out.append(
                    Violation(
                        LOCKS, case_id, locked_id, f"{case_id}: lock {locked_id} as {role} lost"
                    )
                )

    load = Counter(a.person for a in result.assignments)
    for person_id, new in load.items():
        person = people.get(person_id)
        if person is not None and person.active_cases + new > person.capacity:
            out.append(
                Violation(
                    CAPACITY,
                    None,
                    person_id,
                    f"{person_id}: {person.active_cases} active + {new} new > capacity "
                    f"{person.capacity}",
                )
            )

    members4 = [
        (a.case, a.person, a.role, a.presiding)
        for a in result.assignments
        if a.case in cases and a.person in people
    ]
    recomputed = evaluate(problem, members4).objective
    if recomputed != result.objective:
        out.append(
            Violation(
                OBJECTIVE, None, None, f"reported {result.objective}, recomputed {recomputed}"
            )
        )
    return out
