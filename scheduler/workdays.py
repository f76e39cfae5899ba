"""Chinese working days: public holidays and adjusted working days (调休) included.

chinese-calendar covers the years it ships (2004–2026 in 1.11). Later years come from official
schedules an administrator loads (``sutiao load-holidays FILE``). A year covered by neither is an
error that names it, unless the caller explicitly asks for the weekends-only fallback, whose use
the calendar records so results can flag it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import chinese_calendar.constants as _cc_data

SOURCE_PACKAGE = "chinese-calendar"
SOURCE_FALLBACK = "weekends-only fallback"


@functools.cache
def package_years() -> range:
    """The years chinese-calendar has official data for."""
    days = list(_cc_data.holidays) + list(_cc_data.workdays)
    return range(min(days).year, max(days).year + 1)


@functools.cache
def package_schedule(year: int) -> YearSchedule:
    """chinese-calendar's data for one of its years, as an official schedule. Read once, so a
    lookup is a dict probe or two: the package's own is_workday() checks the year against the
    minimum and maximum of its whole table at every call (some 50 µs; a leader's dashboard asks
    some 5,000 times)."""
    if year not in package_years():
        raise YearNotCovered(year)
    return YearSchedule(
        year=year,
        holidays={d: str(n) for d, n in _cc_data.holidays.items() if d.year == year},
        workdays={d: str(n) for d, n in _cc_data.workdays.items() if d.year == year},
        source=SOURCE_PACKAGE,
    )


class YearNotCovered(LookupError):
    """No holiday schedule is known for a year."""

    def __init__(self, year: int) -> None:
        self.year = year
        years = package_years()
        super().__init__(
            f"no official holiday schedule for {year}: chinese-calendar covers "
            f"{years.start}–{years.stop - 1} and none has been loaded for {year} "
            f"(load it with `sutiao load-holidays FILE`)"
        )


class ScheduleFileError(ValueError):
    """An official schedule file that cannot be loaded; the message says where and why."""


@dataclass(frozen=True)
class YearSchedule:
    """The official schedule of one year: days off and adjusted working days."""

    year: int
    holidays: Mapping[date, str]  # day off -> holiday name (weekend days inside a run included)
    workdays: Mapping[date, str] = field(default_factory=dict)  # worked weekend day -> reason
    source: str = ""

    def __post_init__(self) -> None:
        for kind, days in (("holiday", self.holidays), ("adjusted working day", self.workdays)):
            for day in days:
                if day.year != self.year:
                    raise ScheduleFileError(
                        f"{kind} {day.isoformat()} is not in {self.year}; "
                        f"put it in the {day.year} schedule"
                    )
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ScheduleFileError(
                f"{both[0].isoformat()} is listed both as a holiday and as an adjusted working day"
            )
        for day in self.workdays:
            if day.weekday() < 5:
                raise ScheduleFileError(
                    f"adjusted working day {day.isoformat()} is a weekday; only a Saturday or "
                    f"Sunday can be an adjusted working day"
                )


def parse_year_schedule(data: Any, *, source: str = "") -> YearSchedule:
    """Build a YearSchedule from the JSON form documented in README (load-holidays)."""
    if not isinstance(data, dict):
        raise ScheduleFileError("the schedule must be a JSON object with year, holidays, workdays")
    year = data.get("year")
    if not isinstance(year, int) or not 1949 < year < 2200:
        raise ScheduleFileError(f"'year' must be a four-digit year, got {year!r}")
    holidays: dict[date, str] = {}
    for i, entry in enumerate(_list(data, "holidays")):
        where = f"holidays[{i}]"
        name = _str(entry, "name", where)
        start = _date(entry.get("from", entry.get("date")), f"{where}.from")
        end = _date(entry.get("to", entry.get("date", entry.get("from"))), f"{where}.to")
        if end < start:
            raise ScheduleFileError(f"{where}: 'to' {end} is before 'from' {start}")
        day = start
        while day <= end:
            if day in holidays:
                raise ScheduleFileError(f"{where}: {day} is already listed as {holidays[day]}")
            holidays[day] = name
            day += timedelta(days=1)
    workdays: dict[date, str] = {}
    for i, entry in enumerate(_list(data, "workdays")):
        where = f"workdays[{i}]"
        if isinstance(entry, str):
            entry = {"date": entry}
        if not isinstance(entry, dict):
            raise ScheduleFileError(
                f"{where}: expected a date string or an object with 'date', got {entry!r}"
            )
        day = _date(entry.get("date"), f"{where}.date")
        if day in workdays:
            raise ScheduleFileError(f"{where}: {day} is already listed as an adjusted working day")
        workdays[day] = str(entry.get("name") or "调休上班")
    if not holidays:
        raise ScheduleFileError("'holidays' is empty: an official schedule lists its holidays")
    return YearSchedule(
        year=year, holidays=holidays, workdays=workdays, source=str(data.get("source") or source)
    )


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ScheduleFileError(f"'{key}' must be a list")
    return value


def _str(entry: Any, key: str, where: str) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get(key), str) or not entry[key]:
        raise ScheduleFileError(f"{where}: '{key}' is missing")
    return str(entry[key])


def _date(value: Any, where: str) -> date:
    if not isinstance(value, str):
        raise ScheduleFileError(f"{where}: expected a date like 2027-01-01, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ScheduleFileError(f"{where}: {value!r} is not a real date (YYYY-MM-DD)") from None


class WorkdayCalendar:
    """Answers working-day questions for any covered year.

    Loaded schedules take precedence over chinese-calendar for their year, so an administrator can
    also correct a year the package has.
    """

    def __init__(
        self, schedules: Iterable[YearSchedule] = (), *, weekend_fallback: bool = False
    ) -> None:
        self._loaded = {s.year: s for s in schedules}
        self.weekend_fallback = weekend_fallback
        self.fallback_years: set[int] = set()  # years answered by the fallback, for flagging

    @property
    def schedules(self) -> tuple[YearSchedule, ...]:
        """The loaded official schedules, by year."""
        return tuple(self._loaded[y] for y in sorted(self._loaded))

    def source_for(self, year: int) -> str:
        if year in self._loaded:
            return self._loaded[year].source or f"loaded schedule {year}"
        if year in package_years():
            return SOURCE_PACKAGE
        if self.weekend_fallback:
            return SOURCE_FALLBACK
        raise YearNotCovered(year)

    def covers(self, year: int) -> bool:
        return year in self._loaded or year in package_years()

    def _schedule(self, year: int) -> YearSchedule | None:
        """The official schedule of ``year``: loaded, else the package's; None if neither."""
        loaded = self._loaded.get(year)
        if loaded is None and year in package_years():
            return package_schedule(year)
        return loaded

    def is_workday(self, day: date) -> bool:
        schedule = self._schedule(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return True
            return day not in schedule.holidays and day.weekday() < 5
        if self.weekend_fallback:
            self.fallback_years.add(day.year)
            return day.weekday() < 5
        raise YearNotCovered(day.year)

    def holiday_name(self, day: date) -> str | None:
        """The name of the public holiday on ``day``, or None (weekends have no name)."""
        schedule = self._schedule(day.year)
        if schedule is not None:
            return schedule.holidays.get(day)
        if self.weekend_fallback:
            self.fallback_years.add(day.year)
            return None
        raise YearNotCovered(day.year)

    def next_workday(self, day: date, *, inclusive: bool = False) -> date:
        """The first working day after ``day`` (or ``day`` itself when inclusive and working)."""
        current = day if inclusive else day + timedelta(days=1)
        while not self.is_workday(current):
            current += timedelta(days=1)
        return current

    def add_workdays(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (the start day itself is not counted)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        current = day
        for _ in range(count):
            current = self.next_workday(current)
        return current

    def workdays_between(self, start: date, end: date) -> list[date]:
        """Working days in [start, end]."""
        days = []
        current = start
        while current <= end:
            if self.is_workday(current):
                days.append(current)
            current += timedelta(days=1)
        return days
