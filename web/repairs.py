"""Leave and the repair of the published schedule.

Recording a person's leave is a fact and is stored at once. It also starts a repair run (kind
``repair``): the published sessions still ahead go to :func:`scheduler.repair.repair` with their
published placements, so only the sessions the leave breaks move (plus at most a few others to
make room). Nothing changes on the calendar until the repair is published; then every moved
session gets its new time and room and a higher SEQUENCE (subscribed calendars update it), and a
session that found no place is cancelled, its case back to "assigned" for the coordinator.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from models import AssignmentRun, Booking, Leave, Person, Room
from models import Session as SessionRow
from models.calendar import SessionCase
from models.vocabulary import CaseStatus, RunKind, RunStatus, SessionStatus
from scheduler import problem as sp
from scheduler.repair import release_pins, repair
from scheduler.validate import validate

from .audit import record
from .holidays import calendar_from_db
from .workflow import (
    OWN_KINDS,
    Conflict,
    NotFound,
    RunSummary,
    WorkflowError,
    bookings_for,
    live_case_ids,
)

LATE_DEADLINE_DAYS = 14  # a session without a case (a training) may move this far


def _now() -> datetime:
    return datetime.now(UTC)


def record_leave(
    session: Session,
    person_id: int,
    starts_on: date,
    ends_on: date,
    *,
    today: date,
    reason: str | None = None,
    time_limit: float = 5.0,
    user_id: int | None = None,
) -> AssignmentRun:
    """Store the leave, then propose a repair of the published schedule (a run)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    if ends_on < starts_on:
        raise WorkflowError(f"ends_on: {ends_on} is before starts_on {starts_on}")
    leave = Leave(person_id=person_id, starts_on=starts_on, ends_on=ends_on, reason=reason)
    session.add(leave)
    session.flush()
    actor = f"user:{user_id}" if user_id is not None else "cli"
    record(
        session,
        "leave.record",
        actor=actor,
        user_id=user_id,
        object_type="person",
        object_id=person_id,
        new={"from": starts_on.isoformat(), "to": ends_on.isoformat(), "reason": reason},
    )
    run = AssignmentRun(kind=RunKind.REPAIR, status=RunStatus.RUNNING, started_at=_now())
    run.created_by_id = user_id
    session.add(run)
    session.commit()
    run_id = run.id
    try:
        problem = _published_problem(session, today)
        result = repair(problem, time_limit=time_limit)
        violations = validate(release_pins(problem, result), result)
        if violations:
            raise RuntimeError(f"the repair broke {len(violations)} hard rules: {violations[0]}")
        run.stats = {
            "person": person_id,
            "leave": [starts_on.isoformat(), ends_on.isoformat()],
            "affected": [int(s) for s in result.stats.get("affected", ())],
            "moves": [
                {
                    "session": int(m.session),
                    "old_start": m.old_start.isoformat(),
                    "old_room": int(m.old_room),
                    "new_start": None if m.new_start is None else m.new_start.isoformat(),
                    "new_room": None if m.new_room is None else int(m.new_room),
                }
                for m in result.moved
            ],
            "unscheduled": [u.as_json() for u in result.unscheduled],
            "seconds": round(result.seconds, 3),
        }
        run.status = RunStatus.SUCCEEDED
        run.finished_at = _now()
        record(
            session,
            "run.repair",
            actor=actor,
            user_id=user_id,
            object_type="assignment_run",
            object_id=run.id,
            new={"moves": len(run.stats["moves"])},
        )
        session.commit()
    except Exception as error:
        session.rollback()
        failed = session.get_one(AssignmentRun, run_id)
        failed.status = RunStatus.FAILED
        failed.finished_at = _now()
        failed.error = str(error)[:2000]
        session.commit()
        raise
    return run


def _published_problem(session: Session, today: date) -> sp.SchedulingProblem:
    """The published sessions from tomorrow on, each with its published placement (today's
    are under way or too close to move; moves go to tomorrow or later)."""
    tomorrow = today + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), sp.TZ)
    rows = list(
        session.scalars(
            select(SessionRow)
            .where(SessionRow.is_published.is_(True))
            .where(SessionRow.status != SessionStatus.CANCELLED)
            .where(SessionRow.starts_at >= start)
            .where(SessionRow.room_id.is_not(None))
            .options(selectinload(SessionRow.participants), selectinload(SessionRow.cases))
        )
    )
    calendar = calendar_from_db(session)
    last = max([r.starts_at.astimezone(sp.TZ).date() for r in rows] + [today])
    horizon_end = last + timedelta(days=LATE_DEADLINE_DAYS)
    while not calendar.covers(horizon_end.year):
        horizon_end = date(horizon_end.year - 1, 12, 31)
    sessions = []
    people_ids: set[int] = set()
    for row in rows:
        begin = row.starts_at.astimezone(sp.TZ)
        if begin.date() > horizon_end:
            continue
        deadlines = [c.deadline_on for c in row.cases if c.deadline_on is not None]
        deadline = min(deadlines) if deadlines else begin.date() + timedelta(LATE_DEADLINE_DAYS)
        participants = tuple(str(p.person_id) for p in row.participants)
        people_ids |= {p.person_id for p in row.participants}
        sessions.append(
            sp.Session(
                id=str(row.id),
                kind=row.kind,
                cases=tuple(c.case_number for c in row.cases),
                duration=int((row.ends_at - row.starts_at).total_seconds() // 60),
                participants=participants,
                deadline=max(min(deadline, horizon_end), begin.date()),
                earliest=tomorrow,
                published=sp.Placement(begin, str(row.room_id)),
            )
        )
    people = session.scalars(
        select(Person)
        .where(Person.id.in_(people_ids))
        .options(selectinload(Person.availability), selectinload(Person.leaves))
    )
    rooms = session.scalars(select(Room).where(Room.is_active.is_(True)).order_by(Room.id))
    return sp.SchedulingProblem(
        settings=sp.Settings(
            today=today,
            horizon_days=(horizon_end - today).days + 1,
            notice_days=0,
            year_schedules=calendar.schedules,
        ),
        rooms=tuple(
            sp.Room(
                id=str(r.id),
                name=r.name,
                capacity=r.capacity if not r.is_online else 1000,
                equipment=frozenset(r.equipment or ()),
                location=r.location,
                online=r.is_online,
            )
            for r in rooms
        ),
        people=tuple(
            sp.Person(
                id=str(p.id),
                name=p.name,
                availability=tuple(
                    sp.Availability(a.weekday, a.start_minute, a.end_minute) for a in p.availability
                ),
                leave=tuple((lv.starts_on, lv.ends_on) for lv in p.leaves),
            )
            for p in people
        ),
        sessions=tuple(sessions),
    )


def _waiting_again(session: Session, row: SessionRow) -> None:
    """A cancelled session's cases wait for a session again (the next schedule run places them:
    workflow.carried_over), unless another session of their own still holds them. A cancelled
    conference changes no case's status: it schedules none (the next run finds the major cases
    without one: workflow.conference_pending)."""
    if row.kind not in OWN_KINDS:
        return
    session.flush()  # the cancellation, for the query
    held = set(
        session.scalars(
            live_case_ids(OWN_KINDS).where(SessionCase.case_id.in_([c.id for c in row.cases]))
        )
    )
    for case in row.cases:
        if case.status == CaseStatus.SCHEDULED and case.id not in held:
            case.status = CaseStatus.ASSIGNED


def publish_repair(session: Session, run_id: int, *, user_id: int | None = None) -> RunSummary:
    """Apply a repair run's moves, all or nothing; moved sessions get a higher SEQUENCE."""
    run = session.get(AssignmentRun, run_id)
    if run is None or run.kind != RunKind.REPAIR:
        raise NotFound(f"no repair run {run_id}")
    if run.published_at is not None:
        raise Conflict(f"repair run {run_id} was already published ({run.published_at})")
    if run.status != RunStatus.SUCCEEDED:
        raise Conflict(f"repair run {run_id} is {run.status}, not succeeded")
    cas = session.execute(
        update(AssignmentRun)
        .where(AssignmentRun.id == run_id, AssignmentRun.published_at.is_(None))
        .values(published_at=_now(), status=RunStatus.PUBLISHED)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], cas).rowcount != 1:
        session.rollback()
        raise Conflict(f"repair run {run_id} was already published")
    moved = cancelled = 0
    try:
        for move in run.stats.get("moves", []):
            row = session.get_one(SessionRow, move["session"])
            if row.starts_at != datetime.fromisoformat(move["old_start"]):
                raise Conflict(f"session {row.id} changed since the repair was proposed")
            session.execute(delete(Booking).where(Booking.session_id == row.id))
            row.sequence += 1
            if move["new_start"] is None:
                row.status = SessionStatus.CANCELLED
                _waiting_again(session, row)
                cancelled += 1
                continue
            length = row.ends_at - row.starts_at
            row.starts_at = datetime.fromisoformat(move["new_start"])
            row.ends_at = row.starts_at + length
            row.room = session.get_one(Room, move["new_room"])
            session.flush()
            session.add_all(bookings_for(row))
            moved += 1
        record(
            session,
            "run.publish_repair",
            actor=f"user:{user_id}" if user_id is not None else "cli",
            user_id=user_id,
            object_type="assignment_run",
            object_id=run_id,
            new={"moved": moved, "cancelled": cancelled},
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"repair run {run_id} was not published: a person or a room would be double-booked "
            f"by a change published meanwhile; record the leave again to repair afresh"
        ) from None
    except Exception:
        session.rollback()
        raise
    return RunSummary(run_id, RunStatus.PUBLISHED, {"moved": moved, "cancelled": cancelled})
