"""The daily run on the demo center, on SQLite and PostgreSQL: assign → pin → re-run →
schedule → publish, a second publish refused, and a failed run that leaves nothing behind."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from factories import recused_replacement
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Assignment,
    AssignmentRun,
    AuditEntry,
    Booking,
    Case,
    Person,
    Proposal,
    Waiver,
)
from models import Session as SessionRow
from models.vocabulary import CaseStatus, RunStatus, SessionStatus
from scheduler.problem import TZ
from web import workflow

TODAY = date(2026, 11, 20)  # a Friday; the 42-day horizon stops at the end of 2026


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY  # the demo center is in the database already
    return session


def test_assign_pin_rerun_schedule_publish(demo: Session) -> None:
    run = workflow.assign(demo, today=TODAY, time_limit=3)
    assert run.status == RunStatus.SUCCEEDED
    proposals = demo.scalars(select(Proposal).where(Proposal.run_id == run.id)).all()
    assert proposals and run.stats["staffed"] > 0
    assert all(p.explanation.get("score") for p in proposals)
    assert run.weights_snapshot and run.progress

    # Pin one team member, re-run: the pin holds and the new run points at its parent.
    pinned = proposals[0]
    pinned.is_pinned = True
    demo.commit()
    again = workflow.assign(demo, today=TODAY, time_limit=3, parent_run_id=run.id)
    kept = demo.scalars(
        select(Proposal).where(
            Proposal.run_id == again.id,
            Proposal.case_id == pinned.case_id,
            Proposal.person_id == pinned.person_id,
        )
    ).one()
    assert kept.is_pinned and kept.role == pinned.role
    assert again.parent_run_id == run.id

    sched = workflow.schedule(demo, again.id, today=TODAY, time_limit=5)
    assert sched.status == RunStatus.SUCCEEDED
    rows = demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id)).all()
    assert rows and not any(r.is_published for r in rows)
    for row in rows:
        start = row.starts_at.astimezone(TZ)
        assert start.date() <= min(c.deadline_on for c in row.cases if c.deadline_on)

    summary = workflow.publish(demo, again.id)
    assert summary.detail["sessions"] == len(rows)
    demo.expire_all()
    assert all(
        r.is_published
        for r in demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id))
    )
    staffed = {p.case_id for p in demo.scalars(select(Proposal).where(Proposal.run_id == again.id))}
    statuses = {demo.get_one(Case, cid).status for cid in staffed}
    assert statuses <= {CaseStatus.ASSIGNED, CaseStatus.SCHEDULED}
    assert demo.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.run_id == again.id)
    ) == len(demo.scalars(select(Proposal).where(Proposal.run_id == again.id)).all())
    with pytest.raises(workflow.Conflict, match="already published"):
        workflow.publish(demo, again.id)


def test_two_publishers_at_once_one_wins(demo: Session, engine: Engine) -> None:
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def publisher() -> None:
        with Session(engine, expire_on_commit=False) as own:
            barrier.wait()
            try:
                workflow.publish(own, run.id)
                outcomes.append("published")
            except workflow.Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=publisher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "published"]
    count = demo.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.run_id == run.id)
    )
    assert count == len(demo.scalars(select(Proposal).where(Proposal.run_id == run.id)).all())


def test_a_failed_run_leaves_no_partial_state(
    demo: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(workflow, "solve_matching", broken)
    with pytest.raises(RuntimeError, match="solver crashed"):
        workflow.assign(demo, today=TODAY, time_limit=1)
    run = demo.scalars(select(AssignmentRun).order_by(AssignmentRun.id.desc())).first()
    assert run is not None and run.status == RunStatus.FAILED
    assert "solver crashed" in (run.error or "")
    assert demo.scalars(select(Proposal).where(Proposal.run_id == run.id)).all() == []
    with pytest.raises(workflow.Conflict, match="failed"):
        workflow.schedule(demo, run.id, today=TODAY)
    with pytest.raises(workflow.Conflict, match="failed"):
        workflow.publish(demo, run.id)


def test_unknown_run_is_not_found(demo: Session) -> None:
    with pytest.raises(workflow.NotFound):
        workflow.publish(demo, 999_999)


def _ineligible_for(demo: Session, proposal: Proposal) -> Person:
    """An active mediator without the case's category among their specialties."""
    case = demo.get_one(Case, proposal.case_id)
    for person in demo.scalars(select(Person).where(Person.is_active.is_(True))):
        if person.is_mediator and case.category not in {s.category for s in person.specialties}:
            return person
    raise AssertionError("the demo has no ineligible mediator")


def test_override_is_checked_against_the_hard_rules(demo: Session) -> None:
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    proposal = next(
        p
        for p in demo.scalars(select(Proposal).where(Proposal.run_id == run.id))
        if p.role == "mediator"
    )
    outsider = _ineligible_for(demo, proposal)
    with pytest.raises(workflow.RuleBroken) as broken:
        workflow.override(demo, proposal.id, outsider.id, reason="当事人要求", today=TODAY)
    assert broken.value.rule == "eligibility"
    with pytest.raises(workflow.WorkflowError, match="reason"):
        workflow.override(demo, proposal.id, outsider.id, reason="  ", today=TODAY)
    demo.refresh(proposal)
    assert proposal.person_id != outsider.id  # nothing changed


def test_recused_override_needs_a_waiver(demo: Session) -> None:
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    # A mediator recused from a proposed case only by an affiliation with a party.
    found = recused_replacement(demo, run, TODAY)
    if found is None:
        pytest.skip("no recused but otherwise eligible mediator in this demo")
    proposal, person = found
    with pytest.raises(workflow.RuleBroken) as broken:
        workflow.override(demo, proposal.id, int(person.id), reason="双方同意", today=TODAY)
    assert broken.value.rule == "recusal"
    assert "waiver" in str(broken.value)
    demo.add(
        Waiver(
            case_id=proposal.case_id,
            person_id=int(person.id),
            ground="affiliation",
            plaintiff_consent_on=TODAY,
            defendant_consent_on=TODAY,
        )
    )
    demo.commit()
    done = workflow.override(demo, proposal.id, int(person.id), reason="双方同意", today=TODAY)
    assert done.person_id == int(person.id) and done.is_pinned
    assert done.override_reason == "双方同意"
    audit = demo.scalars(select(AuditEntry).where(AuditEntry.action == "proposal.override")).all()
    assert audit and audit[-1].new["person"] == int(person.id)


def test_pin_needs_a_reason_and_is_audited(demo: Session) -> None:
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    proposal = demo.scalars(select(Proposal).where(Proposal.run_id == run.id)).first()
    assert proposal is not None
    with pytest.raises(workflow.WorkflowError, match="reason"):
        workflow.pin(demo, proposal.id, reason="")
    workflow.pin(demo, proposal.id, reason="专业对口")
    assert proposal.is_pinned
    entry = demo.scalars(select(AuditEntry).where(AuditEntry.action == "proposal.pin")).one()
    assert entry.new == {"pinned": True, "reason": "专业对口"}


def test_the_database_refuses_double_booking(demo: Session) -> None:
    row = demo.scalars(select(SessionRow).where(SessionRow.is_published.is_(True))).first()
    assert row is not None and row.participants
    person = row.participants[0].person_id
    assert demo.scalars(select(Booking).where(Booking.session_id == row.id)).all()
    demo.add(
        Booking(session_id=row.id, person_id=person, starts_at=row.starts_at, ends_at=row.ends_at)
    )
    with pytest.raises(IntegrityError):
        demo.commit()
    demo.rollback()
    # Back to back is fine.
    demo.add(
        Booking(
            session_id=row.id,
            person_id=person,
            starts_at=row.ends_at,
            ends_at=row.ends_at + (row.ends_at - row.starts_at),
        )
    )
    demo.commit()


def test_publish_refuses_a_schedule_that_would_double_book(demo: Session) -> None:
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=3)
    row = demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id)).first()
    assert row is not None
    # Meanwhile another process published something for this person at the same time.
    other = demo.scalars(select(SessionRow).where(SessionRow.is_published.is_(True))).first()
    assert other is not None
    demo.add(
        Booking(
            session_id=other.id,
            person_id=row.participants[0].person_id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
        )
    )
    demo.commit()
    with pytest.raises(workflow.Conflict, match="double-booked"):
        workflow.publish(demo, run.id)
    _nothing_published(demo, run, sched)


def test_major_cases_get_a_case_conference(demo: Session) -> None:
    """Each major case of the run is discussed at a complex-case conference with its presiding
    mediator, a leader of the center and its court's liaison judge; one conference takes up to
    four cases."""
    from models import SessionParticipant
    from models.vocabulary import Complexity

    run = workflow.assign(demo, today=TODAY, time_limit=3)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=5)
    majors = {
        p.case_id
        for p in demo.scalars(select(Proposal).where(Proposal.run_id == run.id))
        if p.case.complexity == Complexity.MAJOR and p.case.deadline_on is not None
    }
    assert majors, "the demo has major cases"
    conferences = demo.scalars(
        select(SessionRow).where(
            SessionRow.run_id == sched.id, SessionRow.kind == "case_conference"
        )
    ).all()
    covered = {c.id for row in conferences for c in row.cases}
    unscheduled = {number for u in sched.stats["unscheduled"] for number in u.get("cases", [])}
    assert majors <= covered | {
        c.id for c in demo.scalars(select(Case).where(Case.case_number.in_(unscheduled)))
    }
    for row in conferences:
        assert 1 <= len(row.cases) <= workflow.CONFERENCE_CASES
        assert (row.ends_at - row.starts_at).total_seconds() % 1800 == 0  # the 30-minute grid
        roles = {
            p.role
            for p in demo.scalars(
                select(SessionParticipant).where(SessionParticipant.session_id == row.id)
            )
        }
        assert {"mediator", "leader"} <= roles
        assert row.title == "疑难复杂案件会商"
        for case in row.cases:
            presiding = demo.scalars(
                select(Proposal).where(
                    Proposal.run_id == run.id,
                    Proposal.case_id == case.id,
                    Proposal.is_presiding.is_(True),
                )
            ).first()
            assert presiding is not None
            assert presiding.person_id in {p.person_id for p in row.participants}


def test_cases_still_waiting_for_a_session_are_scheduled_again(demo: Session) -> None:
    """A case assigned on an earlier day without a session (no common time was found then, or
    a repair cancelled its session) is placed again by the next schedule run, with its
    published team, and publishing that run schedules it."""
    waiting = workflow.carried_over(demo, TODAY)
    assert len(waiting) >= 3  # the demo center's ongoing cases include some
    # One more: a published session is cancelled, its case goes back to waiting.
    row = demo.scalars(
        select(SessionRow)
        .where(SessionRow.is_published.is_(True), SessionRow.kind == "mediation")
        .where(SessionRow.status == SessionStatus.CONFIRMED)
        .where(SessionRow.starts_at >= _midnight(TODAY))
        .order_by(SessionRow.id)
    ).first()
    assert row is not None
    (case,) = row.cases
    row.status = SessionStatus.CANCELLED
    case.status = CaseStatus.ASSIGNED
    # A schedule run that was never published left a proposed session for it: that holds
    # nothing.
    demo.add(
        SessionRow(
            uid="session-abandoned",
            kind=row.kind,
            status=SessionStatus.TENTATIVE,
            title=row.title,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            cases=[case],
        )
    )
    demo.commit()
    waiting = workflow.carried_over(demo, TODAY)
    assert case.id in {c.id for c, _ in waiting}
    past = [c for c, _ in waiting if c.deadline_on is not None and c.deadline_on < TODAY]
    assert not past  # a deadline already gone is for the coordinator, not the scheduler

    run = workflow.assign(demo, today=TODAY, time_limit=2)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=5)
    rows = demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id)).all()
    placed = {c.id: r for r in rows for c in r.cases}
    unplaced = {n for u in sched.stats["unscheduled"] for n in u["cases"]}
    for waiting_case, team in waiting:
        assert waiting_case.id in placed or waiting_case.case_number in unplaced
        if waiting_case.id in placed:
            session_row = placed[waiting_case.id]
            people = {p.person_id for p in session_row.participants}
            assert {a.person_id for a in team} <= people  # its team, and no one else's
            assert session_row.starts_at.astimezone(TZ).date() <= waiting_case.deadline_on
    assert case.id in placed

    workflow.publish(demo, run.id)
    demo.expire_all()
    for waiting_case, _ in waiting:
        if waiting_case.id in placed:
            assert demo.get_one(Case, waiting_case.id).status == CaseStatus.SCHEDULED
    left = {c.case_number for c, _ in workflow.carried_over(demo, TODAY)}
    assert left <= unplaced  # still waiting: only those the run could not place


def test_a_waiting_case_scheduled_meanwhile_stops_the_publish(demo: Session) -> None:
    (case, _), *_ = workflow.carried_over(demo, TODAY)
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=3)
    rows = demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id)).all()
    assert case.id in {c.id for r in rows for c in r.cases}
    demo.get_one(Case, case.id).status = CaseStatus.SCHEDULED  # by someone else, meanwhile
    demo.commit()
    with pytest.raises(workflow.Conflict, match="out of date"):
        workflow.publish(demo, run.id)
    _nothing_published(demo, run, sched)


def _nothing_published(demo: Session, run: AssignmentRun, sched: AssignmentRun) -> None:
    demo.expire_all()
    assert demo.get_one(AssignmentRun, run.id).published_at is None
    assert not demo.scalars(select(Assignment).where(Assignment.run_id == run.id)).all()
    assert not any(
        r.is_published
        for r in demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id))
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), TZ).astimezone(UTC)


# --- case conferences and the cases' own sessions -------------------------------------------------


def _live_conference_case(demo: Session) -> tuple[Case, SessionRow, SessionRow]:
    """A major case of the demo with a published conference and a published joint session of
    its own, both ahead."""
    rows = demo.scalars(
        select(SessionRow)
        .where(SessionRow.is_published.is_(True), SessionRow.status == SessionStatus.CONFIRMED)
        .where(SessionRow.starts_at >= _midnight(TODAY + timedelta(days=1)))
        .order_by(SessionRow.id)
    ).all()
    conference_of = {c.id: r for r in rows if r.kind == "case_conference" for c in r.cases}
    for row in rows:
        if row.kind == "joint_mediation" and len(row.cases) == 1:
            (case,) = row.cases
            if case.id in conference_of and case.deadline_on and case.deadline_on > TODAY:
                return case, row, conference_of[case.id]
    raise AssertionError("the demo center has a major case with a conference ahead")


def _cancel(demo: Session, row: SessionRow) -> None:
    """As a published repair cancels a session: it frees its people and room."""
    row.status = SessionStatus.CANCELLED
    for booking in demo.scalars(select(Booking).where(Booking.session_id == row.id)):
        demo.delete(booking)


def _waiting_for(demo: Session, case: Case) -> set[str]:
    """What a case of an earlier day waits for: a session of its own, a conference."""
    found = set()
    if case.id in {c.id for c, _ in workflow.carried_over(demo, TODAY)}:
        found.add("session")
    if case.id in {c.id for c, _ in workflow.conference_pending(demo, TODAY)}:
        found.add("conference")
    return found


def _schedule_again(
    demo: Session, case: Case
) -> tuple[AssignmentRun, AssignmentRun, list[SessionRow]]:
    """The next day's assignment and schedule runs, and the sessions this one placed for
    ``case``."""
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=5)
    rows = demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id)).all()
    return run, sched, [r for r in rows if case.id in {c.id for c in r.cases}]


def test_a_conference_does_not_hold_a_case_that_lost_its_own_session(demo: Session) -> None:
    """A major case whose joint session was cancelled waits for a session again, although its
    case conference still stands: the conference mediates nothing. The next run places its
    own session and no second conference."""
    case, joint, _conference = _live_conference_case(demo)
    _cancel(demo, joint)
    case.status = CaseStatus.ASSIGNED
    demo.commit()
    assert _waiting_for(demo, case) == {"session"}
    run, _, mine = _schedule_again(demo, case)
    assert [r.kind for r in mine] == ["joint_mediation"]
    workflow.publish(demo, run.id)
    demo.expire_all()
    assert demo.get_one(Case, case.id).status == CaseStatus.SCHEDULED


def test_a_major_case_without_a_conference_gets_one_and_stays_scheduled(demo: Session) -> None:
    """A major case whose conference was cancelled (its own session stands) joins the next
    run's conferences with its presiding mediator; publishing leaves it scheduled."""
    case, _joint, conference = _live_conference_case(demo)
    _cancel(demo, conference)
    demo.commit()
    assert _waiting_for(demo, case) == {"conference"}
    run, _, mine = _schedule_again(demo, case)
    assert [r.kind for r in mine] == ["case_conference"]
    presiding = demo.scalars(
        select(Assignment).where(Assignment.case_id == case.id, Assignment.is_presiding)
    ).one()
    assert presiding.person_id in {p.person_id for p in mine[0].participants}
    assert mine[0].starts_at.astimezone(TZ).date() <= case.deadline_on
    workflow.publish(demo, run.id)
    demo.expire_all()
    assert demo.get_one(Case, case.id).status == CaseStatus.SCHEDULED
    assert _waiting_for(demo, case) == set()


def test_a_conference_alone_does_not_schedule_a_case(demo: Session) -> None:
    """A major case of the run whose conference was placed but not its joint session (no
    common time for it) is published as assigned, and the next run places its session."""
    from models.vocabulary import Complexity

    run = workflow.assign(demo, today=TODAY, time_limit=3)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=5)
    rows = demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id)).all()
    conferenced = {c.id for r in rows if r.kind == "case_conference" for c in r.cases}
    joint = next(
        r
        for r in rows
        if r.kind == "joint_mediation"
        and r.cases[0].complexity == Complexity.MAJOR
        and r.cases[0].id in conferenced
    )
    (case,) = joint.cases
    demo.delete(joint)  # as if the scheduler had found no time for it
    demo.commit()
    workflow.publish(demo, run.id)
    demo.expire_all()
    assert demo.get_one(Case, case.id).status == CaseStatus.ASSIGNED
    assert case.id in {c.id for c, _ in workflow.carried_over(demo, TODAY)}


def test_a_case_given_a_conference_meanwhile_stops_the_publish(demo: Session) -> None:
    case, _, conference = _live_conference_case(demo)
    _cancel(demo, conference)
    demo.commit()
    run, sched, mine = _schedule_again(demo, case)
    assert [r.kind for r in mine] == ["case_conference"]
    # Meanwhile someone else gives it a conference.
    demo.add(
        SessionRow(
            uid="session-conference-meanwhile",
            kind="case_conference",
            status=SessionStatus.CONFIRMED,
            is_published=True,
            title="疑难复杂案件会商",
            starts_at=conference.starts_at,
            ends_at=conference.ends_at,
            cases=[case],
        )
    )
    demo.commit()
    own = set(demo.scalars(select(Proposal.case_id).where(Proposal.run_id == run.id)))
    assert workflow.no_longer_waiting(demo, sched.id, own) == [
        (case.case_number, "has a case conference")
    ]
    with pytest.raises(
        workflow.Conflict, match=re.escape(f"{case.case_number} has a case conference")
    ):
        workflow.publish(demo, run.id)
    _nothing_published(demo, run, sched)
