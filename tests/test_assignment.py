"""The day's MatchingProblem built from the database (web/assignment.py), on the demo center."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.solve import solve
from matcher.validate import validate
from models import Case, Leave, Person
from models.vocabulary import CaseStatus
from web.assignment import build_day_problem
from web.demo import load_demo

TODAY = date(2026, 11, 20)


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session, today=TODAY)
    session.commit()
    return session


def test_problem_holds_the_received_cases_and_the_active_roster(demo: Session) -> None:
    day = build_day_problem(demo, today=TODAY)
    received = demo.scalars(select(Case).where(Case.status == CaseStatus.RECEIVED)).all()
    assert {c.id for c in day.problem.cases} == {str(c.id) for c in received}
    active = demo.scalars(select(Person).where(Person.is_active.is_(True))).all()
    roster = {str(p.id) for p in active if p.is_mediator or p.is_expert}
    assert {p.id for p in day.problem.people} == roster
    # Ongoing teams count against capacity.
    assert sum(p.active_cases for p in day.problem.people) > 0


def test_leave_and_holidays_leave_no_free_time(demo: Session) -> None:
    leave = demo.scalars(select(Leave).where(Leave.starts_on >= TODAY)).first()
    assert leave is not None
    day = build_day_problem(demo, today=TODAY)
    person = next(p for p in day.problem.people if p.id == str(leave.person_id))
    offset = (leave.starts_on - TODAY).days
    if offset < len(person.free_minutes):
        assert person.free_minutes[offset] == 0
    saturday = (5 - TODAY.weekday()) % 7
    assert all(p.free_minutes[saturday] == 0 for p in day.problem.people)


def test_the_demo_day_solves_without_violations(demo: Session) -> None:
    problem = build_day_problem(demo, today=TODAY).problem
    result = solve(problem, time_limit=3.0, workers=1, seed=0)
    assert validate(problem, result) == []
    staffed = {a.case for a in result.assignments}
    assert len(staffed) >= 0.9 * len(problem.cases)


def test_a_case_without_deadline_is_left_out_with_the_reason(demo: Session) -> None:
    case = demo.scalars(select(Case).where(Case.status == CaseStatus.RECEIVED)).first()
    assert case is not None
    case.deadline_on = None
    demo.commit()
    day = build_day_problem(demo, today=TODAY)
    assert str(case.id) not in {c.id for c in day.problem.cases}
    assert "holiday schedule" in day.skipped[case.case_number]


def test_run_day_previews_the_assignment(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["init", "--demo", "--today", TODAY.isoformat()]).exit_code == 0
    result = runner.invoke(
        args=["run-day", "--time-limit", "2", "--today", (TODAY + timedelta(days=0)).isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert "160 received cases" in result.output
    assert " 0 hard-rule violations" in result.output
