"""Leave on the published schedule: a repair proposal, then publishing it moves only what the
leave breaks and raises those sessions' SEQUENCE; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AssignmentRun, Booking, Leave
from models import Session as SessionRow
from models.vocabulary import CaseStatus, RunKind, RunStatus, SessionStatus
from scheduler.problem import TZ
from web import repairs
from web.workflow import Conflict, WorkflowError

TODAY = date(2026, 11, 20)


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY  # the demo center is in the database already
    return session


def _upcoming(demo: Session) -> SessionRow:
    rows = demo.scalars(
        select(SessionRow)
        .where(SessionRow.is_published.is_(True), SessionRow.status == SessionStatus.CONFIRMED)
        .order_by(SessionRow.starts_at)
    ).all()
    return next(r for r in rows if r.starts_at.astimezone(TZ).date() > TODAY and r.participants)


def test_leave_repair_moves_the_broken_sessions_and_bumps_their_sequence(demo: Session) -> None:
    row = _upcoming(demo)
    person = row.participants[0].person_id
    day = row.starts_at.astimezone(TZ).date()
    others = {
        r.id: (r.starts_at, r.room_id, r.sequence)
        for r in demo.scalars(select(SessionRow).where(SessionRow.is_published.is_(True)))
    }
    run = repairs.record_leave(demo, person, day, day, today=TODAY, reason="病假", time_limit=5)
    assert run.status == RunStatus.SUCCEEDED
    assert demo.scalars(select(Leave).where(Leave.person_id == person)).all()
    moves = {m["session"]: m for m in run.stats["moves"]}
    assert row.id in moves
    # Nothing moves before publishing.
    demo.expire_all()
    assert demo.get_one(SessionRow, row.id).starts_at == others[row.id][0]

    summary = repairs.publish_repair(demo, run.id)
    assert summary.detail["moved"] + summary.detail["cancelled"] == len(moves)
    demo.expire_all()
    again = demo.get_one(SessionRow, row.id)
    assert again.sequence == others[row.id][2] + 1
    if again.status != SessionStatus.CANCELLED:
        assert again.starts_at.astimezone(TZ).date() != day
        holds = demo.scalars(select(Booking).where(Booking.session_id == row.id)).all()
        assert {b.person_id for b in holds if b.person_id} == {
            p.person_id for p in again.participants
        }
    # Everything not moved stayed where it was, with its sequence.
    for sid, (start, room, seq) in others.items():
        if sid not in moves:
            r = demo.get_one(SessionRow, sid)
            assert (r.starts_at, r.room_id, r.sequence) == (start, room, seq)
    with pytest.raises(Conflict, match="already published"):
        repairs.publish_repair(demo, run.id)


def test_leave_needs_ordered_dates_and_a_known_person(demo: Session) -> None:
    row = _upcoming(demo)
    with pytest.raises(WorkflowError, match="ends_on"):
        repairs.record_leave(
            demo, row.participants[0].person_id, date(2026, 12, 3), date(2026, 12, 1), today=TODAY
        )
    with pytest.raises(WorkflowError, match="no person"):
        repairs.record_leave(demo, 999_999, TODAY, TODAY, today=TODAY)


def test_scheduling_while_a_repair_is_pending(demo: Session) -> None:
    """Leave recorded, its repair not yet published: the day's scheduling still succeeds, and
    the person on leave is booked for nothing that day."""
    from web import workflow

    row = _upcoming(demo)
    person = row.participants[0].person_id
    day = row.starts_at.astimezone(TZ).date()
    repairs.record_leave(demo, person, day, day, today=TODAY, reason="病假", time_limit=5)
    run = workflow.assign(demo, today=TODAY, time_limit=3)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=5)
    assert sched.status == RunStatus.SUCCEEDED, sched.error
    placed = demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id)).all()
    assert placed
    for s in placed:
        if s.starts_at.astimezone(TZ).date() == day:
            assert person not in {p.person_id for p in s.participants}


def _cancelling(demo: Session, *rows: SessionRow) -> AssignmentRun:
    """A repair run (as record_leave proposes them) that cancels ``rows``."""
    run = AssignmentRun(
        kind=RunKind.REPAIR,
        status=RunStatus.SUCCEEDED,
        stats={
            "moves": [
                {
                    "session": row.id,
                    "old_start": row.starts_at.isoformat(),
                    "new_start": None,
                    "new_room": None,
                }
                for row in rows
            ]
        },
    )
    demo.add(run)
    demo.commit()
    return run


def test_a_cancelled_conference_leaves_its_cases_scheduled(demo: Session) -> None:
    """Cancelling a case's own session sends it back to waiting for one; cancelling a case
    conference does not (it schedules none of its cases: the next run finds them without a
    conference instead)."""
    rows = demo.scalars(
        select(SessionRow)
        .where(SessionRow.is_published.is_(True), SessionRow.status == SessionStatus.CONFIRMED)
        .order_by(SessionRow.id)
    ).all()
    conference = next(r for r in rows if r.kind == "case_conference" and r.cases)
    own = next(
        r
        for r in rows
        if r.kind in ("mediation", "joint_mediation")
        and r.cases[0].status == CaseStatus.SCHEDULED
        and not set(r.cases) & set(conference.cases)
    )
    assert {c.status for c in conference.cases} == {CaseStatus.SCHEDULED}
    repairs.publish_repair(demo, _cancelling(demo, conference, own).id)
    demo.expire_all()
    assert demo.get_one(SessionRow, conference.id).status == SessionStatus.CANCELLED
    assert {c.status for c in demo.get_one(SessionRow, conference.id).cases} == {
        CaseStatus.SCHEDULED
    }
    assert demo.get_one(SessionRow, own.id).cases[0].status == CaseStatus.ASSIGNED
