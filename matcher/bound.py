"""A Lagrangian upper bound that sees batch cohesion and the busiest person's utilisation.

The min-cost flow bound knows nothing of the fixed charge a batch pays for each extra lead
mediator, and LP relaxations hardly do better: a fractional solution spreads a batch over many
people at no charge. Relaxing instead the constraints that tie people together, "each slot of a
case gets exactly its demand", leaves one small problem per person, solved exactly:

    choose at most ``free`` cases, each worth its score less the slot's multiplier, pay the
    convex workload cost of the new load, and pay the batch charge once for every batch the
    person would lead.

That per-person plan keeps the trade-off between concentration (one charge) and balance (the
convex cost) that the LP loses, so the bound (the Dantzig-Wolfe bound, approached by subgradient
steps on the multipliers) is much tighter. The busiest person's utilisation is handled by
enumerating its value: at utilisation ``U`` everybody's load is capped where theirs would pass U.

The bound is among solutions that staff every staffable case; callers use it only when the
flow staffs them all. Relaxations that keep it valid: team cases never pay a batch charge here,
and a case a person could also take as an expert pays none.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .encode import Encoded, IntArray
from .flow import _slot_layout
from .score import BATCH_UNIT, MAX_UTILISATION_UNIT, balance_increment, utilisation_pct

MED, PRES, EXP = 0, 1, 2
THETA = 1.0  # Polyak step scale, halved whenever the bound stalls
RANKED = 8  # lead candidates per batch offered to the local search
STALL = 5  # iterations without a better bound before the step is halved
NEG = np.iinfo(np.int64).min // 4


@dataclass(frozen=True)
class LagrangianBound:
    bound: int  # upper bound on the objective (locks' terms included)
    iterations: int
    seconds: float
    multipliers: np.ndarray = field(repr=False)  # per slot, where the bound was reached
    # batch -> the mediators whose plans lead it there: a strong hint of whom to keep it with
    leads: dict[str, frozenset[int]]
    # batch -> mediators by what leading it is worth to them at the multipliers, best first
    ranked: dict[str, list[int]]


@dataclass
class _Data:
    """Everything that does not change between iterations."""

    n_people: int
    batch_names: list[str]
    demand: IntArray  # per slot (case * 3 + column)
    opt_slot: IntArray  # per option: its slot
    opt_score: IntArray  # per option: the pair score
    opt_item: IntArray  # per option: its (person, case) item, options sorted by item
    item_start: IntArray  # first option of each item
    item_person: IntArray
    item_group: IntArray  # charged batch index, or -1
    free: IntArray  # per person
    cost_matrix: np.ndarray  # (person, new cases): workload cost, +inf past the free capacity
    u_levels: np.ndarray  # the busiest person's possible utilisations, percent
    tmax: IntArray  # (person, level): the most new cases that keep utilisation within it
    charge: int
    charge_constant: int  # +charge per batch without a locked lead
    fixed_lead: set[tuple[int, int]]  # (batch, person): already leads, never charged
    max_util_weight: int


def lagrangian_bound(
    enc: Encoded,
    slot_value: np.ndarray,
    *,
    incumbent: int,
    constant: int,
    deadline: float,
    max_iterations: int = 300,
    stop: threading.Event | None = None,
) -> LagrangianBound | None:
    """Subgradient ascent on the slot multipliers, Polyak steps towards ``incumbent``.

    ``constant`` is what the locks fix (added to the bound). Returns None when there is nothing
    to bound (pure mode has an exact flow)."""
    start = time.perf_counter()
    data = _prepare(enc)
    if data is None:
        return None
    lam = slot_value.astype(np.float64)
    best: int | None = None
    best_lam = lam
    best_leads: dict[int, set[int]] = {}
    theta = THETA
    stall = 0
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007 (reported after the loop)
        value, used, leads = _evaluate(data, lam)
        value += constant
        if best is None or value < best:
            best, best_lam, best_leads = value, lam, leads
            stall = 0
        else:
            stall += 1
            if stall >= STALL:
                theta /= 2
                stall = 0
        if (
            best <= incumbent
            or theta < 1e-3
            or time.perf_counter() > deadline
            or (stop is not None and stop.is_set())
        ):
            break
        g = data.demand - used
        norm = float((g * g).sum())
        if norm == 0:
            break  # the relaxed plan is feasible: its value is exact
        step = theta * max(value - incumbent, 1) / norm
        lam = lam - step * g  # an over-filled slot (g < 0) gets dearer, an empty one cheaper
    assert best is not None
    return LagrangianBound(
        bound=int(best),
        iterations=it,
        seconds=time.perf_counter() - start,
        multipliers=best_lam,
        leads={data.batch_names[b]: frozenset(ps) for b, ps in best_leads.items()},
        ranked=_rank_leads(data, best_lam),
    )


def _rank_leads(data: _Data, lam: np.ndarray, keep: int = RANKED) -> dict[str, list[int]]:
    """Per batch, the mediators whose best handful of its cases (as many as they have room
    for) is worth the most at ``lam``."""
    val = data.opt_score - lam[data.opt_slot]
    item_val = np.maximum.reduceat(val, data.item_start) if val.size else val
    pos = np.flatnonzero((item_val > 0) & (data.item_group >= 0))
    pos = pos[np.lexsort((-item_val[pos], data.item_person[pos], data.item_group[pos]))]
    group, person = data.item_group[pos], data.item_person[pos]
    key = group * data.n_people + person
    starts = np.searchsorted(key, key, side="left")
    rank = np.arange(pos.size) - starts
    fits = rank < data.free[person]
    keys, inverse = np.unique(key[fits], return_inverse=True)
    worth = np.bincount(inverse, weights=item_val[pos][fits], minlength=keys.size)
    out: dict[str, list[int]] = {}
    for b in np.unique(keys // data.n_people).tolist():
        sel = keys // data.n_people == b
        order = np.argsort(-worth[sel], kind="stable")[:keep]
        out[data.batch_names[b]] = (keys[sel][order] % data.n_people).tolist()
    return out


def _prepare(enc: Encoded) -> _Data | None:
    problem = enc.problem
    if problem.settings.pure or enc.pairs == 0:
        return None
    n_people = enc.capacity.size
    med_d, pres_d, exp_d = _slot_layout(enc)
    demand = np.stack([med_d, pres_d, exp_d], axis=1).reshape(-1)
    w = problem.weights

    # Batches that pay a charge per lead, and the people who already lead them through a lock.
    members: dict[str, list[int]] = defaultdict(list)
    for ci, case in enumerate(problem.cases):
        if case.batch is not None:
            members[case.batch].append(ci)
    batch_of_case = np.full(len(problem.cases), -1, dtype=np.int64)
    fixed: dict[int, set[int]] = defaultdict(set)
    lead_cases: dict[int, int] = defaultdict(int)
    for b, cis in enumerate(members.values()):
        for ci in cis:
            sl = enc.slots[ci]
            locked_lead = [p for p, _, presides in sl.locked if presides]
            fixed[b].update(locked_lead)
            if sl.lock_error is None and sl.total > 0 and sl.mediators == 1 and not locked_lead:
                batch_of_case[ci] = b
                lead_cases[b] += 1
    charged = {b for b, n in lead_cases.items() if n >= 2 or (n >= 1 and fixed[b])}
    batch_of_case[~np.isin(batch_of_case, list(charged))] = -1
    charge = w.batch * BATCH_UNIT
    charge_constant = charge * sum(1 for b in charged if not fixed[b])

    # Options: (candidate, slot) pairs, the ways a candidate can fill a slot.
    cand = np.arange(enc.pairs, dtype=np.int64)
    of_case, role = enc.case, enc.role
    parts = [
        (cand[(role == 0) & (med_d[of_case] > 0)], MED),
        (cand[(role == 0) & (pres_d[of_case] > 0) & enc.senior[enc.person]], PRES),
        (cand[(role == 1) & (exp_d[of_case] > 0)], EXP),
    ]
    opt_cand = np.concatenate([p for p, _ in parts])
    opt_col = np.concatenate([np.full(p.size, c, np.int64) for p, c in parts])
    opt_slot = of_case[opt_cand] * 3 + opt_col
    key = enc.person[opt_cand] * len(problem.cases) + of_case[opt_cand]
    order = np.argsort(key, kind="stable")
    opt_cand, opt_slot, key = opt_cand[order], opt_slot[order], key[order]
    item_key, item_start = np.unique(key, return_index=True)
    opt_item = np.repeat(np.arange(item_key.size), np.diff(np.append(item_start, key.size)))
    # An item is charged only if every way of taking it leads a charged batch.
    opt_lead = (role[opt_cand] == 0) & (batch_of_case[of_case[opt_cand]] >= 0)
    all_lead = np.minimum.reduceat(opt_lead.astype(np.int64), item_start).astype(bool)
    item_case = item_key % len(problem.cases)
    item_person = item_key // len(problem.cases)
    item_group = np.where(all_lead, batch_of_case[item_case], -1)

    free = np.maximum(enc.capacity - enc.active, 0)
    cost: list[IntArray] = []
    util: list[IntArray] = []
    floor = 0
    for p in range(n_people):
        cap, act = int(enc.capacity[p]), int(enc.active[p])
        incs = [balance_increment(w.workload, cap, act + k) for k in range(int(free[p]))]
        cost.append(np.concatenate([[0], np.cumsum(incs, dtype=np.int64)]).astype(np.int64))
        util.append(
            np.array([utilisation_pct(cap, act + k) for k in range(int(free[p]) + 1)], np.int64)
        )
        floor = max(floor, int(util[-1][0]))
    fixed_lead = {(b, p) for b, ps in fixed.items() for p in ps}
    width = int(free.max(initial=0)) + 1
    cost_matrix = np.full((n_people, width), np.inf)
    for p, c in enumerate(cost):
        cost_matrix[p, : c.size] = c
    levels = np.array(sorted({int(u) for arr in util for u in arr if floor <= u <= 100}), np.int64)
    if levels.size == 0:
        levels = np.array([floor], dtype=np.int64)
    tmax = np.stack([np.searchsorted(u, levels, side="right") - 1 for u in util])
    return _Data(
        n_people=n_people,
        batch_names=list(members),
        demand=demand,
        opt_slot=opt_slot,
        opt_score=enc.score[opt_cand],
        opt_item=opt_item,
        item_start=item_start,
        item_person=item_person,
        item_group=item_group,
        free=free,
        cost_matrix=cost_matrix,
        u_levels=levels.astype(np.float64),
        tmax=tmax,
        charge=charge,
        charge_constant=charge_constant,
        fixed_lead=fixed_lead,
        max_util_weight=w.workload * MAX_UTILISATION_UNIT,
    )


def _evaluate(data: _Data, lam: np.ndarray) -> tuple[int, IntArray, dict[int, set[int]]]:
    """The Lagrangian function at ``lam`` (rounded up to stay a bound), the slots the plans
    fill and the batches they lead.

    Per person: their positive items sorted by group (uncharged first) and value. Uncharged
    items give a concave prefix sum; each charged group then joins by a max-plus convolution
    (take t of its best items, paying the charge once if t > 0), done in lockstep for every
    person's first group, then every second one, and so on."""
    val = data.opt_score - lam[data.opt_slot]
    item_val = np.maximum.reduceat(val, data.item_start) if val.size else val
    # The option that reaches the item's value (first one on ties).
    best_opt = np.full(item_val.size, -1, dtype=np.int64)
    idx = np.flatnonzero(val >= item_val[data.opt_item] - 1e-9)
    first = np.unique(data.opt_item[idx], return_index=True)[1]
    best_opt[data.opt_item[idx[first]]] = idx[first]
    pos = np.flatnonzero(item_val > 0)
    pos = pos[np.lexsort((-item_val[pos], data.item_group[pos], data.item_person[pos]))]
    persons, groups, vals = data.item_person[pos], data.item_group[pos], item_val[pos]
    width = data.cost_matrix.shape[1]
    n = data.n_people
    # Runs of one (person, group); rank and running sum inside each run.
    new_run = np.ones(pos.size, dtype=bool)
    new_run[1:] = (persons[1:] != persons[:-1]) | (groups[1:] != groups[:-1])
    run_id = np.cumsum(new_run) - 1
    run_start = np.flatnonzero(new_run)
    rank = np.arange(pos.size) - run_start[run_id]
    csum = np.cumsum(vals)
    running = csum - np.concatenate([[0.0], csum])[run_start[run_id]]
    fits = rank < data.free[persons]
    dp = np.full((n, width), -np.inf)
    dp[:, 0] = 0.0
    base = fits & (groups < 0)
    dp[persons[base], rank[base] + 1] = running[base]
    # Charged runs: their index among the person's charged runs, and their gain rows.
    run_person = persons[run_start]
    run_group = groups[run_start]
    charged = np.flatnonzero(run_group >= 0)
    order_in_person = np.zeros(charged.size, dtype=np.int64)
    if charged.size:
        cp = run_person[charged]
        first_of_person = np.ones(charged.size, dtype=bool)
        first_of_person[1:] = cp[1:] != cp[:-1]
        starts = np.flatnonzero(first_of_person)
        order_in_person = np.arange(charged.size) - np.repeat(
            starts, np.diff(np.append(starts, charged.size))
        )
    gains = np.full((charged.size, width), -np.inf)
    gains[:, 0] = 0.0
    slot_of_run = np.full(run_start.size, -1, dtype=np.int64)
    slot_of_run[charged] = np.arange(charged.size)
    in_charged = fits & (groups >= 0)
    rows = slot_of_run[run_id[in_charged]]
    fee = np.full(charged.size, float(data.charge))
    for k, (b, p) in enumerate(
        zip(run_group[charged].tolist(), run_person[charged].tolist(), strict=True)
    ):
        if (b, p) in data.fixed_lead:
            fee[k] = 0.0
    gains[rows, rank[in_charged] + 1] = running[in_charged] - fee[rows]
    columns = np.arange(width)
    shift = columns[None, :] - columns[:, None]  # [t, T] -> T - t
    takes: list[tuple[IntArray, IntArray]] = []  # per lockstep round: (charged slots, take[., T])
    for j in range(int(order_in_person.max(initial=-1)) + 1):
        sel = np.flatnonzero(order_in_person == j)
        who = run_person[charged[sel]]
        table = np.where(
            shift[None, :, :] >= 0,
            dp[who][:, np.maximum(shift, 0)] + gains[sel][:, :, None],
            -np.inf,
        )
        take = np.argmax(table, axis=1)
        dp[who] = np.take_along_axis(table, take[:, None, :], axis=1)[:, 0, :]
        takes.append((sel, take))
    values = dp - data.cost_matrix
    run_max = np.maximum.accumulate(values, axis=1)
    improves = np.concatenate(
        [np.ones((n, 1), dtype=bool), values[:, 1:] > run_max[:, :-1]], axis=1
    )
    arg = np.maximum.accumulate(np.where(improves, columns, 0), axis=1)
    sums = run_max[np.arange(n)[:, None], data.tmax].sum(axis=0)
    objective = sums - data.max_util_weight * data.u_levels
    level = int(np.argmax(objective))
    rest = arg[np.arange(n), data.tmax[:, level]]
    # Walk the rounds backwards: how many items each charged run contributes.
    taken_from_run = np.zeros(run_start.size, dtype=np.int64)
    for sel, take in reversed(takes):
        who = run_person[charged[sel]]
        t = take[np.arange(sel.size), rest[who]]
        taken_from_run[charged[sel]] = t
        rest[who] -= t
    base_runs = np.flatnonzero(run_group < 0)
    taken_from_run[base_runs] = rest[run_person[base_runs]]
    taken = rank < taken_from_run[run_id]
    used = np.bincount(data.opt_slot[best_opt[pos[taken]]], minlength=data.demand.size)
    leads: dict[int, set[int]] = {}
    for r in charged[taken_from_run[charged] > 0].tolist():
        leads.setdefault(int(run_group[r]), set()).add(int(run_person[r]))
    value = float(objective[level]) + float((lam * data.demand).sum()) + data.charge_constant
    return int(np.ceil(value - 1e-6)), used, leads
