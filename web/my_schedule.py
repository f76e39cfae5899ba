"""A mediator's or expert's own work (read only): their cases with the published team, their
published sessions in a period (the weekly 例会 included when they are a member), their leave.

Only what the person takes part in is read: every query is bounded by their person id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Assignment,
    Case,
    Court,
    Leave,
    Person,
    RecurringMeeting,
    RecurringMeetingMember,
    Room,
    SessionCase,
    SessionParticipant,
)
from models import Session as SessionRow
from models.vocabulary import OPEN_CASE_STATUSES, SessionKind, SessionStatus

TZ = ZoneInfo("Asia/Shanghai")


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


@dataclass(frozen=True)
class MyCase:
    case_id: int
    case_number: str
    court: str
    cause: str
    category: str
    role: str  # the person's role on the team
    presiding: bool  # whether the person presides
    presiding_name: str | None  # who presides
    status: str
    deadline_on: date | None


def my_cases(session: Session, person_id: int, *, include_closed: bool = False) -> list[MyCase]:
    """The cases whose published team has the person, the nearest deadline first."""
    query = (
        select(Assignment, Case, Court.short_name)
        .join(Case, Case.id == Assignment.case_id)
        .join(Court, Court.id == Case.court_id)
        .where(Assignment.person_id == person_id)
    )
    if not include_closed:
        query = query.where(Case.status.in_([s.value for s in OPEN_CASE_STATUSES]))
    rows = session.execute(query).all()
    case_ids = [case.id for _, case, _ in rows]
    presiding: dict[int, str] = {}
    if case_ids:
        for case_id, name in session.execute(
            select(Assignment.case_id, Person.name)
            .join(Person, Person.id == Assignment.person_id)
            .where(Assignment.case_id.in_(case_ids), Assignment.is_presiding.is_(True))
        ):
            presiding[case_id] = name
    out = [
        MyCase(
            case_id=case.id,
            case_number=case.case_number,
            court=court,
            cause=case.cause_text,
            category=case.category,
            role=a.role,
            presiding=a.is_presiding,
            presiding_name=presiding.get(case.id),
            status=case.status,
            deadline_on=case.deadline_on,
        )
        for a, case, court in rows
    ]
    return sorted(out, key=lambda c: (c.deadline_on or date.max, c.case_number))


@dataclass(frozen=True)
class MySession:
    key: str  # unique on the page: "session-<id>" or "meeting-<id>-<start>"
    kind: str
    status: str
    title: str
    starts_at: datetime
    ends_at: datetime
    role: str  # the person's role in it
    case_numbers: tuple[str, ...]
    room: str | None
    address: str | None
    online: bool

    @property
    def day(self) -> date:
        return self.starts_at.astimezone(TZ).date()


def _place(room: Room | None) -> tuple[str | None, str | None, bool]:
    if room is None:
        return None, None, False
    if room.is_online:
        return room.name, None, True
    return room.name, room.address or room.location, False


def my_sessions(
    session: Session,
    person_id: int,
    start: date,
    end: date,
    *,
    include_cancelled: bool = True,
) -> list[MySession]:
    """The person's published sessions starting on ``start`` … ``end`` (local days), and the
    occurrences of the published meetings they are a member of, by start time."""
    lo, hi = _utc_midnight(start), _utc_midnight(end + timedelta(days=1))
    query = (
        select(SessionRow, SessionParticipant.role)
        .join(SessionParticipant, SessionParticipant.session_id == SessionRow.id)
        .where(SessionParticipant.person_id == person_id)
        .where(SessionRow.is_published.is_(True), SessionRow.recurring_meeting_id.is_(None))
        .where(SessionRow.starts_at >= lo, SessionRow.starts_at < hi)
    )
    if not include_cancelled:
        query = query.where(SessionRow.status != SessionStatus.CANCELLED)
    rows = session.execute(query).all()
    ids = [row.id for row, _ in rows]
    numbers: dict[int, list[str]] = defaultdict(list)
    if ids:
        for session_id, number in session.execute(
            select(SessionCase.session_id, Case.case_number)
            .join(Case, Case.id == SessionCase.case_id)
            .where(SessionCase.session_id.in_(ids))
            .order_by(Case.case_number)
        ):
            numbers[session_id].append(number)
    rooms = {r.id: r for r in session.scalars(select(Room))}
    out = []
    for row, role in rows:
        name, address, online = _place(rooms.get(row.room_id) if row.room_id else None)
        out.append(
            MySession(
                key=f"session-{row.id}",
                kind=row.kind,
                status=row.status,
                title=row.title,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                role=role,
                case_numbers=tuple(numbers.get(row.id, ())),
                room=name,
                address=address,
                online=online,
            )
        )
    out += _meeting_occurrences(session, person_id, lo, hi, rooms, include_cancelled)
    return sorted(out, key=lambda s: (s.starts_at, s.key))


def _meeting_occurrences(
    session: Session,
    person_id: int,
    lo: datetime,
    hi: datetime,
    rooms: dict[int, Room],
    include_cancelled: bool,
) -> list[MySession]:
    """Occurrences in [lo, hi) of the published meetings the person is a member of: each from
    the meeting's RRULE in its own time zone, with a moved or cancelled occurrence (a session
    row of the meeting, keyed by its original start) in its place."""
    meetings = session.scalars(
        select(RecurringMeeting)
        .join(RecurringMeetingMember, RecurringMeetingMember.meeting_id == RecurringMeeting.id)
        .where(RecurringMeetingMember.person_id == person_id)
        .where(RecurringMeeting.is_published.is_(True))
    ).all()
    out: list[MySession] = []
    for meeting in meetings:
        zone = ZoneInfo(meeting.timezone)
        length = timedelta(minutes=meeting.duration_minutes)
        rule_text = meeting.rrule.strip().removeprefix("RRULE:")
        start = meeting.starts_at.astimezone(zone)
        try:
            rule = rrulestr(rule_text, dtstart=start)
            starts = rule.between(lo - timedelta(days=1), hi + timedelta(days=1), inc=True)
        except ValueError:
            continue  # a rule the feed can show but this list cannot expand: leave it out
        exceptions = {
            (row.recurrence_of or row.starts_at): row
            for row in session.scalars(
                select(SessionRow).where(
                    SessionRow.recurring_meeting_id == meeting.id,
                    SessionRow.is_published.is_(True),
                )
            )
        }
        for moment in starts:
            original = moment.astimezone(UTC)
            row = exceptions.get(original)
            status = SessionStatus.CONFIRMED.value
            begin, finish, room_id = original, original + length, meeting.room_id
            if row is not None:
                status, begin, finish = row.status, row.starts_at, row.ends_at
                room_id = row.room_id or meeting.room_id
            if not lo <= begin < hi:
                continue
            if status == SessionStatus.CANCELLED and not include_cancelled:
                continue
            name, address, online = _place(rooms.get(room_id) if room_id else None)
            out.append(
                MySession(
                    key=f"meeting-{meeting.id}-{original:%Y%m%d%H%M}",
                    kind=SessionKind.REGULAR_MEETING.value,
                    status=status,
                    title=meeting.title,
                    starts_at=begin,
                    ends_at=finish,
                    role="member",
                    case_numbers=(),
                    room=name,
                    address=address,
                    online=online,
                )
            )
    return out


def my_leaves(session: Session, person_id: int, *, since: date) -> list[Leave]:
    """The person's leave that ends on or after ``since``, the earliest first."""
    return list(
        session.scalars(
            select(Leave)
            .where(Leave.person_id == person_id, Leave.ends_on >= since)
            .order_by(Leave.starts_on, Leave.id)
        )
    )
