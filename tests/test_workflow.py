"""The daily run on the demo center, on SQLite and PostgreSQL: assign → pin → re-run →
schedule → publish, a second publish refused, and a failed run that leaves nothing behind."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import Assignment, AssignmentRun, Case, Proposal
from models import Session as SessionRow
from models.vocabulary import CaseStatus, RunStatus
from scheduler.problem import TZ
from web import workflow
from web.demo import load_demo

TODAY = date(2026, 11, 20)  # a Friday; the 42-day horizon stops at the end of 2026


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session, today=TODAY, cases=150, people=80)
    session.commit()
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
