"""Encode a MatchingProblem as arrays: the candidate (case, person, role) pairs that pass every
pair-level hard rule, with their integer scores. Only this module knows IDs; solvers see arrays.

The rules and scores are the vectorised form of ``rules.py`` and ``score.py``; a test checks
that both agree on random instances.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from .problem import CATEGORIES, EXPERT, MEDIATOR, Case, MatchingProblem, Member
from .result import CAPACITY, DISTINCT_PEOPLE, PRESIDING, TEAM_COMPOSITION
from .rules import pair_violation
from .score import BATCH_UNIT, LOCALITY_UNIT, SPECIALTY_UNIT, STABILITY_UNIT

ROLE_CODES = {MEDIATOR: 0, EXPERT: 1}
ROLE_NAMES = (MEDIATOR, EXPERT)
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class CaseSlots:
    """What a case still needs after its locks, and what the locks already hold."""

    mediators: int
    experts: int
    senior_presiding: bool  # the presiding mediator must be senior and is not locked yet
    locked: list[tuple[int, int, bool]] = field(default_factory=list)  # (person, role, presiding)
    lock_error: str | None = None  # a lock breaks this hard rule: the case cannot be staffed

    @property
    def total(self) -> int:
        return self.mediators + self.experts


@dataclass
class Encoded:
    problem: MatchingProblem
    case: IntArray  # candidate arrays, grouped by case then role
    person: IntArray
    role: IntArray
    score: IntArray
    capacity: IntArray  # per person
    active: IntArray  # per person, including locked new cases
    senior: BoolArray
    slots: list[CaseSlots]

    @property
    def pairs(self) -> int:
        return int(self.case.size)


def person_arrays(problem: MatchingProblem) -> dict[str, np.ndarray]:
    people = problem.people
    n = len(people)
    court_ids = {c.id: i for i, c in enumerate(problem.courts)}
    cat_ids = {c: i for i, c in enumerate(CATEGORIES)}
    level = np.zeros((n, len(CATEGORIES)), dtype=np.int64)
    evaluation = np.zeros((n, len(CATEGORIES)), dtype=bool)
    served = np.zeros((n, len(court_ids)), dtype=bool)
    children = problem.court_children
    horizon = max([len(p.free_minutes) for p in people] + [1])
    cumfree = np.zeros((n, horizon), dtype=np.int64)
    for i, p in enumerate(people):
        for cat, lv in p.specialties.items():
            level[i, cat_ids[cat]] = lv
        for cat in p.evaluation:
            evaluation[i, cat_ids[cat]] = True
        for roster in p.roster_courts:
            served[i, court_ids[roster]] = True
            for child in children.get(roster, frozenset()):
                served[i, court_ids[child]] = True
        if p.free_minutes:
            row = np.cumsum(np.asarray(p.free_minutes, dtype=np.int64))
            cumfree[i, : row.size] = row
            cumfree[i, row.size :] = row[-1]
    early_days = problem.settings.early_days
    early = np.array(
        [min(sum(p.free_minutes[:early_days]) // 60, 10) for p in people], dtype=np.int64
    )
    return {
        "is_med": np.array([MEDIATOR in p.roles for p in people], dtype=bool),
        "is_exp": np.array([EXPERT in p.roles for p in people], dtype=bool),
        "level": level,
        "evaluation": evaluation,
        "served": served,
        "cumfree": cumfree,
        "base": np.array(
            [court_ids[p.base_court] if p.base_court else -1 for p in people], dtype=np.int64
        ),
        "capacity": np.array([p.capacity for p in people], dtype=np.int64),
        "active": np.array([p.active_cases for p in people], dtype=np.int64),
        "recent": np.array([p.recent_assignments for p in people], dtype=np.int64),
        "senior": np.array([p.is_senior for p in people], dtype=bool),
        "early": early,
    }


def _recused(problem: MatchingProblem, index: dict[str, int]) -> dict[str, set[int]]:
    """Institution -> people recused by an affiliation in the look-back or a declared conflict."""
    cutoff = problem.settings.today - timedelta(days=problem.settings.lookback_days)
    out: dict[str, set[int]] = defaultdict(set)
    for p in problem.people:
        i = index[p.id]
        for aff in p.affiliations:
            if aff.until is None or aff.until >= cutoff:
                out[aff.institution].add(i)
        for inst in p.conflict_institutions:
            out[inst].add(i)
    return out


def _case_slots(
    problem: MatchingProblem, case: Case, index: dict[str, int], pure: bool
) -> CaseSlots:
    people = problem.people
    senior_needed = case.needs_senior_presiding and not pure
    locks: list[Member] = list(case.pins)
    if case.chosen_mediator is not None and not any(
        m.person == case.chosen_mediator and m.role == MEDIATOR for m in locks
    ):
        chosen = people[index[case.chosen_mediator]]
        presides = chosen.is_senior or not senior_needed
        locks.insert(0, Member(case.chosen_mediator, MEDIATOR, presides))
    meds = case.mediators_needed(pure)
    exps = case.experts_needed(pure)
    slots = CaseSlots(meds, exps, senior_presiding=senior_needed)
    seen: set[str] = set()
    presiding_locked = False
    for m in locks:
        if m.person in seen:
            slots.lock_error = DISTINCT_PEOPLE
            continue
        seen.add(m.person)
        person = people[index[m.person]]
        rule = pair_violation(problem, case, person, m.role)
        if rule is not None:
            slots.lock_error = rule
        # The only mediator of a case presides, whatever the lock says.
        presides = m.role == MEDIATOR and not presiding_locked and (m.presiding or meds == 1)
        if presides and senior_needed and not person.is_senior:
            if meds == 1 or m.presiding:
                slots.lock_error = PRESIDING
            presides = False
        presiding_locked = presiding_locked or presides
        slots.locked.append((index[m.person], ROLE_CODES[m.role], presides))
        if m.role == MEDIATOR:
            slots.mediators -= 1
        else:
            slots.experts -= 1
    if slots.mediators < 0 or slots.experts < 0:
        slots.lock_error = TEAM_COMPOSITION
    if presiding_locked:
        slots.senior_presiding = False
    elif slots.senior_presiding and slots.mediators == 0 and slots.lock_error is None:
        slots.lock_error = PRESIDING  # every mediator is locked and none may preside
    return slots


class RosterScorer:
    """Pair scores of the whole roster for one case: the vectorised form of
    ``score.pair_terms``, shared by the encoder and the explanations."""

    def __init__(self, problem: MatchingProblem, arr: dict[str, np.ndarray]) -> None:
        self.problem = problem
        self.arr = arr
        self.court_ids = {c.id: i for i, c in enumerate(problem.courts)}
        self.cat_ids = {c: i for i, c in enumerate(CATEGORIES)}
        self.rotation = -((problem.weights.rotation * arr["recent"]) // 2)
        self.keepers: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(problem.people):
            for batch in p.batches:
                self.keepers[batch].append(i)
        self._bases: dict[tuple[str, str, int], IntArray] = {}

    def base(self, case: Case) -> IntArray:
        """Specialty, locality, rotation and urgency: the terms that ignore the role."""
        s, w = self.problem.settings, self.problem.weights
        days = (case.deadline - s.today).days
        key = (case.category, case.court, days)
        cached = self._bases.get(key)
        if cached is None:
            urgency = max(0, s.urgent_days + 1 - max(days, 0))
            level = self.arr["level"][:, self.cat_ids[case.category]]
            local = self.arr["base"] == self.court_ids[case.court]
            cached = (
                w.specialty * SPECIALTY_UNIT * level
                + np.where(local, w.locality * LOCALITY_UNIT, 0)
                + self.rotation
                + (w.urgency * self.arr["early"] * urgency) // max(s.urgent_days, 1)
            )
            self._bases[key] = cached
        return cached

    def for_role(self, case: Case, role_code: int, people_idx: IntArray) -> IntArray:
        """Scores of ``people_idx`` in a role: the base plus batch continuity and stability."""
        w = self.problem.weights
        index = self.problem.person_index
        scores = self.base(case)[people_idx].copy()
        if role_code == 0 and case.batch is not None and case.batch in self.keepers:
            scores[np.isin(people_idx, self.keepers[case.batch])] += w.batch * BATCH_UNIT
        for pid in {m.person for m in case.previous if ROLE_CODES[m.role] == role_code}:
            scores[people_idx == index[pid]] += w.stability * STABILITY_UNIT
        return scores


def encode(problem: MatchingProblem) -> Encoded:
    """Candidate pairs for every case and role after the pair-level hard rules."""
    pure = problem.settings.pure
    index = problem.person_index
    arr = person_arrays(problem)
    court_ids = {c.id: i for i, c in enumerate(problem.courts)}
    cat_ids = {c: i for i, c in enumerate(CATEGORIES)}
    s = problem.settings
    recused = _recused(problem, index)
    case_conflicts: dict[str, set[int]] = defaultdict(set)
    for p in problem.people:
        for case_id in p.conflict_cases:
            case_conflicts[case_id].add(index[p.id])
    horizon = arr["cumfree"].shape[1]
    free_cap = arr["capacity"] - arr["active"]
    # Locks consume capacity before anything else is decided.
    slots = [_case_slots(problem, c, index, pure) for c in problem.cases]
    locked_load = np.zeros(len(problem.people), dtype=np.int64)
    for sl in slots:
        if sl.lock_error is None:
            # Locks share capacity: a lock past a person's capacity cannot hold (case order).
            if any(locked_load[p] + 1 > free_cap[p] for p, _, _ in sl.locked):
                sl.lock_error = CAPACITY
                continue
            for person, _, _ in sl.locked:
                locked_load[person] += 1
    scorer = RosterScorer(problem, arr)
    group_cache: dict[tuple[object, ...], list[IntArray]] = {}
    out_case: list[IntArray] = []
    out_person: list[IntArray] = []
    out_role: list[IntArray] = []
    out_score: list[IntArray] = []
    for ci, case in enumerate(problem.cases):
        sl = slots[ci]
        if sl.lock_error is not None or sl.total == 0:
            continue
        days = (case.deadline - s.today).days
        need = s.minutes_needed[case.complexity]
        key = (case.category, case.court, days, need, case.needs_evaluation, sl.experts > 0)
        group = group_cache.get(key)
        if group is None:
            cat = cat_ids[case.category]
            if days < 0:
                free_ok = np.full(len(problem.people), need <= 0)
            else:
                free_ok = arr["cumfree"][:, min(days, horizon - 1)] >= need
            base_ok = (
                (arr["level"][:, cat] > 0)
                & arr["served"][:, court_ids[case.court]]
                & (free_cap >= 1)
                & free_ok
            )
            exp_mask = base_ok & arr["is_exp"]
            if case.needs_evaluation:
                exp_mask &= arr["evaluation"][:, cat]
            exp = np.flatnonzero(exp_mask) if sl.experts > 0 else np.zeros(0, dtype=np.int64)
            group = [np.flatnonzero(base_ok & arr["is_med"]), exp]
            group_cache[key] = group

        excluded: set[int] = set()
        for inst in case.parties:
            excluded |= recused.get(inst, set())
        excluded -= {index[pid] for pid in case.waivers}
        excluded |= {index[pid] for pid in case.other_roles if pid in index}
        excluded |= case_conflicts.get(case.id, set()) - {index[pid] for pid in case.waivers}
        excluded |= {person for person, _, _ in sl.locked}
        for role_code, people_idx in enumerate(group):
            needed = sl.mediators if role_code == 0 else sl.experts
            if needed == 0 or people_idx.size == 0:
                continue
            if excluded:
                people_idx = people_idx[~np.isin(people_idx, np.fromiter(excluded, np.int64))]
            scores = scorer.for_role(case, role_code, people_idx)
            out_case.append(np.full(people_idx.size, ci, dtype=np.int64))
            out_person.append(people_idx)
            out_role.append(np.full(people_idx.size, role_code, dtype=np.int64))
            out_score.append(scores)

    def join(parts: list[IntArray]) -> IntArray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    return Encoded(
        problem=problem,
        case=join(out_case),
        person=join(out_person),
        role=join(out_role),
        score=join(out_score),
        capacity=arr["capacity"],
        active=arr["active"] + locked_load,
        senior=arr["senior"],
        slots=slots,
    )
