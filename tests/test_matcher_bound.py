"""The Lagrangian bound against an independent exact oracle (a HiGHS MIP of the objective) on
small tight instances from the benchmark generator: batches with pins, teams, tight capacity."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from benchmarks.generate import generate
from matcher.bound import lagrangian_bound
from matcher.encode import encode
from matcher.flow import solve_flow
from matcher.leads import ComponentScore, complete_teams, components, lead_search
from matcher.problem import MatchingProblem
from matcher.solve import _flow_bound, _lock_constant, _rank, solve
from matcher.validate import validate
from tests.mip_oracle import optimum

CASES = [((60, 40), 0), ((60, 40), 1), ((80, 50), 0), ((80, 50), 1)]


def bound_of(problem: MatchingProblem, incumbent: int, **kw: int) -> tuple[int, int]:
    """(Lagrangian bound, flow bound) from the flow's duals."""
    enc = encode(problem)
    flow = solve_flow(enc, pure=False, weight=problem.weights.workload, duals=True)
    assert flow.slot_value is not None
    result = lagrangian_bound(
        enc,
        flow.slot_value,
        incumbent=incumbent,
        constant=_lock_constant(enc),
        deadline=time.perf_counter() + 5,
        **kw,
    )
    assert result is not None
    return result.bound, _flow_bound(enc, flow.quality)


@pytest.mark.parametrize(("size", "seed"), CASES)
def test_bound_lies_between_the_optimum_and_the_flow_bound(
    size: tuple[int, int], seed: int
) -> None:
    problem = generate(size, seed=seed)
    best = optimum(problem)
    bound, flow_bound = bound_of(problem, best)
    assert best <= bound < flow_bound  # batch charges tighten it


@pytest.mark.parametrize(("size", "seed"), CASES)
def test_solver_reaches_the_oracle_optimum_on_small_instances(
    size: tuple[int, int], seed: int
) -> None:
    problem = generate(size, seed=seed)
    result = solve(problem, time_limit=10.0, workers=2)
    assert validate(problem, result) == []
    assert result.objective == optimum(problem)
    assert result.status == "optimal"
    assert result.bound == result.objective


def test_without_batch_charges_the_flow_duals_are_already_optimal() -> None:
    # Flow duals as multipliers reproduce the network optimum at the first evaluation.
    problem = generate((80, 50), seed=0)
    problem = replace(problem, weights=replace(problem.weights, batch=0))
    bound, flow_bound = bound_of(problem, 0, max_iterations=1)
    assert optimum(problem) <= bound <= flow_bound


def test_pure_mode_has_no_lagrangian_bound() -> None:
    problem = generate((40, 30), seed=0, pure=True)
    enc = encode(problem)
    assert lagrangian_bound(enc, np.zeros(1), incumbent=0, constant=0, deadline=0.0) is None


@pytest.mark.parametrize(("size", "seed"), [((120, 70), 0), ((200, 120), 3)])
def test_component_score_matches_evaluate(size: tuple[int, int], seed: int) -> None:
    # The lead search rescoring one component at a time must agree with the full objective.
    problem = generate(size, seed=seed)
    enc = encode(problem)
    scorer = ComponentScore(enc, _lock_constant(enc))
    labels = scorer.case_label[enc.case]
    rng = np.random.default_rng(seed)
    for weight_bonus in (0, 40, -40):
        bonus = rng.integers(-abs(weight_bonus), abs(weight_bonus) + 1, size=enc.pairs)
        flow = solve_flow(enc, pure=False, weight=problem.weights.workload, bonus=bonus)
        solution = complete_teams(enc, flow.chosen.tolist(), flow.presiding.tolist())
        chosen = np.fromiter(solution.chosen, dtype=np.int64)
        for k in np.unique(labels).tolist():
            scorer.part(k, solution, chosen[labels[chosen] == k])
        assert scorer.total() == _rank(enc, solution)


def test_components_split_the_candidate_graph_by_city() -> None:
    problem = generate((600, 300), seed=0)
    enc = encode(problem)
    case_label, person_label = components(enc)
    # Every candidate pair lies inside one component.
    assert (case_label[enc.case] == person_label[enc.person]).all()
    assert np.unique(case_label).size > 1


@pytest.mark.parametrize(("size", "seed"), [((200, 120), 0), ((300, 150), 1)])
def test_lead_search_never_worsens_and_stays_valid(size: tuple[int, int], seed: int) -> None:
    problem = generate(size, seed=seed)
    enc = encode(problem)
    flow = solve_flow(enc, pure=False, weight=problem.weights.workload)
    start = complete_teams(enc, flow.chosen.tolist(), flow.presiding.tolist())
    stats: dict[str, object] = {}
    found = lead_search(
        enc,
        start,
        lock_constant=_lock_constant(enc),
        suggested={},
        ranked={},
        deadline=time.perf_counter() + 30,
        stats=stats,
    )
    assert _rank(enc, found) >= _rank(enc, start)
    assert stats["lead_search_exhausted"] is True
    result = solve(problem, time_limit=5.0, workers=2)
    assert validate(problem, result) == []
