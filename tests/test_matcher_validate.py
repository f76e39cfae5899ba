"""The independent validator: it accepts a correct result and flags each kind of broken one.

Every broken result is built by hand from a correct one, changing one thing, so that exactly
one kind of violation is expected.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from matcher.problem import (
    COMPLEX,
    EXPERT,
    MAJOR,
    MEDIATOR,
    SIMPLE,
    Affiliation,
    Case,
    Court,
    MatchingProblem,
    Member,
    Person,
    Settings,
)
from matcher.result import (
    AVAILABILITY,
    CAPACITY,
    CAPACITY_EXHAUSTED,
    DISTINCT_PEOPLE,
    ELIGIBILITY,
    LOCKS,
    PRESIDING,
    RECUSAL,
    ROSTER_SCOPE,
    TEAM_COMPOSITION,
    Assignment,
    MatchResult,
    Unassigned,
)
from matcher.score import evaluate
from matcher.solve import solve
from matcher.validate import COVERAGE, OBJECTIVE, UNKNOWN_ID, Violation, validate

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 3, 2)
LOAN = "financial_loan"
BANK = "BANK_A"
COURTS = (Court("ZY"), Court("JD1", parent="ZY"), Court("JD2", parent="ZY"))

Row = tuple[str, str, str, bool]


def person(pid: str, **kw: Any) -> Person:
    values: dict[str, Any] = {
        "roles": frozenset({MEDIATOR}),
        "specialties": {LOAN: 3},
        "capacity": 5,
        "roster_courts": frozenset({"ZY"}),
        "free_minutes": (480,) * 30,
    }
    values.update(kw)
    return Person(id=pid, **values)


def case(cid: str, **kw: Any) -> Case:
    values: dict[str, Any] = {
        "court": "JD1",
        "category": LOAN,
        "complexity": SIMPLE,
        "deadline": TODAY + timedelta(days=20),
        "parties": frozenset({BANK}),
    }
    values.update(kw)
    return Case(id=cid, **values)


PEOPLE = (
    person("M1", is_senior=True, specialties={LOAN: 4}),
    person("M2"),
    person("M3"),
    person("E1", roles=frozenset({EXPERT}), evaluation=frozenset({LOAN})),
    person("D1", roles=frozenset({MEDIATOR, EXPERT})),  # may serve either role, not both
    # Each of these breaks exactly one pair rule on C1.
    person("CARD", specialties={"credit_card": 5}),
    person("FAR", roster_courts=frozenset({"JD2"})),
    person("CONF", affiliations=(Affiliation(BANK),)),
    person("FULL", capacity=2, active_cases=2),
    person("BUSY", free_minutes=(60,)),
    person("ONE", capacity=1),
)
CASES = (
    case("C1"),
    case("C2", complexity=MAJOR),
    case("C3", chosen_mediator="M2"),
    case("C4", complexity=COMPLEX, pins=(Member("E1", EXPERT),)),
)
PROBLEM = MatchingProblem(CASES, PEOPLE, COURTS, Settings(today=TODAY))

GOOD: tuple[Row, ...] = (
    ("C1", "M3", MEDIATOR, True),
    ("C2", "M1", MEDIATOR, True),
    ("C2", "M2", MEDIATOR, False),
    ("C2", "D1", EXPERT, False),
    ("C3", "M2", MEDIATOR, True),
    ("C4", "M3", MEDIATOR, True),
    ("C4", "D1", MEDIATOR, False),
    ("C4", "E1", EXPERT, False),
)


def result(
    rows: Iterable[Row] = GOOD,
    unassigned: Iterable[Unassigned] = (),
    objective: int | None = None,
) -> MatchResult:
    rows = tuple(rows)
    if objective is None:
        objective = evaluate(PROBLEM, rows).objective
    return MatchResult(
        status="feasible",
        objective=objective,
        bound=objective,
        seconds=0.0,
        assignments=tuple(Assignment(*row) for row in rows),
        unassigned=tuple(unassigned),
        kpis={},
    )


def replace(old: Row, new: Row, rows: Iterable[Row] = GOOD) -> list[Row]:
    rows = list(rows)
    assert old in rows
    return [new if row == old else row for row in rows]


def without_case(case_id: str, rows: Iterable[Row] = GOOD) -> list[Row]:
    return [row for row in rows if row[0] != case_id]


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


# ---------------------------------------------------------------------------------------------
# Correct results
# ---------------------------------------------------------------------------------------------


def test_accepts_a_correct_result() -> None:
    assert validate(PROBLEM, result()) == []


def test_accepts_a_case_listed_as_unassigned() -> None:
    unassigned = [Unassigned("C1", CAPACITY_EXHAUSTED)]
    assert validate(PROBLEM, result(without_case("C1"), unassigned)) == []


def test_accepts_the_solvers_result() -> None:
    solved = solve(PROBLEM, time_limit=5, workers=1, seed=0)
    assert validate(PROBLEM, solved) == []


def test_runs_without_the_solver() -> None:
    code = (
        "import sys, matcher.validate; "
        "print(sorted(m for m in sys.modules if m == 'matcher.solve' or m.startswith('ortools')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# Unknown IDs and coverage
# ---------------------------------------------------------------------------------------------


def test_flags_an_unknown_person() -> None:
    rows = replace(("C1", "M3", MEDIATOR, True), ("C1", "NOBODY", MEDIATOR, True))
    broken = dataclasses.replace(result(), assignments=tuple(Assignment(*r) for r in rows))
    assert UNKNOWN_ID in rules(validate(PROBLEM, broken))


def test_flags_an_unknown_case_in_the_assignments() -> None:
    rows = [*GOOD, ("C99", "M2", MEDIATOR, True)]
    broken = dataclasses.replace(result(), assignments=tuple(Assignment(*r) for r in rows))
    assert UNKNOWN_ID in rules(validate(PROBLEM, broken))


def test_flags_an_unknown_case_in_the_unassigned() -> None:
    broken = result(unassigned=[Unassigned("C99", CAPACITY_EXHAUSTED)])
    assert rules(validate(PROBLEM, broken)) == {UNKNOWN_ID}


def test_flags_a_missing_case() -> None:
    violations = validate(PROBLEM, result(without_case("C1")))
    assert rules(violations) == {COVERAGE}
    assert [v.case for v in violations] == ["C1"]


def test_flags_a_case_both_assigned_and_unassigned() -> None:
    violations = validate(PROBLEM, result(unassigned=[Unassigned("C1", CAPACITY_EXHAUSTED)]))
    assert rules(violations) == {COVERAGE}
    assert [v.case for v in violations] == ["C1"]


def test_flags_a_case_unassigned_twice() -> None:
    twice = [Unassigned("C1", CAPACITY_EXHAUSTED), Unassigned("C1", CAPACITY_EXHAUSTED)]
    violations = validate(PROBLEM, result(without_case("C1"), twice))
    assert rules(violations) == {COVERAGE}
    assert [v.case for v in violations] == ["C1"]


# ---------------------------------------------------------------------------------------------
# Pair rules: one person on C1 swapped for one who breaks exactly one rule
# ---------------------------------------------------------------------------------------------

PAIR_BREAKERS = {
    "CARD": ELIGIBILITY,
    "FAR": ROSTER_SCOPE,
    "CONF": RECUSAL,
    "FULL": CAPACITY,
    "BUSY": AVAILABILITY,
}


@pytest.mark.parametrize(("breaker", "rule"), PAIR_BREAKERS.items(), ids=PAIR_BREAKERS.values())
def test_flags_a_pair_rule(breaker: str, rule: str) -> None:
    rows = replace(("C1", "M3", MEDIATOR, True), ("C1", breaker, MEDIATOR, True))
    violations = validate(PROBLEM, result(rows))
    assert rules(violations) == {rule}
    assert (violations[0].case, violations[0].person) in {("C1", breaker), (None, breaker)}


def test_flags_an_expert_in_a_mediator_role() -> None:
    rows = replace(("C1", "M3", MEDIATOR, True), ("C1", "E1", MEDIATOR, True))
    assert rules(validate(PROBLEM, result(rows))) == {ELIGIBILITY}


def test_flags_a_capacity_overflow_across_cases() -> None:
    # ONE (capacity 1) on C1 and on C2: each pair is fine, the two together are not.
    rows = replace(("C1", "M3", MEDIATOR, True), ("C1", "ONE", MEDIATOR, True))
    rows = replace(("C2", "M2", MEDIATOR, False), ("C2", "ONE", MEDIATOR, False), rows)
    violations = validate(PROBLEM, result(rows))
    assert rules(violations) == {CAPACITY}
    assert [v.person for v in violations] == ["ONE"]


# ---------------------------------------------------------------------------------------------
# Team rules
# ---------------------------------------------------------------------------------------------


def test_flags_a_team_without_its_expert() -> None:
    rows = [row for row in GOOD if row != ("C2", "D1", EXPERT, False)]
    violations = validate(PROBLEM, result(rows))
    assert rules(violations) == {TEAM_COMPOSITION}
    assert [v.case for v in violations] == ["C2"]


def test_flags_a_team_on_a_single_mediator_case() -> None:
    rows = [*GOOD, ("C1", "M2", MEDIATOR, False)]
    assert rules(validate(PROBLEM, result(rows))) == {TEAM_COMPOSITION}


def test_flags_one_person_twice_in_a_team() -> None:
    rows = replace(("C2", "M2", MEDIATOR, False), ("C2", "D1", MEDIATOR, False))
    violations = validate(PROBLEM, result(rows))
    assert rules(violations) == {DISTINCT_PEOPLE}
    assert [v.case for v in violations] == ["C2"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (("C4", "M3", MEDIATOR, True), ("C4", "M3", MEDIATOR, False)),
        (("C4", "D1", MEDIATOR, False), ("C4", "D1", MEDIATOR, True)),
        (("C1", "M3", MEDIATOR, True), ("C1", "M3", MEDIATOR, False)),
    ],
    ids=["team_without_chair", "team_with_two_chairs", "single_mediator_not_presiding"],
)
def test_flags_a_wrong_presiding_count(old: Row, new: Row) -> None:
    violations = validate(PROBLEM, result(replace(old, new)))
    assert rules(violations) == {PRESIDING}
    assert [v.case for v in violations] == [old[0]]


def test_flags_a_presiding_expert() -> None:
    rows = replace(("C4", "E1", EXPERT, False), ("C4", "E1", EXPERT, True))
    assert rules(validate(PROBLEM, result(rows))) == {PRESIDING}


def test_flags_a_non_senior_chair_of_a_major_case() -> None:
    rows = replace(("C2", "M1", MEDIATOR, True), ("C2", "M1", MEDIATOR, False))
    rows = replace(("C2", "M2", MEDIATOR, False), ("C2", "M2", MEDIATOR, True), rows)
    violations = validate(PROBLEM, result(rows))
    assert rules(violations) == {PRESIDING}
    assert [(v.case, v.person) for v in violations] == [("C2", "M2")]


def test_accepts_a_non_senior_chair_of_a_first_instance_complex_case() -> None:
    assert not PROBLEM.people[PROBLEM.person_index["M3"]].is_senior
    assert ("C4", "M3", MEDIATOR, True) in GOOD
    assert validate(PROBLEM, result()) == []


LOST_CHOSEN = replace(("C3", "M2", MEDIATOR, True), ("C3", "M3", MEDIATOR, True))
# C4's pinned expert E1 replaced by D1; D1's mediator seat goes to M2.
LOST_PIN = replace(
    ("C4", "D1", MEDIATOR, False),
    ("C4", "M2", MEDIATOR, False),
    replace(("C4", "E1", EXPERT, False), ("C4", "D1", EXPERT, False)),
)


@pytest.mark.parametrize(
    ("rows", "lock"),
    [(LOST_CHOSEN, ("C3", "M2")), (LOST_PIN, ("C4", "E1"))],
    ids=["chosen_mediator", "pin"],
)
def test_flags_a_lost_lock(rows: list[Row], lock: tuple[str, str]) -> None:
    violations = validate(PROBLEM, result(rows))
    assert rules(violations) == {LOCKS}
    assert [(v.case, v.person) for v in violations] == [lock]


def test_flags_a_lock_held_in_the_wrong_role() -> None:
    problem = dataclasses.replace(
        PROBLEM, cases=(*CASES[:3], dataclasses.replace(CASES[3], pins=(Member("D1", EXPERT),)))
    )
    # GOOD has D1 on C4 as a mediator, not as the pinned expert.
    violations = validate(problem, result())
    assert rules(violations) == {LOCKS}


# ---------------------------------------------------------------------------------------------
# The objective
# ---------------------------------------------------------------------------------------------


def test_flags_a_reported_objective_that_differs_from_evaluate() -> None:
    true = evaluate(PROBLEM, GOOD).objective
    violations = validate(PROBLEM, result(objective=true + 1))
    assert rules(violations) == {OBJECTIVE}
    assert str(true) in violations[0].message
