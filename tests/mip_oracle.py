"""An independent exact oracle for the whole matching objective: a mixed-integer program solved
by HiGHS (bundled with OR-Tools), written from the objective's definition in ``matcher.score``
and not from the solver's CP-SAT model. Only for small instances in tests."""

from __future__ import annotations

from collections import defaultdict

from ortools.linear_solver import pywraplp

from matcher.encode import encode
from matcher.problem import MatchingProblem
from matcher.score import BATCH_UNIT, MAX_UTILISATION_UNIT, balance_increment, utilisation_pct
from matcher.solve import _lock_constant


def optimum(problem: MatchingProblem, time_limit: float = 60.0) -> int:
    """The best objective among solutions that staff every staffable case (which the benchmark
    generator guarantees exists). Raises if HiGHS does not prove it in time."""
    enc = encode(problem)
    w = problem.weights
    mip = pywraplp.Solver.CreateSolver("HIGHS")
    x = [mip.BoolVar(f"x{i}") for i in range(enc.pairs)]
    by_case_role, by_person, by_case_person = (
        defaultdict(list),
        defaultdict(list),
        defaultdict(list),
    )
    for i in range(enc.pairs):
        by_case_role[(int(enc.case[i]), int(enc.role[i]))].append(i)
        by_person[int(enc.person[i])].append(i)
        by_case_person[(int(enc.case[i]), int(enc.person[i]))].append(i)
    lead = {}
    for ci, sl in enumerate(enc.slots):
        if sl.lock_error or sl.total == 0:
            continue
        for role, need in ((0, sl.mediators), (1, sl.experts)):
            mip.Add(sum(x[i] for i in by_case_role[(ci, role)]) == need)
        if any(presides for _, _, presides in sl.locked):
            continue
        if sl.mediators <= 1 and not sl.senior_presiding:
            lead.update({i: x[i] for i in by_case_role[(ci, 0)]})
            continue
        heads = []
        for i in by_case_role[(ci, 0)]:
            if sl.senior_presiding and not enc.senior[enc.person[i]]:
                continue
            z = mip.BoolVar(f"z{i}")
            mip.Add(z <= x[i])
            heads.append(z)
            lead[i] = z
        mip.Add(sum(heads) == 1)
    for ks in by_case_person.values():
        mip.Add(sum(x[i] for i in ks) <= 1)
    objective = [sum(int(enc.score[i]) * x[i] for i in range(enc.pairs))]
    busiest = max(
        utilisation_pct(int(c), int(a)) for c, a in zip(enc.capacity, enc.active, strict=True)
    )
    top = mip.NumVar(busiest, 100, "max_utilisation")
    for p, ks in by_person.items():
        cap, act = int(enc.capacity[p]), int(enc.active[p])
        load = sum(x[i] for i in ks)
        mip.Add(load <= max(cap - act, 0))
        mip.Add(cap * top >= 100 * (act + load))
        incs = [balance_increment(w.workload, cap, act + j) for j in range(max(cap - act, 0))]
        if incs:
            cost = mip.NumVar(0, sum(incs), f"cost{p}")
            acc = 0
            for j, inc in enumerate(incs):
                mip.Add(cost >= acc + inc * (load - j))
                acc += inc
            objective.append(-cost)
    objective.append(-w.workload * MAX_UTILISATION_UNIT * top)
    # Batch cohesion: every lead mediator of a batch past the first is a split.
    members = defaultdict(list)
    for ci, case in enumerate(problem.cases):
        if case.batch is not None:
            members[case.batch].append(ci)
    locked_leads = defaultdict(set)
    for batch, cis in members.items():
        for ci in cis:
            locked_leads[batch] |= {p for p, _, presides in enc.slots[ci].locked if presides}
    leads = defaultdict(list)
    for i, var in lead.items():
        batch = problem.cases[int(enc.case[i])].batch
        if batch is not None:
            leads[(batch, int(enc.person[i]))].append(var)
    per_batch = defaultdict(list)
    for (batch, p), vs in leads.items():
        if p in locked_leads[batch]:
            continue
        y = mip.BoolVar(f"y{batch}{p}")
        for v in vs:
            mip.Add(v <= y)
        per_batch[batch].append(y)
    charge = w.batch * BATCH_UNIT
    for batch, ys in per_batch.items():
        if locked_leads[batch]:
            objective.append(-charge * sum(ys))
        else:
            any_lead = mip.BoolVar(f"any{batch}")
            for y in ys:
                mip.Add(any_lead >= y)
            objective.append(-charge * (sum(ys) - any_lead))
    mip.Maximize(sum(objective))
    mip.SetTimeLimit(int(time_limit * 1000))
    status = mip.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        raise RuntimeError(f"HiGHS did not prove an optimum (status {status})")
    return round(mip.Objective().Value()) + _lock_constant(enc)
