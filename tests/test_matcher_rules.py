"""Every hard rule, in pairs: a feasible instance that the solver staffs within the rule, and a
violating one that it refuses (and that the validator flags when built by hand). Last, the
encoder's candidate pairs and scores agree with ``rules.py`` and ``score.py`` on random instances.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from matcher.encode import ROLE_NAMES, encode
from matcher.problem import (
    CATEGORIES,
    COMPLEX,
    COMPLEXITIES,
    EXPERT,
    MAJOR,
    MEDIATOR,
    ORDINARY,
    SIMPLE,
    Affiliation,
    Case,
    Court,
    MatchingProblem,
    Member,
    Person,
    Settings,
    Weights,
)
from matcher.result import (
    ALL_CONFLICTED,
    AVAILABILITY,
    CAPACITY,
    CAPACITY_EXHAUSTED,
    DISTINCT_PEOPLE,
    ELIGIBILITY,
    LOCKS,
    NO_AVAILABILITY,
    NO_ELIGIBLE_SPECIALIST,
    PRESIDING,
    RECUSAL,
    ROSTER_SCOPE,
    TEAM_COMPOSITION,
    TEAM_INCOMPLETE,
    Assignment,
    MatchResult,
    Unassigned,
)
from matcher.rules import pair_violation, recusal_ground, served_courts
from matcher.score import evaluate, pair_score
from matcher.solve import solve
from matcher.validate import validate

TODAY = date(2026, 3, 2)
LOAN = "financial_loan"
CARD = "credit_card"
BANK = "BANK_A"
# Two intermediate courts; ZY has two basic courts (siblings), ZY2 has one.
COURTS = (
    Court("ZY"),
    Court("JD1", parent="ZY"),
    Court("JD2", parent="ZY"),
    Court("ZY2"),
    Court("JD3", parent="ZY2"),
)
ROOMY = (480,) * 30  # a full free day, every day for a month

Member4 = tuple[str, str, str, bool]


# ---------------------------------------------------------------------------------------------
# Factories
# ---------------------------------------------------------------------------------------------


def person(
    pid: str,
    *,
    roles: Iterable[str] = (MEDIATOR,),
    specialties: dict[str, int] | None = None,
    capacity: int = 5,
    active: int = 0,
    evaluation: Iterable[str] = (),
    senior: bool = False,
    roster: Iterable[str] = ("JD1",),
    affiliations: Sequence[Affiliation] = (),
    conflict_institutions: Iterable[str] = (),
    conflict_cases: Iterable[str] = (),
    free: tuple[int, ...] = ROOMY,
) -> Person:
    return Person(
        id=pid,
        roles=frozenset(roles),
        specialties={LOAN: 3} if specialties is None else specialties,
        capacity=capacity,
        active_cases=active,
        evaluation=frozenset(evaluation),
        is_senior=senior,
        roster_courts=frozenset(roster),
        affiliations=tuple(affiliations),
        conflict_institutions=frozenset(conflict_institutions),
        conflict_cases=frozenset(conflict_cases),
        free_minutes=free,
    )


def mediator(pid: str, level: int = 3, **kw: Any) -> Person:
    return person(pid, roles=(MEDIATOR,), specialties={LOAN: level}, **kw)


def expert(pid: str, level: int = 3, **kw: Any) -> Person:
    return person(pid, roles=(EXPERT,), specialties={LOAN: level}, **kw)


def case(
    cid: str = "C1",
    *,
    court: str = "JD1",
    category: str = LOAN,
    complexity: str = SIMPLE,
    due_in: int = 20,
    parties: Iterable[str] = (BANK,),
    instance: int | None = None,
    small_claim: bool = False,
    evaluation: bool = False,
    chosen: str | None = None,
    pins: Sequence[Member] = (),
    other_roles: Iterable[str] = (),
    waivers: Iterable[str] = (),
    previous: Sequence[Member] = (),
) -> Case:
    return Case(
        id=cid,
        court=court,
        category=category,
        complexity=complexity,
        deadline=TODAY + timedelta(days=due_in),
        parties=frozenset(parties),
        instance=instance,
        is_small_claim=small_claim,
        needs_evaluation=evaluation,
        chosen_mediator=chosen,
        pins=tuple(pins),
        other_roles=frozenset(other_roles),
        waivers=frozenset(waivers),
        previous=tuple(previous),
    )


def problem(
    cases: Sequence[Case],
    people: Sequence[Person],
    *,
    lookback_days: int = 730,
    minutes_needed: dict[str, int] | None = None,
) -> MatchingProblem:
    settings = Settings(today=TODAY, lookback_days=lookback_days)
    if minutes_needed is not None:
        settings = Settings(today=TODAY, lookback_days=lookback_days, minutes_needed=minutes_needed)
    return MatchingProblem(tuple(cases), tuple(people), COURTS, settings)


def solved(prob: MatchingProblem) -> MatchResult:
    return solve(prob, time_limit=5, workers=1, seed=0)


def team(result: MatchResult, case_id: str = "C1") -> list[Assignment]:
    return result.team(case_id)


def members(result: MatchResult, case_id: str = "C1", role: str | None = None) -> set[str]:
    return {a.person for a in result.team(case_id) if role is None or a.role == role}


def reason(result: MatchResult, case_id: str = "C1") -> str | None:
    return next((u.reason for u in result.unassigned if u.case == case_id), None)


def by_hand(prob: MatchingProblem, *rows: Member4) -> MatchResult:
    """A result with exactly these members; every other case is listed as unassigned, and the
    objective is the true one, so that only the rule under test can be broken."""
    staffed = {row[0] for row in rows}
    return MatchResult(
        status="feasible",
        objective=evaluate(prob, rows).objective,
        bound=0,
        seconds=0.0,
        assignments=tuple(Assignment(*row) for row in rows),
        unassigned=tuple(
            Unassigned(c.id, TEAM_INCOMPLETE) for c in prob.cases if c.id not in staffed
        ),
        kpis={},
    )


def broken_rules(prob: MatchingProblem, *rows: Member4) -> set[str]:
    return {v.rule for v in validate(prob, by_hand(prob, *rows))}


# ---------------------------------------------------------------------------------------------
# Eligibility
# ---------------------------------------------------------------------------------------------


def test_eligibility_specialist_covering_the_category_is_assigned() -> None:
    prob = problem([case()], [mediator("M1")])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M1"}
    assert LOAN in prob.people[0].specialties


def test_eligibility_only_the_specialist_is_staffed() -> None:
    other = person("M1", specialties={CARD: 5})
    prob = problem([case()], [other, mediator("M2", level=1)])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M2"}


def test_eligibility_no_specialist_leaves_the_case_unassigned() -> None:
    prob = problem([case()], [person("M1", specialties={CARD: 5})])
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == NO_ELIGIBLE_SPECIALIST


def test_eligibility_validator_flags_a_person_without_the_category() -> None:
    prob = problem([case()], [person("M1", specialties={CARD: 5})])
    assert broken_rules(prob, ("C1", "M1", MEDIATOR, True)) == {ELIGIBILITY}


def test_eligibility_validator_flags_a_person_in_a_role_they_do_not_hold() -> None:
    prob = problem([case()], [expert("E1")])
    assert pair_violation(prob, prob.cases[0], prob.people[0], MEDIATOR) == ELIGIBILITY
    assert broken_rules(prob, ("C1", "E1", MEDIATOR, True)) == {ELIGIBILITY}


def test_eligibility_evaluation_case_gets_an_evaluation_expert() -> None:
    plain = expert("E1", level=5)
    evaluator = expert("E2", level=1, evaluation=[LOAN])
    prob = problem([case(evaluation=True)], [mediator("M1"), plain, evaluator])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result, role=EXPERT) == {"E2"}
    assert members(result, role=MEDIATOR) == {"M1"}


@pytest.mark.parametrize("evaluation", [(), (CARD,)], ids=["none", "other_category"])
def test_eligibility_evaluation_case_without_an_evaluation_expert_is_unassigned(
    evaluation: tuple[str, ...],
) -> None:
    prob = problem([case(evaluation=True)], [mediator("M1"), expert("E1", evaluation=evaluation)])
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == NO_ELIGIBLE_SPECIALIST


def test_eligibility_validator_flags_an_expert_without_the_evaluation_specialty() -> None:
    prob = problem([case(evaluation=True)], [mediator("M1"), expert("E1")])
    rows = [("C1", "M1", MEDIATOR, True), ("C1", "E1", EXPERT, False)]
    assert broken_rules(prob, *rows) == {ELIGIBILITY}


# ---------------------------------------------------------------------------------------------
# Roster scope
# ---------------------------------------------------------------------------------------------


def test_roster_scope_own_court_is_served() -> None:
    prob = problem([case(court="JD1")], [mediator("M1", roster=["JD1"])])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M1"}


def test_roster_scope_intermediate_roster_serves_its_basic_courts() -> None:
    prob = problem([case(court="JD1")], [mediator("M1", roster=["ZY"])])
    assert served_courts(prob, prob.people[0]) == {"ZY", "JD1", "JD2"}
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M1"}


@pytest.mark.parametrize(
    ("roster", "court"),
    [(["JD2"], "JD1"), (["ZY2"], "JD1"), (["JD1"], "ZY")],
    ids=["sibling_basic_court", "other_intermediate", "basic_does_not_serve_parent"],
)
def test_roster_scope_out_of_scope_leaves_the_case_unassigned(
    roster: list[str], court: str
) -> None:
    prob = problem([case(court=court)], [mediator("M1", roster=roster)])
    assert court not in served_courts(prob, prob.people[0])
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == NO_ELIGIBLE_SPECIALIST


def test_roster_scope_solver_staffs_the_in_scope_person() -> None:
    sibling = mediator("M1", level=5, roster=["JD2"])
    prob = problem([case(court="JD1")], [sibling, mediator("M2", level=1, roster=["ZY"])])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M2"}


def test_roster_scope_validator_flags_a_sibling_court_roster() -> None:
    prob = problem([case(court="JD1")], [mediator("M1", roster=["JD2"])])
    assert broken_rules(prob, ("C1", "M1", MEDIATOR, True)) == {ROSTER_SCOPE}


# ---------------------------------------------------------------------------------------------
# Recusal
# ---------------------------------------------------------------------------------------------

LOOKBACK = 730

# (person kwargs, case kwargs, lookback_days): the person is NOT recused.
CLEAR: dict[str, tuple[dict[str, Any], dict[str, Any], int]] = {
    "affiliation_ended_before_lookback": (
        {"affiliations": [Affiliation(BANK, TODAY - timedelta(days=LOOKBACK + 1))]},
        {},
        LOOKBACK,
    ),
    "shorter_configured_lookback": (
        {"affiliations": [Affiliation(BANK, TODAY - timedelta(days=31))]},
        {},
        30,
    ),
    "current_affiliation_with_a_non_party": (
        {"affiliations": [Affiliation("BANK_Z")]},
        {},
        LOOKBACK,
    ),
    "waiver_lifts_current_affiliation": (
        {"affiliations": [Affiliation(BANK)]},
        {"waivers": ["M1"]},
        LOOKBACK,
    ),
    "waiver_lifts_declared_institution_conflict": (
        {"conflict_institutions": [BANK]},
        {"waivers": ["M1"]},
        LOOKBACK,
    ),
    "waiver_lifts_declared_case_conflict": (
        {"conflict_cases": ["C1"]},
        {"waivers": ["M1"]},
        LOOKBACK,
    ),
}

# (person kwargs, case kwargs, lookback_days, expected ground): the person IS recused.
RECUSED: dict[str, tuple[dict[str, Any], dict[str, Any], int, str]] = {
    "current_affiliation": (
        {"affiliations": [Affiliation(BANK)]},
        {},
        LOOKBACK,
        "affiliation",
    ),
    "affiliation_ended_within_lookback": (
        {"affiliations": [Affiliation(BANK, TODAY - timedelta(days=LOOKBACK - 1))]},
        {},
        LOOKBACK,
        "affiliation",
    ),
    "affiliation_within_a_longer_configured_lookback": (
        {"affiliations": [Affiliation(BANK, TODAY - timedelta(days=LOOKBACK + 1))]},
        {},
        LOOKBACK + 10,
        "affiliation",
    ),
    "declared_institution_conflict": (
        {"conflict_institutions": [BANK]},
        {},
        LOOKBACK,
        "declared_conflict",
    ),
    "declared_case_conflict": (
        {"conflict_cases": ["C1"]},
        {},
        LOOKBACK,
        "declared_conflict",
    ),
    "other_role_in_the_case": ({}, {"other_roles": ["M1"]}, LOOKBACK, "other_role"),
    "waiver_does_not_lift_other_role": (
        {},
        {"other_roles": ["M1"], "waivers": ["M1"]},
        LOOKBACK,
        "other_role",
    ),
}


def recusal_problem(
    person_kw: dict[str, Any], case_kw: dict[str, Any], lookback: int, *extra: Person
) -> MatchingProblem:
    return problem(
        [case(**case_kw)], [mediator("M1", level=5, **person_kw), *extra], lookback_days=lookback
    )


@pytest.mark.parametrize("scenario", CLEAR.values(), ids=CLEAR.keys())
def test_recusal_clear_person_is_assigned(
    scenario: tuple[dict[str, Any], dict[str, Any], int],
) -> None:
    prob = recusal_problem(*scenario)
    assert recusal_ground(prob, prob.cases[0], prob.people[0]) is None
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M1"}


@pytest.mark.parametrize("scenario", RECUSED.values(), ids=RECUSED.keys())
def test_recusal_ground_is_named(scenario: tuple[dict[str, Any], dict[str, Any], int, str]) -> None:
    person_kw, case_kw, lookback, ground = scenario
    prob = recusal_problem(person_kw, case_kw, lookback)
    assert recusal_ground(prob, prob.cases[0], prob.people[0]) == ground


@pytest.mark.parametrize("scenario", RECUSED.values(), ids=RECUSED.keys())
def test_recusal_only_a_recused_person_leaves_the_case_unassigned(
    scenario: tuple[dict[str, Any], dict[str, Any], int, str],
) -> None:
    prob = recusal_problem(*scenario[:3])
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == ALL_CONFLICTED


@pytest.mark.parametrize("scenario", RECUSED.values(), ids=RECUSED.keys())
def test_recusal_solver_staffs_a_clear_person_instead(
    scenario: tuple[dict[str, Any], dict[str, Any], int, str],
) -> None:
    prob = recusal_problem(*scenario[:3], mediator("M2", level=1))
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M2"}


@pytest.mark.parametrize("scenario", RECUSED.values(), ids=RECUSED.keys())
def test_recusal_validator_flags_a_recused_person(
    scenario: tuple[dict[str, Any], dict[str, Any], int, str],
) -> None:
    prob = recusal_problem(*scenario[:3])
    assert broken_rules(prob, ("C1", "M1", MEDIATOR, True)) == {RECUSAL}


# ---------------------------------------------------------------------------------------------
# Capacity
# ---------------------------------------------------------------------------------------------


def test_capacity_with_room_takes_both_cases() -> None:
    prob = problem([case("C1"), case("C2")], [mediator("M1", capacity=3, active=1)])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result, "C1") == members(result, "C2") == {"M1"}


def test_capacity_three_with_two_active_takes_only_one_of_two_cases() -> None:
    prob = problem([case("C1"), case("C2")], [mediator("M1", capacity=3, active=2)])
    result = solved(prob)
    assert validate(prob, result) == []
    assert len(result.assignments) == 1
    assert [u.reason for u in result.unassigned] == [CAPACITY_EXHAUSTED]


def test_capacity_full_person_is_not_assigned() -> None:
    prob = problem([case()], [mediator("M1", capacity=2, active=2)])
    assert pair_violation(prob, prob.cases[0], prob.people[0], MEDIATOR) == CAPACITY
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == CAPACITY_EXHAUSTED


def test_capacity_full_person_is_replaced() -> None:
    prob = problem([case()], [mediator("M1", level=5, capacity=2, active=2), mediator("M2")])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M2"}


def test_capacity_validator_flags_an_overflow_across_cases() -> None:
    prob = problem([case("C1"), case("C2")], [mediator("M1", capacity=3, active=2)])
    rows = [("C1", "M1", MEDIATOR, True), ("C2", "M1", MEDIATOR, True)]
    assert broken_rules(prob, *rows) == {CAPACITY}


def test_capacity_pins_on_two_cases_do_not_overflow() -> None:
    pin = Member("M1", MEDIATOR, presiding=True)
    prob = problem(
        [case("C1", pins=[pin]), case("C2", pins=[pin])],
        [mediator("M1", capacity=3, active=2), mediator("M2")],
    )
    result = solved(prob)
    assert validate(prob, result) == []


# ---------------------------------------------------------------------------------------------
# Availability
# ---------------------------------------------------------------------------------------------


def test_availability_enough_free_minutes_up_to_the_deadline_day() -> None:
    # simple needs 120 minutes; 60 today + 60 on the deadline day.
    prob = problem([case(due_in=1)], [mediator("M1", free=(60, 60))])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M1"}


def test_availability_free_minutes_after_the_deadline_do_not_count() -> None:
    prob = problem([case(due_in=1)], [mediator("M1", free=(60, 0, 480, 480))])
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == NO_AVAILABILITY


@pytest.mark.parametrize(
    ("complexity", "assigned"), [(SIMPLE, True), (ORDINARY, False)], ids=["120_of_150", "180"]
)
def test_availability_depends_on_the_complexity(complexity: str, assigned: bool) -> None:
    prob = problem([case(complexity=complexity, due_in=0)], [mediator("M1", free=(150,))])
    result = solved(prob)
    assert validate(prob, result) == []
    assert (members(result) == {"M1"}) is assigned
    assert reason(result) == (None if assigned else NO_AVAILABILITY)


def test_availability_follows_the_configured_minutes_needed() -> None:
    needed = {SIMPLE: 30, ORDINARY: 60, COMPLEX: 90, MAJOR: 120}
    prob = problem([case(due_in=0)], [mediator("M1", free=(45,))], minutes_needed=needed)
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M1"}


def test_availability_solver_staffs_the_available_person() -> None:
    prob = problem([case(due_in=0)], [mediator("M1", level=5, free=(60,)), mediator("M2", level=1)])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M2"}


def test_availability_validator_flags_too_little_free_time() -> None:
    prob = problem([case(due_in=0)], [mediator("M1", free=(60,))])
    assert broken_rules(prob, ("C1", "M1", MEDIATOR, True)) == {AVAILABILITY}


# ---------------------------------------------------------------------------------------------
# Team composition
# ---------------------------------------------------------------------------------------------


def full_bench() -> list[Person]:
    """Three mediators (one senior), two experts (one an evaluator): any team can be formed."""
    return [
        mediator("M1", senior=True),
        mediator("M2"),
        mediator("M3"),
        expert("E1"),
        expert("E2", evaluation=[LOAN]),
    ]


def roles(result: MatchResult, case_id: str = "C1") -> list[str]:
    return sorted(a.role for a in result.team(case_id))


@pytest.mark.parametrize("complexity", [SIMPLE, ORDINARY])
def test_team_simple_and_ordinary_cases_get_one_mediator(complexity: str) -> None:
    prob = problem([case(complexity=complexity)], full_bench())
    result = solved(prob)
    assert validate(prob, result) == []
    assert roles(result) == [MEDIATOR]


@pytest.mark.parametrize("complexity", [COMPLEX, MAJOR])
def test_team_complex_and_major_cases_get_two_mediators_and_an_expert(complexity: str) -> None:
    prob = problem([case(complexity=complexity)], full_bench())
    result = solved(prob)
    assert validate(prob, result) == []
    assert roles(result) == [EXPERT, MEDIATOR, MEDIATOR]


def test_team_evaluation_case_gets_an_evaluation_expert() -> None:
    prob = problem([case(evaluation=True)], full_bench())
    result = solved(prob)
    assert validate(prob, result) == []
    assert roles(result) == [EXPERT, MEDIATOR]
    assert members(result, role=EXPERT) == {"E2"}


def test_team_small_claim_gets_a_single_mediator_even_if_complex() -> None:
    prob = problem([case(complexity=COMPLEX, small_claim=True)], full_bench())
    result = solved(prob)
    assert validate(prob, result) == []
    assert roles(result) == [MEDIATOR]


def test_team_complex_case_with_one_mediator_is_unassigned() -> None:
    prob = problem([case(complexity=COMPLEX)], [mediator("M1"), expert("E1")])
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == NO_ELIGIBLE_SPECIALIST


def test_team_complex_case_without_an_expert_is_unassigned() -> None:
    prob = problem([case(complexity=COMPLEX)], [mediator("M1"), mediator("M2")])
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == NO_ELIGIBLE_SPECIALIST


BAD_TEAMS: dict[str, tuple[dict[str, Any], list[Member4]]] = {
    "complex_with_one_mediator": (
        {"complexity": COMPLEX},
        [("C1", "M2", MEDIATOR, True), ("C1", "E1", EXPERT, False)],
    ),
    "complex_without_expert": (
        {"complexity": COMPLEX},
        [("C1", "M2", MEDIATOR, True), ("C1", "M3", MEDIATOR, False)],
    ),
    "simple_with_two_mediators": (
        {"complexity": SIMPLE},
        [("C1", "M2", MEDIATOR, True), ("C1", "M3", MEDIATOR, False)],
    ),
    "simple_with_an_expert": (
        {"complexity": SIMPLE},
        [("C1", "M2", MEDIATOR, True), ("C1", "E1", EXPERT, False)],
    ),
    "small_claim_with_a_team": (
        {"complexity": COMPLEX, "small_claim": True},
        [("C1", "M2", MEDIATOR, True), ("C1", "M3", MEDIATOR, False), ("C1", "E1", EXPERT, False)],
    ),
    "evaluation_without_expert": (
        {"evaluation": True},
        [("C1", "M2", MEDIATOR, True)],
    ),
}


@pytest.mark.parametrize("scenario", BAD_TEAMS.values(), ids=BAD_TEAMS.keys())
def test_team_validator_flags_a_wrong_team(
    scenario: tuple[dict[str, Any], list[Member4]],
) -> None:
    case_kw, rows = scenario
    prob = problem([case(**case_kw)], full_bench())
    assert broken_rules(prob, *rows) == {TEAM_COMPOSITION}


# ---------------------------------------------------------------------------------------------
# Distinct people
# ---------------------------------------------------------------------------------------------


def both(pid: str, level: int = 5) -> Person:
    return person(pid, roles=(MEDIATOR, EXPERT), specialties={LOAN: level})


def test_distinct_people_dual_role_person_is_used_once() -> None:
    prob = problem([case(complexity=COMPLEX)], [both("P1"), mediator("M2"), mediator("M3")])
    result = solved(prob)
    assert validate(prob, result) == []
    persons = [a.person for a in team(result)]
    assert len(persons) == 3
    assert len(set(persons)) == 3


def test_distinct_people_team_needing_someone_twice_is_unassigned() -> None:
    prob = problem([case(complexity=COMPLEX)], [both("P1"), mediator("M2")])
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == TEAM_INCOMPLETE


def test_distinct_people_validator_flags_mediator_and_expert_in_one_team() -> None:
    prob = problem([case(complexity=COMPLEX)], [both("P1"), mediator("M2")])
    rows = [
        ("C1", "M2", MEDIATOR, True),
        ("C1", "P1", MEDIATOR, False),
        ("C1", "P1", EXPERT, False),
    ]
    assert broken_rules(prob, *rows) == {DISTINCT_PEOPLE}


def test_distinct_people_validator_flags_the_same_mediator_twice() -> None:
    prob = problem([case(complexity=COMPLEX)], [mediator("M1"), expert("E1")])
    rows = [
        ("C1", "M1", MEDIATOR, True),
        ("C1", "M1", MEDIATOR, False),
        ("C1", "E1", EXPERT, False),
    ]
    assert broken_rules(prob, *rows) == {DISTINCT_PEOPLE}


# ---------------------------------------------------------------------------------------------
# Presiding
# ---------------------------------------------------------------------------------------------


def presiding(result: MatchResult, case_id: str = "C1") -> list[str]:
    return [a.person for a in result.team(case_id) if a.presiding]


def test_presiding_single_mediator_presides() -> None:
    prob = problem([case()], [mediator("M1")])
    result = solved(prob)
    assert validate(prob, result) == []
    assert presiding(result) == ["M1"]


def test_presiding_team_has_exactly_one_presiding_mediator() -> None:
    prob = problem([case(complexity=COMPLEX)], full_bench())
    result = solved(prob)
    assert validate(prob, result) == []
    chair = presiding(result)
    assert len(chair) == 1
    assert chair[0] in members(result, role=MEDIATOR)


def test_presiding_first_instance_complex_case_may_have_a_non_senior_chair() -> None:
    prob = problem(
        [case(complexity=COMPLEX, instance=1)], [mediator("M2"), mediator("M3"), expert("E1")]
    )
    result = solved(prob)
    assert validate(prob, result) == []
    assert len(presiding(result)) == 1


@pytest.mark.parametrize(
    "case_kw",
    [{"complexity": MAJOR}, {"complexity": COMPLEX, "instance": 2}],
    ids=["major", "second_instance_team"],
)
def test_presiding_senior_presides_a_major_or_second_instance_team(case_kw: dict[str, Any]) -> None:
    people = [
        mediator("S1", level=1, senior=True),
        mediator("M2", level=5),
        mediator("M3", level=5),
        expert("E1"),
    ]
    prob = problem([case(**case_kw)], people)
    result = solved(prob)
    assert validate(prob, result) == []
    assert presiding(result) == ["S1"]


def test_presiding_second_instance_single_mediator_is_senior() -> None:
    people = [mediator("S1", level=1, senior=True), mediator("M2", level=5)]
    prob = problem([case(complexity=ORDINARY, instance=2)], people)
    result = solved(prob)
    assert validate(prob, result) == []
    assert presiding(result) == ["S1"]


@pytest.mark.parametrize(
    ("case_kw", "people"),
    [
        ({"complexity": MAJOR}, [mediator("M2"), mediator("M3"), expert("E1")]),
        ({"complexity": SIMPLE, "instance": 2}, [mediator("M2")]),
    ],
    ids=["major", "second_instance_single"],
)
def test_presiding_without_a_senior_the_case_is_unassigned(
    case_kw: dict[str, Any], people: list[Person]
) -> None:
    prob = problem([case(**case_kw)], people)
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    assert reason(result) == TEAM_INCOMPLETE


BAD_PRESIDING: dict[str, tuple[dict[str, Any], list[Member4]]] = {
    "two_presiding": (
        {"complexity": COMPLEX},
        [("C1", "M2", MEDIATOR, True), ("C1", "M3", MEDIATOR, True), ("C1", "E1", EXPERT, False)],
    ),
    "none_presiding": (
        {"complexity": COMPLEX},
        [("C1", "M2", MEDIATOR, False), ("C1", "M3", MEDIATOR, False), ("C1", "E1", EXPERT, False)],
    ),
    "expert_presiding": (
        {"complexity": COMPLEX},
        [("C1", "M2", MEDIATOR, True), ("C1", "M3", MEDIATOR, False), ("C1", "E1", EXPERT, True)],
    ),
    "single_mediator_not_presiding": ({}, [("C1", "M2", MEDIATOR, False)]),
    "major_non_senior": (
        {"complexity": MAJOR},
        [("C1", "M2", MEDIATOR, True), ("C1", "M1", MEDIATOR, False), ("C1", "E1", EXPERT, False)],
    ),
    "second_instance_non_senior": ({"instance": 2}, [("C1", "M2", MEDIATOR, True)]),
}


@pytest.mark.parametrize("scenario", BAD_PRESIDING.values(), ids=BAD_PRESIDING.keys())
def test_presiding_validator_flags_a_wrong_chair(
    scenario: tuple[dict[str, Any], list[Member4]],
) -> None:
    case_kw, rows = scenario
    prob = problem([case(**case_kw)], full_bench())
    assert broken_rules(prob, *rows) == {PRESIDING}


# ---------------------------------------------------------------------------------------------
# Locks
# ---------------------------------------------------------------------------------------------


def test_locks_chosen_mediator_is_in_the_team() -> None:
    prob = problem([case(chosen="M2")], [mediator("M1", level=5), mediator("M2", level=1)])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M2"}
    assert presiding(result) == ["M2"]


def test_locks_chosen_mediator_is_a_mediator_of_a_team() -> None:
    prob = problem([case(complexity=COMPLEX, chosen="M3")], full_bench())
    result = solved(prob)
    assert validate(prob, result) == []
    assert "M3" in members(result, role=MEDIATOR)


def test_locks_pinned_expert_is_in_the_team() -> None:
    pin = Member("E1", EXPERT)
    people = [*full_bench(), expert("E3", level=5)]
    prob = problem([case(complexity=COMPLEX, pins=[pin])], people)
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result, role=EXPERT) == {"E1"}


def test_locks_pinned_presiding_mediator_presides() -> None:
    pin = Member("M3", MEDIATOR, presiding=True)
    prob = problem([case(complexity=COMPLEX, pins=[pin])], full_bench())
    result = solved(prob)
    assert validate(prob, result) == []
    assert presiding(result) == ["M3"]


def test_locks_pinned_single_mediator_forms_a_valid_team() -> None:
    prob = problem([case(pins=[Member("M2", MEDIATOR)])], [mediator("M1", level=5), mediator("M2")])
    result = solved(prob)
    assert members(result) == {"M2"}
    assert validate(prob, result) == []


def test_locks_non_senior_chosen_mediator_on_second_instance_is_not_staffed() -> None:
    people = [mediator("M1"), mediator("S1", senior=True)]
    prob = problem([case(instance=2, chosen="M1")], people)
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()


def test_locks_previous_proposal_is_not_a_lock() -> None:
    previous = [Member("M1", MEDIATOR, presiding=True)]
    # M1 proposed earlier is now recused: the re-run must move the case to M2.
    recused = mediator("M1", affiliations=[Affiliation(BANK)])
    prob = problem([case(previous=previous)], [recused, mediator("M2")])
    result = solved(prob)
    assert validate(prob, result) == []
    assert members(result) == {"M2"}


def test_locks_validator_does_not_treat_previous_as_a_lock() -> None:
    previous = [Member("M1", MEDIATOR, presiding=True)]
    prob = problem([case(previous=previous)], [mediator("M1"), mediator("M2")])
    assert broken_rules(prob, ("C1", "M2", MEDIATOR, True)) == set()


def test_locks_recused_chosen_mediator_leaves_the_case_unassigned() -> None:
    chosen = mediator("M1", affiliations=[Affiliation(BANK)])
    prob = problem([case(chosen="M1")], [chosen, mediator("M2")])
    result = solved(prob)
    assert validate(prob, result) == []
    assert result.assignments == ()
    unassigned = result.unassigned[0]
    assert unassigned.reason == TEAM_INCOMPLETE
    assert unassigned.details["lock_breaks_rule"] == RECUSAL


@pytest.mark.parametrize(
    ("case_kw", "rows"),
    [
        ({"chosen": "M1"}, [("C1", "M2", MEDIATOR, True)]),
        ({"pins": [Member("M1", MEDIATOR, presiding=True)]}, [("C1", "M2", MEDIATOR, True)]),
    ],
    ids=["chosen_mediator", "pin"],
)
def test_locks_validator_flags_a_lost_lock(case_kw: dict[str, Any], rows: list[Member4]) -> None:
    prob = problem([case(**case_kw)], [mediator("M1"), mediator("M2")])
    assert broken_rules(prob, *rows) == {LOCKS}


# ---------------------------------------------------------------------------------------------
# The encoder agrees with rules.py and score.py
# ---------------------------------------------------------------------------------------------

INSTITUTIONS = ("BANK_A", "BANK_B", "INS_C")
SOME_CATEGORIES = CATEGORIES[:3]
ROSTER_POOL = (
    "ZY",
    "ZY",
    "ZY",
    "ZY",
    "JD1",
    "JD2",
    "ZY2",
    "JD3",
)  # sampled: ZY is the usual roster
CASE_COURTS = ("JD1", "JD1", "JD1", "JD2", "JD2", "ZY", "JD3")


def random_problem(seed: int) -> MatchingProblem:
    """A small instance that exercises every pair rule and score term, locks included."""
    rng = random.Random(seed)
    court_ids = [c.id for c in COURTS]
    people: list[Person] = []
    for i in range(rng.randint(8, 12)):
        roles = rng.choice([(MEDIATOR,), (MEDIATOR,), (EXPERT,), (MEDIATOR, EXPERT)])
        cats = rng.sample(SOME_CATEGORIES, rng.randint(2, 3))
        capacity = rng.randint(0, 5)
        affiliations = [
            Affiliation(
                rng.choice(INSTITUTIONS),
                rng.choice([None, TODAY - timedelta(days=rng.randint(0, 1000))]),
            )
            for _ in range(rng.choice([0, 0, 1, 2]))
        ]
        people.append(
            Person(
                id=f"P{i}",
                roles=frozenset(roles),
                specialties={c: rng.randint(1, 5) for c in cats},
                capacity=capacity,
                active_cases=rng.randint(0, capacity),
                evaluation=frozenset(rng.sample(SOME_CATEGORIES, rng.randint(0, 2))),
                is_senior=rng.random() < 0.4,
                base_court=rng.choice([None, *court_ids]),
                roster_courts=frozenset(rng.sample(ROSTER_POOL, rng.randint(1, 2))),
                affiliations=tuple(affiliations),
                conflict_institutions=frozenset(rng.sample(INSTITUTIONS, int(rng.random() < 0.2))),
                conflict_cases=frozenset(f"C{j}" for j in range(6) if rng.random() < 0.1),
                free_minutes=tuple(
                    rng.choice([0, 60, 120, 240, 480, 480]) for _ in range(rng.randint(0, 20))
                ),
                recent_assignments=rng.randint(0, 6),
                batches=frozenset(b for b in ("B1", "B2") if rng.random() < 0.3),
            )
        )
    ids = [p.id for p in people]
    cases: list[Case] = []
    for j in range(rng.randint(3, 6)):
        pins: list[Member] = []
        if rng.random() < 0.15:
            pins.append(Member(rng.choice(ids), rng.choice([MEDIATOR, EXPERT]), rng.random() < 0.5))
        previous = [
            Member(pid, rng.choice([MEDIATOR, EXPERT]), False)
            for pid in rng.sample(ids, rng.randint(0, 2))
        ]
        cases.append(
            Case(
                id=f"C{j}",
                court=rng.choice(CASE_COURTS),
                category=rng.choice(SOME_CATEGORIES),
                complexity=rng.choice(COMPLEXITIES),
                deadline=TODAY + timedelta(days=rng.randint(-1, 20)),
                parties=frozenset(rng.sample(INSTITUTIONS, rng.randint(0, 2))),
                instance=rng.choice([None, 1, 2]),
                is_small_claim=rng.random() < 0.2,
                needs_evaluation=rng.random() < 0.3,
                batch=rng.choice([None, "B1", "B2"]),
                chosen_mediator=rng.choice(ids) if rng.random() < 0.15 else None,
                pins=tuple(pins),
                other_roles=frozenset(rng.sample(ids, rng.randint(0, 1))),
                waivers=frozenset(rng.sample(ids, rng.randint(0, 2))),
                previous=tuple(previous),
            )
        )
    settings = Settings(
        today=TODAY,
        lookback_days=rng.randint(0, 900),
        urgent_days=rng.randint(0, 12),
        early_days=rng.randint(1, 7),
    )
    weights = Weights(**{name: rng.randint(0, 20) for name in Weights().as_dict()})
    return MatchingProblem(tuple(cases), tuple(people), COURTS, settings, weights)


def locks(c: Case) -> list[tuple[str, str]]:
    out = [(m.person, m.role) for m in c.pins]
    if c.chosen_mediator is not None and (c.chosen_mediator, MEDIATOR) not in out:
        out.append((c.chosen_mediator, MEDIATOR))
    return out


def expected_candidates(prob: MatchingProblem) -> set[tuple[str, str, str]]:
    """Pairs that pass pair_violation, for the roles each case still needs after its locks."""
    enc = encode(prob)
    out: set[tuple[str, str, str]] = set()
    for ci, c in enumerate(prob.cases):
        if enc.slots[ci].lock_error is not None:
            continue
        locked = locks(c)
        need = {
            MEDIATOR: c.mediators_needed() - sum(r == MEDIATOR for _, r in locked),
            EXPERT: c.experts_needed() - sum(r == EXPERT for _, r in locked),
        }
        locked_people = {pid for pid, _ in locked}
        for p in prob.people:
            for role in (MEDIATOR, EXPERT):
                free = need[role] > 0 and p.id not in locked_people
                if free and pair_violation(prob, c, p, role) is None:
                    out.add((c.id, p.id, role))
    return out


SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_encoder_candidates_equal_the_pairs_rules_allow(seed: int) -> None:
    prob = random_problem(seed)
    enc = encode(prob)
    got = {
        (prob.cases[c].id, prob.people[p].id, ROLE_NAMES[r])
        for c, p, r in zip(enc.case, enc.person, enc.role, strict=True)
    }
    assert len(got) == enc.pairs
    assert got == expected_candidates(prob)


@pytest.mark.parametrize("seed", SEEDS)
def test_encoder_flags_every_lock_that_breaks_a_pair_rule(seed: int) -> None:
    prob = random_problem(seed)
    enc = encode(prob)
    for ci, c in enumerate(prob.cases):
        people = {p.id: p for p in prob.people}
        broken = [pid for pid, role in locks(c) if pair_violation(prob, c, people[pid], role)]
        if broken:
            assert enc.slots[ci].lock_error is not None, (c.id, broken)


@pytest.mark.parametrize("seed", SEEDS)
def test_encoder_scores_equal_pair_score(seed: int) -> None:
    prob = random_problem(seed)
    enc = encode(prob)
    for c, p, r, s in zip(enc.case, enc.person, enc.role, enc.score, strict=True):
        expected = pair_score(prob, prob.cases[c], prob.people[p], ROLE_NAMES[r])
        assert int(s) == expected, (prob.cases[c].id, prob.people[p].id, ROLE_NAMES[r])


def test_encoder_random_instances_are_not_trivial() -> None:
    """The seeds exercise the comparison: candidates exist and several rules exclude pairs."""
    excluded: set[str] = set()
    pairs = 0
    for seed in SEEDS:
        prob = random_problem(seed)
        pairs += encode(prob).pairs
        for c in prob.cases:
            for p in prob.people:
                for role in (MEDIATOR, EXPERT):
                    rule = pair_violation(prob, c, p, role)
                    if rule is not None:
                        excluded.add(rule)
    assert pairs >= 100
    assert excluded == {ELIGIBILITY, ROSTER_SCOPE, RECUSAL, CAPACITY, AVAILABILITY}


def test_encoder_counts_a_repeated_previous_entry_once() -> None:
    previous = [Member("M1", MEDIATOR), Member("M1", MEDIATOR)]
    prob = problem([case(previous=previous)], [mediator("M1")])
    enc = encode(prob)
    assert int(enc.score[0]) == pair_score(prob, prob.cases[0], prob.people[0], MEDIATOR)


# ---------------------------------------------------------------------------------------------
# All rules together: the solver's result passes the validator on random instances
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_solver_result_passes_the_validator(seed: int) -> None:
    prob = random_problem(seed)
    assert validate(prob, solved(prob)) == []
