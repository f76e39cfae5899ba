"""Seeded benchmark instances shaped like a Chinese city or province financial mediation center.

Courts come in cities: an intermediate court and six to ten basic courts whose parent it is. People
sit on the intermediate court's roster (which serves its basic courts) or on one to three basic
courts. Banks send batches (串案) of one category; complex and major cases need teams; second
instance cases sit at the intermediate court and need a senior presiding mediator.

People: 40% mediators only, 50% experts only, 10% both; a quarter senior; one to four specialties
at levels 1-5, experts evaluating in some; capacity 6-20; about 13% tied to a party bank or
insurer (current, ended within the look-back, or long ago) and 2% with declared conflicts;
45 days of free minutes (weekdays only, part-timers in half days, some on leave). Because demand
must fill the free capacity, ``active_cases`` is what the capacity leaves after it: on S (200
cases for 120 people) most people are already more than half busy.

Tightness is built in, not hoped for. The generator first plants a complete assignment that obeys
every hard rule (roles, specialties, roster scope, recusal, availability, evaluation, seniority,
distinct people), then sets each person's free capacity to their planted load plus a small,
rationed slack. So every instance is feasible (every case can be staffed at once), and the day's
demand takes at least 90% of the eligible free capacity in every category and about 93% of the
whole roster's (see :func:`tightness` for the measure). A draw that misses this is discarded
and redrawn, deterministically. The locks (the parties' chosen mediator, the coordinator's pins)
are taken from the planted assignment, so they are feasible too; pure instances have none.

``generate("M", seed=3)`` is deterministic: the same size, seed and ``pure`` give an equal problem.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from matcher.problem import (
    CATEGORIES,
    COMPLEX,
    EXPERT,
    MAJOR,
    MEDIATOR,
    ORDINARY,
    SIMPLE,
    Affiliation,
    Case,
    Court,
    MatchingProblem,
    Member,
    Person,
    Settings,
    Weights,
)
from matcher.result import Assignment

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SIZES: dict[str, tuple[int, int]] = {
    "S": (200, 120),  # a city day
    "M": (2_000, 500),  # a few cities
    "L": (20_000, 5_000),  # a province
}
TODAY = date(2026, 3, 2)  # a Monday
HORIZON = 45  # days of free_minutes per person
PEOPLE_PER_CITY = 150
LOOKBACK_DAYS = 730

# Demand takes this share of the roster's free capacity; no category may fall below the floor.
TARGET_TIGHTNESS = 0.93
TIGHTNESS_FLOOR = 0.905
PLANT_ROUNDS = 3
MAX_ATTEMPTS = 20
MAX_AGGREGATE = 0.97  # above this there is too little slack for the workload term to matter

CAT = {c: i for i, c in enumerate(CATEGORIES)}
# Case mix (credit cards and loans dominate), and the specialty mix of each kind of person.
CASE_MIX = np.array([30, 28, 9, 8, 5, 4, 5, 5, 6], dtype=float)
MEDIATOR_MIX = np.array([30, 28, 10, 10, 6, 5, 6, 6, 7], dtype=float)
EXPERT_MIX = np.array([18, 12, 16, 12, 10, 10, 5, 7, 10], dtype=float)
BATCH_MIX = {"credit_card": 50, "financial_loan": 35, "guarantee": 5, "financial_leasing": 5}
EVALUATION_RATE = {"insurance": 0.25, "securities_futures": 0.3, "financial_leasing": 0.12}
DEFAULT_EVALUATION_RATE = 0.05
EVALUATOR_RATE = {"insurance": 0.7, "securities_futures": 0.7, "financial_leasing": 0.6}
DEFAULT_EVALUATOR_RATE = 0.35
SMALL_CLAIM_CATEGORIES = ("credit_card", "financial_loan", "deposit", "financial_tort")
# Who sues, by category: (institution pool, weight).
PLAINTIFFS: dict[str, tuple[tuple[str, int], ...]] = {
    "credit_card": (("bank", 1),),
    "financial_loan": (("bank", 8), ("consumer_finance", 2)),
    "insurance": (("insurer", 1),),
    "guarantee": (("guarantor", 6), ("bank", 4)),
    "financial_leasing": (("lessor", 1),),
    "securities_futures": (("securities", 1),),
    "deposit": (("bank", 1),),
    "financial_tort": (("bank", 7), ("consumer_finance", 3)),
    "other_financial": (("amc", 6), ("bank", 4)),
}
POOL_SIZES = {"bank": 10, "insurer": 3, "guarantor": 2, "lessor": 2, "securities": 1, "amc": 1}
PROVINCE_POOLS = {"consumer_finance": 2}


def dimensions(size: str | tuple[int, int]) -> tuple[int, int]:
    """(cases, people) for a size name or an explicit pair."""
    if isinstance(size, str):
        try:
            return SIZES[size.upper()]
        except KeyError:
            raise ValueError(
                f"size: unknown size {size!r} (expected one of {list(SIZES)})"
            ) from None
    cases, people = size
    if cases < 1 or people < 10:
        raise ValueError(f"size: need at least 1 case and 10 people, got {size!r}")
    return int(cases), int(people)


def generate(size: str | tuple[int, int], seed: int = 0, *, pure: bool = False) -> MatchingProblem:
    """A tight, feasible instance of the given size (S, M, L or (cases, people))."""
    return generate_planted(size, seed, pure=pure)[0]


def generate_planted(
    size: str | tuple[int, int], seed: int = 0, *, pure: bool = False
) -> tuple[MatchingProblem, tuple[Assignment, ...]]:
    """The instance and the complete assignment planted in it (for tests: proof of feasibility).

    Never hand the planted assignment to a solver or a baseline.
    """
    n_cases, n_people = dimensions(size)
    for attempt in range(MAX_ATTEMPTS):
        # A small roster can draw a category whose few holders carry other work, which leaves
        # it loose; such a draw is discarded, deterministically.
        rng = np.random.default_rng(seed if attempt == 0 else (seed, attempt))
        builder = _Builder(rng, n_cases, n_people, pure)
        problem = builder.build()
        if builder.is_tight():
            break
    return problem, builder.planted


# --- tightness -----------------------------------------------------------------------------------


def fair_shares(
    served: BoolArray, can: BoolArray, demand: IntArray, free: IntArray
) -> npt.NDArray[np.float64]:
    """(person, role, category) -> the share of the person's free capacity that goes there when
    every slot is spread over the people who could fill it, in proportion to their free capacity.

    ``served`` is (person, court), ``can`` (person, role, category), ``demand`` (court, role,
    category) and ``free`` (person,).
    """
    n, courts = served.shape
    pairs = can.shape[1] * can.shape[2]
    free_f = np.maximum(free, 0).astype(float)[:, None]
    serve = served.astype(float)
    able = can.reshape(n, pairs).astype(float)
    pool = serve.T @ (able * free_f)
    need = demand.reshape(courts, pairs).astype(float)
    per_unit = np.divide(need, pool, out=np.zeros_like(pool), where=pool > 0)
    expected = (serve @ per_unit) * able * free_f
    total = expected.sum(axis=1, keepdims=True)
    share = np.divide(expected, total, out=np.zeros_like(expected), where=total > 0)
    out: npt.NDArray[np.float64] = share.reshape(can.shape)
    return out


def _arrays(problem: MatchingProblem) -> tuple[BoolArray, BoolArray, IntArray, IntArray]:
    """served (person, court), can (person, role, category), demand (court, role, category)."""
    pure = problem.settings.pure
    court = {c.id: i for i, c in enumerate(problem.courts)}
    children: dict[int, list[int]] = defaultdict(list)
    for c in problem.courts:
        if c.parent is not None:
            children[court[c.parent]].append(court[c.id])
    n, ncat = len(problem.people), len(CATEGORIES)
    served = np.zeros((n, len(court)), dtype=bool)
    can = np.zeros((n, 2, ncat), dtype=bool)
    for i, p in enumerate(problem.people):
        for rc in p.roster_courts:
            served[i, court[rc]] = True
            served[i, children.get(court[rc], [])] = True
        for cat in p.specialties:
            can[i, 0, CAT[cat]] = MEDIATOR in p.roles
            can[i, 1, CAT[cat]] = EXPERT in p.roles
    demand = np.zeros((len(court), 2, ncat), dtype=np.int64)
    for case in problem.cases:
        demand[court[case.court], 0, CAT[case.category]] += case.mediators_needed(pure)
        demand[court[case.court], 1, CAT[case.category]] += case.experts_needed(pure)
    free = np.array([p.capacity - p.active_cases for p in problem.people], dtype=np.int64)
    return served, can, demand, free


def tightness(problem: MatchingProblem) -> dict[str, float]:
    """Category -> demand / eligible free capacity.

    Demand is the category's mediator plus expert slots. Eligible capacity counts each person's
    free capacity (capacity - active_cases) once, split over the (role, category) pairs they can
    fill in the courts their roster serves, in the proportions :func:`fair_shares` gives: every
    slot spread over the people who could fill it, in proportion to their free capacity. Summed
    over the categories it is the roster's whole useful free capacity.

    Why not count a person's capacity in full in every category they hold: summed over the
    categories, 0.9 of that exceeds the whole free capacity as soon as people hold more than
    about 1.1 categories each, so no feasible instance could reach it. Pair-level rules (recusal,
    availability, evaluation) are not counted here, so the true tightness is higher still.
    """
    served, can, demand, free = _arrays(problem)
    supply = (fair_shares(served, can, demand, free).sum(axis=1) * free[:, None]).sum(axis=0)
    need = demand.sum(axis=(0, 1))
    return {
        cat: float(need[i] / supply[i]) if supply[i] > 0 else float("inf")
        for i, cat in enumerate(CATEGORIES)
        if need[i] > 0
    }


def aggregate_tightness(problem: MatchingProblem) -> float:
    """All slots over the free capacity of everyone who could fill one of them."""
    served, can, demand, free = _arrays(problem)
    shares = fair_shares(served, can, demand, free)
    useful = shares.sum(axis=(1, 2)) > 0
    return float(demand.sum() / max(int(free[useful].sum()), 1))


# --- the builder ---------------------------------------------------------------------------------


@dataclass
class _CaseDraft:
    court: int
    cat: int
    complexity: str
    days: int
    parties: list[str]
    instance: int | None
    small: bool = False
    evaluation: bool = False
    batch: str | None = None
    other_roles: list[int] = field(default_factory=list)
    waivers: list[int] = field(default_factory=list)
    team: list[tuple[int, int, bool]] = field(default_factory=list)  # (person, role, presiding)

    @property
    def is_team(self) -> bool:
        return self.complexity in (COMPLEX, MAJOR) and not self.small

    @property
    def senior(self) -> bool:
        return self.instance == 2 or self.complexity == MAJOR


class _Builder:
    def __init__(self, rng: np.random.Generator, n_cases: int, n_people: int, pure: bool) -> None:
        self.rng = rng
        self.n_cases = n_cases
        self.n = n_people
        self.pure = pure
        self.repairs = 0

    def build(self) -> MatchingProblem:
        self._courts()
        self._people()
        self._institutions()
        self._ties()
        self._cases()
        self._conflicts()
        self._keepers()
        self._plant_rounds()
        self._tighten()
        return self._freeze()

    def is_tight(self) -> bool:
        """Every category at or above the floor, with slack left for the workload term."""
        free = self.load + self.slack
        useful = self._shares(self.demand, free).sum(axis=(1, 2)) > 0
        aggregate = self.demand.sum() / max(int(free[useful].sum()), 1)
        return bool(self._ratios(free).min() >= 0.9 and aggregate <= MAX_AGGREGATE)

    # courts ----------------------------------------------------------------------------------

    def _courts(self) -> None:
        rng = self.rng
        self.n_cities = max(1, round(self.n / PEOPLE_PER_CITY))
        self.court_ids: list[str] = []
        self.court_parent: list[int] = []
        self.city_inter: list[int] = []
        self.city_basics: list[IntArray] = []
        self.city_basic_w: list[npt.NDArray[np.float64]] = []
        for ci in range(self.n_cities):
            inter = len(self.court_ids)
            self.court_ids.append(f"c{ci:02d}")
            self.court_parent.append(-1)
            self.city_inter.append(inter)
            n_basic = int(rng.integers(6, 11))
            basics = np.arange(inter + 1, inter + 1 + n_basic, dtype=np.int64)
            for b in range(n_basic):
                self.court_ids.append(f"c{ci:02d}b{b + 1:02d}")
                self.court_parent.append(inter)
            # The two urban districts are the busiest.
            w = np.r_[[5.0, 5.0], rng.integers(1, 4, n_basic - 2).astype(float)]
            self.city_basics.append(basics)
            self.city_basic_w.append(w / w.sum())
        self.n_courts = len(self.court_ids)
        self.court_city = np.array(
            [self.city_inter.index(c if p < 0 else p) for c, p in enumerate(self.court_parent)]
        )
        city_w = rng.lognormal(0.0, 0.35, self.n_cities)
        self.city_w = city_w / city_w.sum()

    # people ----------------------------------------------------------------------------------

    def _people(self) -> None:
        rng, n = self.rng, self.n
        floor = min(30, self.n // self.n_cities)
        counts = floor + rng.multinomial(self.n - floor * self.n_cities, self.city_w)
        self.city = np.repeat(np.arange(self.n_cities), counts)
        self.city_people = [np.flatnonzero(self.city == ci) for ci in range(self.n_cities)]
        # 40% mediators only, 50% experts only, 10% both.
        kind = rng.choice(3, n, p=[0.40, 0.50, 0.10])
        self.is_med = kind != 1
        self.is_exp = kind != 0
        inter = rng.random(n) < np.select([kind == 0, kind == 1], [0.35, 0.6], 0.5)
        self.senior = rng.random(n) < np.where(inter, 0.42, 0.15)
        self.served = np.zeros((n, self.n_courts), dtype=bool)
        self.base = np.zeros(n, dtype=np.int64)
        self.roster: list[list[int]] = []
        for p in range(n):
            ci = int(self.city[p])
            basics, bw = self.city_basics[ci], self.city_basic_w[ci]
            if inter[p]:
                self.roster.append([self.city_inter[ci]])
                self.served[p, self.city_inter[ci]] = True
                self.served[p, basics] = True
                on_inter = rng.random() < 0.5
                self.base[p] = self.city_inter[ci] if on_inter else rng.choice(basics, p=bw)
            else:
                k = 1 + int(rng.choice(3, p=[0.5, 0.35, 0.15]))
                chosen = [int(c) for c in rng.choice(basics, k, replace=False, p=bw)]
                self.roster.append(chosen)
                self.served[p, chosen] = True
                self.base[p] = chosen[0]
        ncat = len(CATEGORIES)
        self.level = np.zeros((n, ncat), dtype=np.int64)
        self.evaluation = np.zeros((n, ncat), dtype=bool)
        n_spec = 1 + rng.choice(4, n, p=[0.3, 0.35, 0.25, 0.1])
        for p in range(n):
            mix = EXPERT_MIX if kind[p] == 1 else MEDIATOR_MIX
            cats = rng.choice(ncat, int(n_spec[p]), replace=False, p=mix / mix.sum())
            self.level[p, cats[0]] = rng.integers(3, 6)
            if cats.size > 1:
                self.level[p, cats[1:]] = rng.integers(1, 5, cats.size - 1)
            if self.is_exp[p]:
                for c in cats:
                    rate = EVALUATOR_RATE.get(CATEGORIES[c], DEFAULT_EVALUATOR_RATE)
                    if self.level[p, c] >= 3 and rng.random() < rate:
                        self.evaluation[p, c] = True
        self.capacity = rng.integers(6, 21, n).astype(np.int64)
        self.recent = np.minimum(rng.poisson(5.0, n), 15).astype(np.int64)
        self._free_minutes(kind)

    def _free_minutes(self, kind: IntArray) -> None:
        rng, n = self.rng, self.n
        weekday = (TODAY.weekday() + np.arange(HORIZON)) % 7
        working = weekday < 5
        part_time = rng.random(n) < np.select([kind == 0, kind == 1], [0.15, 0.6], 0.4)
        booked = rng.choice([0, 90, 180, 270], (n, HORIZON), p=[0.35, 0.3, 0.2, 0.15])
        full_day = 420 - booked
        half_day = np.where(
            rng.random((n, HORIZON)) < 0.35, rng.choice([180, 210], (n, HORIZON)), 0
        )
        minutes = np.where(part_time[:, None], half_day, full_day) * working[None, :]
        on_leave = rng.random(n) < 0.15
        start = rng.integers(0, 30, n)
        length = rng.integers(3, 15, n)
        day = np.arange(HORIZON)[None, :]
        leave = on_leave[:, None] & (day >= start[:, None]) & (day < (start + length)[:, None])
        self.minutes = np.where(leave, 0, minutes).astype(np.int64)
        self.cumfree = np.cumsum(self.minutes, axis=1)

    # institutions and ties -------------------------------------------------------------------

    def _institutions(self) -> None:
        rng = self.rng
        self.pools: list[dict[str, tuple[list[str], npt.NDArray[np.float64]]]] = []
        province = {
            pool: ([f"{pool}{k}" for k in range(size)], np.full(size, 1.0 / size))
            for pool, size in PROVINCE_POOLS.items()
        }
        for ci in range(self.n_cities):
            pools = dict(province)
            for pool, size in POOL_SIZES.items():
                w = 1.0 / (np.arange(size) + 1.0) ** 0.8 * rng.uniform(0.7, 1.3, size)
                pools[pool] = ([f"c{ci:02d}-{pool}{k}" for k in range(size)], w / w.sum())
            self.pools.append(pools)

    def _wchoice(self, weights: npt.NDArray[np.float64]) -> int:
        """An index drawn with the given (unnormalised) weights; cheaper than rng.choice."""
        cum = np.cumsum(weights)
        return min(
            int(np.searchsorted(cum, self.rng.random() * cum[-1], side="right")), cum.size - 1
        )

    def _draw(self, ci: int, pool: str) -> str:
        names, w = self.pools[ci][pool]
        return names[self._wchoice(w)]

    def _ties(self) -> None:
        """Affiliations (some current, some recent, some long ago) and declared conflicts."""
        rng = self.rng
        self.affiliations: list[list[Affiliation]] = [[] for _ in range(self.n)]
        self.declared: list[list[str]] = [[] for _ in range(self.n)]
        for p in np.flatnonzero(rng.random(self.n) < 0.13):
            ci = int(self.city[p])
            for _ in range(1 if rng.random() < 0.8 else 2):
                insurer = self.level[p, CAT["insurance"]] > 0 and rng.random() < 0.6
                inst = self._draw(ci, "insurer" if insurer else "bank")
                u = rng.random()
                if u < 0.4:
                    until = None
                elif u < 0.7:
                    until = TODAY - timedelta(days=int(rng.integers(30, LOOKBACK_DAYS - 10)))
                else:
                    until = TODAY - timedelta(days=int(rng.integers(LOOKBACK_DAYS + 60, 4000)))
                if all(a.institution != inst for a in self.affiliations[p]):
                    self.affiliations[p].append(Affiliation(inst, until))
        for p in np.flatnonzero(rng.random(self.n) < 0.02):
            pool = "guarantor" if rng.random() < 0.5 else "bank"
            self.declared[p].append(self._draw(int(self.city[p]), pool))
        cutoff = TODAY - timedelta(days=LOOKBACK_DAYS)
        self.recused_by: dict[str, list[int]] = defaultdict(list)
        for q in range(self.n):
            for a in self.affiliations[q]:
                if a.until is None or a.until >= cutoff:
                    self.recused_by[a.institution].append(q)
            for inst in self.declared[q]:
                self.recused_by[inst].append(q)

    # cases -----------------------------------------------------------------------------------

    def _cases(self) -> None:
        rng = self.rng
        share = np.array([len(pp) for pp in self.city_people], dtype=float)
        counts = rng.multinomial(self.n_cases, share / share.sum())
        self.drafts: list[_CaseDraft] = []
        for ci in range(self.n_cities):
            n_c = int(counts[ci])
            second = int(rng.binomial(n_c, 0.15))
            first = n_c - second
            quota = round(0.38 * first)
            batched = 0
            while quota - batched >= 8:
                size = int(rng.integers(8, 31))
                left = quota - batched - size
                if left < 8:
                    size = quota - batched
                batched += size
                self._batch(ci, size)
            for _ in range(first - batched):
                self._single(ci)
            for _ in range(second):
                self._second_instance(ci)

    def _parties(self, ci: int, cat: str) -> list[str]:
        pools = PLAINTIFFS[cat]
        w = np.array([x for _, x in pools], dtype=float)
        pool = pools[self._wchoice(w)][0]
        parties = [self._draw(ci, pool)]
        if self.rng.random() < 0.15:  # a guarantor or a co-lending bank joins
            other = self._draw(ci, "guarantor" if pool == "bank" else "bank")
            if other not in parties:
                parties.append(other)
        return parties

    def _batch(self, ci: int, size: int) -> None:
        rng = self.rng
        names = list(BATCH_MIX)
        w = np.array([BATCH_MIX[c] for c in names], dtype=float)
        cat = names[self._wchoice(w)]
        parties = self._parties(ci, cat)
        key = f"{cat}@{parties[0]}"
        court = int(self.city_basics[ci][self._wchoice(self.city_basic_w[ci])])
        delegated = rng.random() < 0.6
        base = int(rng.integers(12, 38)) if delegated else int(rng.integers(5, 15))
        for _ in range(size):
            small = cat in SMALL_CLAIM_CATEGORIES and rng.random() < 0.3
            days = int(rng.integers(5, 11)) if small else min(40, base + int(rng.integers(0, 3)))
            self.drafts.append(
                _CaseDraft(
                    court=court,
                    cat=CAT[cat],
                    complexity=SIMPLE if rng.random() < 0.6 else ORDINARY,
                    days=days,
                    parties=list(parties),
                    instance=None if delegated else 1,
                    small=small,
                    batch=key,
                )
            )

    def _complexity(self, p: tuple[float, float, float, float]) -> str:
        return (SIMPLE, ORDINARY, COMPLEX, MAJOR)[self._wchoice(np.asarray(p))]

    def _evaluation(self, cat: str, small: bool) -> bool:
        rate = EVALUATION_RATE.get(cat, DEFAULT_EVALUATION_RATE) * 1.4
        return not small and bool(self.rng.random() < rate)

    def _single(self, ci: int) -> None:
        rng = self.rng
        cat = CATEGORIES[self._wchoice(CASE_MIX)]
        complexity = self._complexity((0.28, 0.43, 0.23, 0.06))
        small = (
            complexity in (SIMPLE, ORDINARY)
            and cat in SMALL_CLAIM_CATEGORIES
            and bool(rng.random() < 0.25)
        )
        delegated = rng.random() < 0.5
        court = int(self.city_basics[ci][self._wchoice(self.city_basic_w[ci])])
        if complexity == MAJOR and rng.random() < 0.25:  # major first-instance cases go up
            court, delegated = self.city_inter[ci], False
        if small:
            days = int(rng.integers(5, 11))
        elif delegated:
            days = int(rng.integers(10, 41))
        else:
            days = int(rng.integers(5, 21))
        self.drafts.append(
            _CaseDraft(
                court=court,
                cat=CAT[cat],
                complexity=complexity,
                days=days,
                parties=self._parties(ci, cat),
                instance=None if delegated else 1,
                small=small,
                evaluation=self._evaluation(cat, small),
            )
        )

    def _second_instance(self, ci: int) -> None:
        rng = self.rng
        cat = CATEGORIES[self._wchoice(CASE_MIX)]
        self.drafts.append(
            _CaseDraft(
                court=self.city_inter[ci],
                cat=CAT[cat],
                complexity=self._complexity((0.15, 0.55, 0.22, 0.08)),
                days=int(rng.integers(5, 21)),
                parties=self._parties(ci, cat),
                instance=2,
                evaluation=self._evaluation(cat, False),
            )
        )

    def _court_city(self, court: int) -> int:
        return int(self.court_city[court])

    def _specialists(self, d: _CaseDraft) -> IntArray:
        """People of the case's city who hold its category and serve its court."""
        pp = self.city_people[self._court_city(d.court)]
        out: IntArray = pp[(self.level[pp, d.cat] > 0) & self.served[pp, d.court]]
        return out

    def _conflicts(self) -> None:
        """Other roles in a case, declared case conflicts and both parties' waivers."""
        rng = self.rng
        self.conflict_cases: list[list[int]] = [[] for _ in range(self.n)]
        for i, d in enumerate(self.drafts):
            u = rng.random()
            if u < 0.015:
                spec = self._specialists(d)
                if spec.size:
                    d.other_roles.append(int(rng.choice(spec)))
            elif u < 0.025:
                spec = self._specialists(d)
                if spec.size:
                    self.conflict_cases[int(rng.choice(spec))].append(i)
            elif u < 0.06:
                holders = set(self._specialists(d).tolist())
                grounds = sorted(
                    {p for inst in d.parties for p in self.recused_by.get(inst, ()) if p in holders}
                )
                if grounds:
                    d.waivers.append(int(rng.choice(grounds)))

    def _keepers(self) -> None:
        """Half of today's batch keys already have a mediator who kept them on an earlier day."""
        rng = self.rng
        self.person_batches: list[list[str]] = [[] for _ in range(self.n)]
        seen: dict[str, _CaseDraft] = {}
        for d in self.drafts:
            if d.batch is not None and d.batch not in seen:
                seen[d.batch] = d
        for key, d in seen.items():
            if rng.random() < 0.5:
                spec = self._specialists(d)
                spec = spec[self.is_med[spec]]
                if spec.size:
                    self.person_batches[int(rng.choice(spec))].append(key)

    # the planted assignment ------------------------------------------------------------------

    def _recused(self, i: int, d: _CaseDraft) -> list[int]:
        out = {p for inst in d.parties for p in self.recused_by.get(inst, ())}
        out -= set(d.waivers)
        out.update(d.other_roles)
        out.update(self.case_conflicts.get(i, ()))
        return sorted(out)

    def _plant_rounds(self) -> None:
        """Plant a complete assignment, then re-plant it twice, each time aiming every person's
        per-(role, category) load at the shares :func:`tightness` will see for the last loads."""
        self.case_conflicts: dict[int, list[int]] = defaultdict(list)
        for p, cases in enumerate(self.conflict_cases):
            for i in cases:
                self.case_conflicts[i].append(p)
        self.demand = self._demand()
        need = Settings(today=TODAY).minutes_needed
        self.excluded = [self._recused(i, d) for i, d in enumerate(self.drafts)]
        self.available = [
            self.cumfree[:, min(d.days, HORIZON - 1)] >= need[d.complexity] for d in self.drafts
        ]
        prio = np.array(
            [
                0 if d.senior and d.is_team else 1 if d.is_team else 2 if d.senior else 3
                for d in self.drafts
            ]
        )
        days = np.array([d.days for d in self.drafts])
        self.order = np.lexsort((self.rng.random(len(self.drafts)), days, prio))
        self.mark = np.zeros(self.n, dtype=bool)
        free = self.capacity.copy()
        for _ in range(PLANT_ROUNDS):
            self.target = self._shares(self.demand, free) * np.maximum(free, 1)[:, None, None]
            self._plant()
            free = self.load.copy()

    def _plant(self) -> None:
        self.load = np.zeros(self.n, dtype=np.int64)
        self.role_load = np.zeros((self.n, 2, len(CATEGORIES)), dtype=np.int64)
        for i in self.order:
            d = self.drafts[int(i)]
            pp = self.city_people[self._court_city(d.court)]
            ex = self.excluded[int(i)]
            self.mark[ex] = True
            base = self.served[pp, d.court] & self.available[int(i)][pp]
            teams = 2 if d.is_team and not self.pure else 1
            experts = 0 if self.pure else int(d.is_team or d.evaluation)
            team: list[tuple[int, int, bool]] = []
            for slot in range(teams + experts):
                role = 0 if slot < teams else 1
                senior = role == 0 and slot == 0 and d.senior
                evaluation = role == 1 and d.evaluation
                p = self._pick(pp, base & ~self.mark[pp], d.cat, role, senior, evaluation)
                self.mark[p] = True
                team.append((p, role, role == 0 and slot == 0))
                self.load[p] += 1
                self.role_load[p, role, d.cat] += 1
            self.mark[ex] = False
            self.mark[[p for p, _, _ in team]] = False
            d.team = team

    def _pick(
        self, pp: IntArray, base: BoolArray, cat: int, role: int, senior: bool, evaluation: bool
    ) -> int:
        """The eligible person furthest below their target; failing that, a minimal repair."""
        ok = base & (self.is_med[pp] if role == 0 else self.is_exp[pp])
        if senior:
            ok &= self.senior[pp]
        room = self.load[pp] < self.capacity[pp]
        eligible = ok & (self.level[pp, cat] > 0)
        if evaluation:
            eligible &= self.evaluation[pp, cat]
        for mask, fix in ((eligible & room, None), (ok & room, "skill"), (eligible, "capacity")):
            cands = pp[mask]
            if cands.size:
                target = self.target[cands, role, cat]
                used = self.role_load[cands, role, cat] + self.rng.random(cands.size)
                key = np.where(target > 0, used / np.maximum(target, 1e-9), 1e9 + used)
                p = int(cands[int(np.argmin(key))])
                if fix is not None:
                    self.repairs += 1
                if fix == "skill":
                    self.level[p, cat] = max(self.level[p, cat], int(self.rng.integers(1, 4)))
                    self.evaluation[p, cat] |= evaluation
                elif fix == "capacity":
                    self.capacity[p] += 1
                return p
        # Nobody of the role can make it: promote the least-loaded person who can.
        cands = pp[base]
        if not cands.size:
            raise RuntimeError("benchmark generator: a case has nobody available in its city")
        p = int(cands[int(np.argmin(self.load[cands] / self.capacity[cands]))])
        self.repairs += 1
        self.is_med[p] |= role == 0
        self.is_exp[p] |= role == 1
        self.senior[p] |= senior
        self.level[p, cat] = max(self.level[p, cat], 2)
        self.evaluation[p, cat] |= evaluation
        self.capacity[p] = max(self.capacity[p], self.load[p] + 1)
        return p

    def _demand(self) -> IntArray:
        """Slots per (court, role, category), as :func:`tightness` counts them."""
        demand = np.zeros((self.n_courts, 2, len(CATEGORIES)), dtype=np.int64)
        for d in self.drafts:
            demand[d.court, 0, d.cat] += 2 if d.is_team and not self.pure else 1
            demand[d.court, 1, d.cat] += 0 if self.pure else int(d.is_team or d.evaluation)
        return demand

    def _shares(self, demand: IntArray, free: IntArray) -> npt.NDArray[np.float64]:
        """Per person, the share of their capacity :func:`tightness` gives each (role, category)."""
        can = np.stack([self.is_med, self.is_exp], axis=1)[:, :, None] & (self.level > 0)[:, None]
        return fair_shares(self.served, can, demand, free)

    def _ratios(self, free: IntArray) -> npt.NDArray[np.float64]:
        """:func:`tightness` per category, for the roster as it stands and the given free."""
        demand = self.demand
        supply = (self._shares(demand, free).sum(axis=1) * free[:, None]).sum(axis=0)
        need = demand.sum(axis=(0, 1)).astype(float)
        return np.where(need > 0, need / np.maximum(supply, 1e-9), np.inf)

    def _tighten(self) -> None:
        """Free capacity = planted load + rationed slack, so every category stays tight.

        Where a category is loose at zero slack, first people who hold it but carry none of its
        planted slots drop it (keeping at least one specialty), then a few single cases of the
        tightest categories whose whole planted team holds the loose one change category. Then
        slack goes out in rounds, each kept only if no category falls below the floor.
        """
        goal = TARGET_TIGHTNESS + 0.02
        self._drop_spare(goal)
        self._relabel(goal)
        self.zero_slack_tightness = self._ratios(self.load)
        self._add_slack()

    def _drop_spare(self, goal: float) -> None:
        for _ in range(30):
            need = self.demand.sum(axis=(0, 1)).astype(float)
            ratios = self._ratios(self.load)
            loose = np.flatnonzero(ratios < goal)
            if not loose.size:
                return
            share = self._shares(self.demand, self.load).sum(axis=1)
            dropped = False
            for c in loose:
                spare = (
                    (self.level[:, c] > 0)
                    & (self.role_load[:, :, c].sum(axis=1) == 0)
                    & ((self.level > 0).sum(axis=1) >= 2)
                    & (share[:, c] > 0)
                )
                cands = np.flatnonzero(spare)
                if not cands.size:
                    continue
                contrib = share[cands, c] * self.load[cands]
                order = np.argsort(-contrib, kind="stable")
                excess = need[c] / ratios[c] - need[c] / goal
                k = int(np.searchsorted(np.cumsum(contrib[order]), excess)) + 1
                drop = cands[order[:k]]
                self.level[drop, c] = 0
                self.evaluation[drop, c] = False
                dropped = True
            if not dropped:
                return

    def _relabel(self, goal: float) -> None:
        movable = np.array([d.batch is None for d in self.drafts])
        members = np.full((len(self.drafts), 3), -1, dtype=np.int64)
        experts = np.full((len(self.drafts), 3), False)
        for i, d in enumerate(self.drafts):
            for k, (p, role, _) in enumerate(d.team):
                members[i, k] = p
                experts[i, k] = role == 1 and d.evaluation
        cats = np.array([d.cat for d in self.drafts])
        for _ in range(80):
            ratios = self._ratios(self.load)
            need = self.demand.sum(axis=(0, 1)).astype(float)
            moved_any = False
            for c in np.argsort(ratios, kind="stable"):
                if ratios[c] >= goal:
                    return
                deficit = goal * need[c] / ratios[c] - need[c]
                holds = np.where(members >= 0, self.level[members, c] > 0, True)
                holds &= np.where(experts, self.evaluation[members, c], True)
                donor = ratios[cats] >= max(goal, ratios[c] + 0.04)
                cands = np.flatnonzero(movable & donor & holds.all(axis=1))
                if not cands.size:
                    continue
                order = np.lexsort((self.rng.random(cands.size), -ratios[cats[cands]]))
                moved = 0.0
                for i in cands[order]:
                    if moved >= deficit:
                        break
                    d = self.drafts[int(i)]
                    for p, role, _ in d.team:
                        self.role_load[p, role, d.cat] -= 1
                        self.role_load[p, role, c] += 1
                        self.demand[d.court, role, d.cat] -= 1
                        self.demand[d.court, role, c] += 1
                        moved += 1
                    d.cat = int(c)
                    cats[i] = c
                moved_any = True
                break
            if not moved_any:
                return

    def _add_slack(self) -> None:
        rng = self.rng
        need = self.demand.sum(axis=(0, 1)).astype(float)
        self.slack = np.zeros(self.n, dtype=np.int64)
        budget = round(float(need.sum()) * (1.0 / TARGET_TIGHTNESS - 1.0))
        step = max(1, budget // 4)
        for _ in range(80):
            if budget <= 0 or step < 1:
                break
            ratios = self._ratios(self.load + self.slack)
            share = self._shares(self.demand, self.load + self.slack).sum(axis=1)
            headroom = np.where(share > 0, ratios[None, :] - TIGHTNESS_FLOOR, np.inf).min(axis=1)
            room = self.capacity - self.load - self.slack
            weight = np.where((room > 0) & np.isfinite(headroom), headroom, 0.0)
            weight = np.where(weight > 0.005, weight, 0.0)
            if weight.sum() <= 0:
                break
            picks = rng.choice(self.n, min(step, budget), p=weight / weight.sum())
            trial = self.slack + np.bincount(picks, minlength=self.n)
            trial = np.minimum(trial, self.capacity - self.load)
            if self._ratios(self.load + trial).min() >= TIGHTNESS_FLOOR:
                budget -= int((trial - self.slack).sum())
                self.slack = trial
                step *= 2
            else:
                step //= 2

    # freezing --------------------------------------------------------------------------------

    def _freeze(self) -> MatchingProblem:
        rng = self.rng
        courts = tuple(
            Court(cid, None if parent < 0 else self.court_ids[parent])
            for cid, parent in zip(self.court_ids, self.court_parent, strict=True)
        )
        pid = [f"p{p:05d}" for p in range(self.n)]
        cid = [f"k{i:05d}" for i in range(len(self.drafts))]
        free = self.load + self.slack
        people = tuple(
            Person(
                id=pid[p],
                roles=frozenset(
                    r for r, on in ((MEDIATOR, self.is_med[p]), (EXPERT, self.is_exp[p])) if on
                ),
                specialties=MappingProxyType(
                    {CATEGORIES[c]: int(self.level[p, c]) for c in np.flatnonzero(self.level[p])}
                ),
                capacity=int(self.capacity[p]),
                active_cases=int(self.capacity[p] - free[p]),
                evaluation=frozenset(CATEGORIES[c] for c in np.flatnonzero(self.evaluation[p])),
                is_senior=bool(self.senior[p]),
                base_court=self.court_ids[int(self.base[p])],
                roster_courts=frozenset(self.court_ids[c] for c in self.roster[p]),
                affiliations=tuple(self.affiliations[p]),
                conflict_institutions=frozenset(self.declared[p]),
                conflict_cases=frozenset(cid[i] for i in self.conflict_cases[p]),
                free_minutes=tuple(int(m) for m in self.minutes[p]),
                recent_assignments=int(self.recent[p]),
                batches=frozenset(self.person_batches[p]),
            )
            for p in range(self.n)
        )
        cases = []
        self.planted = tuple(
            Assignment(cid[i], pid[p], MEDIATOR if role == 0 else EXPERT, pres)
            for i, d in enumerate(self.drafts)
            for p, role, pres in d.team
        )
        for i, d in enumerate(self.drafts):
            members = [
                Member(pid[p], MEDIATOR if role == 0 else EXPERT, pres) for p, role, pres in d.team
            ]
            chosen: str | None = None
            pins: tuple[Member, ...] = ()
            previous: tuple[Member, ...] = ()
            u = rng.random()
            if not self.pure and u < 0.02:
                chosen = members[int(rng.integers(0, 2 if d.is_team else 1))].person
            elif not self.pure and u < 0.04:
                pins = (members[int(rng.integers(0, len(members)))],)
            elif u < 0.10:  # an earlier proposal, not always still the best or still valid
                previous = tuple(members)
                if rng.random() < 0.5:
                    alt = self._specialists(d)
                    if alt.size:
                        m = previous[0]
                        previous = (Member(pid[int(rng.choice(alt))], m.role, m.presiding),)
                        previous += tuple(members[1:])
            cases.append(
                Case(
                    id=cid[i],
                    court=self.court_ids[d.court],
                    category=CATEGORIES[d.cat],
                    complexity=d.complexity,
                    deadline=TODAY + timedelta(days=d.days),
                    parties=frozenset(d.parties),
                    instance=d.instance,
                    is_small_claim=d.small,
                    needs_evaluation=d.evaluation,
                    batch=d.batch,
                    chosen_mediator=chosen,
                    pins=pins,
                    other_roles=frozenset(pid[p] for p in d.other_roles),
                    waivers=frozenset(pid[p] for p in d.waivers),
                    previous=previous,
                )
            )
        return MatchingProblem(
            cases=tuple(cases),
            people=people,
            courts=courts,
            settings=Settings(today=TODAY, lookback_days=LOOKBACK_DAYS, pure=self.pure),
            weights=Weights(),
        )
