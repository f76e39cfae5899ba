"""The demo data generator (web/demo.py): deterministic, realistic and internally consistent."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from models import (
    Affiliation,
    Assignment,
    Case,
    CaseExtension,
    CaseParty,
    CasePause,
    Court,
    DeclaredConflict,
    Leave,
    Person,
    RecurringMeeting,
    Room,
    SessionParticipant,
    Specialty,
    User,
    WeeklyAvailability,
    WeightProfile,
)
from models import Session as CalendarSession
from models.case_number import parse_case_number
from models.vocabulary import (
    CATEGORY_NAMES_ZH,
    CaseStatus,
    Category,
    Complexity,
    CourtLevel,
    PartyRole,
    Procedure,
    UserRole,
)
from scheduler.problem import Settings
from web.db import make_engine
from web.demo import (
    DEMO_WEIGHTS,
    MAJOR_AMOUNT,
    SMALL_CLAIMS_LIMIT,
    DemoError,
    DemoSizeError,
    DemoSummary,
    load_demo,
)
from web.holidays import calendar_from_db

if TYPE_CHECKING:
    from conftest import Backend

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)  # a Friday; the case deadlines all fall inside 2026
OPEN = (CaseStatus.ASSIGNED, CaseStatus.SCHEDULED)


@pytest.fixture(scope="module")
def demo(backend: Backend) -> Iterator[tuple[Engine, DemoSummary]]:
    """One default demo per backend, loaded and committed once for the read-only tests."""
    engine = make_engine(backend.migrated_url())
    with Session(engine) as session:
        summary = load_demo(session, today=TODAY)
        session.commit()
    yield engine, summary
    engine.dispose()


@pytest.fixture
def db(demo: tuple[Engine, DemoSummary]) -> Iterator[Session]:
    with Session(demo[0]) as session:
        yield session


def incoming(db: Session) -> list[Case]:
    return list(db.scalars(select(Case).where(Case.status == CaseStatus.RECEIVED)))


def fingerprint(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """What two loads with one seed must share: numbers, amounts, names and teams."""

    def rows(stmt: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in session.execute(stmt)]

    return {
        "cases": rows(
            select(
                Case.case_number, Case.amount, Case.status, Case.received_on, Case.deadline_on
            ).order_by(Case.case_number)
        ),
        "people": rows(
            select(Person.roster_no, Person.name, Person.title).order_by(Person.roster_no)
        ),
        "parties": rows(
            select(Case.case_number, CaseParty.role, CaseParty.position, CaseParty.name)
            .join(Case, Case.id == CaseParty.case_id)
            .order_by(Case.case_number, CaseParty.role, CaseParty.position)
        ),
        "assignments": rows(
            select(Case.case_number, Person.roster_no, Assignment.role, Assignment.is_presiding)
            .join(Case, Case.id == Assignment.case_id)
            .join(Person, Person.id == Assignment.person_id)
            .order_by(Case.case_number, Person.roster_no)
        ),
        "sessions": rows(
            select(CalendarSession.title, CalendarSession.starts_at, Room.name)
            .join(Room, Room.id == CalendarSession.room_id)
            .order_by(CalendarSession.starts_at, CalendarSession.title)
        ),
    }


def load_fresh(backend: Backend, **kw: Any) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(backend.migrated_url())
    try:
        with Session(engine) as session:
            load_demo(session, today=TODAY, **kw)
            session.commit()
            return fingerprint(session)
    finally:
        engine.dispose()


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_same_data_and_another_seed_differs(
    backend: Backend, db: Session, demo: tuple[Engine, DemoSummary]
) -> None:
    first = fingerprint(db)  # the module's demo, seed 2026
    again = load_fresh(backend, seed=2026)
    assert again == first
    other = load_fresh(backend, seed=7)
    for key in ("cases", "people", "assignments"):
        assert other[key] != first[key], key


# --- sizes and roster --------------------------------------------------------------------------


def test_summary_matches_the_database(db: Session, demo: tuple[Engine, DemoSummary]) -> None:
    summary = demo[1]

    def count(*where: Any) -> int:
        return int(db.scalar(select(func.count()).select_from(Person).where(*where)) or 0)

    by_status = Counter(db.scalars(select(Case.status)))
    assert summary.incoming_cases == by_status[CaseStatus.RECEIVED] == 160
    assert summary.ongoing_cases == sum(by_status[s] for s in OPEN) == 40
    assert summary.closed_cases == by_status[CaseStatus.SETTLED] + by_status[CaseStatus.FAILED]
    assert 25 <= summary.closed_cases <= 35
    assert summary.mediators == count(Person.is_mediator.is_(True)) >= 40
    assert summary.experts == count(Person.is_expert.is_(True)) >= 80
    assert count(Person.is_mediator.is_(True) | Person.is_expert.is_(True)) == 130
    assert count(Person.is_mediator.is_(True), Person.is_expert.is_(True)) > 0  # some are both
    assert summary.cases_without_deadline == 0
    assert summary.rooms == db.scalar(select(func.count()).select_from(Room)) == 7


def test_roster_people_look_real(db: Session) -> None:
    roster = list(
        db.scalars(select(Person).where(Person.is_mediator.is_(True) | Person.is_expert.is_(True)))
    )
    titles = Counter(p.title for p in roster)
    assert {"退休法官", "律师", "银行法务", "注册会计师", "保险公估师"} <= set(titles)
    assert len({p.name for p in roster}) == len(roster)  # roster names are unique
    assert all(2 <= len(p.name) <= 3 for p in roster)
    assert all(p.roster_no.startswith("JZTJ-M-" if p.is_mediator else "JZTJ-E-") for p in roster)
    assert all(6 <= p.max_concurrent_cases <= 20 for p in roster)
    assert set(Counter(p.seniority for p in roster)) == {"junior", "regular", "senior"}
    judges = [p for p in roster if p.title == "退休法官"]
    others = [p for p in roster if p.title != "退休法官"]
    share = sum(p.seniority == "senior" for p in judges) / len(judges)
    assert share > sum(p.seniority == "senior" for p in others) / len(others)
    assert 2 <= sum(not p.is_active for p in roster) <= 3

    intermediate = db.scalars(select(Court).where(Court.code == "豫08")).one()
    for person in roster:
        assert person.base_court is not None
        codes = [c.code for c in person.roster_courts]
        if person.base_court is intermediate:
            assert codes == ["豫08"]
        else:
            assert 1 <= len(codes) <= 3 and person.base_court.code in codes
            assert all(c.level == CourtLevel.BASIC for c in person.roster_courts)
        assert 1 <= len(person.specialties) <= 4
        assert all(1 <= s.level <= 5 for s in person.specialties)

    # Every category has at least two active experts qualified for neutral evaluation.
    evaluators = db.execute(
        select(Specialty.category, func.count())
        .join(Person, Person.id == Specialty.person_id)
        .where(Specialty.has_evaluation.is_(True), Person.is_active.is_(True), Person.is_expert)
        .group_by(Specialty.category)
    ).tuples()
    assert {c: n for c, n in evaluators if n >= 2}.keys() == {c.value for c in Category}


def test_staff_hours_and_leave(db: Session) -> None:
    coded = list(db.scalars(select(Court).where(Court.code.is_not(None))))
    judges = list(db.scalars(select(Person).where(Person.is_liaison_judge.is_(True))))
    assert sorted(j.base_court.code or "" for j in judges if j.base_court) == sorted(
        c.code or "" for c in coded
    )
    assert all(j.title == "法官" and j.roster_no.startswith("JZTJ-J-") for j in judges)
    leaders = list(db.scalars(select(Person).where(Person.is_leader.is_(True))))
    assert len(leaders) == 3 and "中心主任" in {p.title for p in leaders}

    per_person = select(WeeklyAvailability.person_id, func.count()).group_by(
        WeeklyAvailability.person_id
    )
    windows = dict(db.execute(per_person).tuples().all())
    people = db.scalar(select(func.count()).select_from(Person))
    assert len(windows) == people  # everyone has weekly hours
    full, part = sum(n == 10 for n in windows.values()), sum(n in (2, 3) for n in windows.values())
    assert full + part == people and full > part > 10
    spans = set(db.execute(select(WeeklyAvailability.start_minute, WeeklyAvailability.end_minute)))
    assert spans == {(510, 720), (870, 1050)}

    leaves = list(db.scalars(select(Leave)))
    assert len(leaves) == 8
    assert any(lv.starts_on <= TODAY <= lv.ends_on for lv in leaves)
    next_week = TODAY + timedelta(days=7 - TODAY.weekday())
    assert any(next_week <= lv.starts_on < next_week + timedelta(days=7) for lv in leaves)


# --- cases -------------------------------------------------------------------------------------


def test_incoming_cases_cover_every_mode_procedure_category_and_complexity(db: Session) -> None:
    cases = incoming(db)
    assert len(cases) == 160
    assert {(c.mode, c.instance) for c in cases} == {
        ("delegated", None),
        ("entrusted", 1),
        ("entrusted", 2),
    }
    assert {c.procedure for c in cases} == {p.value for p in Procedure}
    assert {c.category for c in cases} == {c.value for c in Category}
    assert {c.complexity for c in cases} == {x.value for x in Complexity}
    share = Counter(c.complexity for c in cases)
    assert share["simple"] + share["ordinary"] > 0.7 * len(cases)
    assert 0 < share["major"] <= 0.08 * len(cases)
    assert 0 < sum(c.needs_evaluation for c in cases) <= 0.15 * len(cases)


def test_case_numbers_match_mode_and_instance(db: Session) -> None:
    cases = list(db.scalars(select(Case)))
    seen: set[tuple[int, str, str, int]] = set()
    for case in cases:
        number = parse_case_number(case.case_number)
        parts = (case.year, case.court_code, case.type_code, case.seq)
        assert (number.year, number.court_code, number.type_code, number.seq) == parts
        assert number.normalized == case.case_number
        assert case.court.code == case.court_code
        if case.mode == "delegated":
            assert case.instance is None and case.type_code == "民诉前调"
            assert case.court.level == CourtLevel.BASIC
        elif case.instance == 1:
            assert case.type_code == "民初" and case.court.level == CourtLevel.BASIC
        else:
            assert case.instance == 2 and case.type_code == "民终" and case.court_code == "豫08"
        assert parts not in seen
        seen.add(parts)


def test_amounts_procedures_and_parties_are_plausible(db: Session) -> None:
    for case in db.scalars(select(Case)):
        assert case.amount == case.amount.quantize(Decimal("0.01")) and case.amount > 0
        assert case.cause_text == CATEGORY_NAMES_ZH[Category(case.category)]
        if case.procedure == Procedure.SMALL_CLAIMS:
            assert case.amount <= SMALL_CLAIMS_LIMIT and (case.mode, case.instance) == (
                "entrusted",
                1,
            )
        if case.complexity == Complexity.MAJOR:
            assert case.amount >= MAJOR_AMOUNT
        if case.category == Category.CREDIT_CARD:
            assert Decimal(5_000) <= case.amount <= Decimal(80_000)
        plaintiffs, defendants = case.plaintiffs, case.defendants
        assert len(plaintiffs) == 1 and 1 <= len(defendants) <= 3
        plaintiff = plaintiffs[0]
        if plaintiff.institution is not None:
            assert plaintiff.name == plaintiff.institution.name
            assert case.batch_key == f"{case.category}@{plaintiff.institution_id}"
        else:
            assert case.batch_key is None
    plaintiffs = list(db.scalars(select(CaseParty).where(CaseParty.role == PartyRole.PLAINTIFF)))
    institutional = sum(p.institution_id is not None for p in plaintiffs)
    assert institutional > 0.7 * len(plaintiffs)  # plaintiffs are mostly institutions


def test_batches_share_a_key(db: Session) -> None:
    keys = Counter(c.batch_key for c in incoming(db) if c.batch_key)
    batches = [k for k, n in keys.items() if n >= 8]
    assert len(batches) >= 3
    for key in batches:
        assert key.split("@")[0] in ("credit_card", "financial_loan")


def test_incoming_cases_arrived_recently_and_have_deadlines(db: Session) -> None:
    calendar = calendar_from_db(db)
    day, workdays = TODAY, list[date]()
    while len(workdays) < 10:
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            workdays.append(day)
    for case in incoming(db):
        assert case.received_on in workdays
        assert case.deadline_on is not None and case.deadline_on > case.received_on


def test_conflicts_of_interest_exist(db: Session) -> None:
    since = TODAY - timedelta(days=730)
    ties = list(
        db.scalars(
            select(Affiliation).where(Affiliation.to_on.is_(None) | (Affiliation.to_on >= since))
        )
    )
    roster = db.scalar(
        select(func.count())
        .select_from(Person)
        .where(Person.is_mediator.is_(True) | Person.is_expert.is_(True))
    )
    assert roster and 0.1 * roster <= len({t.person_id for t in ties}) <= 0.2 * roster
    plaintiffs = {
        p.institution_id for c in incoming(db) for p in c.plaintiffs if p.institution_id is not None
    }
    assert {t.institution_id for t in ties} & plaintiffs
    assert len(db.scalars(select(DeclaredConflict)).all()) >= 2


def test_teams_respect_conflicts_and_choices(db: Session) -> None:
    since = TODAY - timedelta(days=730)
    tied: dict[int, set[int]] = {}
    for tie in db.scalars(select(Affiliation)):
        if tie.to_on is None or tie.to_on >= since:
            tied.setdefault(tie.person_id, set()).add(tie.institution_id)
    for conflict in db.scalars(select(DeclaredConflict)):
        if conflict.institution_id is not None:
            tied.setdefault(conflict.person_id, set()).add(conflict.institution_id)
    for assignment in db.scalars(select(Assignment)):
        parties = {p.institution_id for p in assignment.case.parties if p.institution_id}
        assert not parties & tied.get(assignment.person_id, set()), assignment
    chosen = [c for c in incoming(db) if c.chosen_mediator is not None]
    assert len(chosen) >= 3
    for case in chosen:
        mediator = case.chosen_mediator
        assert mediator is not None and mediator.is_mediator and mediator.is_active
        parties = {p.institution_id for p in case.parties if p.institution_id}
        assert not parties & tied.get(mediator.id, set())


def test_ongoing_cases_have_published_teams(db: Session) -> None:
    ongoing = list(db.scalars(select(Case).where(Case.status.in_([s.value for s in OPEN]))))
    received = [c.received_on for c in ongoing]
    assert min(received) >= TODAY - timedelta(days=35) and max(received) <= TODAY - timedelta(14)
    for case in ongoing:
        team = list(db.scalars(select(Assignment).where(Assignment.case_id == case.id)))
        mediators = [a for a in team if a.role == "mediator"]
        assert mediators and all(a.person.is_mediator for a in mediators)
        assert all(a.run_id is not None for a in team)
        if case.complexity in (Complexity.COMPLEX, Complexity.MAJOR):
            assert len(mediators) == 2 and sum(a.is_presiding for a in mediators) == 1
            assert any(a.role == "expert" and a.person.is_expert for a in team)
        assert case.deadline_on is not None and case.deadline_on > TODAY
    extensions = list(db.scalars(select(CaseExtension)))
    assert extensions and all(e.is_consented for e in extensions)
    assert db.scalars(select(CasePause).where(CasePause.reason == "evaluation")).first()
    scheduled = [c for c in ongoing if c.status == CaseStatus.SCHEDULED]
    assert scheduled
    for case in scheduled:
        sessions = db.scalars(
            select(CalendarSession).where(CalendarSession.cases.any(Case.id == case.id))
        ).all()
        assert sessions and all(s.is_published and s.status == "confirmed" for s in sessions)
        assert all(s.starts_at.date() > TODAY for s in sessions)
    # People carry real workload now.
    busy = db.scalar(
        select(func.count(func.distinct(Assignment.person_id)))
        .join(Case, Case.id == Assignment.case_id)
        .where(Case.status.in_([s.value for s in OPEN]))
    )
    assert busy is not None and busy >= 15


def test_sessions_never_double_book(db: Session) -> None:
    booked = Counter(
        db.execute(
            select(SessionParticipant.person_id, CalendarSession.starts_at).join(
                CalendarSession, CalendarSession.id == SessionParticipant.session_id
            )
        ).tuples()
    )
    assert booked and max(booked.values()) == 1
    rooms = Counter(db.execute(select(CalendarSession.room_id, CalendarSession.starts_at)).tuples())
    assert max(rooms.values()) == 1
    assert all(s.uid == f"session-{s.id}@sutiao" for s in db.scalars(select(CalendarSession)))


def travel_conflicts(db: Session) -> tuple[int, list[tuple[Any, ...]]]:
    """Bookings, and pairs of them one person cannot travel between: two sites with less than
    the scheduler's travel time in between (the Monday 例会 included)."""
    travel = timedelta(minutes=Settings(today=TODAY).travel_minutes)
    days: dict[tuple[int, date], list[tuple[datetime, datetime, str]]] = defaultdict(list)
    rows = db.execute(
        select(
            SessionParticipant.person_id,
            CalendarSession.starts_at,
            CalendarSession.ends_at,
            Room.location,
        )
        .join(CalendarSession, CalendarSession.id == SessionParticipant.session_id)
        .join(Room, Room.id == CalendarSession.room_id)
        .where(CalendarSession.is_published.is_(True), Room.is_online.is_(False))
    ).tuples()
    for person_id, start, end, location in rows:
        days[(person_id, start.astimezone(SHANGHAI).date())].append((start, end, location))
    meeting = db.scalars(select(RecurringMeeting)).one()
    assert meeting.room is not None
    mondays = {day for _, day in days if day.weekday() == 0}
    for person in meeting.members:
        for day in mondays:
            start = datetime.combine(day, meeting.starts_at.astimezone(SHANGHAI).time(), SHANGHAI)
            end = start + timedelta(minutes=meeting.duration_minutes)
            days[(person.id, day)].append((start, end, meeting.room.location))
    close = [
        (person_id, day, a, b)
        for (person_id, day), entries in days.items()
        for a, b in pairwise(sorted(entries))
        if a[2] != b[2] and b[0] - a[1] < travel
    ]
    return sum(len(v) for v in days.values()), close


def test_sessions_leave_time_to_travel(db: Session) -> None:
    """A schedule run would otherwise find these in the published state."""
    bookings, close = travel_conflicts(db)
    assert bookings > 100
    assert not close


@pytest.mark.parametrize("seed", [1, 2])  # seeds that once booked someone across town
def test_other_seeds_leave_time_to_travel(backend: Backend, seed: int) -> None:
    engine = make_engine(backend.migrated_url())
    try:
        with Session(engine) as session:
            load_demo(session, today=TODAY, seed=seed)
            session.flush()
            bookings, close = travel_conflicts(session)
            assert bookings > 100
            assert not close
            session.rollback()
    finally:
        engine.dispose()


# --- rooms, meeting, weights, logins -----------------------------------------------------------


def test_rooms_meeting_and_weights(db: Session) -> None:
    rooms = list(db.scalars(select(Room)))
    physical = [r for r in rooms if not r.is_online]
    online = [r for r in rooms if r.is_online]
    assert len(physical) == 6 and len({r.location for r in physical}) >= 3
    assert all(4 <= r.capacity <= 20 and r.address for r in physical)
    assert len(online) == 1 and online[0].location == "线上" and online[0].capacity > 20

    meeting = db.scalars(select(RecurringMeeting)).one()
    assert meeting.rrule == "FREQ=WEEKLY;BYDAY=MO" and meeting.duration_minutes == 60
    assert meeting.uid == f"meeting-{meeting.id}@sutiao" and meeting.is_published
    assert meeting.room is not None and not meeting.room.is_online
    # 09:00 in Asia/Shanghai is 01:00 UTC, on a Monday.
    assert meeting.starts_at.tzinfo is not None and meeting.starts_at.utcoffset() == timedelta(0)
    assert (meeting.starts_at.hour, meeting.starts_at.minute) == (1, 0)
    assert meeting.starts_at.weekday() == 0
    members = meeting.members
    assert sum(p.is_leader for p in members) == 3 and any(p.is_mediator for p in members)

    profile = db.scalars(select(WeightProfile)).one()
    assert profile.version == 1 and profile.weights == DEMO_WEIGHTS


def test_one_login_per_role(db: Session, demo: tuple[Engine, DemoSummary]) -> None:
    logins = demo[1].logins
    assert [lg.role for lg in logins] == [r.value for r in UserRole]
    users = {u.username: u for u in db.scalars(select(User))}
    for login in logins:
        user = users[login.username]
        assert user.role == login.role and login.password == f"demo-{login.role}"
        assert check_password_hash(user.password_hash, login.password)
        assert login.description
    assert users["court"].court is not None and users["court"].court.code == "豫0802"
    leader, mediator = users["leader"].person, users["mediator"].person
    assert leader is not None and leader.is_leader
    assert mediator is not None and mediator.is_mediator and mediator.is_active


# --- knobs and refusal -------------------------------------------------------------------------


def test_size_knobs_and_a_year_without_schedule(session: Session) -> None:
    # Late December: 30-day 委派 periods run into 2027, whose schedule nobody loaded.
    summary = load_demo(session, cases=300, people=200, today=date(2026, 12, 28))
    session.commit()
    roster = session.scalar(
        select(func.count())
        .select_from(Person)
        .where(Person.is_mediator.is_(True) | Person.is_expert.is_(True))
    )
    received = session.scalar(
        select(func.count()).select_from(Case).where(Case.status == CaseStatus.RECEIVED)
    )
    assert summary.incoming_cases == received == 300 and roster == 200
    assert summary.mediators >= 40 and summary.experts >= 80
    missing = session.scalar(
        select(func.count()).select_from(Case).where(Case.deadline_on.is_(None))
    )
    assert summary.cases_without_deadline == missing and missing > 0


def test_loading_twice_is_refused(session: Session) -> None:
    load_demo(session, today=TODAY)
    session.commit()
    before = session.scalar(select(func.count()).select_from(Case))
    with pytest.raises(DemoError, match="fresh database"):
        load_demo(session, today=TODAY)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Case)) == before


@pytest.mark.parametrize("knobs", [{"cases": 20}, {"people": 30}])
def test_too_small_a_demo_is_rejected(session: Session, knobs: dict[str, int]) -> None:
    with pytest.raises(DemoSizeError, match="at least"):
        load_demo(session, today=TODAY, **knobs)
