"""The JSON instance format: load, dump and read a MatchingProblem, write a MatchResult.

The format is documented by ``matcher/instance.schema.json``. Loading checks types, required and
unknown fields, and names the path and the ID in every error; the dataclasses in
``matcher.problem`` then check the meaning (categories, references, ranges) on construction.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from matcher.problem import (
    COMPLEXITIES,
    WEIGHT_NAMES,
    Affiliation,
    Case,
    Court,
    MatchingProblem,
    Member,
    Person,
    ProblemError,
    Settings,
    Weights,
)
from matcher.result import MatchResult

SCHEMA_PATH = Path(__file__).with_name("instance.schema.json")

T = TypeVar("T")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_TOP_FIELDS = ("settings", "weights", "courts", "people", "cases")
_SETTINGS_FIELDS = (
    "today",
    "lookback_days",
    "minutes_needed",
    "urgent_days",
    "early_days",
    "pure",
)
_COURT_FIELDS = ("id", "parent")
_AFFILIATION_FIELDS = ("institution", "until")
_MEMBER_FIELDS = ("person", "role", "presiding")
_PERSON_FIELDS = (
    "id",
    "roles",
    "specialties",
    "capacity",
    "active_cases",
    "evaluation",
    "is_senior",
    "base_court",
    "roster_courts",
    "affiliations",
    "conflict_institutions",
    "conflict_cases",
    "free_minutes",
    "recent_assignments",
    "batches",
)
_CASE_FIELDS = (
    "id",
    "court",
    "category",
    "complexity",
    "deadline",
    "parties",
    "instance",
    "is_small_claim",
    "needs_evaluation",
    "batch",
    "chosen_mediator",
    "pins",
    "other_roles",
    "waivers",
    "previous",
)


# --- loading -------------------------------------------------------------------------------------


def load_problem(data: Any) -> MatchingProblem:
    """Build a MatchingProblem from its JSON form (a dict as ``json.load`` returns it)."""
    top = _object(data, "instance", _TOP_FIELDS, required=("settings", "courts", "people", "cases"))
    settings = _settings(top["settings"])
    weights = _weights(top["weights"]) if "weights" in top else Weights()
    courts = _list(top["courts"], "courts", _court)
    people = _list(top["people"], "people", _person)
    cases = _list(top["cases"], "cases", _case)
    return MatchingProblem(
        cases=tuple(cases),
        people=tuple(people),
        courts=tuple(courts),
        settings=settings,
        weights=weights,
    )


def read_problem(path: str | os.PathLike[str]) -> MatchingProblem:
    """Read an instance file. Invalid JSON raises ProblemError; an unreadable file, OSError."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(f"{os.fspath(path)}: not UTF-8 text ({exc.reason})") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ProblemError(
            f"{os.fspath(path)}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except _DuplicateKey as exc:
        raise ProblemError(f"{os.fspath(path)}: duplicate key {exc.key!r} in one object") from None
    return load_problem(data)


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


def _settings(value: Any) -> Settings:
    where = "settings"
    obj = _object(value, where, _SETTINGS_FIELDS, required=("today",))
    kwargs: dict[str, Any] = {"today": _date(obj["today"], f"{where}.today")}
    for name in ("lookback_days", "urgent_days", "early_days"):
        if name in obj:
            kwargs[name] = _int(obj[name], f"{where}.{name}")
    if "minutes_needed" in obj:
        kwargs["minutes_needed"] = _minutes_needed(obj["minutes_needed"])
    if "pure" in obj:
        kwargs["pure"] = _bool(obj["pure"], f"{where}.pure")
    return Settings(**kwargs)


def _minutes_needed(value: Any) -> Mapping[str, int]:
    where = "settings.minutes_needed"
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: must be an object, got {_kind(value)}")
    for key in value:
        if key not in COMPLEXITIES:
            raise ProblemError(
                f"{where}: unknown complexity {key!r}{_suggest(key, COMPLEXITIES)}"
                f" (expected {', '.join(COMPLEXITIES)})"
            )
    minutes = {key: _int(v, f"{where}.{key}") for key, v in value.items()}
    return MappingProxyType(minutes)


def _weights(value: Any) -> Weights:
    obj = _object(value, "weights", WEIGHT_NAMES)
    return Weights(**{name: _int(v, f"weights.{name}") for name, v in obj.items()})


def _court(value: Any, where: str) -> Court:
    where = _with_id(where, value)
    obj = _object(value, where, _COURT_FIELDS, required=("id",))
    return Court(
        id=_str(obj["id"], f"{where}.id"),
        parent=_optional(obj, "parent", where, _str),
    )


def _person(value: Any, where: str) -> Person:
    where = _with_id(where, value)
    obj = _object(value, where, _PERSON_FIELDS, required=("id", "roles", "specialties", "capacity"))
    kwargs: dict[str, Any] = {
        "id": _str(obj["id"], f"{where}.id"),
        "roles": _str_set(obj["roles"], f"{where}.roles"),
        "specialties": _levels(obj["specialties"], f"{where}.specialties"),
        "capacity": _int(obj["capacity"], f"{where}.capacity"),
    }
    for name in ("active_cases", "recent_assignments"):
        if name in obj:
            kwargs[name] = _int(obj[name], f"{where}.{name}")
    for name in (
        "evaluation",
        "roster_courts",
        "conflict_institutions",
        "conflict_cases",
        "batches",
    ):
        if name in obj:
            kwargs[name] = _str_set(obj[name], f"{where}.{name}")
    if "is_senior" in obj:
        kwargs["is_senior"] = _bool(obj["is_senior"], f"{where}.is_senior")
    if "base_court" in obj:
        kwargs["base_court"] = _optional(obj, "base_court", where, _str)
    if "affiliations" in obj:
        kwargs["affiliations"] = tuple(
            _list(obj["affiliations"], f"{where}.affiliations", _affiliation)
        )
    if "free_minutes" in obj:
        kwargs["free_minutes"] = tuple(_list(obj["free_minutes"], f"{where}.free_minutes", _int))
    return Person(**kwargs)


def _case(value: Any, where: str) -> Case:
    where = _with_id(where, value)
    required = ("id", "court", "category", "complexity", "deadline")
    obj = _object(value, where, _CASE_FIELDS, required=required)
    kwargs: dict[str, Any] = {
        "id": _str(obj["id"], f"{where}.id"),
        "court": _str(obj["court"], f"{where}.court"),
        "category": _str(obj["category"], f"{where}.category"),
        "complexity": _str(obj["complexity"], f"{where}.complexity"),
        "deadline": _date(obj["deadline"], f"{where}.deadline"),
    }
    for name in ("parties", "other_roles", "waivers"):
        if name in obj:
            kwargs[name] = _str_set(obj[name], f"{where}.{name}")
    for name in ("is_small_claim", "needs_evaluation"):
        if name in obj:
            kwargs[name] = _bool(obj[name], f"{where}.{name}")
    for name in ("batch", "chosen_mediator"):
        if name in obj:
            kwargs[name] = _optional(obj, name, where, _str)
    if "instance" in obj:
        kwargs["instance"] = _optional(obj, "instance", where, _int)
    for name in ("pins", "previous"):
        if name in obj:
            kwargs[name] = tuple(_list(obj[name], f"{where}.{name}", _member))
    return Case(**kwargs)


def _affiliation(value: Any, where: str) -> Affiliation:
    obj = _object(value, where, _AFFILIATION_FIELDS, required=("institution",))
    return Affiliation(
        institution=_str(obj["institution"], f"{where}.institution"),
        until=_optional(obj, "until", where, _date),
    )


def _member(value: Any, where: str) -> Member:
    obj = _object(value, where, _MEMBER_FIELDS, required=("person", "role"))
    return Member(
        person=_str(obj["person"], f"{where}.person"),
        role=_str(obj["role"], f"{where}.role"),
        presiding=_bool(obj["presiding"], f"{where}.presiding") if "presiding" in obj else False,
    )


# --- checking helpers ----------------------------------------------------------------------------


def _with_id(where: str, value: Any) -> str:
    """``cases[3]`` becomes ``cases[3] (id 'C17')`` when the item has a usable id."""
    if isinstance(value, dict):
        ident = value.get("id")
        if isinstance(ident, str) and ident:
            return f"{where} (id {ident!r})"
    return where


def _object(
    value: Any, where: str, fields: Iterable[str], required: Iterable[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: must be an object, got {_kind(value)}")
    known = tuple(fields)
    for key in value:
        if key not in known:
            raise ProblemError(f"{where}: unknown field {key!r}{_suggest(str(key), known)}")
    for name in required:
        if name not in value:
            raise ProblemError(f"{where}.{name}: required field is missing")
    return value


def _list(value: Any, where: str, item: Callable[[Any, str], T]) -> list[T]:
    if not isinstance(value, list):
        raise ProblemError(f"{where}: must be a list, got {_kind(value)}")
    return [item(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _optional(
    obj: dict[str, Any], name: str, where: str, parse: Callable[[Any, str], T]
) -> T | None:
    value = obj.get(name)
    return None if value is None else parse(value, f"{where}.{name}")


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProblemError(f"{where}: must be a non-empty string, got {value!r}")
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(f"{where}: must be an integer, got {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(f"{where}: must be true or false, got {value!r}")
    return value


def _date(value: Any, where: str) -> date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ProblemError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


def _str_set(value: Any, where: str) -> frozenset[str]:
    items = _list(value, where, _str)
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise ProblemError(f"{where}: {item!r} is listed twice")
        seen.add(item)
    return frozenset(items)


def _levels(value: Any, where: str) -> Mapping[str, int]:
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: must be an object, got {_kind(value)}")
    return MappingProxyType({key: _int(level, f"{where}.{key}") for key, level in value.items()})


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


def dump_problem(problem: MatchingProblem) -> dict[str, Any]:
    """The JSON form of a problem, every field written out; ``load_problem`` reverses it."""
    s = problem.settings
    return {
        "settings": {
            "today": s.today.isoformat(),
            "lookback_days": s.lookback_days,
            "minutes_needed": dict(s.minutes_needed),
            "urgent_days": s.urgent_days,
            "early_days": s.early_days,
            "pure": s.pure,
        },
        "weights": problem.weights.as_dict(),
        "courts": [{"id": c.id, "parent": c.parent} for c in problem.courts],
        "people": [_dump_person(p) for p in problem.people],
        "cases": [_dump_case(c) for c in problem.cases],
    }


def _dump_person(p: Person) -> dict[str, Any]:
    return {
        "id": p.id,
        "roles": sorted(p.roles),
        "specialties": dict(sorted(p.specialties.items())),
        "capacity": p.capacity,
        "active_cases": p.active_cases,
        "evaluation": sorted(p.evaluation),
        "is_senior": p.is_senior,
        "base_court": p.base_court,
        "roster_courts": sorted(p.roster_courts),
        "affiliations": [
            {"institution": a.institution, "until": a.until.isoformat() if a.until else None}
            for a in p.affiliations
        ],
        "conflict_institutions": sorted(p.conflict_institutions),
        "conflict_cases": sorted(p.conflict_cases),
        "free_minutes": list(p.free_minutes),
        "recent_assignments": p.recent_assignments,
        "batches": sorted(p.batches),
    }


def _dump_case(c: Case) -> dict[str, Any]:
    return {
        "id": c.id,
        "court": c.court,
        "category": c.category,
        "complexity": c.complexity,
        "deadline": c.deadline.isoformat(),
        "parties": sorted(c.parties),
        "instance": c.instance,
        "is_small_claim": c.is_small_claim,
        "needs_evaluation": c.needs_evaluation,
        "batch": c.batch,
        "chosen_mediator": c.chosen_mediator,
        "pins": [_dump_member(m) for m in c.pins],
        "other_roles": sorted(c.other_roles),
        "waivers": sorted(c.waivers),
        "previous": [_dump_member(m) for m in c.previous],
    }


def _dump_member(m: Member) -> dict[str, Any]:
    return {"person": m.person, "role": m.role, "presiding": m.presiding}


# --- results -------------------------------------------------------------------------------------


def write_result(result: MatchResult, path: str | os.PathLike[str]) -> None:
    """Write ``result.as_json()`` to a UTF-8 JSON file."""
    text = json.dumps(result.as_json(), ensure_ascii=False, indent=2, default=_json_default)
    Path(path).write_text(text + "\n", encoding="utf-8")


def _json_default(value: Any) -> Any:
    # Unassigned details and stats are free-form; sets, tuples and dates may turn up in them.
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
