"""Baselines the solver must beat, scored with exactly the solver's objective.

Both start from :func:`matcher.encode.encode`, which prunes every pair a pair-level hard rule
forbids (eligibility, roster scope, recusal with look-back and waivers, availability, evaluation)
and scores the rest with :mod:`matcher.score`. Both report the objective that
:func:`matcher.score.evaluate` recomputes, so their figures compare with the solver's.

- :func:`greedy`: cases by deadline; each slot takes the candidate with the best marginal
  objective (pair score minus the workload increment, the rise in the busiest person's
  utilisation and a batch split) among those with capacity left. Teams are all or nothing.
- :func:`naive_cpsat`: the solver's own CP-SAT model (:func:`matcher.model.build`) over every
  candidate pair, one boolean each, with no pruning, no flow and no hint.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from ortools.sat.python import cp_model

from matcher import model as cpsat
from matcher.encode import Encoded, encode
from matcher.problem import EXPERT, MEDIATOR, MatchingProblem
from matcher.result import (
    CAPACITY_EXHAUSTED,
    FEASIBLE,
    NO_ELIGIBLE_SPECIALIST,
    OPTIMAL,
    TEAM_INCOMPLETE,
    Assignment,
    MatchResult,
    Unassigned,
)
from matcher.score import (
    BATCH_UNIT,
    MAX_UTILISATION_UNIT,
    balance_increment,
    evaluate,
    utilisation_pct,
)

ROLE_NAMES = (MEDIATOR, EXPERT)


def _groups(enc: Encoded) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """(case, role) -> (candidate indices, person indices)."""
    key = enc.case * 2 + enc.role
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    ends = np.r_[starts[1:], order.size]
    return {
        (int(k) // 2, int(k) % 2): (order[s:e], enc.person[order[s:e]])
        for k, s, e in zip(keys, starts, ends, strict=True)
    }


def _kpis(problem: MatchingProblem, members: Sequence[Assignment]) -> dict[str, float]:
    staffed = len({a.case for a in members})
    return {
        "cases_assigned": float(staffed),
        "cases_unassigned": float(len(problem.cases) - staffed),
    }


def _result(
    problem: MatchingProblem,
    members: list[Assignment],
    unassigned: list[Unassigned],
    *,
    status: str,
    bound: int | None,
    start: float,
    stats: dict[str, object],
) -> MatchResult:
    objective = evaluate(problem, [(a.case, a.person, a.role, a.presiding) for a in members])
    stats = {**stats, "bound_known": bound is not None}
    return MatchResult(
        status=status,
        objective=objective.objective,
        bound=objective.objective if bound is None else bound,
        seconds=time.perf_counter() - start,
        assignments=tuple(members),
        unassigned=tuple(unassigned),
        kpis=_kpis(problem, members),
        stats=stats,
    )


# --- greedy --------------------------------------------------------------------------------------


class _Loads:
    """Each person's load, the cost of one more case and the busiest utilisation, kept current."""

    def __init__(self, enc: Encoded, weight: int) -> None:
        self.cap = enc.capacity
        self.load = enc.active.copy()
        self.weight = weight
        n = self.cap.size
        self.inc = np.zeros(n, dtype=np.int64)
        self.next_util = np.zeros(n, dtype=np.int64)
        for p in range(n):
            self._refresh(p)
        people = enc.problem.people
        self.max_util = max(
            (utilisation_pct(p.capacity, int(self.load[i])) for i, p in enumerate(people)),
            default=0,
        )

    def _refresh(self, p: int) -> None:
        cap, load = int(self.cap[p]), int(self.load[p])
        self.inc[p] = balance_increment(self.weight, cap, load) if self.weight else 0
        self.next_util[p] = utilisation_pct(cap, load + 1)

    def add(self, p: int, delta: int) -> None:
        self.load[p] += delta
        self._refresh(p)
        if delta > 0:
            self.max_util = max(self.max_util, utilisation_pct(int(self.cap[p]), int(self.load[p])))


def greedy(problem: MatchingProblem) -> MatchResult:
    """Earliest deadline first; every slot takes the best marginal objective with capacity left."""
    start = time.perf_counter()
    pure = problem.settings.pure
    enc = encode(problem)
    groups = _groups(enc)
    w = problem.weights
    weight = 0 if pure else w.workload
    split_cost = 0 if pure else w.batch * BATCH_UNIT
    loads = _Loads(enc, weight)
    cases = problem.cases
    people = problem.people
    leads: dict[str, set[int]] = defaultdict(set)
    for ci, sl in enumerate(enc.slots):
        batch = cases[ci].batch
        if sl.lock_error is None and batch is not None:
            leads[batch].update(p for p, role, pres in sl.locked if role == 0 and pres)
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    members: list[Assignment] = []
    unassigned: list[Unassigned] = []
    for ci in sorted(range(len(cases)), key=lambda i: (cases[i].deadline, i)):
        case, sl = cases[ci], enc.slots[ci]
        if sl.lock_error is not None:
            unassigned.append(Unassigned(case.id, TEAM_INCOMPLETE, {"lock": sl.lock_error}))
            continue
        taken = {p for p, _, _ in sl.locked}
        lock_presides = any(pres for _, _, pres in sl.locked)
        # (role, must be senior, presides) for each open slot; the presiding one first.
        slots: list[tuple[int, bool, bool]] = []
        for k in range(sl.mediators):
            presides = k == 0 and not lock_presides
            slots.append((0, presides and sl.senior_presiding, presides))
        slots += [(1, False, False)] * sl.experts
        picks: list[tuple[int, int, bool]] = []
        failed: str | None = None
        for role, senior, presides in slots:
            cand, person = groups.get((ci, role), empty)
            ok = loads.load[person] < loads.cap[person]
            ok &= ~np.isin(person, list(taken)) if taken else True
            if senior:
                ok &= enc.senior[person]
            if not ok.any():
                if cand.size == 0:
                    failed = NO_ELIGIBLE_SPECIALIST
                elif not (loads.load[person] < loads.cap[person]).any():
                    failed = CAPACITY_EXHAUSTED
                else:
                    failed = TEAM_INCOMPLETE
                break
            value = enc.score[cand] - loads.inc[person]
            rise = np.maximum(loads.next_util[person] - loads.max_util, 0)
            value = value - weight * MAX_UTILISATION_UNIT * rise
            if presides and case.batch is not None and leads[case.batch]:
                kept = np.isin(person, list(leads[case.batch]))
                value = value - np.where(kept, 0, split_cost)
            best = int(np.argmax(np.where(ok, value, np.iinfo(np.int64).min)))
            p = int(person[best])
            taken.add(p)
            picks.append((p, role, presides))
            loads.add(p, 1)
        if failed is not None:
            for p, _, _ in picks:
                loads.add(p, -1)
            for p, _, _ in sl.locked:
                loads.add(p, -1)
            unassigned.append(Unassigned(case.id, failed, {}))
            continue
        team = list(sl.locked) + picks
        for p, role, presides in team:
            members.append(Assignment(case.id, people[p].id, ROLE_NAMES[role], presides))
            if presides and case.batch is not None:
                leads[case.batch].add(p)
    return _result(
        problem,
        members,
        unassigned,
        status=FEASIBLE,
        bound=None,
        start=start,
        stats={"pairs": enc.pairs},
    )


# --- naive CP-SAT --------------------------------------------------------------------------------


def _members(
    enc: Encoded, built: cpsat.Model, chosen: set[int], presiding: set[int]
) -> tuple[list[Assignment], list[Unassigned]]:
    """Complete teams from a CP-SAT selection, with the presiding flags the model implies."""
    problem = enc.problem
    per_case: dict[int, list[int]] = defaultdict(list)
    for i in chosen:
        per_case[int(enc.case[i])].append(i)
    has_presiding_var = {int(enc.case[i]) for i in built.presiding}
    members: list[Assignment] = []
    unassigned: list[Unassigned] = []
    for ci, sl in enumerate(enc.slots):
        case = problem.cases[ci]
        idx = sorted(per_case.get(ci, []), key=lambda i: (int(enc.role[i]), int(enc.person[i])))
        if sl.lock_error is not None or len(idx) != sl.total:
            unassigned.append(Unassigned(case.id, TEAM_INCOMPLETE, {}))
            continue
        lock_presides = any(pres for _, _, pres in sl.locked)
        for p, role, pres in sl.locked:
            members.append(Assignment(case.id, problem.people[p].id, ROLE_NAMES[role], pres))
        for i in idx:
            role = int(enc.role[i])
            if role != 0 or lock_presides:
                presides = False
            elif ci in has_presiding_var:
                presides = int(i) in presiding
            else:
                presides = True  # the case's only mediator
            person = problem.people[int(enc.person[i])].id
            members.append(Assignment(case.id, person, ROLE_NAMES[role], presides))
    return members, unassigned


def naive_cpsat(
    problem: MatchingProblem, time_limit: float, workers: int = 2, seed: int = 0
) -> MatchResult:
    """One CP-SAT model, one boolean per candidate pair, no warm start, within ``time_limit``
    seconds of wall time (encoding and building included)."""
    start = time.perf_counter()
    enc = encode(problem)
    cand = np.arange(enc.pairs, dtype=np.int64)
    built = cpsat.build(enc, cand, pure=problem.settings.pure)
    build_seconds = time.perf_counter() - start
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - build_seconds)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.solve(built.model)
    stats: dict[str, object] = {
        "pairs": enc.pairs,
        "build_seconds": round(build_seconds, 3),
        "cpsat_status": solver.status_name(code),
    }
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        unassigned = [Unassigned(c.id, TEAM_INCOMPLETE, {}) for c in problem.cases]
        return _result(
            problem, [], unassigned, status=FEASIBLE, bound=None, start=start, stats=stats
        )
    chosen, presiding = cpsat.selected(built, solver)
    members, unassigned = _members(enc, built, chosen, presiding)
    result = _result(
        problem, members, unassigned, status=FEASIBLE, bound=None, start=start, stats=stats
    )
    bound = _full_coverage_bound(enc, built, solver, members, result.objective)
    stats["bound_known"] = bound is not None
    return MatchResult(
        status=OPTIMAL if code == cp_model.OPTIMAL else FEASIBLE,
        objective=result.objective,
        bound=result.objective if bound is None else bound,
        seconds=result.seconds,
        assignments=result.assignments,
        unassigned=result.unassigned,
        kpis=result.kpis,
        stats={**result.stats, **stats},
    )


def _coverage(enc: Encoded, cases: set[int]) -> int:
    """The model's coverage reward for staffing these cases (COVERAGE_UNIT per slot)."""
    return cpsat.COVERAGE_UNIT * sum(enc.slots[ci].total for ci in cases)


def _lock_terms(problem: MatchingProblem, enc: Encoded, cases: set[int]) -> int:
    """What the model leaves out as constants: the locked members' pair scores and workload."""
    locked = [
        (problem.cases[ci].id, problem.people[p].id, ROLE_NAMES[role], pres)
        for ci in cases
        for p, role, pres in enc.slots[ci].locked
    ]
    terms = evaluate(problem, locked).terms
    return sum(v for k, v in terms.items() if k not in ("max_utilisation", "batch_cohesion"))


def _full_coverage_bound(
    enc: Encoded,
    built: cpsat.Model,
    solver: cp_model.CpSolver,
    members: Sequence[Assignment],
    objective: int,
) -> int | None:
    """An upper bound on the objective among solutions that staff every case the locks allow
    (the benchmark instances are built so that one exists), or None if the model's units do not
    check out against the solution found."""
    problem = enc.problem
    index = problem.case_index
    staffed = {index[a.case] for a in members}
    staffable = {ci for ci, sl in enumerate(enc.slots) if sl.lock_error is None}
    if staffed == staffable:
        # Check the units: model value = coverage + objective - the locks' constant terms.
        expected = _coverage(enc, staffable & set(built.assigned)) + objective
        expected -= _lock_terms(problem, enc, staffable)
        if abs(expected - round(solver.objective_value)) > 1:
            return None
    full = _coverage(enc, staffable & set(built.assigned))
    bound = round(solver.best_objective_bound) - full + _lock_terms(problem, enc, staffable)
    return max(bound, objective) if staffed == staffable else bound
