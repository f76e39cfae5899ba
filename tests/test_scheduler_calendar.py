"""The scheduler's calendar, seen through the time grid: adjusted working days and holidays,
years beyond chinese-calendar, and court hours with a summer afternoon.

2026 facts (chinese-calendar 1.11, the State Council notice): Spring Festival 2/15–23 is off and
Sat 2/14 and Sat 2/28 are worked; Mid-autumn 9/25–27 and National Day 10/1–7 are off, Sun 9/20 and
Sat 10/10 are worked. The summer afternoon (15:00–18:00) runs from 5/1 to 9/30 inclusive; the
rest of the year the afternoon is 14:30–17:30. The morning is 08:30–12:00.

      February 2026           September 2026          October 2026
   Mo Tu We Th Fr Sa Su   Mo Tu We Th Fr Sa Su   Mo Tu We Th Fr Sa Su
                      1       1  2  3  4  5  6             1  2  3  4
    2  3  4  5  6  7  8    7  8  9 10 11 12 13    5  6  7  8  9 10 11
    9 10 11 12 13 14 15   14 15 16 17 18 19 20   12 13 14 15 16 17 18
   16 17 18 19 20 21 22   21 22 23 24 25 26 27   19 20 21 22 23 24 25
   23 24 25 26 27 28      28 29 30               26 27 28 29 30 31

      December 2026           January 2027
   Mo Tu We Th Fr Sa Su   Mo Tu We Th Fr Sa Su
       1  2  3  4  5  6                1  2  3
    7  8  9 10 11 12 13    4  5  6  7  8  9 10
   14 15 16 17 18 19 20   11 12 13 14 15 16 17
   21 22 23 24 25 26 27   18 19 20 21 22 23 24
   28 29 30 31            25 26 27 28 29 30 31
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from scheduler.grid import Grid
from scheduler.problem import (
    MEDIATION,
    Person,
    Room,
    SchedulingProblem,
    Session,
    Settings,
)
from scheduler.workdays import YearNotCovered, parse_year_schedule

D = date


def problem(
    today: date, first: date, last: date, *, duration: int = 60, **settings: Any
) -> SchedulingProblem:
    """One 60-minute session that may be held from ``first`` to ``last``."""
    return SchedulingProblem(
        settings=Settings(today=today, **settings),
        rooms=(Room("R1"),),
        people=(Person("M1"),),
        sessions=(
            Session(
                id="S1",
                kind=MEDIATION,
                cases=("C1",),
                duration=duration,
                participants=("M1",),
                earliest=first,
                deadline=last,
            ),
        ),
    )


def start_days(p: SchedulingProblem) -> set[date]:
    grid = Grid(p)
    return {grid.to_datetime(int(m)).date() for m in grid.starts(p.sessions[0])}


def start_times(p: SchedulingProblem, day: date) -> list[str]:
    grid = Grid(p)
    moments = [grid.to_datetime(int(m)) for m in grid.starts(p.sessions[0])]
    return [f"{m:%H:%M}" for m in moments if m.date() == day]


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=k) for k in range((last - first).days + 1)}


# --- 2026: holidays and adjusted working days ------------------------------------------------


def test_spring_festival_2026_off_and_the_adjusted_saturdays_worked() -> None:
    got = start_days(problem(D(2026, 2, 9), D(2026, 2, 11), D(2026, 3, 2), horizon_days=28))
    assert D(2026, 2, 14) in got  # Saturday, worked
    assert D(2026, 2, 28) in got  # Saturday, worked
    assert not got & days(D(2026, 2, 15), D(2026, 2, 23))  # Spring Festival, 2/16 included
    assert D(2026, 3, 1) not in got  # an ordinary Sunday
    assert got == {
        D(2026, 2, 11),
        D(2026, 2, 12),
        D(2026, 2, 13),
        D(2026, 2, 14),
        D(2026, 2, 24),
        D(2026, 2, 25),
        D(2026, 2, 26),
        D(2026, 2, 27),
        D(2026, 2, 28),
        D(2026, 3, 2),
    }


def test_national_day_2026_off_and_saturday_10_10_worked() -> None:
    got = start_days(problem(D(2026, 9, 21), D(2026, 9, 21), D(2026, 10, 12), horizon_days=28))
    assert D(2026, 10, 10) in got
    assert not got & days(D(2026, 10, 1), D(2026, 10, 7))
    assert not got & days(D(2026, 9, 25), D(2026, 9, 27))  # Mid-autumn, Sunday 9/27 included
    assert got == {
        D(2026, 9, 21),
        D(2026, 9, 22),
        D(2026, 9, 23),
        D(2026, 9, 24),
        D(2026, 9, 28),
        D(2026, 9, 29),
        D(2026, 9, 30),
        D(2026, 10, 8),  # National Day ends on 10/7
        D(2026, 10, 9),
        D(2026, 10, 10),
        D(2026, 10, 12),
    }


def test_an_adjusted_working_day_before_today_is_not_schedulable() -> None:
    """Sunday 9/20 is worked, but the window starts today."""
    got = start_days(problem(D(2026, 9, 21), D(2026, 9, 14), D(2026, 9, 22), horizon_days=7))
    assert got == {D(2026, 9, 21), D(2026, 9, 22)}


# --- years beyond chinese-calendar ------------------------------------------------------------

# A made-up schedule for the test, not the official 2027 one: New Year's Day on a Friday with the
# weekend, and a worked Saturday.
TEST_2027 = {
    "year": 2027,
    "source": "test schedule",
    "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}],
    "workdays": [{"date": "2027-01-09", "name": "调休上班"}],
}
TODAY = D(2026, 12, 14)  # 42 days of horizon reach 2027-01-24
FIRST, LAST = D(2026, 12, 28), D(2027, 1, 12)


def test_a_horizon_into_2027_raises_naming_the_year() -> None:
    with pytest.raises(YearNotCovered, match="2027") as raised:
        Grid(problem(TODAY, FIRST, LAST, horizon_days=42))
    assert raised.value.year == 2027


def test_a_loaded_2027_schedule_is_used_with_its_holidays_and_working_days() -> None:
    p = problem(
        TODAY, FIRST, LAST, horizon_days=42, year_schedules=(parse_year_schedule(TEST_2027),)
    )
    assert Grid(p).fallback_years == ()
    got = start_days(p)
    assert D(2027, 1, 1) not in got  # a Friday, off in the loaded schedule
    assert D(2027, 1, 9) in got  # a Saturday, worked in the loaded schedule
    assert got == {
        D(2026, 12, 28),
        D(2026, 12, 29),
        D(2026, 12, 30),
        D(2026, 12, 31),
        D(2027, 1, 4),
        D(2027, 1, 5),
        D(2027, 1, 6),
        D(2027, 1, 7),
        D(2027, 1, 8),
        D(2027, 1, 9),
        D(2027, 1, 11),
        D(2027, 1, 12),
    }


def test_the_weekends_only_fallback_is_explicit_and_recorded() -> None:
    p = problem(TODAY, FIRST, LAST, horizon_days=42, weekend_fallback=True)
    grid = Grid(p)
    assert grid.fallback_years == (2027,)
    got = start_days(p)
    assert D(2027, 1, 1) in got  # no holidays known: every weekday is worked
    assert D(2027, 1, 9) not in got
    assert not got & {D(2027, 1, 2), D(2027, 1, 3), D(2027, 1, 10)}


def test_a_horizon_inside_covered_years_records_no_fallback() -> None:
    p = problem(D(2026, 9, 21), D(2026, 9, 23), D(2026, 9, 30), weekend_fallback=True)
    assert Grid(p).fallback_years == ()


# --- court hours -----------------------------------------------------------------------------

MORNING_60 = ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00"]


def test_a_summer_day_uses_the_summer_afternoon() -> None:
    day = D(2026, 9, 23)
    times = start_times(problem(D(2026, 9, 21), day, day), day)
    assert times == [*MORNING_60, "15:00", "15:30", "16:00", "16:30", "17:00"]
    assert "14:30" not in times  # the ordinary afternoon starts before the summer one
    assert "11:30" not in times  # would run across lunch
    assert "17:30" not in times  # would end after 18:00


def test_the_last_summer_day_is_inclusive() -> None:
    day = D(2026, 9, 30)
    times = start_times(problem(D(2026, 9, 21), day, day), day)
    assert times[len(MORNING_60)] == "15:00"
    assert times[-1] == "17:00"


def test_outside_summer_the_afternoon_is_14_30_to_17_30() -> None:
    day = D(2026, 10, 9)
    times = start_times(problem(D(2026, 9, 21), day, day, horizon_days=28), day)
    assert times == [*MORNING_60, "14:30", "15:00", "15:30", "16:00", "16:30"]
    assert "17:00" not in times  # would end after 17:30


def test_a_long_session_never_crosses_lunch() -> None:
    day = D(2026, 9, 23)
    times = start_times(problem(D(2026, 9, 21), day, day, duration=150), day)
    # 08:30–12:00 fits 150 minutes from 08:30 to 09:30; 15:00–18:00 from 15:00 to 15:30.
    assert times == ["08:30", "09:00", "09:30", "15:00", "15:30"]


def test_a_session_longer_than_any_block_has_no_start() -> None:
    day = D(2026, 9, 23)
    assert start_times(problem(D(2026, 9, 21), day, day, duration=240), day) == []


def test_a_15_minute_grid_offers_quarter_hours() -> None:
    day = D(2026, 10, 9)
    times = start_times(problem(D(2026, 9, 21), day, day, grid=15, horizon_days=28), day)
    assert times[:3] == ["08:30", "08:45", "09:00"]
    assert times[-1] == "16:30"
    assert "11:15" not in times
