"""The JSON instance format: round trip, error messages that name field and ID, and the schema."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from matcher.instance import (
    SCHEMA_PATH,
    dump_problem,
    load_problem,
    read_problem,
    write_result,
)
from matcher.problem import (
    CATEGORIES,
    COMPLEXITIES,
    MAX_WEIGHT,
    ROLES,
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
from matcher.result import Assignment, MatchResult, Unassigned

Instance = dict[str, Any]


def tiny_instance() -> Instance:
    """Two courts, three people, three cases; most optional fields left out."""
    return {
        "settings": {"today": "2026-03-02"},
        "courts": [{"id": "ZY"}, {"id": "JD", "parent": "ZY"}],
        "people": [
            {
                "id": "P1",
                "roles": ["mediator"],
                "specialties": {"financial_loan": 4, "credit_card": 2},
                "capacity": 5,
                "is_senior": True,
                "base_court": "JD",
                "roster_courts": ["ZY"],
                "free_minutes": [240, 240, 0, 480],
            },
            {
                "id": "P2",
                "roles": ["mediator", "expert"],
                "specialties": {"financial_loan": 3},
                "capacity": 3,
                "active_cases": 1,
                "evaluation": ["financial_loan"],
                "affiliations": [
                    {"institution": "BANK-A", "until": "2025-06-30"},
                    {"institution": "BANK-B"},
                ],
                "roster_courts": ["JD"],
                "free_minutes": [480, 480],
            },
            {
                "id": "P3",
                "roles": ["expert"],
                "specialties": {"credit_card": 5},
                "capacity": 2,
            },
        ],
        "cases": [
            {
                "id": "C1",
                "court": "JD",
                "category": "financial_loan",
                "complexity": "simple",
                "deadline": "2026-03-20",
                "parties": ["BANK-A", "ACME"],
                "batch": "BANK-A/financial_loan",
            },
            {
                "id": "C2",
                "court": "JD",
                "category": "credit_card",
                "complexity": "major",
                "deadline": "2026-04-01",
                "instance": 2,
                "pins": [{"person": "P1", "role": "mediator", "presiding": True}],
            },
            {
                "id": "C3",
                "court": "ZY",
                "category": "financial_loan",
                "complexity": "ordinary",
                "deadline": "2026-03-10",
                "chosen_mediator": "P2",
                "previous": [{"person": "P2", "role": "mediator"}],
            },
        ],
    }


def full_problem() -> MatchingProblem:
    """A problem with a non-default value in every field, built from the dataclasses."""
    return MatchingProblem(
        settings=Settings(
            today=date(2026, 3, 2),
            lookback_days=365,
            minutes_needed={"simple": 60, "ordinary": 90, "complex": 240, "major": 300},
            urgent_days=7,
            early_days=3,
            pure=True,
        ),
        weights=Weights(
            specialty=1, workload=2, rotation=3, batch=4, locality=5, urgency=6, stability=100
        ),
        courts=(Court("ZY"), Court("JD", parent="ZY")),
        people=(
            Person(
                id="P1",
                roles=frozenset({"mediator", "expert"}),
                specialties={"insurance": 5, "deposit": 1},
                capacity=9,
                active_cases=2,
                evaluation=frozenset({"insurance", "deposit"}),
                is_senior=True,
                base_court="JD",
                roster_courts=frozenset({"JD", "ZY"}),
                affiliations=(
                    Affiliation("BANK-B", until=date(2025, 1, 31)),
                    Affiliation("BANK-A"),
                ),
                conflict_institutions=frozenset({"INS-Z", "INS-A"}),
                conflict_cases=frozenset({"C9", "C1"}),
                free_minutes=(0, 120, 480),
                recent_assignments=7,
                batches=frozenset({"b2", "b1"}),
            ),
            Person(id="P2", roles=frozenset({"mediator"}), specialties={}, capacity=0),
        ),
        cases=(
            Case(
                id="C1",
                court="JD",
                category="insurance",
                complexity="complex",
                deadline=date(2026, 12, 31),
                parties=frozenset({"INS-Z", "ACME"}),
                instance=1,
                is_small_claim=True,
                needs_evaluation=True,
                batch="INS-Z/insurance",
                chosen_mediator="P1",
                pins=(Member("P1", "mediator", presiding=True), Member("P2", "mediator")),
                other_roles=frozenset({"P2"}),
                waivers=frozenset({"P1"}),
                previous=(Member("P2", "expert"),),
            ),
        ),
    )


# --- round trip ----------------------------------------------------------------------------------


def test_tiny_instance_loads_with_defaults() -> None:
    problem = load_problem(tiny_instance())
    assert [c.id for c in problem.cases] == ["C1", "C2", "C3"]
    p1, p2, p3 = problem.people
    assert p1.roles == frozenset({"mediator"})
    assert p1.specialties == {"financial_loan": 4, "credit_card": 2}
    assert p1.free_minutes == (240, 240, 0, 480)
    assert p2.affiliations == (
        Affiliation("BANK-A", until=date(2025, 6, 30)),
        Affiliation("BANK-B", until=None),
    )
    assert p3 == Person(
        id="P3", roles=frozenset({"expert"}), specialties={"credit_card": 5}, capacity=2
    )
    c2 = problem.cases[1]
    assert c2.deadline == date(2026, 4, 1)
    assert c2.instance == 2
    assert c2.pins == (Member("P1", "mediator", presiding=True),)
    assert problem.settings == Settings(today=date(2026, 3, 2))
    assert problem.weights == Weights()


@pytest.mark.parametrize("make", [lambda: load_problem(tiny_instance()), full_problem])
def test_dump_then_load_round_trips(make: Callable[[], MatchingProblem]) -> None:
    problem = make()
    dumped = dump_problem(problem)
    # Through real JSON text, as a file would carry it.
    again = load_problem(json.loads(json.dumps(dumped)))
    assert again == problem
    assert dump_problem(again) == dumped


def test_dump_writes_sets_as_sorted_lists_and_dates_as_iso() -> None:
    dumped = dump_problem(full_problem())
    person = dumped["people"][0]
    assert person["roles"] == ["expert", "mediator"]
    assert person["conflict_cases"] == ["C1", "C9"]
    assert person["batches"] == ["b1", "b2"]
    assert person["affiliations"] == [
        {"institution": "BANK-B", "until": "2025-01-31"},
        {"institution": "BANK-A", "until": None},
    ]
    case = dumped["cases"][0]
    assert case["parties"] == ["ACME", "INS-Z"]
    assert case["deadline"] == "2026-12-31"
    assert dumped["settings"]["today"] == "2026-03-02"
    assert dumped["weights"]["stability"] == 100


def test_read_problem_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(tiny_instance(), ensure_ascii=False), encoding="utf-8")
    assert read_problem(path) == load_problem(tiny_instance())


# --- errors name the field and the ID ------------------------------------------------------------

Mutation = Callable[[Instance], None]


def _set(path: str, value: Any) -> Mutation:
    """A mutation that sets ``a.b[0].c`` to value."""

    def mutate(data: Instance) -> None:
        keys: list[str | int] = [
            int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)
        ]
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: Instance) -> None:
        *head, last = path.split(".")
        target: Any = data
        for key in head:
            target = target[int(key)] if key.isdigit() else target[key]
        del target[last]

    return mutate


# Structural errors: the loader reports them, and the schema rejects them too.
STRUCTURAL: list[tuple[str, Mutation, str]] = [
    (
        "bad date",
        _set("cases[2].deadline", "2026-02-30"),
        "cases[2] (id 'C3').deadline: '2026-02-30' is not a date (YYYY-MM-DD)",
    ),
    (
        "date in another format",
        _set("cases[0].deadline", "20260320"),
        "cases[0] (id 'C1').deadline: '20260320' is not a date (YYYY-MM-DD)",
    ),
    (
        "bad date in an affiliation",
        _set("people[1].affiliations[0].until", "2025-13-01"),
        "people[1] (id 'P2').affiliations[0].until: '2025-13-01' is not a date",
    ),
    (
        "bad today",
        _set("settings.today", "tomorrow"),
        "settings.today: 'tomorrow' is not a date (YYYY-MM-DD)",
    ),
    (
        "unknown key in a person",
        _set("people[0].capacty", 5),
        "people[0] (id 'P1'): unknown field 'capacty' (did you mean 'capacity'?)",
    ),
    (
        "unknown key in a case",
        _set("cases[1].urgent", True),
        "cases[1] (id 'C2'): unknown field 'urgent'",
    ),
    (
        "unknown key in a pin",
        _set("cases[1].pins[0].presides", True),
        "cases[1] (id 'C2').pins[0]: unknown field 'presides' (did you mean 'presiding'?)",
    ),
    (
        "unknown key in a court",
        _set("courts[1].name", "解放区人民法院"),
        "courts[1] (id 'JD'): unknown field 'name'",
    ),
    ("unknown top-level key", _set("case", []), "instance: unknown field 'case'"),
    (
        "unknown weight",
        _set("weights", {"speciality": 3}),
        "weights: unknown field 'speciality' (did you mean 'specialty'?)",
    ),
    (
        "unknown complexity in minutes_needed",
        _set(
            "settings.minutes_needed",
            {"simple": 1, "ordinary": 2, "complex": 3, "major": 4, "huge": 5},
        ),
        "settings.minutes_needed: unknown complexity 'huge'",
    ),
    (
        "capacity as a string",
        _set("people[0].capacity", "5"),
        "people[0] (id 'P1').capacity: must be an integer, got '5'",
    ),
    (
        "capacity as a float",
        _set("people[2].capacity", 2.5),
        "people[2] (id 'P3').capacity: must be an integer, got 2.5",
    ),
    (
        "boolean as a number",
        _set("people[0].is_senior", 1),
        "people[0] (id 'P1').is_senior: must be true or false, got 1",
    ),
    (
        "roles as a string",
        _set("people[1].roles", "mediator"),
        "people[1] (id 'P2').roles: must be a list, got a string",
    ),
    (
        "a role listed twice",
        _set("people[1].roles", ["expert", "expert"]),
        "people[1] (id 'P2').roles: 'expert' is listed twice",
    ),
    (
        "free minutes not integers",
        _set("people[0].free_minutes", [240, "all day"]),
        "people[0] (id 'P1').free_minutes[1]: must be an integer, got 'all day'",
    ),
    (
        "level as a string",
        _set("people[0].specialties.financial_loan", "4"),
        "people[0] (id 'P1').specialties.financial_loan: must be an integer, got '4'",
    ),
    (
        "instance true",
        _set("cases[0].instance", True),
        "cases[0] (id 'C1').instance: must be an integer, got True",
    ),
    (
        "weight as a string",
        _set("weights", {"workload": "high"}),
        "weights.workload: must be an integer, got 'high'",
    ),
    (
        "parties as an object",
        _set("cases[0].parties", {"BANK-A": True}),
        "cases[0] (id 'C1').parties: must be a list, got an object",
    ),
    (
        "numeric id",
        _set("cases[0].id", 17),
        "cases[0].id: must be a non-empty string, got 17",
    ),
    (
        "empty reference",
        _set("cases[0].court", ""),
        "cases[0] (id 'C1').court: must be a non-empty string, got ''",
    ),
    (
        "person not an object",
        _set("people[2]", "P3"),
        "people[2]: must be an object, got a string",
    ),
    (
        "missing deadline",
        _delete("cases.0.deadline"),
        "cases[0] (id 'C1').deadline: required field is missing",
    ),
    (
        "missing capacity",
        _delete("people.2.capacity"),
        "people[2] (id 'P3').capacity: required field is missing",
    ),
    ("missing id", _delete("people.1.id"), "people[1].id: required field is missing"),
    (
        "missing pin role",
        _delete("cases.1.pins.0.role"),
        "cases[1] (id 'C2').pins[0].role: required field is missing",
    ),
    ("missing today", _delete("settings.today"), "settings.today: required field is missing"),
    ("missing settings", _delete("settings"), "instance.settings: required field is missing"),
    ("missing people", _delete("people"), "instance.people: required field is missing"),
    # Semantic checks done by the dataclasses, which the schema can express too.
    (
        "unknown category",
        _set("cases[1].category", "credit"),
        "cases (id 'C2').category: unknown category 'credit'",
    ),
    (
        "unknown category in specialties",
        _set("people[2].specialties", {"crypto": 3}),
        "people (id 'P3').specialties: unknown category 'crypto'",
    ),
    (
        "unknown complexity",
        _set("cases[0].complexity", "easy"),
        "cases (id 'C1').complexity: unknown complexity 'easy'",
    ),
    (
        "unknown role",
        _set("people[2].roles", ["judge"]),
        "people (id 'P3').roles: must be a non-empty subset",
    ),
    (
        "negative capacity",
        _set("people[1].capacity", -1),
        "people (id 'P2').capacity: -1 is negative",
    ),
    (
        "negative free minutes",
        _set("people[1].free_minutes", [480, -60]),
        "people (id 'P2').free_minutes: minutes must not be negative",
    ),
    (
        "level out of range",
        _set("people[0].specialties.credit_card", 6),
        "people (id 'P1').specialties.credit_card: level 6 is not 1–5",
    ),
    (
        "weight out of range",
        _set("weights", {"workload": 101}),
        f"weights.workload: 101 is out of range [0, {MAX_WEIGHT}]",
    ),
    (
        "negative weight",
        _set("weights", {"batch": -1}),
        "weights.batch: -1 is out of range",
    ),
    (
        "second instance 3",
        _set("cases[0].instance", 3),
        "cases (id 'C1').instance: must be null, 1 or 2, got 3",
    ),
    (
        "incomplete minutes_needed",
        _set("settings.minutes_needed", {"simple": 60}),
        "settings.minutes_needed.ordinary: must be a non-negative integer",
    ),
]

# Cross-reference errors: only the loader can see them.
CROSS_REFERENCE: list[tuple[str, Mutation, str]] = [
    ("duplicate person id", _set("people[1].id", "P1"), "people (id 'P1'): duplicate id"),
    ("duplicate case id", _set("cases[2].id", "C1"), "cases (id 'C1'): duplicate id"),
    ("duplicate court id", _set("courts[1].id", "ZY"), "courts (id 'ZY'): duplicate id"),
    (
        "unknown court",
        _set("cases[2].court", "XX"),
        "cases (id 'C3').court: unknown court 'XX'",
    ),
    (
        "unknown pinned person",
        _set("cases[1].pins[0].person", "P9"),
        "cases (id 'C2').pins: unknown person 'P9'",
    ),
    (
        "unknown roster court",
        _set("people[0].roster_courts", ["ZY", "XX"]),
        "people (id 'P1').roster_courts: unknown court 'XX'",
    ),
]


def _ids(cases: list[tuple[str, Mutation, str]]) -> list[str]:
    return [name for name, _, _ in cases]


@pytest.mark.parametrize(("name", "mutate", "message"), STRUCTURAL + CROSS_REFERENCE,
                         ids=_ids(STRUCTURAL + CROSS_REFERENCE))  # fmt: skip
def test_bad_instance_error_names_field_and_id(name: str, mutate: Mutation, message: str) -> None:
    data = tiny_instance()
    mutate(data)
    with pytest.raises(ProblemError) as raised:
        load_problem(data)
    assert message in str(raised.value)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(ProblemError, match=r"^instance: must be an object, got a list$"):
        load_problem([tiny_instance()])


def test_read_problem_rejects_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"settings": {"today": "2026-03-02"},\n "courts": [,]}', encoding="utf-8")
    with pytest.raises(ProblemError, match=r"broken\.json: invalid JSON at line 2 column 13"):
        read_problem(path)


def test_read_problem_rejects_a_repeated_key(tmp_path: Path) -> None:
    # json.loads would keep the second capacity silently.
    path = tmp_path / "twice.json"
    text = json.dumps(tiny_instance()).replace('"capacity": 5', '"capacity": 5, "capacity": 50')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemError, match=r"twice\.json: duplicate key 'capacity'"):
        read_problem(path)


def test_read_problem_rejects_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.json"
    path.write_bytes(
        json.dumps(tiny_instance(), ensure_ascii=False).encode("utf-8") + "调解".encode("gbk")
    )
    with pytest.raises(ProblemError, match=r"gbk\.json: not UTF-8"):
        read_problem(path)


def test_read_problem_lets_a_missing_file_raise_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_problem(tmp_path / "absent.json")


# --- the schema ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_enums_and_ranges_match_the_dataclasses(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    assert defs["category"]["enum"] == list(CATEGORIES)
    assert defs["complexity"]["enum"] == list(COMPLEXITIES)
    assert defs["role"]["enum"] == list(ROLES)
    assert list(defs["weights"]["properties"]) == list(WEIGHT_NAMES)
    assert defs["weight"]["maximum"] == MAX_WEIGHT
    assert list(defs["settings"]["properties"]["minutes_needed"]["properties"]) == list(
        COMPLEXITIES
    )


def test_schema_fields_are_the_loaders_fields(schema: dict[str, Any]) -> None:
    """Every field the dumper writes is in the schema, and the schema has no others."""
    dumped = dump_problem(full_problem())
    defs = schema["$defs"]
    assert set(schema["properties"]) == set(dumped)
    assert set(defs["settings"]["properties"]) == set(dumped["settings"])
    assert set(defs["court"]["properties"]) == set(dumped["courts"][0])
    assert set(defs["person"]["properties"]) == set(dumped["people"][0])
    assert set(defs["affiliation"]["properties"]) == set(dumped["people"][0]["affiliations"][0])
    assert set(defs["case"]["properties"]) == set(dumped["cases"][0])
    assert set(defs["member"]["properties"]) == set(dumped["cases"][0]["pins"][0])


def test_every_schema_field_has_a_description(schema: dict[str, Any]) -> None:
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if not sub.get("description"):
                    missing.append(f"{where}.{name}")
            for key, sub in node.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk(schema, "#")
    assert missing == []
    assert "串案" in json.dumps(schema, ensure_ascii=False)
    assert "回避" in json.dumps(schema, ensure_ascii=False)


@pytest.mark.parametrize("make", [tiny_instance, lambda: dump_problem(full_problem())])
def test_schema_accepts_valid_instances(
    validator: Draft202012Validator, make: Callable[[], Instance]
) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(make())]
    assert errors == []


@pytest.mark.parametrize(("name", "mutate", "message"), STRUCTURAL, ids=_ids(STRUCTURAL))
def test_schema_rejects_what_the_loader_rejects(
    validator: Draft202012Validator, name: str, mutate: Mutation, message: str
) -> None:
    data = tiny_instance()
    mutate(data)
    assert not validator.is_valid(data), name


def test_schema_rejects_a_broken_dumped_instance(validator: Draft202012Validator) -> None:
    data = copy.deepcopy(dump_problem(full_problem()))
    data["people"][0]["capacity"] = -3
    data["cases"][0]["complexity"] = "trivial"
    data["weights"]["urgency"] = 1000
    data["cases"][0]["extra"] = 1
    messages = sorted(e.message for e in validator.iter_errors(data))
    assert len(messages) == 4, messages


# --- results -------------------------------------------------------------------------------------


def test_write_result_writes_the_json_form(tmp_path: Path) -> None:
    result = MatchResult(
        status="optimal",
        objective=42,
        bound=42,
        seconds=0.25,
        assignments=(Assignment("C1", "P1", "mediator", presiding=True),),
        unassigned=(Unassigned("C2", "capacity_exhausted", {"eligible": frozenset({"P2", "P1"})}),),
        kpis={"mean_specialty_level": 4.0},
    )
    path = tmp_path / "result.json"
    write_result(result, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == json.loads(
        json.dumps(result.as_json(), default=lambda v: sorted(v))
    )  # sets written as sorted lists
    assert data["unassigned"] == [
        {"case": "C2", "reason": "capacity_exhausted", "details": {"eligible": ["P1", "P2"]}}
    ]
    assert data["assignments"][0] == {
        "case": "C1",
        "person": "P1",
        "role": "mediator",
        "presiding": True,
    }
