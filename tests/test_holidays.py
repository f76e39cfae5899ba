"""Loading official holiday schedules and keeping case deadlines in step (web/holidays.py)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from factories import make_case
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AuditEntry, Case, HolidayCalendar, HolidayDay
from scheduler.workdays import YearSchedule
from web.holidays import calendar_from_db, load_holidays, refresh_deadline

# A test fixture shaped like an official notice, not the real 2027 schedule (unpublished today).
SCHEDULE_2027 = {
    "year": 2027,
    "source": "test fixture for 2027",
    "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
        {"name": "春节", "from": "2027-02-06", "to": "2027-02-14"},
    ],
    "workdays": [{"date": "2027-02-20", "name": "春节调休"}],
}


def write_schedule(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "holidays-2027.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_case_running_into_2027_waits_for_the_schedule(session: Session) -> None:
    # 委派 received 2026-12-10: 30 days later is 2027-01-09, in a year nobody loaded yet.
    case = make_case(
        session, "(2026)豫0802民诉前调77号", mode="delegated", instance=None,
        received_on=date(2026, 12, 10),
    )  # fmt: skip
    assert refresh_deadline(case, calendar_from_db(session)) is False
    assert case.deadline_on is None
    session.commit()

    changed = load_holidays(
        session, YearSchedule(2027, {date(2027, 1, 1): "元旦"}, source="t"), actor="admin"
    )
    session.commit()
    assert changed == 1
    # 2027-01-09 is a Saturday and no adjusted working day: due Monday 2027-01-11.
    assert session.get(Case, case.id).deadline_on == date(2027, 1, 11)  # type: ignore[union-attr]


def test_reloading_a_year_replaces_it_and_is_audited(session: Session) -> None:
    load_holidays(session, YearSchedule(2027, {date(2027, 1, 1): "元旦"}), actor="admin")
    session.commit()
    load_holidays(
        session,
        YearSchedule(2027, {date(2027, 1, 1): "元旦", date(2027, 1, 4): "元旦"}),
        actor="admin",
    )
    session.commit()
    days = session.scalars(select(HolidayDay.day).order_by(HolidayDay.day)).all()
    assert days == [date(2027, 1, 1), date(2027, 1, 4)]
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "holidays.load").order_by(AuditEntry.id)
    ).all()
    assert [e.old for e in entries] == [None, {"days": 1}]
    assert entries[-1].actor == "admin"


def test_loaded_year_answers_working_day_questions(session: Session) -> None:
    load_holidays(session, YearSchedule(2027, {date(2027, 1, 1): "元旦"}), actor="admin")
    calendar = calendar_from_db(session)
    assert calendar.is_workday(date(2027, 1, 1)) is False
    assert calendar.is_workday(date(2027, 1, 4)) is True
    assert calendar.holiday_name(date(2027, 1, 1)) == "元旦"


def test_cli_loads_a_schedule_file(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["load-holidays", str(write_schedule(tmp_path, SCHEDULE_2027))])
    assert result.exit_code == 0, result.output
    assert "loaded 2027: 12 holidays, 1 adjusted working days" in result.output
    with app.app_context():
        from web.db import get_session

        cal = get_session().get(HolidayCalendar, 2027)
        assert cal is not None and cal.source == "test fixture for 2027"


def test_cli_rejects_a_bad_schedule_and_stores_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    bad = dict(SCHEDULE_2027, workdays=["2027-02-30"])
    result = runner.invoke(args=["load-holidays", str(write_schedule(tmp_path, bad))])
    assert result.exit_code == 2
    assert "workdays[0].date: '2027-02-30' is not a real date" in result.output
    with app.app_context():
        from web.db import get_session

        assert get_session().scalar(select(func.count()).select_from(HolidayCalendar)) == 0


def test_cli_reports_unreadable_json(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["load-holidays", str(path)])
    assert result.exit_code == 2
    assert "is not valid UTF-8 JSON" in result.output
