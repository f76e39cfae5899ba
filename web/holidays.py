"""Operations on the working-day calendar: load an official schedule, build the calendar, and
keep case deadlines in step with it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Case, HolidayCalendar, HolidayDay
from models.vocabulary import OPEN_CASE_STATUSES, HolidayKind
from scheduler.deadlines import Deadline, Extension, Pause, compute_deadline
from scheduler.workdays import (
    ScheduleFileError,
    WorkdayCalendar,
    YearNotCovered,
    YearSchedule,
    parse_year_schedule,
)

from . import audit


def calendar_from_db(session: Session, *, weekend_fallback: bool = False) -> WorkdayCalendar:
    schedules = []
    for cal in session.scalars(select(HolidayCalendar).options(selectinload(HolidayCalendar.days))):
        schedules.append(
            YearSchedule(
                year=cal.year,
                holidays={
                    d.day: d.name or "节假日" for d in cal.days if d.kind == HolidayKind.HOLIDAY
                },
                workdays={d.day: d.name or "" for d in cal.days if d.kind == HolidayKind.WORKDAY},
                source=cal.source,
            )
        )
    return WorkdayCalendar(schedules, weekend_fallback=weekend_fallback)


def case_deadline(case: Case, calendar: WorkdayCalendar, *, as_of: date | None = None) -> Deadline:
    return compute_deadline(
        case.received_on,
        case.mode,
        case.procedure,
        calendar,
        extensions=[
            Extension(
                e.days, e.plaintiff_consent_on is not None, e.defendant_consent_on is not None
            )
            for e in case.extensions
        ],
        pauses=[Pause(p.starts_on, p.ends_on) for p in case.pauses],
        as_of=as_of,
    )


def refresh_deadline(case: Case, calendar: WorkdayCalendar, *, as_of: date | None = None) -> bool:
    """Recompute ``case.deadline_on``; False (deadline left empty) when its year is not covered."""
    try:
        case.deadline_on = case_deadline(case, calendar, as_of=as_of).due_on
    except YearNotCovered:
        case.deadline_on = None
        return False
    return True


def read_schedule_file(path: Path) -> YearSchedule:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ScheduleFileError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScheduleFileError(f"{path} is not valid UTF-8 JSON: {exc}") from None
    return parse_year_schedule(data, source=path.name)


def load_holidays(
    session: Session, schedule: YearSchedule, *, actor: str, as_of: date | None = None
) -> int:
    """Store (or replace) a year's official schedule and recompute the deadlines it affects.

    Returns the number of open cases whose deadline changed. The caller commits.
    """
    old = session.get(HolidayCalendar, schedule.year)
    old_days = None
    if old is not None:
        old_days = len(old.days)
        session.delete(old)
        session.flush()
    cal = HolidayCalendar(year=schedule.year, source=schedule.source, loaded_by=actor)
    cal.days = [
        HolidayDay(day=d, kind=HolidayKind.HOLIDAY, name=name)
        for d, name in sorted(schedule.holidays.items())
    ] + [
        HolidayDay(day=d, kind=HolidayKind.WORKDAY, name=name)
        for d, name in sorted(schedule.workdays.items())
    ]
    session.add(cal)
    session.flush()

    calendar = calendar_from_db(session)
    changed = 0
    open_cases = session.scalars(
        select(Case)
        .where(Case.status.in_(list(OPEN_CASE_STATUSES)))
        .options(selectinload(Case.extensions), selectinload(Case.pauses))
    )
    for case in open_cases:
        before = case.deadline_on
        refresh_deadline(case, calendar, as_of=as_of)
        if case.deadline_on != before:
            changed += 1
    audit.record(
        session,
        "holidays.load",
        actor=actor,
        object_type="holiday_calendar",
        object_id=schedule.year,
        old={"days": old_days} if old_days is not None else None,
        new={"holidays": len(schedule.holidays), "workdays": len(schedule.workdays)},
        source=schedule.source,
        deadlines_changed=changed,
    )
    return changed
