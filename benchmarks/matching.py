"""``python -m benchmarks.matching --size {S,M,L}``: the solver and its baselines on one instance.

Generates a seeded instance (:mod:`benchmarks.generate`), solves it with ``matcher.solve``,
validates the result with ``matcher.validate``, then runs the greedy and the naive CP-SAT
baselines (:mod:`benchmarks.baselines`) on the same instance in the same process, the naive one
with the same time limit. Prints one JSON object (``--json``) or a short table.

``ratio`` is objective / the best upper bound known: the smallest of the solver's bound and the
naive CP-SAT model's bound (and, with ``--pure``, the exact min-cost-flow optimum). Bounds are
bounds among solutions that staff every case; the instances are built so that one exists.
``peak_rss_mb`` is the process's peak resident set after generating, solving and validating,
before the baselines run; ``peak_rss_mb_with_baselines`` is the peak at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from benchmarks.baselines import greedy, naive_cpsat
from benchmarks.generate import SIZES, aggregate_tightness, generate, tightness
from matcher.encode import encode
from matcher.problem import MatchingProblem
from matcher.result import MatchResult
from matcher.score import evaluate

DEFAULT_TIME_LIMITS = {"S": 1.0, "M": 10.0, "L": 120.0}


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports kB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def min_cost_flow_optimum(problem: MatchingProblem) -> dict[str, Any]:
    """The exact optimum of the pure problem by OR-Tools min-cost flow: one mediator per case,
    free capacities, the encoder's candidate pairs (every pair-level hard rule pruned), pair
    scores as negated costs; the most cases first, then the best score. Locks are ignored
    (pure benchmark instances have none)."""
    start = time.perf_counter()
    enc = encode(problem)
    med = enc.role == 0
    case, person, score = enc.case[med], enc.person[med], enc.score[med]
    n_people, n_cases = enc.capacity.size, len(problem.cases)
    source, sink = n_people + n_cases, n_people + n_cases + 1
    free = np.maximum(enc.capacity - enc.active, 0)
    people = np.arange(n_people, dtype=np.int64)
    cases = np.arange(n_cases, dtype=np.int64)
    tails = np.concatenate([np.full(n_people, source), person, n_people + cases])
    heads = np.concatenate([people, n_people + case, np.full(n_cases, sink)])
    caps = np.concatenate([free, np.ones(case.size, np.int64), np.ones(n_cases, np.int64)])
    costs = np.concatenate([np.zeros(n_people, np.int64), -score, np.zeros(n_cases, np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int64), heads.astype(np.int64), caps.astype(np.int64), costs
    )
    flow.set_node_supply(source, n_cases)
    flow.set_node_supply(sink, -n_cases)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    arcs = n_people + np.arange(case.size, dtype=np.int64)
    used = flow.flows(arcs) > 0
    members = [
        (problem.cases[int(c)].id, problem.people[int(p)].id, "mediator", True)
        for c, p in zip(case[used], person[used], strict=True)
    ]
    return {
        "objective": evaluate(problem, members).objective,
        "assigned": int(used.sum()),
        "seconds": round(time.perf_counter() - start, 3),
    }


def _validate(problem: MatchingProblem, result: MatchResult) -> int | None:
    try:
        from matcher.validate import validate
    except ModuleNotFoundError:  # pragma: no cover - the validator is part of the matcher
        return None
    return len(validate(problem, result))


def _figures(problem: MatchingProblem, result: MatchResult, *, bound: int | None) -> dict[str, Any]:
    return {
        "status": result.status,
        "objective": result.objective,
        "bound": bound,
        "ratio": None,
        "seconds": round(result.seconds, 3),
        "violations": _validate(problem, result),
        "assigned": len({a.case for a in result.assignments}),
    }


def _ratio(objective: int, bound: int | None) -> float | None:
    if bound is None or bound <= 0:
        return None
    return round(objective / bound, 5)


def run(
    size: str,
    *,
    seed: int = 0,
    time_limit: float | None = None,
    pure: bool = False,
    workers: int = 2,
    naive: bool = True,
) -> dict[str, Any]:
    """Generate, solve, validate and compare; the benchmark's JSON object."""
    from matcher.solve import solve

    limit = DEFAULT_TIME_LIMITS[size] if time_limit is None else time_limit
    start = time.perf_counter()
    problem = generate(size, seed, pure=pure)
    generate_seconds = time.perf_counter() - start
    per_category = tightness(problem)

    solved = solve(problem, time_limit=limit, workers=workers, seed=seed)
    out: dict[str, Any] = {
        "size": size,
        "seed": seed,
        "pure": pure,
        "time_limit": limit,
        "cases": len(problem.cases),
        "people": len(problem.people),
        "pairs": None,
        "peak_rss_mb": None,
        "generate_seconds": round(generate_seconds, 3),
        "tightness": {
            "min_category": round(min(per_category.values()), 4),
            "aggregate": round(aggregate_tightness(problem), 4),
        },
        "solver": _figures(problem, solved, bound=solved.bound),
    }
    out["peak_rss_mb"] = peak_rss_mb()

    greedy_result = greedy(problem)
    out["pairs"] = solved.stats.get("pairs", greedy_result.stats.get("pairs"))
    out["greedy"] = _figures(problem, greedy_result, bound=None)
    bounds = [solved.bound]
    if naive:
        naive_result = naive_cpsat(problem, limit, workers=workers, seed=seed)
        naive_bound = naive_result.bound if naive_result.stats.get("bound_known") else None
        out["naive_cpsat"] = _figures(problem, naive_result, bound=naive_bound)
        if naive_bound is not None:
            bounds.append(naive_bound)
    if pure:
        out["min_cost_flow"] = min_cost_flow_optimum(problem)
        bounds.append(out["min_cost_flow"]["objective"])
    best = min(bounds)
    out["best_bound"] = best
    for name in ("solver", "greedy", "naive_cpsat"):
        if name in out:
            out[name]["ratio"] = _ratio(out[name]["objective"], best)
    out["peak_rss_mb_with_baselines"] = peak_rss_mb()
    return out


def _table(out: dict[str, Any]) -> str:
    lines = [
        f"size {out['size']} (seed {out['seed']}{', pure' if out['pure'] else ''}): "
        f"{out['cases']} cases x {out['people']} people, {out['pairs']} pairs, "
        f"tightness min {out['tightness']['min_category']} / all {out['tightness']['aggregate']}",
        f"best bound {out['best_bound']}, peak RSS {out['peak_rss_mb']} MB",
        f"{'':12} {'objective':>10} {'ratio':>8} {'assigned':>9} {'seconds':>8} {'violations':>10}",
    ]
    for name in ("solver", "greedy", "naive_cpsat", "min_cost_flow"):
        if name in out:
            f = out[name]
            lines.append(
                f"{name:12} {f['objective']:>10} {f.get('ratio') or '':>8} "
                f"{f.get('assigned', ''):>9} {f['seconds']:>8} {f.get('violations', ''):>10}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.matching", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds (default: S 1, M 10, L 120)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pure", action="store_true", help="side constraints off; adds the flow")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive CP-SAT baseline")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    out = run(
        args.size,
        seed=args.seed,
        time_limit=args.time_limit,
        pure=args.pure,
        workers=args.workers,
        naive=not args.no_naive,
    )
    print(json.dumps(out) if args.json else _table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
