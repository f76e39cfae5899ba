"""What the coordinator pages show (web/pages/coordinator.py): read-only queries over the
database, shaped for the templates. Nothing here writes; the operations in workflow.py,
runs.py, repairs.py and transfer_sheet.py do.

- :func:`inbox`: the received cases by urgency, with working days left and what the latest
  assignment run proposes for each;
- :func:`review`: an assignment run's teams with their explanations, and the unassigned cases;
- :func:`publish_summary`: what publishing a run would change;
- :func:`week`: a week of sessions (published, plus a schedule run's proposal) by person or room;
- :func:`repair_proposals`: repair runs with each moved session before and after;
- :func:`progress_chart`: a run's objective and bound over time as SVG polylines.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import (
    AssignmentRun,
    Case,
    Person,
    Proposal,
    RecurringMeeting,
    Room,
)
from models import Session as SessionRow
from models.calendar import SessionParticipant
from models.vocabulary import CaseStatus, RunKind, RunStatus, SessionKind, SessionStatus
from scheduler.workdays import WorkdayCalendar, YearNotCovered

from . import workflow
from .holidays import calendar_from_db
from .status import collect_status

TZ = ZoneInfo("Asia/Shanghai")
URGENT_DAYS = 1  # working days left at or under which a case is urgent
SOON_DAYS = 3
LATEST_RUNS = 30


def local(moment: datetime) -> datetime:
    return moment.astimezone(TZ)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- the inbox ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    case: Case
    days_left: int | None  # working days after today up to the deadline; None: unknown
    overdue_days: int  # calendar days past the deadline (0 if not overdue)
    proposed: str | None  # "team", an unassigned reason code, or None (not in the latest run)

    @property
    def urgency(self) -> str:
        if self.overdue_days > 0:
            return "overdue"
        if self.days_left is None:
            return "unknown"
        if self.days_left <= URGENT_DAYS:
            return "urgent"
        if self.days_left <= SOON_DAYS:
            return "soon"
        return "normal"


@dataclass(frozen=True)
class Inbox:
    today: date
    rows: list[InboxRow]
    by_status: dict[str, int]
    latest_run: AssignmentRun | None  # the latest assignment run not yet published
    recent_runs: list[AssignmentRun]

    @property
    def urgent(self) -> int:
        return sum(r.urgency in ("overdue", "urgent") for r in self.rows)

    @property
    def soon(self) -> int:
        return sum(r.urgency == "soon" for r in self.rows)

    @property
    def without_deadline(self) -> int:
        return sum(r.case.deadline_on is None for r in self.rows)


def working_days_left(calendar: WorkdayCalendar, today: date, due: date | None) -> int | None:
    """Working days in (today, due]: 0 when the deadline is today; None when unknown."""
    if due is None or due < today:
        return None
    try:
        return len(calendar.workdays_between(today + timedelta(days=1), due))
    except YearNotCovered:
        return None


def inbox(session: Session, today: date) -> Inbox:
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.status == CaseStatus.RECEIVED)
            .options(selectinload(Case.court), selectinload(Case.chosen_mediator))
        )
    )
    calendar = calendar_from_db(session)
    latest = session.scalars(
        select(AssignmentRun)
        .where(AssignmentRun.kind == RunKind.ASSIGN)
        .where(AssignmentRun.status.in_((RunStatus.SUCCEEDED, RunStatus.RUNNING)))
        .order_by(AssignmentRun.id.desc())
    ).first()
    proposed: dict[int, str] = {}
    if latest is not None and latest.status == RunStatus.SUCCEEDED:
        for case_id in session.scalars(
            select(Proposal.case_id).where(Proposal.run_id == latest.id).distinct()
        ):
            proposed[case_id] = "team"
        for item in (latest.stats or {}).get("unassigned", []):
            proposed[int(item["case"])] = str(item["reason"])
    rows = []
    for case in cases:
        due = case.deadline_on
        rows.append(
            InboxRow(
                case=case,
                days_left=working_days_left(calendar, today, due),
                overdue_days=(today - due).days if due is not None and due < today else 0,
                proposed=proposed.get(case.id),
            )
        )
    rows.sort(
        key=lambda r: (
            r.case.deadline_on is None,
            r.case.deadline_on or date.max,
            r.case.received_on,
            r.case.case_number,
        )
    )
    recent = list(
        session.scalars(
            select(AssignmentRun)
            .where(AssignmentRun.kind.in_((RunKind.ASSIGN, RunKind.SCHEDULE)))
            .order_by(AssignmentRun.id.desc())
            .limit(5)
        )
    )
    return Inbox(
        today=today,
        rows=rows,
        by_status=collect_status(session).cases_by_status,
        latest_run=latest,
        recent_runs=recent,
    )


def latest_runs(session: Session, limit: int = LATEST_RUNS) -> list[AssignmentRun]:
    return list(
        session.scalars(select(AssignmentRun).order_by(AssignmentRun.id.desc()).limit(limit))
    )


# --- review -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    proposal_id: int
    person: Person
    role: str
    presiding: bool
    pinned: bool
    override_reason: str | None


@dataclass(frozen=True)
class AlternateView:
    person_id: int
    person: Person | None
    score_difference: int | None
    rule: str | None


@dataclass(frozen=True)
class CaseReview:
    case: Case
    members: list[Member]
    score: dict[str, int]
    alternates: dict[str, list[AlternateView]]  # role -> best three others

    @property
    def total(self) -> int:
        return sum(self.score.values())

    @property
    def pinned(self) -> bool:
        return any(m.pinned for m in self.members)


@dataclass(frozen=True)
class UnassignedView:
    case_id: int
    case: Case | None
    reason: str
    figures: dict[str, dict[str, int]]  # role -> supply-and-demand figure -> count
    lock_rule: str | None  # team_incomplete because a lock breaks this rule


@dataclass(frozen=True)
class Review:
    run: AssignmentRun
    cases: list[CaseReview]
    unassigned: list[UnassignedView]
    schedule_runs: list[AssignmentRun]

    @property
    def reviewable(self) -> bool:
        return self.run.status == RunStatus.SUCCEEDED

    @property
    def pinned(self) -> int:
        return sum(1 for c in self.cases for m in c.members if m.pinned)


def _urgency_key(case: Case | None) -> tuple[bool, date, str]:
    if case is None:
        return (True, date.max, "")
    return (case.deadline_on is None, case.deadline_on or date.max, case.case_number)


def review(session: Session, run: AssignmentRun) -> Review:
    proposals = list(
        session.scalars(
            select(Proposal)
            .where(Proposal.run_id == run.id)
            .options(
                selectinload(Proposal.case).selectinload(Case.court),
                selectinload(Proposal.person),
            )
            # Mediators first, the presiding one leading; then experts.
            .order_by(
                Proposal.case_id, Proposal.is_presiding.desc(), Proposal.role.desc(), Proposal.id
            )
        )
    )
    teams: dict[int, list[Proposal]] = defaultdict(list)
    for p in proposals:
        teams[p.case_id].append(p)
    wanted: set[int] = set()
    for team in teams.values():
        for alts in (team[0].explanation or {}).get("alternates", {}).values():
            wanted |= {int(a["person"]) for a in alts}
    people = (
        {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(wanted)))}
        if wanted
        else {}
    )
    cases: list[CaseReview] = []
    for team in teams.values():
        explanation = team[0].explanation or {}
        alternates = {
            role: [
                AlternateView(
                    person_id=int(a["person"]),
                    person=people.get(int(a["person"])),
                    score_difference=a.get("score_difference"),
                    rule=a.get("rule"),
                )
                for a in alts
            ]
            for role, alts in sorted(
                explanation.get("alternates", {}).items(), key=lambda item: item[0] != "mediator"
            )
        }
        cases.append(
            CaseReview(
                case=team[0].case,
                members=[
                    Member(
                        proposal_id=p.id,
                        person=p.person,
                        role=p.role,
                        presiding=p.is_presiding,
                        pinned=p.is_pinned,
                        override_reason=p.override_reason,
                    )
                    for p in team
                ],
                score={k: int(v) for k, v in explanation.get("score", {}).items()},
                alternates=alternates,
            )
        )
    cases.sort(key=lambda c: _urgency_key(c.case))
    raw = list((run.stats or {}).get("unassigned", []))
    ids = [int(u["case"]) for u in raw]
    by_id = (
        {
            c.id: c
            for c in session.scalars(
                select(Case).where(Case.id.in_(ids)).options(selectinload(Case.court))
            )
        }
        if ids
        else {}
    )
    unassigned = []
    for u in raw:
        details = dict(u.get("details") or {})
        lock_rule = details.pop("lock_breaks_rule", None)
        unassigned.append(
            UnassignedView(
                case_id=int(u["case"]),
                case=by_id.get(int(u["case"])),
                reason=str(u["reason"]),
                figures={
                    role: {k: int(v) for k, v in figures.items()}
                    for role, figures in details.items()
                    if isinstance(figures, dict)
                },
                lock_rule=str(lock_rule) if lock_rule else None,
            )
        )
    unassigned.sort(key=lambda u: _urgency_key(u.case))
    schedule_runs = list(
        session.scalars(
            select(AssignmentRun)
            .where(AssignmentRun.parent_run_id == run.id)
            .where(AssignmentRun.kind == RunKind.SCHEDULE)
            .order_by(AssignmentRun.id.desc())
        )
    )
    return Review(run=run, cases=cases, unassigned=unassigned, schedule_runs=schedule_runs)


# --- publish ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishSummary:
    run: AssignmentRun
    cases: int  # cases whose team is published
    members: int
    pinned: int
    overridden: int
    schedule_run: AssignmentRun | None
    sessions_by_kind: dict[str, int]
    first_session: datetime | None
    last_session: datetime | None
    to_scheduled: int  # cases that get a session: received -> scheduled
    to_assigned: int  # cases with a team but no session: received -> assigned
    no_longer_received: list[str]  # 案号 that publishing would refuse
    carried: int  # cases of an earlier day that get a session: assigned -> scheduled
    # Major cases of an earlier day that get a case conference (their status stays)
    conferences_added: int
    no_longer_waiting: list[str]  # 案号 of those placed elsewhere meanwhile: publishing refuses
    unassigned: int
    unscheduled: list[dict[str, Any]]

    @property
    def sessions(self) -> int:
        return sum(self.sessions_by_kind.values())


def latest_schedule_run(session: Session, assign_run_id: int) -> AssignmentRun | None:
    """The schedule :func:`workflow.publish` would publish with the run (or did)."""
    return session.scalars(
        select(AssignmentRun)
        .where(AssignmentRun.parent_run_id == assign_run_id)
        .where(AssignmentRun.kind == RunKind.SCHEDULE)
        .where(AssignmentRun.status.in_((RunStatus.SUCCEEDED, RunStatus.PUBLISHED)))
        .order_by(AssignmentRun.id.desc())
    ).first()


def publish_summary(session: Session, run: AssignmentRun) -> PublishSummary:
    proposals = list(
        session.scalars(
            select(Proposal).where(Proposal.run_id == run.id).options(selectinload(Proposal.case))
        )
    )
    case_ids = {p.case_id for p in proposals}
    schedule = latest_schedule_run(session, run.id)
    kinds: Counter[str] = Counter()
    scheduled: set[int] = set()
    carried: set[int] = set()  # cases of an earlier day (workflow.carried_over)
    conferenced: set[int] = set()  # and their conferences (workflow.conference_pending)
    starts: list[datetime] = []
    if schedule is not None:
        for row in session.scalars(
            select(SessionRow)
            .where(SessionRow.run_id == schedule.id)
            .options(selectinload(SessionRow.cases))
        ):
            kinds[row.kind] += 1
            starts.append(row.starts_at)
            earlier = {c.id for c in row.cases if c.id not in case_ids}
            if row.kind in workflow.OWN_KINDS:  # a conference schedules none of its cases
                scheduled |= {c.id for c in row.cases}
                carried |= earlier
            else:
                conferenced |= earlier
    unpublished = run.status != RunStatus.PUBLISHED
    stale = sorted(
        {p.case.case_number for p in proposals if p.case.status != CaseStatus.RECEIVED}
        if unpublished
        else ()
    )
    gone = (
        [number for number, _ in workflow.no_longer_waiting(session, schedule.id, case_ids)]
        if unpublished and schedule is not None
        else []
    )
    return PublishSummary(
        run=run,
        cases=len(case_ids),
        members=len(proposals),
        pinned=sum(p.is_pinned for p in proposals),
        overridden=sum(p.override_reason is not None for p in proposals),
        schedule_run=schedule,
        sessions_by_kind=dict(kinds),
        first_session=min(starts) if starts else None,
        last_session=max(starts) if starts else None,
        to_scheduled=len(case_ids & scheduled),
        to_assigned=len(case_ids - scheduled),
        no_longer_received=stale,
        carried=len(carried),
        conferences_added=len(conferenced),
        no_longer_waiting=gone,
        unassigned=len((run.stats or {}).get("unassigned", [])),
        unscheduled=list((schedule.stats or {}).get("unscheduled", [])) if schedule else [],
    )


# --- the week -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chip:
    """One session (or meeting occurrence) in a cell of the week grid."""

    key: str
    kind: str
    starts_at: datetime  # Asia/Shanghai
    ends_at: datetime
    room: str | None
    case_numbers: tuple[str, ...]
    people: tuple[str, ...]
    proposed: bool  # from an unpublished schedule run
    title: str

    @property
    def afternoon(self) -> bool:
        return self.starts_at.hour >= 13


@dataclass
class WeekRow:
    key: str
    label: str
    detail: str
    cells: list[list[Chip]]  # one list per day

    @property
    def count(self) -> int:
        return sum(len(c) for c in self.cells)


@dataclass
class Week:
    monday: date
    days: list[date]
    holidays: dict[date, str]
    by: str
    rows: list[WeekRow]
    proposal_run: AssignmentRun | None
    kinds: Counter[str] = field(default_factory=Counter)
    proposed: int = 0

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def sessions(self) -> int:
        return sum(self.kinds.values())


def proposal_schedule_run(session: Session, run_id: int | None = None) -> AssignmentRun | None:
    """A schedule run whose sessions are shown as proposed: ``run_id``, or else the latest
    succeeded schedule run not yet published."""
    if run_id is not None:
        run = session.get(AssignmentRun, run_id)
        return run if run is not None and run.kind == RunKind.SCHEDULE else None
    candidates = session.scalars(
        select(AssignmentRun)
        .where(AssignmentRun.kind == RunKind.SCHEDULE)
        .where(AssignmentRun.status == RunStatus.SUCCEEDED)
        .order_by(AssignmentRun.id.desc())
        .limit(20)
    )
    for run in candidates:
        parent = session.get(AssignmentRun, run.parent_run_id) if run.parent_run_id else None
        # A schedule of a run published with another schedule will never be published, nor
        # will one whose cases another publication has taken meanwhile.
        if parent is None or parent.status != RunStatus.SUCCEEDED:
            continue
        # Its own cases still wait for their teams; cases of an earlier day it placed
        # (workflow.carried_over, workflow.conference_pending) still wait for it.
        own = set(session.scalars(select(Proposal.case_id).where(Proposal.run_id == parent.id)))
        taken = session.scalar(
            select(Case.id).where(Case.id.in_(own), Case.status != CaseStatus.RECEIVED).limit(1)
        )
        if taken is None and not workflow.no_longer_waiting(session, run.id, own):
            return run
    return None


def _meeting_chips(
    session: Session, start: datetime, end: datetime
) -> list[tuple[Chip, list[Person], Room | None]]:
    """The published regular meetings' occurrences in [start, end), as chips with members.
    An occurrence that has its own session row (moved or cancelled) is left to that row."""
    out: list[tuple[Chip, list[Person], Room | None]] = []
    meetings = session.scalars(
        select(RecurringMeeting)
        .where(RecurringMeeting.is_published.is_(True))
        .options(selectinload(RecurringMeeting.members), selectinload(RecurringMeeting.room))
    )
    for meeting in meetings:
        zone = ZoneInfo(meeting.timezone)
        text = meeting.rrule.strip()
        if text.upper().startswith("RRULE:"):
            text = text[len("RRULE:") :]
        first = meeting.starts_at.astimezone(zone)
        try:
            rule = rrulestr(text, dtstart=first)
            occurrences = list(rule.between(start, end, inc=True))
        except (ValueError, TypeError):
            continue  # an unusual rule: the feeds show it; the grid leaves it out
        exceptions = {
            (row.recurrence_of or row.starts_at)
            for row in session.scalars(
                select(SessionRow).where(SessionRow.recurring_meeting_id == meeting.id)
            )
        }
        length = timedelta(minutes=meeting.duration_minutes)
        for moment in occurrences:
            if moment in exceptions or not start <= moment < end:
                continue
            chip = Chip(
                key=f"meeting-{meeting.id}-{moment.isoformat()}",
                kind=SessionKind.REGULAR_MEETING,
                starts_at=moment.astimezone(TZ),
                ends_at=(moment + length).astimezone(TZ),
                room=meeting.room.name if meeting.room else None,
                case_numbers=(),
                people=tuple(p.name for p in meeting.members),
                proposed=False,
                title=meeting.title,
            )
            out.append((chip, list(meeting.members), meeting.room))
    return out


def week(
    session: Session,
    monday: date,
    by: str,
    *,
    proposal: AssignmentRun | None,
    calendar: WorkdayCalendar | None = None,
) -> Week:
    """The sessions of the week from ``monday`` (Mon–Fri, plus a weekend day that is a working
    day or holds a session), by ``person`` or by ``room``."""
    calendar = calendar or calendar_from_db(session)
    start = datetime.combine(monday, datetime.min.time(), TZ)
    end = start + timedelta(days=7)
    query = (
        select(SessionRow)
        .where(SessionRow.starts_at >= start, SessionRow.starts_at < end)
        .where(SessionRow.status != SessionStatus.CANCELLED)
        .options(
            selectinload(SessionRow.cases),
            selectinload(SessionRow.room),
            selectinload(SessionRow.participants).selectinload(SessionParticipant.person),
        )
        .order_by(SessionRow.starts_at, SessionRow.id)
    )
    if proposal is not None:
        query = query.where(SessionRow.is_published.is_(True) | (SessionRow.run_id == proposal.id))
    else:
        query = query.where(SessionRow.is_published.is_(True))
    entries: list[tuple[Chip, list[Person], Room | None]] = []
    for row in session.scalars(query):
        people = [p.person for p in row.participants]
        chip = Chip(
            key=f"session-{row.id}",
            kind=row.kind,
            starts_at=local(row.starts_at),
            ends_at=local(row.ends_at),
            room=row.room.name if row.room else None,
            case_numbers=tuple(c.case_number for c in row.cases),
            people=tuple(p.name for p in people),
            proposed=not row.is_published,
            title=row.title,
        )
        entries.append((chip, people, row.room))
    entries += _meeting_chips(session, start, end)
    entries.sort(key=lambda e: (e[0].starts_at, e[0].key))

    days = [monday + timedelta(days=i) for i in range(5)]
    for extra in (monday + timedelta(days=5), monday + timedelta(days=6)):
        busy = any(e[0].starts_at.date() == extra for e in entries)
        try:
            worked = calendar.is_workday(extra)
        except YearNotCovered:
            worked = False
        if busy or worked:
            days.append(extra)
    holidays: dict[date, str] = {}
    for day in days:
        try:
            name = calendar.holiday_name(day)
            if name is None and not calendar.is_workday(day):
                name = ""
        except YearNotCovered:
            continue
        if name is not None:
            holidays[day] = name
    column = {day: i for i, day in enumerate(days)}

    rows: dict[str, WeekRow] = {}
    if by == "room":
        for active in session.scalars(
            select(Room).where(Room.is_active.is_(True)).order_by(Room.id)
        ):
            rows[f"room-{active.id}"] = WeekRow(
                f"room-{active.id}", active.name, active.location, [[] for _ in days]
            )
    kinds: Counter[str] = Counter()
    proposed = 0
    for chip, people, room in entries:
        index = column.get(chip.starts_at.date())
        if index is None:
            continue
        kinds[chip.kind] += 1
        proposed += chip.proposed
        if by == "room":
            if room is None:
                continue
            key = f"room-{room.id}"
            if key not in rows:
                rows[key] = WeekRow(key, room.name, room.location, [[] for _ in days])
            rows[key].cells[index].append(chip)
        else:
            for person in people:
                key = f"person-{person.id}"
                if key not in rows:
                    rows[key] = WeekRow(key, person.name, person.roster_no, [[] for _ in days])
                rows[key].cells[index].append(chip)
    ordered = list(rows.values())
    if by != "room":
        ordered.sort(key=lambda r: r.detail)
    return Week(
        monday=monday,
        days=days,
        holidays=holidays,
        by=by,
        rows=ordered,
        proposal_run=proposal,
        kinds=kinds,
        proposed=proposed,
    )


# --- repairs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveView:
    session_id: int
    kind: str
    case_numbers: tuple[str, ...]
    people: tuple[str, ...]
    old_start: datetime
    old_end: datetime
    old_room: str | None
    new_start: datetime | None  # None: cancelled, no place found
    new_end: datetime | None
    new_room: str | None


@dataclass(frozen=True)
class RepairView:
    run: AssignmentRun
    person: Person | None
    leave: tuple[date, date] | None
    moves: list[MoveView]
    unscheduled: list[dict[str, Any]]
    affected: int

    @property
    def moved(self) -> int:
        return sum(m.new_start is not None for m in self.moves)

    @property
    def cancelled(self) -> int:
        return sum(m.new_start is None for m in self.moves)

    @property
    def publishable(self) -> bool:
        return self.run.status == RunStatus.SUCCEEDED and self.run.published_at is None


def repair_proposals(session: Session, limit: int = 20) -> list[RepairView]:
    runs = list(
        session.scalars(
            select(AssignmentRun)
            .where(AssignmentRun.kind == RunKind.REPAIR)
            .order_by(AssignmentRun.id.desc())
            .limit(limit)
        )
    )
    session_ids: set[int] = set()
    person_ids: set[int] = set()
    for run in runs:
        stats = run.stats or {}
        session_ids |= {int(m["session"]) for m in stats.get("moves", [])}
        if stats.get("person") is not None:
            person_ids.add(int(stats["person"]))
    rows = (
        {
            r.id: r
            for r in session.scalars(
                select(SessionRow)
                .where(SessionRow.id.in_(session_ids))
                .options(
                    selectinload(SessionRow.cases),
                    selectinload(SessionRow.participants).selectinload(SessionParticipant.person),
                )
            )
        }
        if session_ids
        else {}
    )
    rooms = {r.id: r.name for r in session.scalars(select(Room))}
    people = (
        {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
        if person_ids
        else {}
    )
    out = []
    for run in runs:
        stats = run.stats or {}
        moves = []
        for m in stats.get("moves", []):
            row = rows.get(int(m["session"]))
            old_start = local(datetime.fromisoformat(m["old_start"]))
            length = (row.ends_at - row.starts_at) if row is not None else timedelta(hours=1)
            new_start = (
                local(datetime.fromisoformat(m["new_start"])) if m.get("new_start") else None
            )
            moves.append(
                MoveView(
                    session_id=int(m["session"]),
                    kind=row.kind if row is not None else "",
                    case_numbers=tuple(c.case_number for c in row.cases) if row else (),
                    people=tuple(p.person.name for p in row.participants) if row else (),
                    old_start=old_start,
                    old_end=old_start + length,
                    old_room=rooms.get(int(m["old_room"])) if m.get("old_room") else None,
                    new_start=new_start,
                    new_end=new_start + length if new_start is not None else None,
                    new_room=rooms.get(int(m["new_room"])) if m.get("new_room") else None,
                )
            )
        moves.sort(key=lambda m: (m.old_start, m.session_id))
        numbers = {m.session_id: m.case_numbers for m in moves}
        unscheduled = [
            dict(u) | {"cases": list(numbers.get(_int_or(u.get("id")), ()))}
            for u in stats.get("unscheduled", [])
        ]
        leave = stats.get("leave")
        person_id = stats.get("person")
        out.append(
            RepairView(
                run=run,
                person=people.get(int(person_id)) if person_id is not None else None,
                leave=(date.fromisoformat(leave[0]), date.fromisoformat(leave[1]))
                if leave
                else None,
                moves=moves,
                unscheduled=unscheduled,
                affected=len(stats.get("affected", [])),
            )
        )
    return out


def _int_or(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# --- the progress chart -------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    objective: str  # SVG polyline points
    bound: str
    low: float
    high: float
    seconds: float


def progress_chart(
    points: Sequence[dict[str, Any]],
    *,
    time_limit: float = 0.0,
    width: int = 560,
    height: int = 160,
    pad: int = 8,
) -> Chart | None:
    """Objective and bound over time, scaled into a ``width`` × ``height`` box; the time axis
    spans the run's time limit, so the lines grow across it (the page's script redraws the
    same way as points arrive)."""
    usable = [p for p in points if p.get("objective") is not None]
    if not usable:
        return None
    values: list[float] = [float(p["objective"]) for p in usable]
    values += [float(p["bound"]) for p in usable if p.get("bound") is not None]
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1, low - 1
    span = max([time_limit, *(float(p.get("seconds", 0)) for p in usable)]) or 1.0

    def xy(seconds: float, value: float) -> str:
        x = pad + (width - 2 * pad) * seconds / span
        y = height - pad - (height - 2 * pad) * (value - low) / (high - low)
        return f"{x:.1f},{y:.1f}"

    def line(key: str) -> str:
        # A step line: a value holds until the next one replaces it.
        steps: list[str] = []
        previous: float | None = None
        for p in usable:
            if p.get(key) is None:
                continue
            seconds, value = float(p.get("seconds", 0)), float(p[key])
            if previous is not None:
                steps.append(xy(seconds, previous))
            steps.append(xy(seconds, value))
            previous = value
        if len(steps) == 1:
            steps.append(steps[0])  # drawn as a dot (round line caps)
        return " ".join(steps)

    return Chart(width, height, line("objective"), line("bound"), low, high, span)
