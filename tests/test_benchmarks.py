"""The benchmark generator, its baselines and the ``python -m benchmarks.matching`` harness."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.baselines import greedy, naive_cpsat
from benchmarks.generate import (
    SIZES,
    aggregate_tightness,
    dimensions,
    generate,
    generate_planted,
    tightness,
)
from matcher.instance import dump_problem, load_problem
from matcher.problem import CATEGORIES, EXPERT, MEDIATOR, MatchingProblem
from matcher.result import MatchResult
from matcher.rules import recusal_ground, served_courts
from matcher.score import evaluate
from matcher.validate import validate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small() -> MatchingProblem:
    return generate("S", 0)


def _as_result(problem: MatchingProblem, assignments: tuple) -> MatchResult:  # type: ignore[type-arg]
    objective = evaluate(problem, [(a.case, a.person, a.role, a.presiding) for a in assignments])
    return MatchResult(
        "feasible", objective.objective, objective.objective, 0.0, assignments, (), {}
    )


# --- the generator -------------------------------------------------------------------------------


def test_the_same_seed_gives_an_equal_problem_and_another_seed_does_not() -> None:
    assert generate("S", 3) == generate("S", 3)
    assert generate("S", 3) != generate("S", 4)
    assert generate((60, 40), 1, pure=True) == generate((60, 40), 1, pure=True)


def test_size_knobs() -> None:
    assert dimensions("S") == (200, 120) == SIZES["S"]
    assert dimensions("m") == (2_000, 500)
    assert dimensions("L") == (20_000, 5_000)
    problem = generate((60, 40), 0)
    assert (len(problem.cases), len(problem.people)) == (60, 40)
    assert generate("S", 0, pure=True).settings.pure
    with pytest.raises(ValueError, match="size"):
        dimensions("XL")


def test_the_instance_survives_the_json_format(small: MatchingProblem) -> None:
    """Construction validated it; the instance format reads back exactly what it wrote."""
    assert load_problem(json.loads(json.dumps(dump_problem(small)))) == small


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_category_takes_at_least_90_percent_of_its_eligible_capacity(seed: int) -> None:
    problem = generate("S", seed)
    per_category = tightness(problem)
    assert set(per_category) <= set(CATEGORIES)
    assert len(per_category) >= 6
    assert min(per_category.values()) >= 0.9, per_category
    assert 0.9 <= aggregate_tightness(problem) <= 1.0


def test_pure_instances_are_tight_too() -> None:
    assert min(tightness(generate("S", 0, pure=True)).values()) >= 0.9


@pytest.mark.parametrize("pure", [False, True])
def test_a_complete_assignment_is_planted_so_the_instance_is_feasible(pure: bool) -> None:
    problem, planted = generate_planted("S", 5, pure=pure)
    assert {a.case for a in planted} == {c.id for c in problem.cases}
    assert validate(problem, _as_result(problem, planted)) == []


def test_the_instance_looks_like_a_mediation_center(small: MatchingProblem) -> None:
    cases, people = small.cases, small.people
    intermediate = {c.id for c in small.courts if c.parent is None}
    basic = [c for c in small.courts if c.parent is not None]
    assert len(basic) >= 6 and all(c.parent in intermediate for c in basic)
    mix = Counter(c.category for c in cases)
    assert {mix.most_common(2)[0][0], mix.most_common(2)[1][0]} <= {
        "credit_card",
        "financial_loan",
        "guarantee",
    }
    roles = Counter(frozenset(p.roles) for p in people)
    assert roles[frozenset({MEDIATOR, EXPERT})] > 0
    assert 0.1 <= sum(p.is_senior for p in people) / len(people) <= 0.45
    # Roster scope: some sit on an intermediate court's roster and serve its basic courts.
    on_intermediate = [p for p in people if p.roster_courts & intermediate]
    assert on_intermediate and all(len(served_courts(small, p)) > 1 for p in on_intermediate)
    # Teams, evaluations, small claims, second instance at the intermediate court.
    assert 0.12 <= sum(c.is_team for c in cases) / len(cases) <= 0.3
    assert any(c.needs_evaluation for c in cases) and any(c.is_small_claim for c in cases)
    second = [c for c in cases if c.instance == 2]
    assert second and all(c.court in intermediate and c.needs_senior_presiding for c in second)
    # Locks and earlier proposals.
    assert any(c.chosen_mediator for c in cases) and any(c.pins for c in cases)
    assert any(c.previous for c in cases)
    # Affiliations and declared conflicts recuse people from real cases; some are waived.
    grounds = Counter(
        recusal_ground(small, c, p)
        for c in cases
        for p in people
        if c.category in p.specialties and c.court in served_courts(small, p)
    )
    assert grounds["affiliation"] > 0
    assert any(p.affiliations and p.affiliations[0].until is not None for p in people)
    assert any(c.waivers for c in cases)


def test_batches_outgrow_any_single_mediator(small: MatchingProblem) -> None:
    """The batch term is active: no one mediator can keep a whole batch."""
    batches = Counter(c.batch for c in small.cases if c.batch is not None)
    assert batches and all(n >= 8 for n in batches.values())
    most_free = max(p.capacity - p.active_cases for p in small.people if MEDIATOR in p.roles)
    assert max(batches.values()) > most_free
    assert any(set(batches) & p.batches for p in small.people)  # kept from earlier days


def test_workload_is_active_capacity_binds_and_utilisation_varies(small: MatchingProblem) -> None:
    free = [p.capacity - p.active_cases for p in small.people]
    assert all(p.capacity >= 6 for p in small.people)
    assert all(0 <= f <= p.capacity for f, p in zip(free, small.people, strict=True))
    utilisation = {round(p.active_cases / p.capacity, 2) for p in small.people}
    assert len(utilisation) > 10


# --- baselines -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pure", [False, True])
def test_greedy_breaks_no_hard_rule(pure: bool) -> None:
    problem = generate("S", 1, pure=pure)
    result = greedy(problem)
    assert validate(problem, result) == []
    assert (
        result.objective
        == evaluate(
            problem, [(a.case, a.person, a.role, a.presiding) for a in result.assignments]
        ).objective
    )
    assert len({a.case for a in result.assignments}) >= 0.8 * len(problem.cases)


def test_greedy_is_deterministic(small: MatchingProblem) -> None:
    assert greedy(small).assignments == greedy(small).assignments


def test_naive_cpsat_breaks_no_hard_rule_and_its_bound_is_in_objective_units() -> None:
    problem = generate((40, 30), 2)
    result = naive_cpsat(problem, time_limit=5.0, workers=1, seed=0)
    assert validate(problem, result) == []
    assert not result.unassigned  # a full staffing, so the units check in the bound ran
    assert result.stats["bound_known"]
    assert result.bound >= result.objective
    if result.status == "optimal":
        assert result.bound == result.objective


# --- the harness ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_python_m_benchmarks_matching_prints_one_json_object() -> None:
    pytest.importorskip("matcher.solve", reason="the solver (matcher.solve) is not written yet")
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.matching", "--size", "S", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    out = json.loads(run.stdout)
    assert (out["size"], out["cases"], out["people"]) == ("S", 200, 120)
    assert out["pairs"] > 0 and out["peak_rss_mb"] > 0
    for name in ("solver", "greedy", "naive_cpsat"):
        figures = out[name]
        assert set(figures) >= {"objective", "bound", "ratio", "seconds", "violations"}
        assert figures["violations"] == 0, name
        assert figures["ratio"] is None or figures["ratio"] <= 1.0 + 1e-9, name
    assert out["best_bound"] <= out["solver"]["bound"]


@pytest.mark.slow
def test_pure_mode_reports_the_exact_min_cost_flow_optimum() -> None:
    pytest.importorskip("matcher.solve", reason="the solver (matcher.solve) is not written yet")
    from benchmarks.matching import run

    out = run("S", seed=0, time_limit=1.0, pure=True, naive=False)
    assert set(out["min_cost_flow"]) >= {"objective", "seconds"}
    assert out["best_bound"] <= out["min_cost_flow"]["objective"]
    assert out["solver"]["violations"] == 0 and out["greedy"]["violations"] == 0
    assert out["greedy"]["objective"] <= out["min_cost_flow"]["objective"]
