"""The CP-SAT model over (a pruned set of) candidate pairs, with every side constraint.

Variables carry readable names built from IDs. Constraint helpers follow the house style:
``add_<rule>(...)``; soft terms return (variable, coefficient) penalty pairs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from .encode import Encoded, IntArray
from .score import BATCH_UNIT, MAX_UTILISATION_UNIT, balance_increment, utilisation_pct

# Each staffed case outweighs any quality difference: coverage first, then quality.
COVERAGE_UNIT = 1_000_000


@dataclass
class Model:
    model: cp_model.CpModel
    cand: IntArray  # candidate indices that have a variable
    x: list[cp_model.IntVar]
    presiding: dict[int, cp_model.IntVar]  # candidate index -> presiding var (team cases)
    assigned: dict[int, cp_model.IntVar]  # case index -> staffed
    penalties: list[tuple[cp_model.LinearExprT, int]] = field(default_factory=list)
    slots_total: dict[int, int] = field(default_factory=dict)  # case index -> slots to fill


def build(enc: Encoded, cand: IntArray, *, pure: bool) -> Model:
    problem = enc.problem
    m = cp_model.CpModel()
    w = problem.weights
    cases = problem.cases
    people = problem.people
    x = [
        m.new_bool_var(
            f"assign[case={cases[enc.case[i]].id},person={people[enc.person[i]].id},"
            f"role={'mediator' if enc.role[i] == 0 else 'expert'}]"
        )
        for i in cand
    ]
    model = Model(model=m, cand=cand, x=x, presiding={}, assigned={})
    by_case_role: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, i in enumerate(cand):
        by_case_role[(int(enc.case[i]), int(enc.role[i]))].append(k)

    add_team_composition(model, enc, by_case_role)
    add_distinct_people(model, enc)
    add_presiding(model, enc, by_case_role)
    add_capacity(model, enc)
    if not pure:
        model.penalties += add_workload(model, enc, w.workload)
        model.penalties += add_batch_cohesion(model, enc, w.batch * BATCH_UNIT)
    # Rewarding filled slots (not cases) keeps the LP bound on coverage at the max-flow value.
    objective: list[Any] = [
        COVERAGE_UNIT * enc.slots[ci].total * a for ci, a in model.assigned.items()
    ]
    objective += [int(enc.score[i]) * x[k] for k, i in enumerate(cand)]
    objective += [-coef * var for var, coef in model.penalties]
    m.maximize(sum(objective))
    return model


def add_team_composition(
    model: Model, enc: Encoded, by_case_role: dict[tuple[int, int], list[int]]
) -> None:
    """Hard: a staffed case has exactly the mediators and experts it needs; otherwise none."""
    m = model.model
    for ci, sl in enumerate(enc.slots):
        if sl.lock_error is not None or sl.total == 0:
            continue
        a = m.new_bool_var(f"staffed[case={enc.problem.cases[ci].id}]")
        model.assigned[ci] = a
        model.slots_total[ci] = sl.total
        for role, need in ((0, sl.mediators), (1, sl.experts)):
            ks = by_case_role.get((ci, role), [])
            if len(ks) < need:
                m.add(a == 0)
            m.add(sum(model.x[k] for k in ks) == need * a)
            # Redundant but it tightens the LP: no member without a staffed case.
            for k in ks:
                m.add_implication(model.x[k], a)


def add_distinct_people(model: Model, enc: Encoded) -> None:
    """Hard: nobody appears twice in one team."""
    pairs: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, i in enumerate(model.cand):
        pairs[(int(enc.case[i]), int(enc.person[i]))].append(k)
    for ks in pairs.values():
        if len(ks) > 1:
            model.model.add_at_most_one(model.x[k] for k in ks)


def add_presiding(
    model: Model, enc: Encoded, by_case_role: dict[tuple[int, int], list[int]]
) -> None:
    """Hard: one presiding mediator per staffed case; senior for second instance and major
    cases. Single-mediator cases need no variable: their mediator presides."""
    m = model.model
    for ci, a in model.assigned.items():
        sl = enc.slots[ci]
        locked_presiding = any(p for _, _, p in sl.locked)
        ks = by_case_role.get((ci, 0), [])
        if locked_presiding or (sl.mediators <= 1 and not sl.senior_presiding):
            continue
        zs = []
        for k in ks:
            i = model.cand[k]
            if sl.senior_presiding and not enc.senior[enc.person[i]]:
                continue
            z = m.new_bool_var(f"presiding[{model.x[k].name}]")
            m.add_implication(z, model.x[k])
            model.presiding[int(i)] = z
            zs.append(z)
        m.add(sum(zs) == a)


def add_capacity(model: Model, enc: Encoded) -> None:
    """Hard: active plus new cases stay at or under each person's maximum."""
    by_person: dict[int, list[int]] = defaultdict(list)
    for k, i in enumerate(model.cand):
        by_person[int(enc.person[i])].append(k)
    for p, ks in by_person.items():
        free = int(enc.capacity[p] - enc.active[p])
        if len(ks) > free:
            model.model.add(sum(model.x[k] for k in ks) <= free)


def add_workload(model: Model, enc: Encoded, weight: int) -> list[tuple[cp_model.IntVar, int]]:
    """Soft (workload): a convex cost per person's load, and the busiest person's utilisation."""
    if weight == 0:
        return []
    m = model.model
    by_person: dict[int, list[int]] = defaultdict(list)
    for k, i in enumerate(model.cand):
        by_person[int(enc.person[i])].append(k)
    penalties: list[tuple[cp_model.IntVar, int]] = []
    people = enc.problem.people
    base_max = max(
        (utilisation_pct(int(c), int(a)) for c, a in zip(enc.capacity, enc.active, strict=True)),
        default=0,
    )
    u_max = m.new_int_var(base_max, max(base_max, 100), "max_utilisation_pct")
    for p, ks in by_person.items():
        cap, act = int(enc.capacity[p]), int(enc.active[p])
        free = max(cap - act, 0)
        top = min(len(ks), free)
        if top == 0:
            continue
        load = m.new_int_var(0, top, f"new_cases[person={people[p].id}]")
        m.add(load == sum(model.x[k] for k in ks))
        incs = [balance_increment(weight, cap, act + j) for j in range(top)]
        cost = m.new_int_var(0, sum(incs), f"workload[person={people[p].id}]")
        # Convex piecewise-linear cost through the integer points: the max of its chords.
        acc = 0
        for j, inc in enumerate(incs):
            m.add(cost >= acc + inc * (load - j))
            acc += inc
        penalties.append((cost, 1))
        m.add(cap * u_max >= 100 * (act + load))
    penalties.append((u_max, weight * MAX_UTILISATION_UNIT))
    return penalties


def add_batch_cohesion(model: Model, enc: Encoded, unit: int) -> list[tuple[cp_model.IntVar, int]]:
    """Soft (batch): each batch of today's cases should stay with one lead mediator."""
    if unit == 0:
        return []
    m = model.model
    problem = enc.problem
    batch_cases: dict[str, list[int]] = defaultdict(list)
    for ci, case in enumerate(problem.cases):
        if case.batch is not None:
            batch_cases[case.batch].append(ci)
    leads: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    fixed: dict[str, set[int]] = defaultdict(set)
    for k, i in enumerate(model.cand):
        if enc.role[i] != 0:
            continue
        case = problem.cases[int(enc.case[i])]
        if case.batch is None or len(batch_cases[case.batch]) < 2:
            continue
        sl = enc.slots[int(enc.case[i])]
        if any(p for _, _, p in sl.locked):
            continue
        lead = model.presiding.get(int(i))
        if lead is None and sl.mediators == 1 and not sl.senior_presiding:
            lead = model.x[k]
        if lead is not None:
            leads[(case.batch, int(enc.person[i]))].append(lead)
    for batch, cis in batch_cases.items():
        for ci in cis:
            for person, _, presides in enc.slots[ci].locked:
                if presides:
                    fixed[batch].add(person)
    penalties: list[tuple[cp_model.IntVar, int]] = []
    by_batch: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for (batch, person), vars_ in leads.items():
        if person in fixed[batch]:
            continue
        y = m.new_bool_var(f"batch_lead[batch={batch},person={problem.people[person].id}]")
        for v in vars_:
            m.add_implication(v, y)
        room = min(len(vars_), max(int(enc.capacity[person] - enc.active[person]), 0))
        if room < len(vars_):
            m.add(sum(vars_) <= room * y)
        by_batch[batch].append(y)
    for batch, ys in by_batch.items():
        if fixed[batch]:
            # Already led by a locked mediator: every other lead is a split.
            penalties += [(y, unit) for y in ys]
            continue
        any_lead = m.new_bool_var(f"batch_any[batch={batch}]")
        m.add_max_equality(any_lead, ys)
        splits = m.new_int_var(0, len(ys), f"batch_splits[batch={batch}]")
        m.add(splits == sum(ys) - any_lead)
        penalties.append((splits, unit))
    return penalties


def hint(model: Model, chosen: set[int], presiding: set[int], *, time_limit: float = 5.0) -> bool:
    """Warm start from a (flow) solution given as candidate indices.

    CP-SAT follows a hint far better when every variable has a value, so the auxiliary ones
    (loads, costs, batch leads) are filled by solving a copy with the choices fixed. Returns
    whether the hinted choices are feasible for the model.
    """
    fixed = model.model.clone()
    for k, i in enumerate(model.cand):
        fixed.add(fixed.get_bool_var_from_proto_index(model.x[k].index) == (int(i) in chosen))
    for i, z in model.presiding.items():
        fixed.add(fixed.get_bool_var_from_proto_index(z.index) == (i in presiding))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    if solver.solve(fixed) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for k, i in enumerate(model.cand):
            model.model.add_hint(model.x[k], int(i) in chosen)
        return False
    values = solver.response_proto.solution
    for index, value in enumerate(values):
        model.model.add_hint(model.model.get_int_var_from_proto_index(index), value)
    return True


def selected(model: Model, solver: cp_model.CpSolver) -> tuple[set[int], set[int]]:
    chosen = {int(i) for k, i in enumerate(model.cand) if solver.boolean_value(model.x[k])}
    pres = {i for i, z in model.presiding.items() if solver.boolean_value(z)}
    return chosen, pres
