"""Solve a MatchingProblem: encode, min-cost flow for the network core, CP-SAT for the rest.

1. ``encode`` prunes every pair a hard rule forbids and scores the rest (vectorised).
2. Min-cost flow solves the network relaxation exactly: it fills the most slots, then maximises
   pair scores minus the convex workload cost. Its value, less lower bounds on the terms it
   cannot see, is an upper bound on the objective. In pure mode it is the exact optimum.
3. CP-SAT, hinted with the flow's complete teams, adds what the network cannot express: teams
   all-or-nothing, the presiding mediator, the busiest person's utilisation and batch cohesion.
   Small instances get every candidate; large ones the best few per slot plus the flow's choice.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from statistics import pstdev

import numpy as np
from ortools.sat.python import cp_model

from . import model as cpsat
from .bound import lagrangian_bound
from .encode import Encoded, RosterScorer, encode, person_arrays
from .flow import solve_flow
from .leads import Solution, batch_cases, complete_teams, lead_search
from .problem import EXPERT, MEDIATOR, MatchingProblem
from .result import (
    ALL_CONFLICTED,
    CAPACITY,
    CAPACITY_EXHAUSTED,
    FEASIBLE,
    NO_AVAILABILITY,
    NO_ELIGIBLE_SPECIALIST,
    OPTIMAL,
    TEAM_INCOMPLETE,
    Alternate,
    Assignment,
    Cancelled,
    CaseExplanation,
    MatchResult,
    Progress,
    Unassigned,
)
from .rules import free_minutes_before, pair_violation, recusal_ground, served_courts
from .score import (
    BATCH_UNIT,
    MAX_UTILISATION_UNIT,
    balance_cost,
    evaluate,
    pair_score,
    pair_terms,
    utilisation_pct,
)

# Shares of the time limit: dynamic slope scaling (until), the Lagrangian bound (for), the
# lead search (until); CP-SAT gets the rest. Above FULL_MODEL_PAIRS, CP-SAT would only see a
# neighbourhood and adds little the lead search does not find faster: the search runs to the end.
SLOPE_SHARE = 0.1
BOUND_SHARE = 0.25
SEARCH_SHARE = 0.8
CPSAT_MIN_SHARE = 0.1  # below this much time left, CP-SAT is skipped
FULL_MODEL_PAIRS = 8_000  # up to this many candidates, CP-SAT sees them all
PER_SLOT = 8  # otherwise: the best candidates per case and role, plus the flow's choice

ProgressFn = Callable[[Progress], None]


def solve(
    problem: MatchingProblem,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
) -> MatchResult:
    """Solve ``problem`` within about ``time_limit`` seconds.

    ``stop``, when given, is watched throughout: once it is set the solve gives up at the next
    check (between phases, inside the local searches, and CP-SAT is stopped asynchronously) and
    raises :class:`~matcher.result.Cancelled`."""
    start = time.perf_counter()

    def check() -> None:
        if stop is not None and stop.is_set():
            raise Cancelled(f"the solve was cancelled after {time.perf_counter() - start:.1f} s")

    pure = problem.settings.pure
    enc = encode(problem)
    t_encode = time.perf_counter() - start
    flow = solve_flow(enc, pure=pure, weight=problem.weights.workload, duals=not pure)
    bound = _flow_bound(enc, flow.quality)
    check()
    stats: dict[str, object] = {
        "pairs": enc.pairs,
        "encode_seconds": round(t_encode, 3),
        "flow_seconds": round(flow.seconds, 3),
        "flow_bound": bound,
    }
    hint = complete_teams(enc, set(flow.chosen.tolist()), set(flow.presiding.tolist()))
    if not pure:
        hint = _improve_batches(
            enc, hint, stats, deadline=start + SLOPE_SHARE * time_limit, stop=stop
        )
    check()
    status = FEASIBLE
    trace: list[Progress] = []
    flow_slots = int(flow.filled.sum())
    hint_slots, hint_value = _rank(enc, hint)
    suggested: dict[str, frozenset[int]] = {}
    ranked: dict[str, list[int]] = {}
    if not pure and flow.slot_value is not None and flow_slots == _staffable_slots(enc):
        lagrangian = lagrangian_bound(
            enc,
            flow.slot_value,
            incumbent=hint_value,
            constant=_lock_constant(enc),
            deadline=time.perf_counter() + BOUND_SHARE * time_limit,
            stop=stop,
        )
        check()
        if lagrangian is not None:
            stats["lagrangian_bound"] = lagrangian.bound
            stats["lagrangian_iterations"] = lagrangian.iterations
            stats["lagrangian_seconds"] = round(lagrangian.seconds, 3)
            bound = min(bound, lagrangian.bound)
            suggested = lagrangian.leads
            ranked = lagrangian.ranked
    if not pure:
        hint = lead_search(
            enc,
            hint,
            lock_constant=_lock_constant(enc),
            suggested=suggested,
            ranked=ranked,
            deadline=start
            + (
                SEARCH_SHARE * time_limit
                if enc.pairs <= FULL_MODEL_PAIRS
                else time_limit - _reserve(time_limit, problem)
            ),
            stats=stats,
            stop=stop,
        )
        check()
        hint_slots, hint_value = _rank(enc, hint)
    if pure:
        solution, status = hint, OPTIMAL
    elif hint_slots == flow_slots and hint_value >= bound:
        # The flow's own bound proves the warm start optimal: nothing is left for CP-SAT.
        solution, status = hint, OPTIMAL
        stats["proof"] = "warm start meets the flow bound"
    elif _reserve(time_limit, problem) + CPSAT_MIN_SHARE * time_limit > time_limit - (
        time.perf_counter() - start
    ):
        solution = hint  # too little time left for CP-SAT to add anything
        stats["cpsat_skipped"] = True
    else:
        if enc.pairs <= FULL_MODEL_PAIRS:
            cand = np.arange(enc.pairs, dtype=np.int64)
        else:
            cand = _neighbourhood(enc, hint)
        full = cand.size == enc.pairs
        built = cpsat.build(enc, cand, pure=pure)
        cpsat.hint(built, hint.chosen, hint.presiding)
        stats["cpsat_variables"] = len(built.x)
        # Leave time to extract, explain and score the result inside the limit.
        remaining = max(
            0.1, time_limit - (time.perf_counter() - start) - _reserve(time_limit, problem)
        )
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = remaining
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        callback = _Callback(
            built, start, bound, trace, progress, constant=_lock_constant(enc), full=full
        )
        with _stopping(solver, stop):
            code = solver.solve(built.model, callback)
        check()
        stats["cpsat_status"] = solver.status_name(code)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            stats["cpsat_bound"] = solver.best_objective_bound
            if full:
                # Below one more slot's worth, CP-SAT's bound is a bound on quality at the
                # flow's coverage.
                cp_quality = int(solver.best_objective_bound) - cpsat.COVERAGE_UNIT * flow_slots
                if cp_quality < cpsat.COVERAGE_UNIT // 2:
                    bound = min(bound, cp_quality + _lock_constant(enc))
        stats["cpsat_seconds"] = round(solver.wall_time, 3)
        solution = hint
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen, pres = cpsat.selected(built, solver)
            found = Solution(chosen, pres)
            if code == cp_model.OPTIMAL and full:
                solution, status = found, OPTIMAL
            elif _rank(enc, found) >= _rank(enc, hint):
                solution = found
            else:
                stats["kept_flow_solution"] = True
    members = _members(enc, solution)
    objective = evaluate(problem, [(a.case, a.person, a.role, a.presiding) for a in members])
    assigned_cases = {a.case for a in members}
    staffed_slots = _slots(enc, assigned_cases)
    if status != OPTIMAL and staffed_slots == flow_slots and objective.objective >= bound:
        status = OPTIMAL  # the flow bound proves it
    if status == OPTIMAL:
        bound = objective.objective
    elif bound < objective.objective:
        # Only possible when the flow's coverage was not attainable; never report a bound
        # below a solution in hand.
        stats["bound_raised_to_objective"] = bound
        bound = objective.objective
    unassigned = tuple(
        _why_unassigned(problem, enc, ci, objective.loads)
        for ci, case in enumerate(problem.cases)
        if case.id not in assigned_cases
    )
    explanations = _explain(problem, enc, members, objective.loads)
    seconds = time.perf_counter() - start  # everything above, explanations included
    trace.append(Progress(seconds, objective.objective, bound))
    if progress is not None:
        progress(trace[-1])
    return MatchResult(
        status=status,
        objective=objective.objective,
        bound=bound,
        seconds=seconds,
        assignments=tuple(members),
        unassigned=unassigned,
        kpis=_kpis(problem, members, objective.loads, objective.batch_splits),
        explanations=explanations,
        progress=tuple(trace),
        stats=stats,
    )


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(
        self,
        built: cpsat.Model,
        start: float,
        flow_bound: int,
        trace: list[Progress],
        progress: ProgressFn | None,
        *,
        constant: int,
        full: bool,
    ) -> None:
        super().__init__()
        self._constant = constant
        self._full = full
        self._built = built
        self._start = start
        self._flow_bound = flow_bound
        self._trace = trace
        self._progress = progress

    def on_solution_callback(self) -> None:
        slots = self._built.slots_total
        staffed = sum(slots[ci] * self.value(a) for ci, a in self._built.assigned.items())
        # CP-SAT's objective leaves out what the locks fix; its bound is a global one only
        # on an unpruned model, so the trace reports the flow bound otherwise.
        quality = int(self.objective_value) - cpsat.COVERAGE_UNIT * staffed + self._constant
        bound = self._flow_bound
        if self._full:
            cp_bound = int(self.best_objective_bound) - cpsat.COVERAGE_UNIT * staffed
            bound = min(bound, cp_bound + self._constant)
        event = Progress(time.perf_counter() - self._start, quality, max(bound, quality))
        self._trace.append(event)
        if self._progress is not None:
            self._progress(event)


def _lock_constant(enc: Encoded) -> int:
    """The objective terms the locks fix: their pair scores less the workload they add."""
    problem = enc.problem
    total = 0
    for ci, sl in enumerate(enc.slots):
        if sl.lock_error is None:
            for p, role, _ in sl.locked:
                total += pair_score(
                    problem, problem.cases[ci], problem.people[p], (MEDIATOR, EXPERT)[role]
                )
    if problem.settings.pure:
        return total
    w = problem.weights.workload
    for k, person in enumerate(problem.people):
        if enc.active[k] > person.active_cases:
            total -= balance_cost(w, person.capacity, person.active_cases, int(enc.active[k]))
    return total


def _flow_bound(enc: Encoded, flow_quality: int) -> int:
    """Upper bound on the objective among solutions that fill as many slots as the flow:
    the flow's value, plus the locks' own terms, minus lower bounds on what it cannot see."""
    problem = enc.problem
    w = problem.weights.workload
    bound = flow_quality + _lock_constant(enc)
    if problem.settings.pure:
        return bound
    # The busiest person is at least as busy as the busiest now, and as the average.
    caps = enc.capacity[enc.capacity > 0]
    busiest = max(
        (utilisation_pct(int(c), int(a)) for c, a in zip(enc.capacity, enc.active, strict=True)),
        default=0,
    )
    if caps.size:
        average = -((-100 * int(enc.active[enc.capacity > 0].sum())) // int(caps.sum()))
        busiest = max(busiest, average)
    bound -= w * MAX_UTILISATION_UNIT * busiest
    return bound - problem.weights.batch * BATCH_UNIT * _min_batch_splits(enc)


def _reserve(time_limit: float, problem: MatchingProblem) -> float:
    """Time kept back to extract, explain and score the result inside the limit."""
    return 0.03 * time_limit + 0.4 * len(problem.cases) / 1000


def _staffable_slots(enc: Encoded) -> int:
    return sum(sl.total for sl in enc.slots if sl.lock_error is None)


SLOPE_ITERATIONS = 8


@contextmanager
def _stopping(solver: cp_model.CpSolver, stop: threading.Event | None) -> Iterator[None]:
    """Stop ``solver`` from another thread as soon as ``stop`` is set."""
    if stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            if stop.is_set():
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, name="matcher-stop", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _improve_batches(
    enc: Encoded,
    hint: Solution,
    stats: dict[str, object],
    *,
    deadline: float,
    stop: threading.Event | None = None,
) -> Solution:
    """Batch cohesion is a fixed charge per lead mediator, which a network cannot price. Dynamic
    slope scaling prices it anyway: each (batch, mediator) arc gets the charge spread over the
    cases that mediator led in the previous flow, so few leads become cheap and stray ones dear.
    Starting points: the plain flow and a flow steered to designated keepers."""
    problem = enc.problem
    batches = batch_cases(enc)
    if not batches or problem.weights.batch == 0:
        return hint
    charge = problem.weights.batch * BATCH_UNIT
    weight = problem.weights.workload
    best, best_rank = hint, _rank(enc, hint)
    current = hint
    keeper = _keeper_bonus(enc)
    for it in range(SLOPE_ITERATIONS + 1):
        if time.perf_counter() > deadline or (stop is not None and stop.is_set()):
            break
        if it == 0 and keeper is not None:
            bonus = keeper
        else:
            bonus = _slope_bonus(enc, current, batches, charge)
        flow = solve_flow(enc, pure=False, weight=weight, bonus=bonus)
        current = complete_teams(enc, set(flow.chosen.tolist()), set(flow.presiding.tolist()))
        rank = _rank(enc, current)
        if rank > best_rank:
            best, best_rank = current, rank
            stats["hint"] = f"slope scaling, iteration {it}"
    return best


def _slope_bonus(
    enc: Encoded, solution: Solution, batches: dict[str, list[int]], charge: int
) -> np.ndarray:
    chosen = np.fromiter(solution.chosen, dtype=np.int64, count=len(solution.chosen))
    bonus = np.zeros(enc.score.size, dtype=np.int64)
    for cis in batches.values():
        in_batch = np.isin(enc.case, cis) & (enc.role == 0)
        led = chosen[np.isin(enc.case[chosen], cis) & (enc.role[chosen] == 0)]
        counts = np.bincount(enc.person[led], minlength=enc.capacity.size)
        idx = np.flatnonzero(in_batch)
        n = counts[enc.person[idx]]
        # Cost per case: the charge shared by the cases this mediator leads (a newcomer pays all).
        bonus[idx] = charge - charge // np.maximum(n, 1)
    return bonus


def _keeper_bonus(enc: Encoded) -> np.ndarray | None:
    """Per-candidate bonus for the few mediators designated to keep each batch: those who can
    take the most of its cases, until their free capacity covers it."""
    batches = batch_cases(enc)
    if not batches:
        return None
    unit = enc.problem.weights.batch * BATCH_UNIT
    bonus = np.zeros(enc.score.size, dtype=np.int64)
    reserved = np.zeros(enc.capacity.size, dtype=np.int64)
    for cis in sorted(batches.values(), key=len, reverse=True):
        mask = np.isin(enc.case, cis) & (enc.role == 0)
        people, counts = np.unique(enc.person[mask], return_counts=True)
        free = np.maximum(enc.capacity[people] - enc.active[people] - reserved[people], 0)
        room = np.minimum(free, counts)  # a keeper leads at most the cases they may take
        # Whoever already keeps the batch from earlier days comes first.
        batch = enc.problem.cases[cis[0]].batch
        holds = np.array([batch in enc.problem.people[p].batches for p in people], dtype=bool)
        order = np.lexsort((-room, ~holds))
        covered = 0
        for j in order:
            if covered >= len(cis) or room[j] == 0:
                break
            person = people[j]
            take = min(int(room[j]), len(cis) - covered)
            reserved[person] += take
            covered += take
            bonus[mask & (enc.person == person)] = 2 * unit
    return bonus


def _min_batch_splits(enc: Encoded) -> int:
    """A lower bound on batch splits: a batch needs at least as many lead mediators as it takes
    for the roomiest candidates' free capacity to cover its cases."""
    total = 0
    for cis in batch_cases(enc).values():
        mask = np.isin(enc.case, cis) & (enc.role == 0)
        people, counts = np.unique(enc.person[mask], return_counts=True)
        room = np.minimum(np.maximum(enc.capacity[people] - enc.active[people], 0), counts)
        covered = np.cumsum(np.sort(room)[::-1])
        leads = int(np.searchsorted(covered, len(cis))) + 1 if covered.size else 1
        total += max(0, min(leads, len(cis)) - 1)
    return total


def _rank(enc: Encoded, solution: Solution) -> tuple[int, int]:
    """Coverage first (slots in staffed teams), then the objective."""
    members = _members(enc, solution)
    value = evaluate(enc.problem, [(a.case, a.person, a.role, a.presiding) for a in members])
    return _slots(enc, {a.case for a in members}), value.objective


def _slots(enc: Encoded, staffed: set[str]) -> int:
    """Slots filled by the staffed cases (locked members not counted, as in the flow)."""
    return sum(enc.slots[ci].total for ci, c in enumerate(enc.problem.cases) if c.id in staffed)


def _neighbourhood(enc: Encoded, hint: Solution) -> np.ndarray:
    """Large instances: CP-SAT re-decides what the flow priced only approximately (the cases of
    batches and team cases, with their best PER_SLOT candidates); every other case keeps the
    hint's team, so the model stays small while the global workload terms remain exact."""
    problem = enc.problem
    free = np.zeros(len(problem.cases), dtype=bool)
    for cis in batch_cases(enc).values():
        free[cis] = True
    free |= np.array([c.is_team for c in problem.cases], dtype=bool)
    ranked = _prune(enc, np.zeros(0, dtype=np.int64))
    open_cands = ranked[free[enc.case[ranked]]]
    kept = np.fromiter(hint.chosen, dtype=np.int64, count=len(hint.chosen))
    return np.union1d(open_cands, kept)


def _prune(enc: Encoded, flow_chosen: np.ndarray) -> np.ndarray:
    """The best PER_SLOT candidates for each (case, role) by score, plus the flow's choice."""
    key = enc.case * 2 + enc.role
    order = np.lexsort((-enc.score, key))
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    rank = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
    keep = order[rank < PER_SLOT]
    return np.union1d(keep, flow_chosen)


def _members(enc: Encoded, solution: Solution) -> list[Assignment]:
    problem = enc.problem
    out: list[Assignment] = []
    per_case: dict[int, list[int]] = defaultdict(list)
    for i in solution.chosen:
        per_case[int(enc.case[i])].append(i)
    for ci, sl in enumerate(enc.slots):
        if sl.lock_error is not None:
            continue
        idx = per_case.get(ci, [])
        if len(idx) != sl.total:
            continue
        case = problem.cases[ci]
        lock_presides = any(p for _, _, p in sl.locked)
        for p, role_code, pres in sl.locked:
            out.append(
                Assignment(case.id, problem.people[p].id, (MEDIATOR, EXPERT)[role_code], pres)
            )
        single = sl.mediators == 1 and not sl.senior_presiding
        for i in sorted(idx, key=lambda i: (int(enc.role[i]), int(enc.person[i]))):
            role = MEDIATOR if enc.role[i] == 0 else EXPERT
            pres = role == MEDIATOR and not lock_presides and (single or i in solution.presiding)
            out.append(Assignment(case.id, problem.people[int(enc.person[i])].id, role, pres))
    return out


def _why_unassigned(
    problem: MatchingProblem, enc: Encoded, ci: int, loads: dict[str, int]
) -> Unassigned:
    case = problem.cases[ci]
    sl = enc.slots[ci]
    if sl.lock_error is not None:
        return Unassigned(case.id, TEAM_INCOMPLETE, {"lock_breaks_rule": sl.lock_error})
    need = problem.settings.minutes_needed[case.complexity]
    details: dict[str, object] = {}
    reason = TEAM_INCOMPLETE
    for role, needed in ((MEDIATOR, sl.mediators), (EXPERT, sl.experts)):
        if needed == 0:
            continue
        specialists = [
            p
            for p in problem.people
            if role in p.roles
            and case.category in p.specialties
            and (role == MEDIATOR or not case.needs_evaluation or case.category in p.evaluation)
        ]
        in_scope = [p for p in specialists if case.court in served_courts(problem, p)]
        clear = [p for p in in_scope if recusal_ground(problem, case, p) is None]
        with_capacity = [p for p in clear if p.capacity - p.active_cases >= 1]
        available = [p for p in with_capacity if free_minutes_before(problem, case, p) >= need]
        still_free = [p for p in available if loads.get(p.id, 0) < p.capacity]
        figures = {
            "needed": needed,
            "specialists": len(specialists),
            "in_roster_scope": len(in_scope),
            "not_conflicted": len(clear),
            "with_capacity": len(with_capacity),
            "available_before_deadline": len(available),
            "still_free_after_assignment": len(still_free),
        }
        details[role] = figures
        if reason != TEAM_INCOMPLETE:
            continue
        if len(in_scope) < needed:
            reason = NO_ELIGIBLE_SPECIALIST
        elif len(clear) < needed:
            reason = ALL_CONFLICTED
        elif len(available) < needed and len(with_capacity) >= needed:
            reason = NO_AVAILABILITY
        elif len(still_free) < needed:
            reason = CAPACITY_EXHAUSTED
    return Unassigned(case.id, reason, details)


def _explain(
    problem: MatchingProblem, enc: Encoded, members: list[Assignment], loads: dict[str, int]
) -> dict[str, CaseExplanation]:
    """Per staffed case: the score by term, and per role the three best-scored other
    specialists with the score they lack or the hard rule that excludes them. Scores of the
    whole roster are computed with numpy, so every case is explained at every size."""
    people = problem.people
    index = problem.person_index
    arr = person_arrays(problem)
    scorer = RosterScorer(problem, arr)
    everyone = np.arange(len(people), dtype=np.int64)
    id_rank = np.argsort(np.argsort(np.array([p.id for p in people], dtype=object)))
    team: dict[str, list[Assignment]] = defaultdict(list)
    for a in members:
        team[a.case].append(a)
    # Candidates passed every pair rule; only the others need the rule looked up.
    n_people = len(people)
    passed = set(((enc.case * n_people + enc.person) * 2 + enc.role).tolist())
    specialists: dict[tuple[str, int], np.ndarray] = {}
    out: dict[str, CaseExplanation] = {}
    for ci, case in enumerate(problem.cases):
        mine = team.get(case.id)
        if not mine:
            continue
        score: Counter[str] = Counter()
        for a in mine:
            score.update(pair_terms(problem, case, people[index[a.person]], a.role))
        cat = scorer.cat_ids[case.category]
        in_team = [index[a.person] for a in mine]
        alternates: dict[str, tuple[Alternate, ...]] = {}
        for role in sorted({a.role for a in mine}):
            role_code = 0 if role == MEDIATOR else 1
            raw = scorer.for_role(case, role_code, everyone)
            pool = specialists.get((role, cat))
            if pool is None:
                mask = arr["is_med" if role == MEDIATOR else "is_exp"] & (arr["level"][:, cat] > 0)
                pool = specialists[(role, cat)] = np.flatnonzero(mask)
            pool = pool[~np.isin(pool, in_team)]
            # Best score first, then person id: one integer key, partially sorted.
            order_key = -raw[pool] * (n_people + 1) + id_rank[pool]
            if pool.size > 3:
                pool = pool[np.argpartition(order_key, 3)[:3]]
                order_key = -raw[pool] * (n_people + 1) + id_rank[pool]
            top = pool[np.argsort(order_key)]
            worst = min(
                pair_score(problem, case, people[index[a.person]], role)
                for a in mine
                if a.role == role
            )
            alts = []
            for k in top:
                person = people[int(k)]
                rule = None
                if (ci * n_people + int(k)) * 2 + role_code not in passed:
                    rule = pair_violation(problem, case, person, role)
                if rule is None and loads.get(person.id, 0) >= person.capacity:
                    rule = CAPACITY
                if rule is not None:
                    alts.append(Alternate(person.id, rule=rule))
                else:
                    alts.append(Alternate(person.id, score_difference=worst - int(raw[k])))
            alternates[role] = tuple(alts)
        out[case.id] = CaseExplanation(case.id, dict(score), alternates)
    return out


def _kpis(
    problem: MatchingProblem, members: list[Assignment], loads: dict[str, int], splits: int
) -> dict[str, float]:
    cases = {c.id: c for c in problem.cases}
    people = {p.id: p for p in problem.people}
    levels = [people[a.person].specialties.get(cases[a.case].category, 0) for a in members]
    utils = [100 * loads[p.id] / p.capacity for p in problem.people if p.capacity > 0]
    new = Counter(a.person for a in members)
    rotation = [p.recent_assignments + new.get(p.id, 0) for p in problem.people]
    leads: dict[str, Counter[str]] = defaultdict(Counter)
    for a in members:
        batch = cases[a.case].batch
        if batch is not None and a.role == MEDIATOR and a.presiding:
            leads[batch][a.person] += 1
    batch_total = sum(sum(c.values()) for c in leads.values() if sum(c.values()) >= 2)
    batch_kept = sum(c.most_common(1)[0][1] for c in leads.values() if sum(c.values()) >= 2)
    local = [people[a.person].base_court == cases[a.case].court for a in members]
    staffed = {a.case for a in members}
    return {
        "cases_assigned": float(len(staffed)),
        "cases_unassigned": float(len(problem.cases) - len(staffed)),
        "mean_specialty_level": round(sum(levels) / len(levels), 3) if levels else 0.0,
        "max_utilisation_pct": round(max(utils), 1) if utils else 0.0,
        "utilisation_spread_pct": round(pstdev(utils), 2) if len(utils) > 1 else 0.0,
        "rotation_spread": round(pstdev(rotation), 2) if len(rotation) > 1 else 0.0,
        "batch_cohesion": round(batch_kept / batch_total, 4) if batch_total else 1.0,
        "batch_splits": float(splits),
        "local_share": round(sum(local) / len(local), 4) if local else 0.0,
    }
