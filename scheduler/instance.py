"""The JSON instance format: load and dump a SchedulingProblem, write a Schedule.

The format is documented by ``scheduler/instance.schema.json``. Loading checks types, required and
unknown fields, dates, times and offsets, and names the field path and the ID in every error
(``sessions[s7].deadline: '2026-13-01' is not a date (YYYY-MM-DD)``); the dataclasses in
``scheduler.problem`` then check the meaning (kinds, references, the grid, pins) on construction,
and their ``ProblemError`` comes out as an ``InstanceError`` too.

Items with an ``id`` are named by it in paths (``people[p3].busy[0].start``); items without one, or
whose id is itself the problem, by their position. Every datetime needs a UTC offset and is
converted to Asia/Shanghai on loading.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from dateutil.rrule import rrulestr

from .problem import (
    GRIDS,
    ROLES,
    TZ,
    WEIGHT_NAMES,
    Availability,
    Block,
    Busy,
    CourtHours,
    Person,
    Placement,
    ProblemError,
    RecurringMeeting,
    Room,
    SchedulingProblem,
    Session,
    Settings,
    Weights,
)
from .result import Schedule
from .workdays import ScheduleFileError, YearSchedule, parse_year_schedule

SCHEMA_PATH = Path(__file__).with_name("instance.schema.json")


T = TypeVar("T")


class InstanceError(ValueError):
    """An invalid instance file or object; the message names the field path and the ID."""


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")
_MONTH_DAY = re.compile(r"\d{2}-\d{2}")
# The offset is optional here so that a missing one gets its own message.
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?"
)

_TOP_FIELDS = ("settings", "weights", "rooms", "people", "sessions", "meetings")
_SETTINGS_FIELDS = (
    "today",
    "horizon_days",
    "grid",
    "notice_days",
    "travel_minutes",
    "fast_track_days",
    "hours",
    "year_schedules",
    "weekend_fallback",
)
_HOURS_FIELDS = ("morning", "afternoon", "summer_afternoon", "summer_start", "summer_end")
_BLOCK_FIELDS = ("start", "end")
_YEAR_FIELDS = ("year", "holidays", "workdays", "source")
_HOLIDAY_FIELDS = ("name", "from", "to", "date")
_WORKDAY_FIELDS = ("date", "name")
_ROOM_FIELDS = ("id", "name", "capacity", "equipment", "location", "online", "closed")
_BUSY_FIELDS = ("start", "end", "label")
_PERSON_FIELDS = (
    "id",
    "name",
    "role",
    "availability",
    "leave",
    "busy",
    "max_sessions_per_day",
    "max_minutes_per_day",
)
_AVAILABILITY_FIELDS = ("weekday", "start", "end")
_LEAVE_FIELDS = ("from", "to")
_SESSION_FIELDS = (
    "id",
    "kind",
    "cases",
    "duration",
    "participants",
    "deadline",
    "earliest",
    "mode",
    "equipment",
    "small_claims",
    "preferred_days",
    "preferred_rooms",
    "published",
    "pinned",
)
_PLACEMENT_FIELDS = ("start", "room")
_MEETING_FIELDS = ("id", "title", "rrule", "start", "duration", "members", "room", "exdates")


# --- loading -------------------------------------------------------------------------------------


def load_instance(path_or_data: str | os.PathLike[str] | Mapping[str, Any]) -> SchedulingProblem:
    """A SchedulingProblem from an instance file (a path) or its JSON form (a dict, as
    ``json.load`` returns it). Anything invalid raises InstanceError; an unreadable file, OSError.
    """
    if isinstance(path_or_data, str | os.PathLike):
        return _from_data(_read_json(path_or_data))
    return _from_data(path_or_data)


def _read_json(path: str | os.PathLike[str]) -> Any:
    name = os.fspath(path)
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InstanceError(f"{name}: not UTF-8 text ({exc.reason})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise InstanceError(
            f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except _DuplicateKey as exc:
        raise InstanceError(f"{name}: duplicate key {exc.key!r} in one object") from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys; a repeated field is a typo, not a choice.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _from_data(data: Any) -> SchedulingProblem:
    required = ("settings", "rooms", "people", "sessions")
    top = _object(data, "instance", _TOP_FIELDS, required=required)
    settings = _settings(top["settings"])
    weights = _weights(top["weights"]) if "weights" in top else Weights()
    rooms = _items(top["rooms"], "rooms", _room)
    online = [r.id for r in rooms if r.online]
    if len(online) > 1:
        raise InstanceError(
            f"rooms[{online[1]}].online: a second online room ({online[0]} is one already)"
        )
    people = _items(top["people"], "people", _person)
    sessions = _items(top["sessions"], "sessions", _session)
    meetings = _items(top["meetings"], "meetings", _meeting) if "meetings" in top else []
    return _build(
        lambda: SchedulingProblem(
            settings=settings,
            rooms=tuple(rooms),
            people=tuple(people),
            sessions=tuple(sessions),
            meetings=tuple(meetings),
            weights=weights,
        )
    )


def _settings(value: Any) -> Settings:
    where = "settings"
    obj = _object(value, where, _SETTINGS_FIELDS, required=("today",))
    kwargs: dict[str, Any] = {"today": _date(obj["today"], f"{where}.today")}
    for name in ("horizon_days", "grid", "notice_days", "travel_minutes", "fast_track_days"):
        if name in obj:
            kwargs[name] = _int(obj[name], f"{where}.{name}")
    if "hours" in obj:
        kwargs["hours"] = _hours(obj["hours"], f"{where}.hours")
    if "year_schedules" in obj:
        kwargs["year_schedules"] = _year_schedules(obj["year_schedules"])
    if "weekend_fallback" in obj:
        kwargs["weekend_fallback"] = _bool(obj["weekend_fallback"], f"{where}.weekend_fallback")
    grid = kwargs.get("grid", Settings.grid)
    if "hours" in kwargs and grid in GRIDS:
        for name in ("morning", "afternoon", "summer_afternoon"):
            block = getattr(kwargs["hours"], name)
            for end in ("start", "end"):
                minute = 0 if block is None else getattr(block, end)
                if minute % grid:
                    raise InstanceError(
                        f"{where}.hours.{name}.{end}: {_dump_time(minute)} is off the "
                        f"{grid}-minute grid"
                    )
    return _build(lambda: Settings(**kwargs))


def _hours(value: Any, where: str) -> CourtHours:
    obj = _object(value, where, _HOURS_FIELDS)
    kwargs: dict[str, Any] = {}
    for name in ("morning", "afternoon"):
        if name in obj:
            kwargs[name] = _block(obj[name], f"{where}.{name}")
    if "summer_afternoon" in obj:
        kwargs["summer_afternoon"] = _optional(obj, "summer_afternoon", where, _block)
    for name in ("summer_start", "summer_end"):
        if name in obj:
            kwargs[name] = _month_day(obj[name], f"{where}.{name}")
    default = CourtHours()
    first = kwargs.get("summer_start", default.summer_start)
    last = kwargs.get("summer_end", default.summer_end)
    if last < first:
        raise InstanceError(
            f"{where}.summer_end: {_dump_month_day(last)} is before summer_start "
            f"{_dump_month_day(first)}"
        )
    morning = kwargs.get("morning", default.morning)
    for name in ("afternoon", "summer_afternoon"):
        block = kwargs.get(name, getattr(default, name))
        if block is not None and block.start < morning.end:
            raise InstanceError(
                f"{where}.{name}: starts at {_dump_time(block.start)}, before the morning block "
                f"ends at {_dump_time(morning.end)}"
            )
    return CourtHours(**kwargs)


def _block(value: Any, where: str) -> Block:
    obj = _object(value, where, _BLOCK_FIELDS, required=_BLOCK_FIELDS)
    start = _time(obj["start"], f"{where}.start")
    end = _time(obj["end"], f"{where}.end")
    if end <= start:
        raise InstanceError(f"{where}.end: {obj['end']} is not after start {obj['start']}")
    return Block(start, end)


def _year_schedules(value: Any) -> tuple[YearSchedule, ...]:
    where = "settings.year_schedules"
    if not isinstance(value, list):
        raise InstanceError(f"{where}: must be a list, got {_kind(value)}")
    out: list[YearSchedule] = []
    seen: set[int] = set()
    for i, entry in enumerate(value):
        year = entry.get("year") if isinstance(entry, dict) else None
        label = year if isinstance(year, int) and not isinstance(year, bool) else i
        here = f"{where}[{label}]"
        obj = _object(entry, here, _YEAR_FIELDS, required=("year", "holidays"))
        for j, holiday in enumerate(obj["holidays"] if isinstance(obj["holidays"], list) else []):
            _object(holiday, f"{here}.holidays[{j}]", _HOLIDAY_FIELDS, required=("name",))
        workdays = obj.get("workdays", [])
        for j, workday in enumerate(workdays if isinstance(workdays, list) else []):
            if not isinstance(workday, str):
                entry = _object(workday, f"{here}.workdays[{j}]", _WORKDAY_FIELDS, ("date",))
                if "name" in entry:
                    _str(entry["name"], f"{here}.workdays[{j}].name", empty=True)
        if "source" in obj:
            _str(obj["source"], f"{here}.source", empty=True)
        try:
            schedule = parse_year_schedule(obj)
        except ScheduleFileError as exc:
            # Its messages start with the entry ("holidays[0].from: ...") or name a field.
            joint = "." if str(exc).startswith(("holidays[", "workdays[")) else ": "
            raise InstanceError(f"{here}{joint}{exc}") from None
        if schedule.year in seen:
            raise InstanceError(f"{here}: a second schedule for {schedule.year}")
        seen.add(schedule.year)
        out.append(schedule)
    return tuple(out)


def _weights(value: Any) -> Weights:
    obj = _object(value, "weights", WEIGHT_NAMES)
    kwargs = {name: _int(v, f"weights.{name}") for name, v in obj.items()}
    return _build(lambda: Weights(**kwargs))


def _room(value: Any, where: str) -> Room:
    obj = _object(value, where, _ROOM_FIELDS, required=("id",))
    kwargs: dict[str, Any] = {"id": _str(obj["id"], f"{where}.id")}
    for name in ("name", "location"):
        if name in obj:
            kwargs[name] = _str(obj[name], f"{where}.{name}", empty=name == "name")
    if "capacity" in obj:
        kwargs["capacity"] = _count(obj["capacity"], f"{where}.capacity")
    if "equipment" in obj:
        kwargs["equipment"] = frozenset(_str_list(obj["equipment"], f"{where}.equipment"))
    if "online" in obj:
        kwargs["online"] = _bool(obj["online"], f"{where}.online")
    if "closed" in obj:
        kwargs["closed"] = tuple(_list(obj["closed"], f"{where}.closed", _busy))
    return _build(lambda: Room(**kwargs))


def _person(value: Any, where: str) -> Person:
    obj = _object(value, where, _PERSON_FIELDS, required=("id",))
    kwargs: dict[str, Any] = {"id": _str(obj["id"], f"{where}.id")}
    if "name" in obj:
        kwargs["name"] = _str(obj["name"], f"{where}.name", empty=True)
    if "role" in obj:
        role = _str(obj["role"], f"{where}.role")
        if role not in ROLES:
            raise InstanceError(
                f"{where}.role: unknown role {role!r}{_suggest(role, ROLES)}"
                f" (expected {', '.join(ROLES)})"
            )
        kwargs["role"] = role
    if "availability" in obj:
        kwargs["availability"] = tuple(
            _list(obj["availability"], f"{where}.availability", _availability)
        )
    if "leave" in obj:
        kwargs["leave"] = tuple(_list(obj["leave"], f"{where}.leave", _leave))
    if "busy" in obj:
        kwargs["busy"] = tuple(_list(obj["busy"], f"{where}.busy", _busy))
    for name in ("max_sessions_per_day", "max_minutes_per_day"):
        if name in obj:
            kwargs[name] = _count(obj[name], f"{where}.{name}")
    return _build(lambda: Person(**kwargs))


def _availability(value: Any, where: str) -> Availability:
    obj = _object(value, where, _AVAILABILITY_FIELDS, required=_AVAILABILITY_FIELDS)
    weekday = _int(obj["weekday"], f"{where}.weekday")
    if not 0 <= weekday <= 6:
        raise InstanceError(f"{where}.weekday: {weekday} is not 0 (Monday) to 6 (Sunday)")
    start = _time(obj["start"], f"{where}.start")
    end = _time(obj["end"], f"{where}.end")
    if end <= start:
        raise InstanceError(f"{where}.end: {obj['end']} is not after start {obj['start']}")
    return Availability(weekday, start, end)


def _leave(value: Any, where: str) -> tuple[date, date]:
    obj = _object(value, where, _LEAVE_FIELDS, required=_LEAVE_FIELDS)
    first = _date(obj["from"], f"{where}.from")
    last = _date(obj["to"], f"{where}.to")
    if last < first:
        raise InstanceError(f"{where}.to: {last} is before from {first}")
    return first, last


def _busy(value: Any, where: str) -> Busy:
    obj = _object(value, where, _BUSY_FIELDS, required=("start", "end"))
    start = _datetime(obj["start"], f"{where}.start")
    end = _datetime(obj["end"], f"{where}.end")
    if end <= start:
        raise InstanceError(f"{where}.end: {obj['end']} is not after start {obj['start']}")
    label = _str(obj["label"], f"{where}.label", empty=True) if "label" in obj else ""
    return Busy(start, end, label)


def _session(value: Any, where: str) -> Session:
    required = ("id", "kind", "cases", "duration", "participants", "deadline")
    obj = _object(value, where, _SESSION_FIELDS, required=required)
    kwargs: dict[str, Any] = {
        "id": _str(obj["id"], f"{where}.id"),
        "kind": _str(obj["kind"], f"{where}.kind"),
        "cases": tuple(_str_list(obj["cases"], f"{where}.cases")),
        "duration": _int(obj["duration"], f"{where}.duration"),
        "participants": tuple(_str_list(obj["participants"], f"{where}.participants")),
        "deadline": _date(obj["deadline"], f"{where}.deadline"),
    }
    if "earliest" in obj:
        kwargs["earliest"] = _optional(obj, "earliest", where, _date)
    if "mode" in obj:
        kwargs["mode"] = _str(obj["mode"], f"{where}.mode")
    if "equipment" in obj:
        kwargs["equipment"] = frozenset(_str_list(obj["equipment"], f"{where}.equipment"))
    if "small_claims" in obj:
        kwargs["small_claims"] = _bool(obj["small_claims"], f"{where}.small_claims")
    if "preferred_days" in obj:
        days = _list(obj["preferred_days"], f"{where}.preferred_days", _date)
        _no_repeats(days, f"{where}.preferred_days")
        kwargs["preferred_days"] = tuple(days)
    if "preferred_rooms" in obj:
        kwargs["preferred_rooms"] = tuple(
            _str_list(obj["preferred_rooms"], f"{where}.preferred_rooms")
        )
    if "published" in obj:
        kwargs["published"] = _optional(obj, "published", where, _placement)
    if "pinned" in obj:
        kwargs["pinned"] = _bool(obj["pinned"], f"{where}.pinned")
    return _build(lambda: Session(**kwargs))


def _placement(value: Any, where: str) -> Placement:
    obj = _object(value, where, _PLACEMENT_FIELDS, required=_PLACEMENT_FIELDS)
    return Placement(
        start=_datetime(obj["start"], f"{where}.start"), room=_str(obj["room"], f"{where}.room")
    )


def _meeting(value: Any, where: str) -> RecurringMeeting:
    required = ("id", "title", "rrule", "start", "duration", "members", "room")
    obj = _object(value, where, _MEETING_FIELDS, required=required)
    start = _datetime(obj["start"], f"{where}.start")
    exdates = _list(obj.get("exdates", []), f"{where}.exdates", _date)
    _no_repeats(exdates, f"{where}.exdates")
    kwargs: dict[str, Any] = {
        "id": _str(obj["id"], f"{where}.id"),
        "title": _str(obj["title"], f"{where}.title"),
        "rrule": _rrule(obj["rrule"], f"{where}.rrule", start),
        "start": start,
        "duration": _int(obj["duration"], f"{where}.duration"),
        "members": tuple(_str_list(obj["members"], f"{where}.members")),
        "room": _str(obj["room"], f"{where}.room"),
        "exdates": tuple(exdates),
    }
    return _build(lambda: RecurringMeeting(**kwargs))


def _rrule(value: Any, where: str, start: datetime) -> str:
    """An RFC 5545 recurrence rule value, as ``scheduler.grid`` expands it (dateutil)."""
    text = _str(value, where)
    if ":" in text or "\n" in text or not text.startswith("FREQ="):
        raise InstanceError(
            f"{where}: {text!r} is not an RRULE value; write the rule alone, starting with "
            f"FREQ=, e.g. 'FREQ=WEEKLY;BYDAY=MO'"
        )
    try:
        rrulestr(text, dtstart=start)
    except ValueError as exc:
        raise InstanceError(f"{where}: {text!r} is not a valid RRULE: {exc}") from None
    return text


# --- checking helpers ----------------------------------------------------------------------------


def _build(make: Callable[[], T]) -> T:
    """Run a dataclass constructor; its ProblemError (which names field and ID) becomes an
    InstanceError."""
    try:
        return make()
    except ProblemError as exc:
        raise InstanceError(str(exc)) from None


def _object(
    value: Any, where: str, fields: Iterable[str], required: Iterable[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InstanceError(f"{where}: must be an object, got {_kind(value)}")
    known = tuple(fields)
    for key in value:
        if key not in known:
            raise InstanceError(f"{where}: unknown field {key!r}{_suggest(str(key), known)}")
    for name in required:
        if name not in value:
            raise InstanceError(f"{where}.{name}: required field is missing")
    return value


def _items(value: Any, where: str, item: Callable[[Any, str], T]) -> list[T]:
    """A list of objects with IDs: ``rooms[R1]`` names an item by its id when it has a usable
    one, else by its position."""
    if not isinstance(value, list):
        raise InstanceError(f"{where}: must be a list, got {_kind(value)}")
    out: list[T] = []
    for i, v in enumerate(value):
        ident = v.get("id") if isinstance(v, dict) else None
        label = ident if isinstance(ident, str) and ident else str(i)
        out.append(item(v, f"{where}[{label}]"))
    return out


def _list(value: Any, where: str, item: Callable[[Any, str], T]) -> list[T]:
    if not isinstance(value, list):
        raise InstanceError(f"{where}: must be a list, got {_kind(value)}")
    return [item(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _optional(
    obj: dict[str, Any], name: str, where: str, parse: Callable[[Any, str], T]
) -> T | None:
    value = obj.get(name)
    return None if value is None else parse(value, f"{where}.{name}")


def _str(value: Any, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or not (value or empty):
        what = "a string" if empty else "a non-empty string"
        raise InstanceError(f"{where}: must be {what}, got {value!r}")
    return value


def _str_list(value: Any, where: str) -> list[str]:
    items = _list(value, where, _str)
    _no_repeats(items, where)
    return items


def _no_repeats(items: Iterable[Any], where: str) -> None:
    seen: set[Any] = set()
    for item in items:
        if item in seen:
            shown = item.isoformat() if isinstance(item, date) else item
            raise InstanceError(f"{where}: {shown!r} is listed twice")
        seen.add(item)


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InstanceError(f"{where}: must be an integer, got {value!r}")
    return value


def _count(value: Any, where: str) -> int:
    number = _int(value, where)
    if number < 0:
        raise InstanceError(f"{where}: {number} is negative")
    return number


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InstanceError(f"{where}: must be true or false, got {value!r}")
    return value


def _date(value: Any, where: str) -> date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InstanceError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


def _datetime(value: Any, where: str) -> datetime:
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                raise InstanceError(f"{where}: needs a UTC offset, e.g. '{value}+08:00'")
            return moment.astimezone(TZ)
    raise InstanceError(
        f"{where}: {value!r} is not a date and time with an offset (YYYY-MM-DDTHH:MM:SS+08:00)"
    )


def _time(value: Any, where: str) -> int:
    """``"HH:MM"`` as minutes after midnight; ``"24:00"`` is the end of the day."""
    if isinstance(value, str) and _TIME.fullmatch(value):
        hours, minutes = value.split(":")
        return int(hours) * 60 + int(minutes)
    raise InstanceError(f"{where}: {value!r} is not a time of day (HH:MM)")


def _month_day(value: Any, where: str) -> tuple[int, int]:
    if isinstance(value, str) and _MONTH_DAY.fullmatch(value):
        month, day = int(value[:2]), int(value[3:])
        try:
            date(2000, month, day)  # a leap year: 02-29 is a day
        except ValueError:
            pass
        else:
            return month, day
    raise InstanceError(f"{where}: {value!r} is not a month and day (MM-DD)")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "an object"})
    return names.get(type(value), type(value).__name__)


def _suggest(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- dumping -------------------------------------------------------------------------------------


def problem_to_json(problem: SchedulingProblem) -> dict[str, Any]:
    """The JSON form of a problem, every field written out; ``load_instance`` reverses it.
    Sets are written as sorted lists, datetimes in Asia/Shanghai with their offset."""
    s = problem.settings
    h = s.hours
    return {
        "settings": {
            "today": s.today.isoformat(),
            "horizon_days": s.horizon_days,
            "grid": s.grid,
            "notice_days": s.notice_days,
            "travel_minutes": s.travel_minutes,
            "fast_track_days": s.fast_track_days,
            "hours": {
                "morning": _dump_block(h.morning),
                "afternoon": _dump_block(h.afternoon),
                "summer_afternoon": (
                    None if h.summer_afternoon is None else _dump_block(h.summer_afternoon)
                ),
                "summer_start": _dump_month_day(h.summer_start),
                "summer_end": _dump_month_day(h.summer_end),
            },
            "year_schedules": [_dump_year(y) for y in s.year_schedules],
            "weekend_fallback": s.weekend_fallback,
        },
        "weights": {name: getattr(problem.weights, name) for name in WEIGHT_NAMES},
        "rooms": [_dump_room(r) for r in problem.rooms],
        "people": [_dump_person(p) for p in problem.people],
        "sessions": [_dump_session(x) for x in problem.sessions],
        "meetings": [_dump_meeting(m) for m in problem.meetings],
    }


def _dump_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _dump_month_day(month_day: tuple[int, int]) -> str:
    return f"{month_day[0]:02d}-{month_day[1]:02d}"


def _dump_datetime(moment: datetime) -> str:
    return moment.astimezone(TZ).isoformat()


def _dump_block(block: Block) -> dict[str, str]:
    return {"start": _dump_time(block.start), "end": _dump_time(block.end)}


def _dump_year(y: YearSchedule) -> dict[str, Any]:
    """Holidays as runs of consecutive days with one name, as an official notice lists them."""
    holidays: list[dict[str, str]] = []
    run: list[date] = []
    for day in sorted(y.holidays):
        if run and (day - run[-1] != timedelta(days=1) or y.holidays[day] != y.holidays[run[0]]):
            holidays.append(_dump_run(run, y.holidays[run[0]]))
            run = []
        run.append(day)
    if run:
        holidays.append(_dump_run(run, y.holidays[run[0]]))
    return {
        "year": y.year,
        "holidays": holidays,
        "workdays": [{"date": d.isoformat(), "name": y.workdays[d]} for d in sorted(y.workdays)],
        "source": y.source,
    }


def _dump_run(run: list[date], name: str) -> dict[str, str]:
    return {"name": name, "from": run[0].isoformat(), "to": run[-1].isoformat()}


def _dump_busy(b: Busy) -> dict[str, str]:
    return {"start": _dump_datetime(b.start), "end": _dump_datetime(b.end), "label": b.label}


def _dump_room(r: Room) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "capacity": r.capacity,
        "equipment": sorted(r.equipment),
        "location": r.location,
        "online": r.online,
        "closed": [_dump_busy(b) for b in r.closed],
    }


def _dump_person(p: Person) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "role": p.role,
        "availability": [
            {"weekday": a.weekday, "start": _dump_time(a.start), "end": _dump_time(a.end)}
            for a in p.availability
        ],
        "leave": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in p.leave],
        "busy": [_dump_busy(b) for b in p.busy],
        "max_sessions_per_day": p.max_sessions_per_day,
        "max_minutes_per_day": p.max_minutes_per_day,
    }


def _dump_session(x: Session) -> dict[str, Any]:
    return {
        "id": x.id,
        "kind": x.kind,
        "cases": list(x.cases),
        "duration": x.duration,
        "participants": list(x.participants),
        "deadline": x.deadline.isoformat(),
        "earliest": None if x.earliest is None else x.earliest.isoformat(),
        "mode": x.mode,
        "equipment": sorted(x.equipment),
        "small_claims": x.small_claims,
        "preferred_days": [d.isoformat() for d in x.preferred_days],
        "preferred_rooms": list(x.preferred_rooms),
        "published": (
            None
            if x.published is None
            else {"start": _dump_datetime(x.published.start), "room": x.published.room}
        ),
        "pinned": x.pinned,
    }


def _dump_meeting(m: RecurringMeeting) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": m.title,
        "rrule": m.rrule,
        "start": _dump_datetime(m.start),
        "duration": m.duration,
        "members": list(m.members),
        "room": m.room,
        "exdates": [d.isoformat() for d in m.exdates],
    }


# --- results -------------------------------------------------------------------------------------


def write_schedule(schedule: Schedule, path: str | os.PathLike[str]) -> None:
    """Write ``schedule.as_json()`` to a UTF-8 JSON file."""
    text = json.dumps(schedule.as_json(), ensure_ascii=False, indent=2, default=_json_default)
    Path(path).write_text(text + "\n", encoding="utf-8")


def _json_default(value: Any) -> Any:
    # Stats and KPIs are free-form; sets, tuples, dates and numpy scalars may turn up in them.
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, datetime):
        return _dump_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
