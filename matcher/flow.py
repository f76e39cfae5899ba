"""The network core of the matching problem, solved exactly by min-cost flow.

Source -> person (one arc per extra case, costed by the convex workload increment) -> slot of a
case (mediator, senior-presiding mediator, expert) -> sink. Cases with more than one slot route
through a (person, case) node of capacity 1, so nobody holds two roles in one team. Every slot
also has a dummy arc at a prohibitive cost, so the flow always exists and fills the most slots
first. What the network cannot express (teams all-or-nothing, the maximum utilisation and batch
cohesion) is left to CP-SAT; the flow gives it a hint and gives the solver an upper bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from .encode import Encoded, IntArray
from .score import balance_increment

MED, PRES, EXP = 0, 1, 2


@dataclass
class FlowSolution:
    chosen: IntArray  # candidate indices (into Encoded arrays) that carry flow
    presiding: IntArray  # candidate indices that fill a senior-presiding slot
    filled: IntArray  # per case: slots filled by people
    quality: int  # pair scores of the chosen candidates minus their workload increments
    seconds: float
    # Per slot (case * 3 + column): its optimal dual, what one more unit of it is worth.
    slot_value: np.ndarray | None = None


def _slot_layout(enc: Encoded) -> tuple[IntArray, IntArray, IntArray]:
    """Per case: the demand of its MED, PRES and EXP slots."""
    n = len(enc.slots)
    med = np.zeros(n, dtype=np.int64)
    pres = np.zeros(n, dtype=np.int64)
    exp = np.zeros(n, dtype=np.int64)
    for ci, sl in enumerate(enc.slots):
        if sl.lock_error is not None:
            continue
        if sl.senior_presiding and sl.mediators > 0:
            pres[ci] = 1
            med[ci] = sl.mediators - 1
        else:
            med[ci] = sl.mediators
        exp[ci] = sl.experts
    return med, pres, exp


def solve_flow(
    enc: Encoded,
    *,
    pure: bool,
    weight: int,
    bonus: IntArray | None = None,
    duals: bool = False,
) -> FlowSolution:
    """Solve the network. ``bonus`` (per candidate) steers the flow without entering the
    reported quality, which stays in true score units."""
    start = time.perf_counter()
    n_people = enc.capacity.size
    n_cases = len(enc.slots)
    med_d, pres_d, exp_d = _slot_layout(enc)
    demand = np.stack([med_d, pres_d, exp_d], axis=1)  # (cases, 3)
    slot_count = (demand > 0).sum(axis=1)

    source = 0
    person_node = 1 + np.arange(n_people, dtype=np.int64)
    slot_node = np.full((n_cases, 3), -1, dtype=np.int64)
    next_node = 1 + n_people
    has = demand > 0
    count = int(has.sum())
    slot_node[has] = next_node + np.arange(count, dtype=np.int64)
    next_node += count

    tails: list[IntArray] = []
    heads: list[IntArray] = []
    caps: list[IntArray] = []
    costs: list[IntArray] = []

    def add(t: IntArray, h: IntArray, c: IntArray, u: IntArray) -> None:
        tails.append(t.astype(np.int64))
        heads.append(h.astype(np.int64))
        caps.append(c.astype(np.int64))
        costs.append(u.astype(np.int64))

    # Source -> person: one arc per extra case, the workload increment as its cost (convex).
    free = np.maximum(enc.capacity - enc.active, 0)
    max_inc = 0
    if pure or weight == 0:
        add(np.zeros(n_people, np.int64), person_node, free, np.zeros(n_people, np.int64))
    else:
        t_list, c_list = [], []
        for p in np.flatnonzero(free > 0):
            for k in range(int(enc.active[p]), int(enc.capacity[p])):
                t_list.append(int(person_node[p]))
                c_list.append(balance_increment(weight, int(enc.capacity[p]), k))
        if t_list:
            t_arr = np.asarray(t_list, dtype=np.int64)
            c_arr = np.asarray(c_list, dtype=np.int64)
            max_inc = int(c_arr.max())
            add(np.zeros(t_arr.size, np.int64), t_arr, np.ones(t_arr.size, np.int64), c_arr)

    score = enc.score if bonus is None else enc.score + bonus
    big = int(np.abs(score).max(initial=0)) + max_inc + 1
    # Candidate arcs. Role 0 (mediator) feeds MED and, for seniors, PRES; role 1 feeds EXP.
    cand = np.arange(score.size, dtype=np.int64)
    case = enc.case
    multi = slot_count[case] >= 2
    targets: list[tuple[IntArray, IntArray]] = []  # (candidate index, slot column)
    med_c = cand[(enc.role == 0) & (med_d[case] > 0)]
    targets.append((med_c, np.full(med_c.size, MED)))
    pres_c = cand[(enc.role == 0) & (pres_d[case] > 0) & enc.senior[enc.person]]
    targets.append((pres_c, np.full(pres_c.size, PRES)))
    exp_c = cand[(enc.role == 1) & (exp_d[case] > 0)]
    targets.append((exp_c, np.full(exp_c.size, EXP)))

    # (person, case) nodes for multi-slot cases.
    pc_key = case[multi] * n_people + enc.person[multi]
    uniq, inverse = np.unique(pc_key, return_inverse=True)
    pc_node_of_cand = np.full(score.size, -1, dtype=np.int64)
    pc_node_of_cand[np.flatnonzero(multi)] = next_node + inverse
    pc_nodes = next_node + np.arange(uniq.size, dtype=np.int64)
    next_node += uniq.size
    add(
        person_node[uniq % n_people],
        pc_nodes,
        np.ones(uniq.size, np.int64),
        np.zeros(uniq.size, np.int64),
    )
    arc_owner: list[IntArray] = []  # candidate index per pair arc
    arc_column: list[IntArray] = []
    first_pair_arc = sum(t.size for t in tails)
    for idx, column in targets:
        tail = np.where(multi[idx], pc_node_of_cand[idx], person_node[enc.person[idx]])
        head = slot_node[case[idx], column]
        add(tail, head, np.ones(idx.size, np.int64), -score[idx])
        arc_owner.append(idx)
        arc_column.append(column)
    n_pair_arcs = sum(i.size for i in arc_owner)

    # Dummy arcs fill any slot at a prohibitive cost.
    slot_cases, slot_cols = np.nonzero(has)
    add(
        np.zeros(slot_cases.size, np.int64),
        slot_node[slot_cases, slot_cols],
        demand[slot_cases, slot_cols],
        np.full(slot_cases.size, big, np.int64),
    )

    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )
    supplies = np.zeros(next_node, dtype=np.int64)
    total = int(demand.sum())
    supplies[source] = total
    supplies[slot_node[slot_cases, slot_cols]] = -demand[slot_cases, slot_cols]
    mcf.set_nodes_supplies(np.arange(next_node, dtype=np.int64), supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")

    pair_arcs = np.arange(first_pair_arc, first_pair_arc + n_pair_arcs, dtype=np.int64)
    flows = mcf.flows(pair_arcs) if n_pair_arcs else np.zeros(0, np.int64)
    owners = np.concatenate(arc_owner) if arc_owner else np.zeros(0, np.int64)
    columns = np.concatenate(arc_column) if arc_column else np.zeros(0, np.int64)
    used = flows > 0
    chosen = owners[used]
    presiding = owners[used & (columns == PRES)]
    filled = np.bincount(case[chosen], minlength=n_cases)
    # Quality: scores of used arcs minus the workload increments actually used.
    load_new = np.bincount(enc.person[chosen], minlength=n_people)
    workload = 0
    if not pure and weight:
        for p in np.flatnonzero(load_new):
            start_k = int(enc.active[p])
            for k in range(start_k, start_k + int(load_new[p])):
                workload += balance_increment(weight, int(enc.capacity[p]), k)
    quality = int(enc.score[chosen].sum()) - workload
    slot_value = None
    if duals:
        all_tails, all_heads = np.concatenate(tails), np.concatenate(heads)
        all_costs = np.concatenate(costs)
        all_flows = mcf.flows(np.arange(all_tails.size, dtype=np.int64))
        dist = _potentials(
            next_node,
            all_tails,
            all_heads,
            all_costs,
            all_flows < np.concatenate(caps),
            all_flows > 0,
        )
        slot_value = np.zeros(n_cases * 3, dtype=np.float64)
        slot_value[np.flatnonzero(has.reshape(-1))] = dist[source] - dist[slot_node[has]]
    return FlowSolution(
        chosen=chosen,
        presiding=presiding,
        filled=filled,
        quality=quality,
        seconds=time.perf_counter() - start,
        slot_value=slot_value,
    )


def _potentials(
    n: int,
    tails: IntArray,
    heads: IntArray,
    costs: IntArray,
    forward: np.ndarray,
    backward: np.ndarray,
) -> IntArray:
    """Optimal node potentials of a min-cost flow: shortest distances in its residual graph
    from a virtual root joined to every node (Bellman-Ford, vectorised; an optimal flow leaves
    no negative cycle, so it terminates)."""
    t = np.concatenate([tails[forward], heads[backward]])
    h = np.concatenate([heads[forward], tails[backward]])
    c = np.concatenate([costs[forward], -costs[backward]])
    dist = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):
        relaxed = dist[t] + c
        new = dist.copy()
        np.minimum.at(new, h, relaxed)
        if np.array_equal(new, dist):
            return dist
        dist = new
    raise RuntimeError("min-cost flow residual graph has a negative cycle")
