"""Operations that turn the database into a MatchingProblem for the day's assignment.

Only this layer knows both the schema and the matcher's dataclasses; the matcher sees plain IDs
(people and cases by database id, courts by their 案号 code) and integer minutes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from matcher.problem import (
    EXPERT,
    MEDIATOR,
    Affiliation,
    MatchingProblem,
    Member,
    Settings,
    Weights,
)
from matcher.problem import Case as MCase
from matcher.problem import (
    Court as MCourt,
)
from matcher.problem import (
    Person as MPerson,
)
from matcher.rules import recusal_grounds
from models import (
    Assignment,
    Case,
    Court,
    DeclaredConflict,
    Person,
    Waiver,
    WeightProfile,
)
from models.vocabulary import OPEN_CASE_STATUSES, CaseStatus, Procedure, Seniority
from scheduler.workdays import WorkdayCalendar, YearNotCovered

from .holidays import calendar_from_db

ROTATION_DAYS = 30  # the rolling window for the rotation term
HORIZON_DAYS = 60  # free time is counted this far ahead at most


@dataclass(frozen=True)
class DayProblem:
    problem: MatchingProblem
    skipped: dict[str, str]  # case number -> why it is not in the problem


def court_key(court: Court) -> str:
    return court.code or f"court-{court.id}"


def current_weights(session: Session) -> Weights:
    profile = session.scalars(
        select(WeightProfile).order_by(WeightProfile.version.desc()).limit(1)
    ).first()
    return Weights(**profile.weights) if profile is not None else Weights()


def _free_minutes(
    person: Person, today: date, days: int, calendar: WorkdayCalendar
) -> tuple[int, ...]:
    weekly: dict[int, int] = defaultdict(int)
    for window in person.availability:
        weekly[window.weekday] += window.end_minute - window.start_minute
    out = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        try:
            working = calendar.is_workday(day)
        except YearNotCovered:
            working = False  # no schedule yet: nobody is counted free that day
        on_leave = any(lv.starts_on <= day <= lv.ends_on for lv in person.leaves)
        out.append(weekly[day.weekday()] if working and not on_leave else 0)
    return tuple(out)


def build_day_problem(
    session: Session,
    *,
    today: date,
    small_claims_threshold: Decimal = Decimal("50000"),
    pins: Mapping[int, Sequence[Member]] | None = None,
    previous: Mapping[int, Sequence[Member]] | None = None,
) -> DayProblem:
    """The received cases and the active roster as a MatchingProblem; ``pins`` (the
    coordinator's, binding) and ``previous`` (the earlier proposal, for stability) by case id."""
    pins = pins or {}
    previous = previous or {}
    calendar = calendar_from_db(session)
    courts = list(session.scalars(select(Court)))
    key = {c.id: court_key(c) for c in courts}
    m_courts = tuple(
        MCourt(key[c.id], key[c.parent_id] if c.parent_id is not None else None) for c in courts
    )

    cases = list(
        session.scalars(
            select(Case)
            .where(Case.status == CaseStatus.RECEIVED)
            .options(selectinload(Case.parties))
            .order_by(Case.received_on, Case.id)
        )
    )
    skipped = {c.case_number: "no deadline yet (holiday schedule missing)" for c in cases}
    cases = [c for c in cases if c.deadline_on is not None]
    for c in cases:
        skipped.pop(c.case_number, None)
    horizon = max([(c.deadline_on - today).days + 1 for c in cases if c.deadline_on] + [1])
    horizon = min(max(horizon, 1), HORIZON_DAYS)

    open_statuses = [s.value for s in OPEN_CASE_STATUSES]
    active = dict(
        session.execute(
            select(Assignment.person_id, func.count())
            .join(Case, Case.id == Assignment.case_id)
            .where(Case.status.in_(open_statuses))
            .group_by(Assignment.person_id)
        )
        .tuples()
        .all()
    )
    since = today - timedelta(days=ROTATION_DAYS)
    recent: dict[int, int] = defaultdict(int)
    batches: dict[int, set[str]] = defaultdict(set)
    for person_id, assigned_at, batch, presiding, status in session.execute(
        select(
            Assignment.person_id,
            Assignment.assigned_at,
            Case.batch_key,
            Assignment.is_presiding,
            Case.status,
        ).join(Case, Case.id == Assignment.case_id)
    ):
        if assigned_at.date() >= since:
            recent[person_id] += 1
        if batch and presiding and status in open_statuses:
            batches[person_id].add(batch)
    conflicts_inst: dict[int, set[str]] = defaultdict(set)
    conflicts_case: dict[int, set[str]] = defaultdict(set)
    for conflict in session.scalars(select(DeclaredConflict)):
        if conflict.institution_id is not None:
            conflicts_inst[conflict.person_id].add(str(conflict.institution_id))
        if conflict.case_id is not None:
            conflicts_case[conflict.person_id].add(str(conflict.case_id))
    # case -> person -> the grounds both parties waived for them
    waived: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for case_id, person_id, ground in session.execute(
        select(Waiver.case_id, Waiver.person_id, Waiver.ground)
    ):
        waived[case_id][str(person_id)].add(ground)
    settings = Settings(today=today)

    people = list(
        session.scalars(
            select(Person)
            .where(Person.is_active.is_(True))
            .where(Person.is_mediator.is_(True) | Person.is_expert.is_(True))
            .options(
                selectinload(Person.specialties),
                selectinload(Person.roster_courts),
                selectinload(Person.affiliations),
                selectinload(Person.availability),
                selectinload(Person.leaves),
            )
            .order_by(Person.id)
        )
    )
    roster_ids = {p.id for p in people}
    m_people = tuple(
        MPerson(
            id=str(p.id),
            roles=frozenset(
                role for role, on in ((MEDIATOR, p.is_mediator), (EXPERT, p.is_expert)) if on
            ),
            specialties={s.category: s.level for s in p.specialties},
            evaluation=frozenset(s.category for s in p.specialties if s.has_evaluation),
            capacity=p.max_concurrent_cases,
            active_cases=int(active.get(p.id, 0)),
            is_senior=p.seniority == Seniority.SENIOR,
            base_court=key.get(p.base_court_id) if p.base_court_id else None,
            roster_courts=frozenset(key[c.id] for c in p.roster_courts),
            affiliations=tuple(Affiliation(str(a.institution_id), a.to_on) for a in p.affiliations),
            conflict_institutions=frozenset(conflicts_inst.get(p.id, ())),
            conflict_cases=frozenset(conflicts_case.get(p.id, ())),
            free_minutes=_free_minutes(p, today, horizon, calendar),
            recent_assignments=recent.get(p.id, 0),
            batches=frozenset(batches.get(p.id, ())),
        )
        for p in people
    )
    by_id = {p.id: p for p in m_people}
    m_cases = []
    for c in cases:
        if c.chosen_mediator_id is not None and c.chosen_mediator_id not in roster_ids:
            skipped[c.case_number] = "the parties' chosen mediator is not on the active roster"
            continue
        assert c.deadline_on is not None
        m_case = MCase(
            id=str(c.id),
            court=key[c.court_id],
            category=c.category,
            complexity=c.complexity,
            deadline=c.deadline_on,
            parties=frozenset(
                str(p.institution_id) for p in c.parties if p.institution_id is not None
            ),
            instance=c.instance,
            is_small_claim=c.procedure == Procedure.SMALL_CLAIMS
            or c.amount <= small_claims_threshold,
            needs_evaluation=c.needs_evaluation,
            batch=c.batch_key,
            chosen_mediator=str(c.chosen_mediator_id) if c.chosen_mediator_id else None,
            pins=tuple(m for m in pins.get(c.id, ()) if int(m.person) in roster_ids),
            previous=tuple(previous.get(c.id, ())),
        )
        if c.id in waived:
            m_case = replace(m_case, waivers=_waived_people(settings, m_case, by_id, waived[c.id]))
        m_cases.append(m_case)
    problem = MatchingProblem(
        cases=tuple(m_cases),
        people=m_people,
        courts=m_courts,
        settings=settings,
        weights=current_weights(session),
    )
    return DayProblem(problem=problem, skipped=skipped)


def _waived_people(
    settings: Settings, case: MCase, people: Mapping[str, MPerson], waived: Mapping[str, set[str]]
) -> frozenset[str]:
    """The people whose every recusal ground on the case both parties waived: the matcher
    lifts recusal for a person as a whole, so waiving one ground leaves another standing."""
    return frozenset(
        pid
        for pid, grounds in waived.items()
        if pid in people and set(recusal_grounds(settings, case, people[pid])) <= grounds
    )


def unwaived_grounds(
    session: Session, problem: MatchingProblem, case: MCase, person: MPerson
) -> tuple[str, ...]:
    """The person's recusal grounds on the case (matcher.rules) that no recorded waiver
    lifts, in the order the rules check them."""
    waived = set(
        session.scalars(
            select(Waiver.ground).where(
                Waiver.case_id == int(case.id), Waiver.person_id == int(person.id)
            )
        )
    )
    return tuple(g for g in recusal_grounds(problem.settings, case, person) if g not in waived)


__all__ = [
    "DayProblem",
    "build_day_problem",
    "court_key",
    "current_weights",
    "unwaived_grounds",
]
