"""The working-day calendar (scheduler/workdays.py).

2026 facts (reference.md, from chinese-calendar 1.11.0):
  holidays 1/1–3, 2/15–23, 4/4–6, 5/1–5, 6/19–21, 9/25–27, 10/1–7;
  adjusted working days (weekend days that are worked) 1/4, 2/14, 2/28, 5/9, 9/20, 10/10.

Calendars used below (Mo Tu We Th Fr Sa Su):

      January 2026            February 2026           September 2026          October 2026
           1  2  3  4                       1          1  2  3  4  5  6              1  2  3  4
   5  6  7  8  9 10 11     2  3  4  5  6  7  8     7  8  9 10 11 12 13     5  6  7  8  9 10 11
  12 13 14 15 16 17 18     9 10 11 12 13 14 15    14 15 16 17 18 19 20    12 13 14 15 16 17 18
  19 20 21 22 23 24 25    16 17 18 19 20 21 22    21 22 23 24 25 26 27    19 20 21 22 23 24 25
  26 27 28 29 30 31       23 24 25 26 27 28       28 29 30                26 27 28 29 30 31

       March 2026              April 2026              May 2026              December 2026
                     1           1  2  3  4  5                 1  2  3        1  2  3  4  5  6
   2  3  4  5  6  7  8     6  7  8  9 10 11 12     4  5  6  7  8  9 10     7  8  9 10 11 12 13
   9 10 11 12 13 14 15    13 14 15 16 17 18 19    11 12 13 14 15 16 17    14 15 16 17 18 19 20
  16 17 18 19 20 21 22    20 21 22 23 24 25 26    18 19 20 21 22 23 24    21 22 23 24 25 26 27
  23 24 25 26 27 28 29    27 28 29 30             25 26 27 28 29 30 31    28 29 30 31
  30 31

      January 2027           February 2027
               1  2  3     1  2  3  4  5  6  7
   4  5  6  7  8  9 10     8  9 10 11 12 13 14
  11 12 13 14 15 16 17    15 16 17 18 19 20 21
  18 19 20 21 22 23 24    22 23 24 25 26 27 28
  25 26 27 28 29 30 31
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from scheduler.workdays import (
    SOURCE_FALLBACK,
    SOURCE_PACKAGE,
    ScheduleFileError,
    WorkdayCalendar,
    YearNotCovered,
    YearSchedule,
    package_years,
    parse_year_schedule,
)

D = date

HOLIDAY_RUNS_2026 = [
    (D(2026, 1, 1), D(2026, 1, 3)),
    (D(2026, 2, 15), D(2026, 2, 23)),
    (D(2026, 4, 4), D(2026, 4, 6)),
    (D(2026, 5, 1), D(2026, 5, 5)),
    (D(2026, 6, 19), D(2026, 6, 21)),
    (D(2026, 9, 25), D(2026, 9, 27)),
    (D(2026, 10, 1), D(2026, 10, 7)),
]
HOLIDAYS_2026 = [
    start + timedelta(days=i)
    for start, end in HOLIDAY_RUNS_2026
    for i in range((end - start).days + 1)
]
ADJUSTED_WORKDAYS_2026 = [
    D(2026, 1, 4),  # Sunday
    D(2026, 2, 14),  # Saturday
    D(2026, 2, 28),  # Saturday
    D(2026, 5, 9),  # Saturday
    D(2026, 9, 20),  # Sunday
    D(2026, 10, 10),  # Saturday
]


def schedule_2027_json() -> dict[str, Any]:
    """A TEST FIXTURE, not the official 2027 schedule (which was not published when this was
    written): New Year 2027-01-01..03 (Fri–Sun), a made-up Spring Festival 2027-02-06..14
    (Sat–Sun) and two made-up adjusted working days, Saturday 2027-01-30 and Saturday 2027-02-20.
    """
    return {
        "year": 2027,
        "source": "test fixture (not official)",
        "holidays": [
            {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
            {"name": "春节", "from": "2027-02-06", "to": "2027-02-14"},
        ],
        "workdays": ["2027-01-30", {"date": "2027-02-20", "name": "春节调休"}],
    }


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


@pytest.fixture
def cal_2027() -> WorkdayCalendar:
    return WorkdayCalendar([parse_year_schedule(schedule_2027_json())])


# ---------------------------------------------------------------------------------------------
# 2026 from chinese-calendar
# ---------------------------------------------------------------------------------------------


def test_package_covers_2004_to_2026_but_not_2027() -> None:
    years = package_years()
    assert years.start == 2004
    assert 2026 in years
    assert 2027 not in years


def test_every_package_day_is_answered_as_the_package_answers_it() -> None:
    """The calendar reads chinese-calendar's table once per year (package_schedule) instead of
    calling the package per day; for every day of every year it covers, the answers agree."""
    import chinese_calendar

    cal = WorkdayCalendar()
    years = package_years()
    day, last = date(years.start, 1, 1), date(years.stop - 1, 12, 31)
    while day <= last:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        assert cal.holiday_name(day) == (name if on_holiday else None), day
        day += timedelta(days=1)


def test_holiday_list_has_the_expected_number_of_days() -> None:
    # 3 + 9 + 3 + 5 + 3 + 3 + 7 = 33 days off in holiday runs
    assert len(HOLIDAYS_2026) == 33


@pytest.mark.parametrize("day", HOLIDAYS_2026, ids=str)
def test_2026_public_holidays_are_not_workdays(cal: WorkdayCalendar, day: date) -> None:
    assert cal.is_workday(day) is False


@pytest.mark.parametrize("day", ADJUSTED_WORKDAYS_2026, ids=str)
def test_2026_adjusted_working_days_are_workdays(cal: WorkdayCalendar, day: date) -> None:
    assert day.weekday() >= 5  # they are weekend days ...
    assert cal.is_workday(day) is True  # ... that are worked


@pytest.mark.parametrize(
    "day",
    [D(2026, 1, 5), D(2026, 3, 2), D(2026, 3, 6), D(2026, 2, 24), D(2026, 10, 8), D(2026, 12, 31)],
    ids=str,
)
def test_ordinary_2026_weekdays_are_workdays(cal: WorkdayCalendar, day: date) -> None:
    assert cal.is_workday(day) is True


@pytest.mark.parametrize(
    "day",
    [D(2026, 1, 10), D(2026, 1, 11), D(2026, 3, 7), D(2026, 3, 8), D(2026, 12, 26)],
    ids=str,
)
def test_ordinary_2026_weekends_are_not_workdays(cal: WorkdayCalendar, day: date) -> None:
    assert cal.is_workday(day) is False


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2026, 1, 1), "New Year's Day"),
        (D(2026, 1, 3), "New Year's Day"),  # a Saturday inside the run still has the name
        (D(2026, 2, 15), "Spring Festival"),
        (D(2026, 2, 23), "Spring Festival"),
        (D(2026, 4, 5), "Tomb-sweeping Day"),
        (D(2026, 5, 3), "Labour Day"),
        (D(2026, 6, 19), "Dragon Boat Festival"),
        (D(2026, 9, 25), "Mid-autumn Festival"),
        (D(2026, 10, 7), "National Day"),
    ],
    ids=str,
)
def test_holiday_name_of_2026_holidays(cal: WorkdayCalendar, day: date, name: str) -> None:
    assert cal.holiday_name(day) == name


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 3, 2),  # ordinary Monday
        D(2026, 3, 7),  # ordinary Saturday: weekends have no name
        D(2026, 1, 4),  # adjusted working day (chinese-calendar attaches a name, we must not)
        D(2026, 2, 14),  # adjusted working day before the Spring Festival
        D(2026, 10, 10),  # adjusted working day after National Day
    ],
    ids=str,
)
def test_holiday_name_is_none_on_non_holidays(cal: WorkdayCalendar, day: date) -> None:
    assert cal.holiday_name(day) is None


def test_source_for_package_year(cal: WorkdayCalendar) -> None:
    assert cal.source_for(2026) == SOURCE_PACKAGE
    assert cal.covers(2026) is True


# ---------------------------------------------------------------------------------------------
# next_workday / add_workdays / workdays_between
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 3, 4), D(2026, 3, 5)),  # Wed -> Thu
        (D(2026, 3, 6), D(2026, 3, 9)),  # Fri -> over the weekend to Mon
        (D(2026, 3, 7), D(2026, 3, 9)),  # Sat -> Mon
        (D(2026, 2, 13), D(2026, 2, 14)),  # Fri -> Sat 2/14, an adjusted working day
        (D(2026, 2, 14), D(2026, 2, 24)),  # Sat (worked) -> over 2/15–23 to Tue 2/24
        (D(2026, 1, 2), D(2026, 1, 4)),  # inside New Year 1/1–3 -> Sun 1/4, adjusted
        (D(2026, 9, 30), D(2026, 10, 8)),  # Wed -> over National Day 10/1–7 to Thu 10/8
        (D(2026, 9, 19), D(2026, 9, 20)),  # Sat -> Sun 9/20, adjusted
        (D(2026, 4, 30), D(2026, 5, 6)),  # Thu -> over Labour Day 5/1–5 to Wed 5/6
    ],
    ids=str,
)
def test_next_workday_is_strictly_after(cal: WorkdayCalendar, day: date, expected: date) -> None:
    assert cal.next_workday(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 3, 4), D(2026, 3, 4)),  # a working day is its own answer
        (D(2026, 2, 14), D(2026, 2, 14)),  # so is an adjusted working day
        (D(2026, 3, 7), D(2026, 3, 9)),  # Sat -> Mon
        (D(2026, 2, 15), D(2026, 2, 24)),  # first day of the Spring Festival -> Tue 2/24
        (D(2026, 10, 1), D(2026, 10, 8)),  # National Day -> Thu 10/8
        (D(2026, 1, 1), D(2026, 1, 4)),  # New Year -> Sun 1/4, adjusted
    ],
    ids=str,
)
def test_next_workday_inclusive(cal: WorkdayCalendar, day: date, expected: date) -> None:
    assert cal.next_workday(day, inclusive=True) == expected


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (D(2026, 3, 2), 0, D(2026, 3, 2)),
        (D(2026, 3, 2), 1, D(2026, 3, 3)),
        (D(2026, 3, 6), 1, D(2026, 3, 9)),  # Fri + 1 -> Mon
        (D(2026, 3, 2), 5, D(2026, 3, 9)),  # 3,4,5,6 | 9
        # Thu 2/12 + 3: Fri 2/13 (1), Sat 2/14 adjusted (2), 2/15–23 off, Tue 2/24 (3)
        (D(2026, 2, 12), 3, D(2026, 2, 24)),
        # Wed 9/30 + 3: 10/1–7 off, Thu 10/8 (1), Fri 10/9 (2), Sat 10/10 adjusted (3)
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        # Thu 4/30 + 2: 5/1–5 off, Wed 5/6 (1), Thu 5/7 (2)
        (D(2026, 4, 30), 2, D(2026, 5, 7)),
        # Sat 3/7 + 3 working days (the start day is not counted): Mon 9, Tue 10, Wed 11
        (D(2026, 3, 7), 3, D(2026, 3, 11)),
    ],
    ids=str,
)
def test_add_workdays(cal: WorkdayCalendar, day: date, count: int, expected: date) -> None:
    assert cal.add_workdays(day, count) == expected


def test_add_workdays_rejects_negative_count(cal: WorkdayCalendar) -> None:
    with pytest.raises(ValueError, match="count"):
        cal.add_workdays(D(2026, 3, 2), -1)


def test_workdays_between_across_the_spring_festival(cal: WorkdayCalendar) -> None:
    # 2/9–13 Mon–Fri, Sat 2/14 (adjusted), 2/15–23 off, 2/24–27 Tue–Fri, Sat 2/28 (adjusted),
    # Sun 3/1 off
    expected = [
        D(2026, 2, 9),
        D(2026, 2, 10),
        D(2026, 2, 11),
        D(2026, 2, 12),
        D(2026, 2, 13),
        D(2026, 2, 14),
        D(2026, 2, 24),
        D(2026, 2, 25),
        D(2026, 2, 26),
        D(2026, 2, 27),
        D(2026, 2, 28),
    ]
    assert cal.workdays_between(D(2026, 2, 9), D(2026, 3, 1)) == expected


def test_workdays_between_across_national_day(cal: WorkdayCalendar) -> None:
    # Sun 9/27 is in the Mid-autumn run; 9/28–30 Mon–Wed; 10/1–7 off; 10/8, 10/9, Sat 10/10
    # (adjusted); Sun 10/11 off
    expected = [
        D(2026, 9, 28),
        D(2026, 9, 29),
        D(2026, 9, 30),
        D(2026, 10, 8),
        D(2026, 10, 9),
        D(2026, 10, 10),
    ]
    assert cal.workdays_between(D(2026, 9, 27), D(2026, 10, 11)) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 3, 2), D(2026, 3, 2), [D(2026, 3, 2)]),  # both ends inclusive
        (D(2026, 3, 7), D(2026, 3, 8), []),  # a weekend
        (D(2026, 3, 9), D(2026, 3, 2), []),  # end before start
    ],
    ids=str,
)
def test_workdays_between_edges(
    cal: WorkdayCalendar, start: date, end: date, expected: list[date]
) -> None:
    assert cal.workdays_between(start, end) == expected


# ---------------------------------------------------------------------------------------------
# A year the package does not cover
# ---------------------------------------------------------------------------------------------


def test_uncovered_year_raises_naming_the_year_and_how_to_load_it(cal: WorkdayCalendar) -> None:
    with pytest.raises(YearNotCovered) as info:
        cal.is_workday(D(2027, 1, 4))
    assert info.value.year == 2027
    message = str(info.value)
    assert "2027" in message
    assert "sutiao load-holidays" in message


def test_year_not_covered_is_a_lookup_error() -> None:
    assert issubclass(YearNotCovered, LookupError)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.is_workday(D(2027, 6, 1)),
        lambda c: c.holiday_name(D(2027, 1, 1)),
        lambda c: c.source_for(2027),
        lambda c: c.next_workday(D(2026, 12, 31)),  # Thu -> Fri 2027-01-01 needs 2027
        lambda c: c.add_workdays(D(2026, 12, 30), 2),  # Thu 12/31, then 2027
        lambda c: c.workdays_between(D(2026, 12, 28), D(2027, 1, 5)),
    ],
    ids=["is_workday", "holiday_name", "source_for", "next_workday", "add", "between"],
)
def test_every_question_about_2027_raises(cal: WorkdayCalendar, call: Any) -> None:
    with pytest.raises(YearNotCovered, match="2027"):
        call(cal)


def test_covers_is_false_for_uncovered_year(cal: WorkdayCalendar) -> None:
    assert cal.covers(2027) is False


def test_last_day_of_2026_does_not_need_2027(cal: WorkdayCalendar) -> None:
    # Thu 2026-12-31 is a working day, so an inclusive lookup stays in 2026
    assert cal.next_workday(D(2026, 12, 31), inclusive=True) == D(2026, 12, 31)


# ---------------------------------------------------------------------------------------------
# A loaded 2027 schedule (test fixture)
# ---------------------------------------------------------------------------------------------


def test_loaded_2027_schedule_covers_2027(cal_2027: WorkdayCalendar) -> None:
    assert cal_2027.covers(2027) is True
    assert cal_2027.source_for(2027) == "test fixture (not official)"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2027, 1, 1), False),  # Fri, New Year
        (D(2027, 1, 3), False),  # Sun, New Year
        (D(2027, 1, 4), True),  # Mon
        (D(2027, 1, 9), False),  # ordinary Sat
        (D(2027, 1, 30), True),  # Sat, adjusted (string form)
        (D(2027, 2, 8), False),  # Mon inside the fixture's Spring Festival
        (D(2027, 2, 15), True),  # Mon after it
        (D(2027, 2, 20), True),  # Sat, adjusted (object form)
        (D(2027, 2, 21), False),  # ordinary Sun
    ],
    ids=str,
)
def test_loaded_2027_schedule_answers(cal_2027: WorkdayCalendar, day: date, expected: bool) -> None:
    assert cal_2027.is_workday(day) is expected


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2027, 1, 2), "元旦"),
        (D(2027, 2, 10), "春节"),
        (D(2027, 1, 9), None),  # ordinary weekend
        (D(2027, 2, 20), None),  # adjusted working day
        (D(2027, 3, 1), None),  # ordinary weekday
    ],
    ids=str,
)
def test_loaded_2027_holiday_names(cal_2027: WorkdayCalendar, day: date, name: str | None) -> None:
    assert cal_2027.holiday_name(day) == name


def test_next_workday_crosses_into_loaded_year(cal_2027: WorkdayCalendar) -> None:
    # Thu 2026-12-31 -> 2027-01-01..03 off -> Mon 2027-01-04
    assert cal_2027.next_workday(D(2026, 12, 31)) == D(2027, 1, 4)


def test_workdays_between_across_year_end_with_loaded_year(cal_2027: WorkdayCalendar) -> None:
    # 12/28–31 Mon–Thu (2026, package), 2027-01-01..03 off, Mon 1/4, Tue 1/5 (loaded)
    assert cal_2027.workdays_between(D(2026, 12, 28), D(2027, 1, 5)) == [
        D(2026, 12, 28),
        D(2026, 12, 29),
        D(2026, 12, 30),
        D(2026, 12, 31),
        D(2027, 1, 4),
        D(2027, 1, 5),
    ]


def test_add_workdays_over_loaded_holiday_and_adjusted_day(cal_2027: WorkdayCalendar) -> None:
    # Fri 2/5 + 3: 2/6–14 off, Mon 2/15 (1), Tue 2/16 (2), Wed 2/17 (3)
    assert cal_2027.add_workdays(D(2027, 2, 5), 3) == D(2027, 2, 17)
    # Thu 2/18 + 2: Fri 2/19 (1), Sat 2/20 adjusted (2)
    assert cal_2027.add_workdays(D(2027, 2, 18), 2) == D(2027, 2, 20)


def test_loading_2027_leaves_2026_on_the_package(cal_2027: WorkdayCalendar) -> None:
    assert cal_2027.source_for(2026) == SOURCE_PACKAGE
    assert cal_2027.is_workday(D(2026, 10, 1)) is False
    assert cal_2027.is_workday(D(2026, 10, 10)) is True


def test_loaded_schedule_without_source_gets_a_default_label() -> None:
    schedule = YearSchedule(year=2027, holidays={D(2027, 1, 1): "元旦"})
    assert WorkdayCalendar([schedule]).source_for(2027) == "loaded schedule 2027"


def test_loaded_schedule_takes_precedence_over_the_package() -> None:
    # A made-up "correction" of 2026: Mon 3/2 off, Sat 3/7 worked, and no National Day.
    corrected = YearSchedule(
        year=2026,
        holidays={D(2026, 3, 2): "测试假日"},
        workdays={D(2026, 3, 7): "测试调休"},
        source="corrected 2026 (test fixture)",
    )
    cal = WorkdayCalendar([corrected])
    assert cal.is_workday(D(2026, 3, 2)) is False  # the package says working day
    assert cal.holiday_name(D(2026, 3, 2)) == "测试假日"
    assert cal.is_workday(D(2026, 3, 7)) is True  # the package says weekend
    # the loaded schedule replaces the package for the whole year
    assert cal.is_workday(D(2026, 10, 1)) is True
    assert cal.holiday_name(D(2026, 10, 1)) is None
    assert cal.source_for(2026) == "corrected 2026 (test fixture)"


def test_loaded_schedule_for_one_year_leaves_other_package_years_alone() -> None:
    corrected = YearSchedule(year=2026, holidays={D(2026, 3, 2): "测试假日"})
    cal = WorkdayCalendar([corrected])
    assert cal.source_for(2025) == SOURCE_PACKAGE
    assert cal.is_workday(D(2025, 10, 1)) is False  # National Day 2025 from the package


# ---------------------------------------------------------------------------------------------
# The weekends-only fallback
# ---------------------------------------------------------------------------------------------


def test_fallback_answers_weekdays_only_for_uncovered_year() -> None:
    cal = WorkdayCalendar(weekend_fallback=True)
    assert cal.is_workday(D(2027, 1, 1)) is True  # Fri: New Year in reality, but unknown here
    assert cal.is_workday(D(2027, 1, 2)) is False  # Sat
    assert cal.is_workday(D(2027, 1, 3)) is False  # Sun
    assert cal.is_workday(D(2027, 1, 4)) is True  # Mon


def test_fallback_records_the_year_it_was_used_for() -> None:
    cal = WorkdayCalendar(weekend_fallback=True)
    assert cal.fallback_years == set()
    cal.is_workday(D(2027, 3, 1))
    assert cal.fallback_years == {2027}


def test_fallback_is_not_recorded_for_covered_years() -> None:
    cal = WorkdayCalendar(weekend_fallback=True)
    assert cal.is_workday(D(2026, 10, 1)) is False  # still the package's National Day
    assert cal.is_workday(D(2026, 2, 14)) is True  # still the package's adjusted day
    assert cal.fallback_years == set()


def test_fallback_next_workday_crosses_into_uncovered_year() -> None:
    cal = WorkdayCalendar(weekend_fallback=True)
    # Thu 2026-12-31 -> Fri 2027-01-01 (weekdays only)
    assert cal.next_workday(D(2026, 12, 31)) == D(2027, 1, 1)
    assert cal.fallback_years == {2027}


def test_fallback_holiday_name_is_none_and_flagged() -> None:
    cal = WorkdayCalendar(weekend_fallback=True)
    assert cal.holiday_name(D(2027, 10, 1)) is None
    assert cal.fallback_years == {2027}


def test_fallback_source_label() -> None:
    cal = WorkdayCalendar(weekend_fallback=True)
    assert cal.source_for(2027) == SOURCE_FALLBACK
    assert cal.covers(2027) is False  # the fallback is not coverage


def test_loaded_year_is_not_answered_by_the_fallback() -> None:
    cal = WorkdayCalendar([parse_year_schedule(schedule_2027_json())], weekend_fallback=True)
    assert cal.is_workday(D(2027, 1, 1)) is False
    assert cal.fallback_years == set()


# ---------------------------------------------------------------------------------------------
# parse_year_schedule: the documented JSON form
# ---------------------------------------------------------------------------------------------


def test_parse_expands_holiday_runs_and_reads_workdays() -> None:
    schedule = parse_year_schedule(schedule_2027_json())
    assert schedule.year == 2027
    assert schedule.source == "test fixture (not official)"
    expected_holidays = {D(2027, 1, d): "元旦" for d in (1, 2, 3)} | {
        D(2027, 2, d): "春节" for d in range(6, 15)
    }
    assert dict(schedule.holidays) == expected_holidays
    assert dict(schedule.workdays) == {D(2027, 1, 30): "调休上班", D(2027, 2, 20): "春节调休"}


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "测试日", "date": "2027-05-01"},
        {"name": "测试日", "from": "2027-05-01"},
        {"name": "测试日", "from": "2027-05-01", "to": "2027-05-01"},
    ],
    ids=["date", "from-only", "from-to"],
)
def test_parse_single_day_holiday_forms(entry: dict[str, str]) -> None:
    schedule = parse_year_schedule({"year": 2027, "holidays": [entry]})
    assert dict(schedule.holidays) == {D(2027, 5, 1): "测试日"}


def test_parse_workdays_are_optional() -> None:
    schedule = parse_year_schedule(
        {"year": 2027, "holidays": [{"name": "元旦", "date": "2027-01-01"}]}
    )
    assert dict(schedule.workdays) == {}


def test_parse_source_argument_is_the_default_source() -> None:
    data = {"year": 2027, "holidays": [{"name": "元旦", "date": "2027-01-01"}]}
    assert parse_year_schedule(data, source="holidays-2027.json").source == "holidays-2027.json"


def test_parse_source_in_the_data_wins_over_the_argument() -> None:
    data = schedule_2027_json()
    assert parse_year_schedule(data, source="file.json").source == "test fixture (not official)"


def with_changes(**changes: Any) -> dict[str, Any]:
    data = schedule_2027_json()
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            with_changes(holidays=[{"name": "元旦", "from": "2026-12-31", "to": "2027-01-01"}]),
            "holiday 2026-12-31 is not in 2027",
            id="holiday-outside-year",
        ),
        pytest.param(
            with_changes(workdays=["2028-01-08"]),  # a Saturday, but in 2028
            "adjusted working day 2028-01-08 is not in 2027",
            id="workday-outside-year",
        ),
        pytest.param(
            with_changes(holidays=[{"name": "春节", "from": "2027-02-06", "to": "2027-02-30"}]),
            "'2027-02-30' is not a real date",
            id="impossible-holiday-date",
        ),
        pytest.param(
            with_changes(workdays=["2027-02-29"]),  # 2027 is not a leap year
            "'2027-02-29' is not a real date",
            id="impossible-workday-date",
        ),
        pytest.param(
            with_changes(holidays=[{"name": "元旦", "date": "1/1/2027"}]),
            "'1/1/2027' is not a real date",
            id="wrong-date-format",
        ),
        pytest.param(
            with_changes(holidays=[{"name": "元旦", "date": 20270101}]),
            "expected a date like 2027-01-01, got 20270101",
            id="date-not-a-string",
        ),
        pytest.param(
            with_changes(holidays=[{"name": "元旦"}]),
            r"holidays\[0\]\.from: expected a date",
            id="holiday-without-date",
        ),
        pytest.param(
            with_changes(holidays=[{"name": "元旦", "from": "2027-01-03", "to": "2027-01-01"}]),
            "'to' 2027-01-01 is before 'from' 2027-01-03",
            id="to-before-from",
        ),
        pytest.param(
            with_changes(
                holidays=[
                    {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
                    {"name": "假日", "from": "2027-01-03", "to": "2027-01-04"},
                ]
            ),
            r"holidays\[1\]: 2027-01-03 is already listed as 元旦",
            id="holiday-listed-twice",
        ),
        pytest.param(
            with_changes(workdays=["2027-02-20", {"date": "2027-02-20", "name": "again"}]),
            r"workdays\[1\]: 2027-02-20 is already listed",
            id="workday-listed-twice",
        ),
        pytest.param(
            with_changes(workdays=["2027-01-02"]),  # Sat inside the New Year run
            "2027-01-02 is listed both as a holiday and as an adjusted working day",
            id="holiday-and-workday",
        ),
        pytest.param(
            with_changes(workdays=["2027-01-04"]),  # a Monday
            "adjusted working day 2027-01-04 is a weekday",
            id="weekday-as-adjusted-day",
        ),
        pytest.param(
            with_changes(holidays=[]),
            "'holidays' is empty",
            id="empty-holidays",
        ),
        pytest.param(
            {"year": 2027, "workdays": ["2027-01-30"]},
            "'holidays' is empty",
            id="missing-holidays",
        ),
        pytest.param(
            with_changes(holidays={"name": "元旦", "date": "2027-01-01"}),
            "'holidays' must be a list",
            id="holidays-not-a-list",
        ),
        pytest.param(
            with_changes(workdays="2027-01-30"),
            "'workdays' must be a list",
            id="workdays-not-a-list",
        ),
        pytest.param(
            with_changes(holidays=[{"from": "2027-01-01"}]),
            r"holidays\[0\]: 'name' is missing",
            id="holiday-without-name",
        ),
        pytest.param(
            with_changes(holidays=["2027-01-01"]),
            r"holidays\[0\]: 'name' is missing",
            id="holiday-not-an-object",
        ),
        pytest.param(
            with_changes(workdays=[20270130]),
            r"workdays\[0\]",
            id="workday-not-a-string-or-object",
        ),
        pytest.param(
            with_changes(workdays=[{"name": "调休"}]),
            r"workdays\[0\]\.date: expected a date",
            id="workday-without-date",
        ),
    ],
)
def test_parse_rejects_with_a_specific_message(data: Any, message: str) -> None:
    with pytest.raises(ScheduleFileError, match=message):
        parse_year_schedule(data)


@pytest.mark.parametrize(
    "data",
    [None, [], "2027", 2027, [schedule_2027_json()]],
    ids=["none", "list", "string", "int", "list-of-schedule"],
)
def test_parse_rejects_non_object_input(data: Any) -> None:
    with pytest.raises(ScheduleFileError, match="must be a JSON object"):
        parse_year_schedule(data)


@pytest.mark.parametrize(
    "year",
    ["2027", 27, 1949, 2200, 2027.0, None, True],
    ids=["string", "two-digit", "1949", "2200", "float", "none", "bool"],
)
def test_parse_rejects_a_bad_year(year: Any) -> None:
    with pytest.raises(ScheduleFileError, match="'year' must be a four-digit year"):
        parse_year_schedule(with_changes(year=year))


def test_parse_rejects_missing_year() -> None:
    data = schedule_2027_json()
    del data["year"]
    with pytest.raises(ScheduleFileError, match="'year' must be a four-digit year, got None"):
        parse_year_schedule(data)


def test_schedule_file_error_is_a_value_error() -> None:
    assert issubclass(ScheduleFileError, ValueError)


@pytest.mark.parametrize(
    ("holidays", "workdays", "message"),
    [
        ({D(2026, 12, 31): "x"}, {}, "holiday 2026-12-31 is not in 2027"),
        ({D(2027, 1, 1): "x"}, {D(2027, 1, 1): "y"}, "listed both"),
        ({D(2027, 1, 1): "x"}, {D(2027, 1, 5): "y"}, "2027-01-05 is a weekday"),
    ],
    ids=["outside-year", "both", "weekday"],
)
def test_year_schedule_validates_on_construction(
    holidays: dict[date, str], workdays: dict[date, str], message: str
) -> None:
    with pytest.raises(ScheduleFileError, match=message):
        YearSchedule(year=2027, holidays=holidays, workdays=workdays)
