"""Batch cohesion as a search over lead sets, each served exactly by min-cost flow.

Once every batch's set of allowed lead mediators is fixed, what is left is a network problem:
the flow assigns every case optimally with batch cases led only from their batch's set, and the
objective pays one charge per lead it uses. So the hard, fixed-charge part of the problem is the
choice of lead sets, and a local search over them (add, drop, swap one lead) with the flow as its
exact evaluator finds what CP-SAT and slope scaling miss.

Moves are cheap because the candidate graph falls apart into components (a city's courts and the
people on their rosters): a move re-solves only its own component and the objective is updated
from per-component parts (:class:`ComponentScore`), exactly as :func:`matcher.score.evaluate`
would score the whole.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from .encode import CaseSlots, Encoded, IntArray
from .flow import solve_flow
from .score import BATCH_UNIT, MAX_UTILISATION_UNIT, balance_increment, utilisation_pct

_EMPTY = CaseSlots(mediators=0, experts=0, senior_presiding=False)


@dataclass(frozen=True)
class Solution:
    chosen: set[int]  # candidate indices
    presiding: set[int]


def complete_teams(enc: Encoded, chosen: Iterable[int], presiding: Iterable[int]) -> Solution:
    """Keep only the cases whose every slot is filled; team cases without a senior-presiding
    slot get their best-scored mediator as presiding."""
    per_case: dict[int, list[int]] = defaultdict(list)
    for i in chosen:
        per_case[int(enc.case[i])].append(int(i))
    keep: set[int] = set()
    for ci, idx in per_case.items():
        sl = enc.slots[ci]
        if sl.lock_error is None and len(idx) == sl.total:
            keep.update(idx)
    pres = {int(i) for i in presiding if int(i) in keep}
    for ci, idx in per_case.items():
        sl = enc.slots[ci]
        meds = [i for i in idx if i in keep and enc.role[i] == 0]
        if (
            meds
            and not sl.senior_presiding
            and sl.mediators >= 2
            and not any(p for _, _, p in sl.locked)
        ):
            pres.add(max(meds, key=lambda i: (int(enc.score[i]), -int(enc.person[i]))))
    return Solution(keep, pres)


def batch_cases(enc: Encoded) -> dict[str, list[int]]:
    """batch -> its staffable cases, for batches of two or more."""
    members: dict[str, list[int]] = defaultdict(list)
    for ci, case in enumerate(enc.problem.cases):
        sl = enc.slots[ci]
        if case.batch is not None and sl.lock_error is None and sl.total > 0:
            members[case.batch].append(ci)
    return {b: cis for b, cis in members.items() if len(cis) >= 2}


def is_lead(enc: Encoded, i: int, presiding: set[int]) -> bool:
    """Whether candidate ``i``, chosen, leads its case (presides, or is its only mediator)."""
    if enc.role[i] != 0:
        return False
    sl = enc.slots[int(enc.case[i])]
    return i in presiding or (sl.mediators == 1 and not sl.senior_presiding)


def leads_of(
    enc: Encoded, solution: Solution, batches: dict[str, list[int]]
) -> dict[str, Counter[int]]:
    """batch -> lead mediator -> how many of its cases they lead."""
    of_case = {ci: b for b, cis in batches.items() for ci in cis}
    out: dict[str, Counter[int]] = {b: Counter() for b in batches}
    for i in solution.chosen:
        b = of_case.get(int(enc.case[i]))
        if b is not None and is_lead(enc, i, solution.presiding):
            out[b][int(enc.person[i])] += 1
    return out


def locked_leads(enc: Encoded) -> dict[str, set[int]]:
    """batch -> people a lock already makes its lead (they lead more of it at no charge)."""
    fixed: dict[str, set[int]] = defaultdict(set)
    for ci, case in enumerate(enc.problem.cases):
        if case.batch is not None and enc.slots[ci].lock_error is None:
            fixed[case.batch] |= {p for p, _, presides in enc.slots[ci].locked if presides}
    return fixed


def components(enc: Encoded) -> tuple[IntArray, IntArray]:
    """Connected components of the candidate graph: a label per case and per person (people
    and cases without candidates get their own labels)."""
    n_people, n_cases = enc.capacity.size, len(enc.slots)
    person = np.arange(n_people, dtype=np.int64)
    case = np.full(n_cases, n_people + n_cases, dtype=np.int64)
    while True:
        new_case = case.copy()
        np.minimum.at(new_case, enc.case, person[enc.person])
        new_person = person.copy()
        np.minimum.at(new_person, enc.person, new_case[enc.case])
        if np.array_equal(new_case, case) and np.array_equal(new_person, person):
            break
        case, person = new_case, new_person
    alone = case == n_people + n_cases
    case[alone] = n_people + np.flatnonzero(alone)
    return case, person


class ComponentScore:
    """The objective of a solution kept as per-component parts, so that replacing one
    component's assignment rescores in time proportional to that component.

    objective = locks' constant + Σ components (pair scores − workload) − the busiest
    person's utilisation − one charge per batch lead past the first."""

    def __init__(self, enc: Encoded, lock_constant: int) -> None:
        problem = enc.problem
        self.enc = enc
        self.constant = lock_constant
        self.case_label, self.person_label = components(enc)
        w = problem.weights
        self.util_weight = w.workload * MAX_UTILISATION_UNIT
        self.charge = w.batch * BATCH_UNIT
        free = np.maximum(enc.capacity - enc.active, 0)
        self.cost: list[list[int]] = []
        self.util: list[list[int]] = []
        for p in range(enc.capacity.size):
            cap, act = int(enc.capacity[p]), int(enc.active[p])
            incs = [balance_increment(w.workload, cap, act + k) for k in range(int(free[p]))]
            self.cost.append([0, *np.cumsum(incs, dtype=np.int64).tolist()])
            self.util.append([utilisation_pct(cap, act + k) for k in range(int(free[p]) + 1)])
        self.fixed = locked_leads(enc)
        # Every batch that has cases at all, with the component of each fixed lead.
        self.batch_of_case: dict[int, str] = {}
        for ci, case in enumerate(problem.cases):
            if case.batch is not None:
                self.batch_of_case[ci] = case.batch
        self.slot_total = np.array(
            [sl.total if sl.lock_error is None else 0 for sl in enc.slots], dtype=np.int64
        )
        self.parts: dict[int, tuple[int, int, int, dict[str, frozenset[int]]]] = {}
        has_candidates = np.zeros(enc.capacity.size, dtype=bool)
        has_candidates[enc.person] = True
        self.idle_util = max(
            (u[0] for p, u in enumerate(self.util) if not has_candidates[p]), default=0
        )
        # Locked leads with no candidates of their own belong to no scored component.
        self.orphan_leads: Counter[str] = Counter(
            {b: sum(1 for p in ps if not has_candidates[p]) for b, ps in self.fixed.items()}
        )

    def part(self, label: int, solution: Solution, chosen: IntArray) -> None:
        """Score component ``label`` from its chosen candidates (a subset of the solution)."""
        enc = self.enc
        people = np.flatnonzero(self.person_label == label)
        load = np.bincount(enc.person[chosen], minlength=enc.capacity.size)
        value = int(enc.score[chosen].sum()) - sum(self.cost[p][int(load[p])] for p in people)
        top = max((self.util[p][int(load[p])] for p in people), default=0)
        staffed = np.unique(enc.case[chosen])
        slots = int(self.slot_total[staffed].sum())
        leads: dict[str, set[int]] = defaultdict(set)
        for b, ps in self.fixed.items():
            for p in ps:
                if self.person_label[p] == label:
                    leads[b].add(p)
        for i in chosen.tolist():
            batch = self.batch_of_case.get(int(enc.case[i]))
            if batch is not None and is_lead(enc, i, solution.presiding):
                leads[batch].add(int(enc.person[i]))
        self.parts[label] = (value, top, slots, {b: frozenset(s) for b, s in leads.items()})

    def total(self) -> tuple[int, int]:
        """(slots staffed, objective), as :func:`matcher.solve._rank` ranks solutions."""
        value = self.constant + sum(v for v, _, _, _ in self.parts.values())
        top = max([self.idle_util, *(t for _, t, _, _ in self.parts.values())])
        counts: Counter[str] = Counter(self.orphan_leads)
        for _, _, _, leads in self.parts.values():
            for b, ps in leads.items():
                counts[b] += len(ps)
        splits = sum(n - 1 for n in counts.values() if n > 0)
        slots = sum(s for _, _, s, _ in self.parts.values())
        return slots, value - self.util_weight * top - self.charge * splits


def lead_search(
    enc: Encoded,
    solution: Solution,
    *,
    lock_constant: int,
    suggested: dict[str, frozenset[int]],
    ranked: dict[str, list[int]],
    deadline: float,
    stats: dict[str, object],
    stop: threading.Event | None = None,
) -> Solution:
    """Local search over each batch's set of lead mediators (first improvement).

    Moves: the leads the Lagrangian plans suggest, all at once and merged with the current
    ones; then add a suggested lead, drop a lead (fewest cases first), or swap a lead for a
    mediator the Lagrangian ranks high. Each move re-solves the flow of one component with every
    batch restricted to its set, and is kept when the objective improves."""
    problem = enc.problem
    batches = batch_cases(enc)
    if not batches or problem.weights.batch == 0:
        return solution
    weight = problem.weights.workload
    scorer = ComponentScore(enc, lock_constant)
    case_label, person_label = scorer.case_label, scorer.person_label
    cand_label = case_label[enc.case]
    labels = np.unique(cand_label)
    cands = {int(k): np.flatnonzero(cand_label == k) for k in labels}
    chosen_all = np.fromiter(solution.chosen, dtype=np.int64, count=len(solution.chosen))
    chosen_label = cand_label[chosen_all]
    for k in labels.tolist():
        scorer.part(k, solution, chosen_all[chosen_label == k])
    fixed = scorer.fixed
    lead_mask = {b: np.isin(enc.case, cis) & (enc.role == 0) for b, cis in batches.items()}
    sub_cache: dict[int, Encoded] = {}

    def sub(label: int) -> Encoded:
        if label not in sub_cache:
            idx = cands[label]
            inside = set(np.unique(enc.case[idx]).tolist())
            sub_cache[label] = replace(
                enc,
                case=enc.case[idx],
                person=enc.person[idx],
                role=enc.role[idx],
                score=enc.score[idx],
                capacity=np.where(person_label == label, enc.capacity, enc.active),
                slots=[sl if ci in inside else _EMPTY for ci, sl in enumerate(enc.slots)],
            )
        return sub_cache[label]

    best = solution
    best_rank = scorer.total()

    def attempt(label: int, leadsets: dict[str, set[int]]) -> bool:
        nonlocal best, best_rank
        idx = cands[label]
        sub_enc = sub(label)
        keep = np.ones(idx.size, dtype=bool)
        for b, allowed in leadsets.items():
            mask = lead_mask[b][idx]
            if mask.any():
                keep &= ~(mask & ~np.isin(sub_enc.person, list(allowed | fixed[b])))
        # Leads outside the sets are left out of the network: a move that needs them loses
        # coverage and is rejected.
        idx = idx[keep]
        kept = replace(
            sub_enc,
            case=sub_enc.case[keep],
            person=sub_enc.person[keep],
            role=sub_enc.role[keep],
            score=sub_enc.score[keep],
        )
        flow = solve_flow(kept, pure=False, weight=weight)
        local = complete_teams(kept, flow.chosen.tolist(), flow.presiding.tolist())
        chosen = idx[np.fromiter(local.chosen, dtype=np.int64, count=len(local.chosen))]
        presiding = {int(idx[i]) for i in local.presiding}
        others = {i for i in best.chosen if cand_label[i] != label}
        candidate = Solution(
            others | set(chosen.tolist()),
            {i for i in best.presiding if cand_label[i] != label} | presiding,
        )
        saved = scorer.parts[label]
        scorer.part(label, candidate, chosen)
        rank = scorer.total()
        if rank > best_rank:
            best, best_rank = candidate, rank
            return True
        scorer.parts[label] = saved
        return False

    def labels_of(b: str) -> list[int]:
        return sorted({int(case_label[ci]) for ci in batches[b]})

    moves: Counter[str] = Counter()
    current = {b: set(c) for b, c in leads_of(enc, best, batches).items()}
    if suggested:
        for name, leadsets in (
            ("suggested", {b: set(suggested.get(b, ())) or current[b] for b in batches}),
            ("merged", {b: current[b] | suggested.get(b, frozenset()) for b in batches}),
        ):
            for k in labels.tolist():
                if time.perf_counter() > deadline or _stopped(stop):
                    break
                if any(lead_mask[b][cands[k]].any() for b in batches) and attempt(k, leadsets):
                    moves[name] += 1
    tried: set[tuple[str, str, int, int]] = set()
    while time.perf_counter() < deadline and not _stopped(stop):
        leads = leads_of(enc, best, batches)
        current = {b: set(c) for b, c in leads.items()}
        by_count = sorted((n, b, p) for b, c in leads.items() for p, n in c.items())
        queue: list[tuple[str, str, int, int]] = [
            ("add", b, p, -1)
            for b in batches
            for p in sorted(suggested.get(b, frozenset()) - current[b])
        ]
        queue += [("drop", b, p, -1) for _, b, p in by_count]
        queue += [
            ("swap", b, p, r)
            for _, b, p in by_count
            for r in ranked.get(b, [])
            if r not in current[b] and r not in fixed[b] and person_label[r] == person_label[p]
        ]
        improved = False
        for move, b, p, r in queue:
            if (move, b, p, r) in tried:
                continue
            if time.perf_counter() > deadline or _stopped(stop):
                break
            tried.add((move, b, p, r))
            leadsets = {o: set(c) for o, c in current.items()}
            if move == "add":
                leadsets[b].add(p)
            else:
                leadsets[b].discard(p)
            if move == "swap":
                leadsets[b].add(r)
            label = int(person_label[p])
            if label not in labels_of(b):
                continue
            if attempt(label, leadsets):
                moves[move] += 1
                improved = True
                break  # the leads changed: rebuild the queue
        if not improved:
            stats["lead_search_exhausted"] = time.perf_counter() <= deadline
            break
    stats["lead_moves"] = dict(moves)
    return best


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()
