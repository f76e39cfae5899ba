"""Leadership's figures (read only): workload, deadline slack, cases by status, court and
category, outcomes over time, and what the regular meeting (例会) reviews.

Everything here reads the database and returns plain dataclasses; the dashboard page draws
them and the .xlsx export writes the same rows.

- Utilisation is (active + new) / capacity: *active* counts the person's published team places
  on open cases, *new* their places in the latest assignment run still waiting to be published.
- Deadline slack is counted in working days (Chinese public holidays and 调休 included) between
  a published session and its case's deadline: 0 means on the last day, negative means late.
- A closed case has no closing date of its own: its month is that of its last session, or of
  its last update when it never had one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Assignment,
    AssignmentRun,
    Case,
    Court,
    Person,
    Proposal,
    SessionCase,
)
from models import Session as SessionRow
from models.vocabulary import OPEN_CASE_STATUSES, CaseStatus, RunKind, RunStatus, SessionStatus
from scheduler.workdays import WorkdayCalendar

from .holidays import calendar_from_db

TZ = ZoneInfo("Asia/Shanghai")
OPEN = tuple(s.value for s in OPEN_CASE_STATUSES)
CLOSED = (CaseStatus.SETTLED.value, CaseStatus.FAILED.value, CaseStatus.WITHDRAWN.value)
# A case whose deadline is this few working days away and has no session by then is at risk.
RISK_WORKDAYS = 3
# The slack histogram's bins: (label, lowest, highest), both inclusive; None is open-ended.
SLACK_BINS: tuple[tuple[str, int | None, int | None], ...] = (
    ("<0", None, -1),
    ("0", 0, 0),
    ("1", 1, 1),
    ("2", 2, 2),
    ("3–5", 3, 5),
    ("6–10", 6, 10),
    (">10", 11, None),
)


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TZ).date()


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


# --- utilisation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    person_id: int
    roster_no: str
    name: str
    roles: tuple[str, ...]
    active: int
    new: int
    capacity: int

    @property
    def percent(self) -> float | None:
        """(active + new) / capacity in percent; None for someone with no capacity."""
        if self.capacity <= 0:
            return None
        return round(100 * (self.active + self.new) / self.capacity, 1)


def pending_run(session: Session) -> AssignmentRun | None:
    """The latest assignment run that succeeded and waits to be published."""
    return session.scalars(
        select(AssignmentRun)
        .where(AssignmentRun.kind == RunKind.ASSIGN, AssignmentRun.status == RunStatus.SUCCEEDED)
        .order_by(AssignmentRun.id.desc())
        .limit(1)
    ).first()


def utilisation(session: Session) -> list[Load]:
    """Every active mediator and expert, the busiest first."""
    active = dict(
        session.execute(
            select(Assignment.person_id, func.count())
            .join(Case, Case.id == Assignment.case_id)
            .where(Case.status.in_(OPEN))
            .group_by(Assignment.person_id)
        )
        .tuples()
        .all()
    )
    new: dict[int, int] = {}
    run = pending_run(session)
    if run is not None:
        new = dict(
            session.execute(
                select(Proposal.person_id, func.count())
                .join(Case, Case.id == Proposal.case_id)
                .where(Proposal.run_id == run.id, Case.status == CaseStatus.RECEIVED)
                .group_by(Proposal.person_id)
            )
            .tuples()
            .all()
        )
    people = session.scalars(
        select(Person)
        .where(Person.is_active.is_(True))
        .where(Person.is_mediator.is_(True) | Person.is_expert.is_(True))
        .order_by(Person.roster_no)
    )
    loads = [
        Load(
            person_id=p.id,
            roster_no=p.roster_no,
            name=p.name,
            roles=tuple(r for r in p.roles if r in ("mediator", "expert")),
            active=int(active.get(p.id, 0)),
            new=int(new.get(p.id, 0)),
            capacity=p.max_concurrent_cases,
        )
        for p in people
    ]
    return sorted(loads, key=lambda x: (-(x.percent or 0.0), -(x.active + x.new), x.roster_no))


# --- deadline slack -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Slack:
    case_number: str
    court: str
    kind: str
    starts_at: datetime
    deadline_on: date
    workdays: int  # working days after the session day up to the deadline; < 0: late


def slack_days(calendar: WorkdayCalendar, day: date, deadline: date) -> int:
    """Working days after ``day`` up to ``deadline``; negative (the working days it is late)
    when ``day`` is after the deadline."""
    if day <= deadline:
        return len(calendar.workdays_between(day + timedelta(days=1), deadline))
    return -max(1, len(calendar.workdays_between(deadline + timedelta(days=1), day)))


def deadline_slack(session: Session, calendar: WorkdayCalendar | None = None) -> list[Slack]:
    """The published, not cancelled sessions of open cases with a deadline, least slack first."""
    calendar = calendar or calendar_from_db(session, weekend_fallback=True)
    rows = session.execute(
        select(
            Case.case_number,
            Court.short_name,
            SessionRow.kind,
            SessionRow.starts_at,
            Case.deadline_on,
        )
        .join(SessionCase, SessionCase.session_id == SessionRow.id)
        .join(Case, Case.id == SessionCase.case_id)
        .join(Court, Court.id == Case.court_id)
        .where(SessionRow.is_published.is_(True))
        .where(SessionRow.status != SessionStatus.CANCELLED)
        .where(Case.status.in_(OPEN), Case.deadline_on.is_not(None))
    ).all()
    out = [
        Slack(
            number,
            court,
            kind,
            starts,
            deadline,
            slack_days(calendar, _local_day(starts), deadline),
        )
        for number, court, kind, starts, deadline in rows
    ]
    return sorted(out, key=lambda s: (s.workdays, s.starts_at, s.case_number))


def slack_histogram(slack: list[Slack]) -> list[tuple[str, int]]:
    counts: list[tuple[str, int]] = []
    for name, low, high in SLACK_BINS:
        n = sum(
            1
            for s in slack
            if (low is None or s.workdays >= low) and (high is None or s.workdays <= high)
        )
        counts.append((name, n))
    return counts


# --- cases by status, court and category ----------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A count split into open and closed cases."""

    key: str
    label: str
    open: int
    closed: int

    @property
    def total(self) -> int:
        return self.open + self.closed


def cases_by_status(session: Session) -> list[tuple[str, int]]:
    counts = dict(
        session.execute(select(Case.status, func.count()).group_by(Case.status)).tuples().all()
    )
    return [(s.value, int(counts.get(s.value, 0))) for s in CaseStatus]


def _split(rows: list[Any], labels: dict[str, str]) -> list[Split]:
    counts: dict[str, Counter[bool]] = defaultdict(Counter)
    for key, status, n in rows:
        counts[str(key)][status in OPEN] += int(n)
    out = [Split(k, labels.get(k, k), c[True], c[False]) for k, c in counts.items()]
    return sorted(out, key=lambda s: (-s.total, s.key))


def cases_by_court(session: Session) -> list[Split]:
    rows = session.execute(
        select(Case.court_id, Case.status, func.count()).group_by(Case.court_id, Case.status)
    ).all()
    names = {str(c.id): c.short_name for c in session.scalars(select(Court))}
    return _split(list(rows), names)


def cases_by_category(session: Session) -> list[Split]:
    rows = session.execute(
        select(Case.category, Case.status, func.count()).group_by(Case.category, Case.status)
    ).all()
    return _split(list(rows), {})


# --- outcomes over time ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    settled: int = 0
    failed: int = 0
    withdrawn: int = 0

    @property
    def closed(self) -> int:
        return self.settled + self.failed + self.withdrawn

    @property
    def success_rate(self) -> float | None:
        """Settled among settled and failed (a withdrawal is neither)."""
        decided = self.settled + self.failed
        return round(self.settled / decided, 4) if decided else None


def closing_days(session: Session) -> dict[int, tuple[str, date]]:
    """Each closed case's outcome and the day it closed (see the module docstring)."""
    cases = session.execute(
        select(Case.id, Case.status, Case.updated_at).where(Case.status.in_(CLOSED))
    ).all()
    last = dict(
        session.execute(
            select(SessionCase.case_id, func.max(SessionRow.starts_at))
            .join(SessionRow, SessionRow.id == SessionCase.session_id)
            .join(Case, Case.id == SessionCase.case_id)
            .where(Case.status.in_(CLOSED), SessionRow.status != SessionStatus.CANCELLED)
            .group_by(SessionCase.case_id)
        )
        .tuples()
        .all()
    )
    return {cid: (status, _local_day(last.get(cid) or updated)) for cid, status, updated in cases}


def outcomes_by_month(session: Session) -> list[Month]:
    """Closed cases per month and outcome, every month from the first to the last."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for status, day in closing_days(session).values():
        counts[f"{day:%Y-%m}"][status] += 1
    if not counts:
        return []
    first, last = min(counts), max(counts)
    months: list[Month] = []
    year, month = int(first[:4]), int(first[5:])
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        c = counts.get(key, Counter())
        months.append(Month(key, c["settled"], c["failed"], c["withdrawn"]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# --- the regular meeting (例会) -------------------------------------------------------------------


@dataclass(frozen=True)
class Unassigned:
    case_id: int
    case_number: str
    court: str
    received_on: date
    deadline_on: date | None
    reason: str  # a matcher reason code, "not_run" or "no_deadline"


@dataclass(frozen=True)
class Risk:
    case_number: str
    court: str
    status: str
    deadline_on: date
    workdays_left: int  # working days after today up to the deadline; < 0: overdue
    next_session: datetime | None
    reason: str  # overdue | session_after_deadline | no_session


@dataclass(frozen=True)
class MeetingFigures:
    week_start: date
    week_end: date
    received: int  # cases received this week
    assigned: int  # cases whose team was published this week
    scheduled: int  # cases a schedule run published a session for this week
    sessions: int  # published sessions held or to be held this week
    closed: int  # cases closed this week
    settled: int  # of which settled
    open_cases: int
    unassigned: list[Unassigned] = field(default_factory=list)
    at_risk: list[Risk] = field(default_factory=list)
    settled_total: int = 0
    failed_total: int = 0

    @property
    def success_rate(self) -> float | None:
        decided = self.settled_total + self.failed_total
        return round(self.settled_total / decided, 4) if decided else None


def unassigned_cases(session: Session) -> list[Unassigned]:
    """The received cases without a team, each with why (the latest assignment run's reason)."""
    runs = session.scalars(
        select(AssignmentRun)
        .where(AssignmentRun.kind == RunKind.ASSIGN)
        .where(AssignmentRun.status.in_([RunStatus.SUCCEEDED, RunStatus.PUBLISHED]))
        .order_by(AssignmentRun.id.desc())
        .limit(1)
    ).first()
    reasons: dict[int, str] = {}
    proposed: set[int] = set()
    if runs is not None:
        for item in runs.stats.get("unassigned", []):
            reasons[int(item["case"])] = str(item["reason"])
        proposed = set(session.scalars(select(Proposal.case_id).where(Proposal.run_id == runs.id)))
    rows = session.execute(
        select(Case.id, Case.case_number, Court.short_name, Case.received_on, Case.deadline_on)
        .join(Court, Court.id == Case.court_id)
        .where(Case.status == CaseStatus.RECEIVED)
        .order_by(Case.deadline_on, Case.received_on, Case.id)
    ).all()
    out = []
    for cid, number, court, received, deadline in rows:
        if cid in proposed:
            continue  # proposed, waiting for the coordinators to publish
        reason = "no_deadline" if deadline is None else reasons.get(cid, "not_run")
        out.append(Unassigned(cid, number, court, received, deadline, reason))
    return out


def at_risk(session: Session, today: date, calendar: WorkdayCalendar) -> list[Risk]:
    """Open cases (not paused) that are overdue, whose published session comes after the
    deadline, or whose deadline is at most ``RISK_WORKDAYS`` working days away with no
    session by then."""
    live = (CaseStatus.RECEIVED.value, CaseStatus.ASSIGNED.value, CaseStatus.SCHEDULED.value)
    cases = session.execute(
        select(Case.id, Case.case_number, Court.short_name, Case.status, Case.deadline_on)
        .join(Court, Court.id == Case.court_id)
        .where(Case.status.in_(live), Case.deadline_on.is_not(None))
    ).all()
    upcoming: dict[int, datetime] = {}
    for cid, starts in session.execute(
        select(SessionCase.case_id, SessionRow.starts_at)
        .join(SessionRow, SessionRow.id == SessionCase.session_id)
        .where(SessionRow.is_published.is_(True))
        .where(SessionRow.status != SessionStatus.CANCELLED)
        .where(SessionRow.ends_at >= _utc_midnight(today))
        .order_by(SessionRow.starts_at)
    ):
        upcoming.setdefault(cid, starts)
    out = []
    for cid, number, court, status, deadline in cases:
        left = slack_days(calendar, today, deadline)
        nxt = upcoming.get(cid)
        if left < 0:
            reason = "overdue"
        elif nxt is not None and _local_day(nxt) > deadline:
            reason = "session_after_deadline"
        elif nxt is None and left <= RISK_WORKDAYS:
            reason = "no_session"
        else:
            continue
        out.append(Risk(number, court, status, deadline, left, nxt, reason))
    return sorted(out, key=lambda r: (r.workdays_left, r.deadline_on, r.case_number))


def meeting_figures(
    session: Session, today: date, calendar: WorkdayCalendar | None = None
) -> MeetingFigures:
    """This week's (Monday to Sunday around ``today``) figures for the 例会."""
    calendar = calendar or calendar_from_db(session, weekend_fallback=True)
    start = today - timedelta(days=today.weekday())
    end = start + timedelta(days=6)
    lo, hi = _utc_midnight(start), _utc_midnight(end + timedelta(days=1))

    def scalar(stmt: Any) -> int:
        return int(session.scalar(stmt) or 0)

    received = scalar(
        select(func.count()).select_from(Case).where(Case.received_on.between(start, end))
    )
    assigned = scalar(
        select(func.count(func.distinct(Assignment.case_id))).where(
            Assignment.assigned_at >= lo, Assignment.assigned_at < hi
        )
    )
    # Sessions a schedule run published this week (a repair moves sessions, it adds none).
    scheduled = scalar(
        select(func.count(func.distinct(SessionCase.case_id)))
        .join(SessionRow, SessionRow.id == SessionCase.session_id)
        .join(AssignmentRun, AssignmentRun.id == SessionRow.run_id)
        .where(AssignmentRun.kind == RunKind.SCHEDULE)
        .where(SessionRow.is_published.is_(True), SessionRow.status != SessionStatus.CANCELLED)
        .where(AssignmentRun.published_at >= lo, AssignmentRun.published_at < hi)
    )
    sessions = scalar(
        select(func.count())
        .select_from(SessionRow)
        .where(SessionRow.is_published.is_(True), SessionRow.status != SessionStatus.CANCELLED)
        .where(SessionRow.starts_at >= lo, SessionRow.starts_at < hi)
    )
    closing = closing_days(session).values()
    this_week = [status for status, day in closing if start <= day <= end]
    outcomes = Counter(status for status, _ in closing)
    open_cases = scalar(select(func.count()).select_from(Case).where(Case.status.in_(OPEN)))
    return MeetingFigures(
        week_start=start,
        week_end=end,
        received=received,
        assigned=assigned,
        scheduled=scheduled,
        sessions=sessions,
        closed=len(this_week),
        settled=sum(1 for s in this_week if s == CaseStatus.SETTLED),
        open_cases=open_cases,
        unassigned=unassigned_cases(session),
        at_risk=at_risk(session, today, calendar),
        settled_total=outcomes[CaseStatus.SETTLED.value],
        failed_total=outcomes[CaseStatus.FAILED.value],
    )


# --- everything at once ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    today: date
    loads: list[Load]
    slack: list[Slack]
    by_status: list[tuple[str, int]]
    by_court: list[Split]
    by_category: list[Split]
    outcomes: list[Month]
    meeting: MeetingFigures

    @property
    def slack_histogram(self) -> list[tuple[str, int]]:
        return slack_histogram(self.slack)


def collect(session: Session, today: date) -> Dashboard:
    calendar = calendar_from_db(session, weekend_fallback=True)
    return Dashboard(
        today=today,
        loads=utilisation(session),
        slack=deadline_slack(session, calendar),
        by_status=cases_by_status(session),
        by_court=cases_by_court(session),
        by_category=cases_by_category(session),
        outcomes=outcomes_by_month(session),
        meeting=meeting_figures(session, today, calendar),
    )
