"""Case intake through the API: ``POST /api/v1/cases``.

A court sends cases as JSON objects whose fields are the transfer sheet's columns under their
field names (``case_number`` for 案号, ``amount`` for 标的额（元）, …) with the sheet's values
(委派/委托, 一审, 普通程序, 是/否, …). The view checks only the shape of the body; every case is
then validated and stored by ``transfer_sheet.import_records``, the import of the sheet itself,
so a case is accepted or rejected here exactly as its sheet row would be, with the same reasons.
The reasons are answered in English, like every other API message, whatever the caller's
``lang`` cookie or parameter (the coordinator's page shows the same reasons in its language).
A key (or a court's login) may only send its own court's cases (an intermediate court's also its
basic courts'); the center's staff, when the access table admits them, send any court's.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, current_app, g, request
from flask.wrappers import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import api
from .apikeys import courts_under, visible_court_ids
from .db import get_session, transaction
from .transfer_sheet import (
    FIELD_HEADERS,
    ImportOptions,
    RecordSource,
    RowError,
    import_records,
)

MAX_CASES = 500

# JSON types a field takes besides a string and null (null is an empty cell). A number or a
# boolean is read as the sheet reads the cell that shows it: 1 is "1", true is "TRUE".
EXTRA_TYPES: dict[str, tuple[str, ...]] = {
    "instance": ("integer",),
    "amount": ("number",),
    "defendants": ("array",),
    "is_complex": ("boolean", "integer"),
    "needs_evaluation": ("boolean", "integer"),
}
FIELD_DOCS: dict[str, tuple[str, Any]] = {
    "case_number": ("half- or full-width parentheses", "(2026)豫0802民诉前调1234号"),
    "court": ("the court's name, short name or code", "解放区人民法院"),
    "mode": ("委派 or 委托 (also 诉前委派, 诉中委托)", "委派"),
    "instance": ("一审 or 二审 (or 1, 2) for 委托; empty for 委派", None),
    "procedure": (
        "普通, 简易 or 小额 (or 普通程序, …); for 委派 it may be empty, and is then "
        "classified by amount",
        "简易程序",
    ),
    "cause": ("案由, a financial dispute", "金融借款合同纠纷"),
    "amount": ("yuan, at most 2 decimal places; 1,234.50 and ¥1234.5 are read too", "120000.00"),
    "plaintiff": ("usually the financial institution", "中国工商银行股份有限公司焦作分行"),
    "defendants": ("separated by 、, or an array of names", ["张三", "李四"]),
    "received_on": ("2026-11-27, 2026/11/27 or 2026年11月27日; not in the future", "2026-11-02"),
    "is_complex": ("是 or 否 (also true/false, 1/0); empty is 否", "否"),
    "needs_evaluation": ("是 or 否 (also true/false, 1/0); empty is 否", False),
    "chosen_mediator": ("a roster number or name the parties chose together", None),
    "notes": ("free text", None),
}


ENDPOINT = "intake_cases"  # api.intake_cases in web/auth.py's access table


def register(bp: Blueprint) -> None:
    """Add ``POST /cases`` to the API blueprint (before the blueprint is registered)."""
    bp.add_url_rule("/cases", endpoint=ENDPOINT, view_func=intake_cases, methods=["POST"])


# --- the view -----------------------------------------------------------------------------------


def _scope(session: Session) -> tuple[set[int] | None, str]:
    """The courts the caller may send cases for (None: any) and the actor to audit. Who may
    call at all is the access table's decision (web/auth.py), made before the view runs."""
    key = g.get("api_key")
    if key is not None:
        return visible_court_ids(session, key), f"apikey:{key.prefix}"
    user = g.get("user")
    if user is None:  # unreachable behind the blueprint's authentication
        raise api.ApiError(401, "unauthorized", "an API key or a login is required")
    if user.court_id is not None:
        return courts_under(session, user.court_id), str(user.username)
    return None, str(user.username)  # the center's staff take cases of every court


def intake_cases() -> Response:
    records, strict = _parse_body(request.get_json(silent=True))
    session = get_session()
    allowed_court_ids, actor = _scope(session)
    options = ImportOptions(
        today=api.now().astimezone(api.TZ).date(),
        small_claims_threshold=current_app.config["SUTIAO_SMALL_CLAIMS_THRESHOLD"],
        major_amount=current_app.config["SUTIAO_MAJOR_AMOUNT"],
        strict=strict,
        actor=actor,
    )
    source = RecordSource(
        kind="api_request",
        name=hashlib.sha256(request.get_data()).hexdigest(),
        batch="request",
        details={"via": "api"},
    )
    try:
        with transaction(session):
            report = import_records(
                session, records, options, source=source, allowed_court_ids=allowed_court_ids
            )
            if strict and report.rejected:
                session.rollback()  # nothing was added, but leave no trace at all
    except IntegrityError as exc:
        if "unique" not in str(exc.orig).lower():
            raise
        # Another request stored one of these cases (or a new institution) between our check
        # and our insert; everything of this request was rolled back.
        raise api.ApiError(
            409,
            "conflict",
            "another request stored some of these cases at the same moment; nothing of this "
            "request was stored; send it again to see which are already there",
            {"cases": "conflicting concurrent intake"},
        ) from None

    errors = [_error_json(e) for e in report.rejected]
    if strict and errors:
        details: dict[str, Any] = {}
        for e in report.rejected:
            path = f"cases[{e.row}].{e.field_name}"
            reason = _english(e)
            details[path] = f"{details[path]}; {reason}" if path in details else reason
        raise api.ApiError(
            422,
            "rejected",
            f"strict: {len(report.rejected_rows)} of {report.rows} cases were rejected, so "
            "nothing was stored",
            {**details, "errors": errors},
        )
    body = {
        "created": [{"index": report.row_of[n], "case_number": n} for n in report.imported],
        "duplicates": [{"index": report.row_of[n], "case_number": n} for n in report.unchanged],
        "errors": errors,
        "warnings": [_error_json(w) for w in report.warnings],
    }
    return api.json_response(body, 201 if report.imported else 200)


def _english(error: RowError) -> str:
    """The API answers in English, whatever the page language a cookie or ?lang= chose."""
    return error.reason.in_locale("en")


def _error_json(error: RowError) -> dict[str, Any]:
    return {
        "index": error.row,
        "field": error.field_name,
        "header": error.field,
        "reason": _english(error),
    }


def _printable(name: str) -> str:
    # A key is echoed in the error details; a lone surrogate in it could not be encoded.
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _type_problem(name: str, value: Any) -> str | None:
    extra = EXTRA_TYPES.get(name, ())
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, bool):
        ok = "boolean" in extra
    elif isinstance(value, int):
        ok = "integer" in extra or "number" in extra
    elif isinstance(value, float):
        ok = "number" in extra or ("integer" in extra and value.is_integer())
    elif isinstance(value, list):
        ok = "array" in extra and all(isinstance(v, str) for v in value)
    else:
        ok = False
    if ok:
        return None
    kinds = ["a string", *(f"an {t}" if t[0] in "aeiou" else f"a {t}" for t in extra), "null"]
    if "array" in extra:
        kinds[kinds.index("an array")] = "an array of strings"
    return f"must be {', '.join(kinds[:-1])} or {kinds[-1]}"


def _parse_body(body: Any) -> tuple[list[tuple[int, dict[str, Any]]], bool]:
    """The cases as (index, record) and the strict flag, or a 400 naming every bad field."""
    if not isinstance(body, dict):
        raise api.ApiError(
            400,
            "invalid_request",
            'expected a JSON object {"cases": [...], "strict": false} with Content-Type '
            "application/json",
            {"body": "not a JSON object"},
        )
    details: dict[str, str] = {
        _printable(name): "unknown field" for name in body if name not in ("cases", "strict")
    }
    strict = body.get("strict", False)
    if not isinstance(strict, bool):
        details["strict"] = "must be true or false"
    cases = body.get("cases")
    records: list[tuple[int, dict[str, Any]]] = []
    if cases is None:
        details["cases"] = f"required: an array of 1 to {MAX_CASES} case objects"
    elif not isinstance(cases, list):
        details["cases"] = f"must be an array of 1 to {MAX_CASES} case objects"
    elif not cases:
        details["cases"] = "must hold at least one case"
    elif len(cases) > MAX_CASES:
        details["cases"] = f"at most {MAX_CASES} cases per request, got {len(cases)}"
    else:
        for index, case in enumerate(cases):
            if not isinstance(case, dict):
                details[f"cases[{index}]"] = "must be an object of fields (case_number, court, …)"
                continue
            for name, value in case.items():
                path = f"cases[{index}].{_printable(name)}"
                if name not in FIELD_HEADERS:
                    details[path] = "unknown field"
                elif (problem := _type_problem(name, value)) is not None:
                    details[path] = problem
            records.append((index, case))
    if details:
        raise api.ApiError(400, "invalid_request", "invalid intake request", details)
    # An array of defendants is the sheet's 、-separated cell.
    joined = [
        (i, {k: "、".join(v) if isinstance(v, list) else v for k, v in case.items()})
        for i, case in records
    ]
    return joined, strict


# --- OpenAPI ------------------------------------------------------------------------------------


def _field_schema(name: str) -> dict[str, Any]:
    description, example = FIELD_DOCS[name]
    text: dict[str, Any] = {"type": "string", "nullable": True}
    alternatives: list[dict[str, Any]] = [text]
    for kind in EXTRA_TYPES.get(name, ()):
        if kind == "array":
            alternatives.append({"type": "array", "items": {"type": "string"}})
        else:
            alternatives.append({"type": kind})
    schema: dict[str, Any] = text if len(alternatives) == 1 else {"anyOf": alternatives}
    schema = {**schema, "description": f"{FIELD_HEADERS[name]}: {description}"}
    if example is not None:
        schema["example"] = example
    return schema


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_CASE_REF = {
    "type": "object",
    "required": ["index", "case_number"],
    "properties": {
        "index": {"type": "integer", "minimum": 0, "description": "position in `cases`"},
        "case_number": {"type": "string", "description": "normalised 案号"},
    },
}
_CASE_ERROR = {
    "type": "object",
    "required": ["index", "field", "header", "reason"],
    "properties": {
        "index": {"type": "integer", "minimum": 0, "description": "position in `cases`"},
        "field": {"type": "string", "enum": list(FIELD_HEADERS)},
        "header": {
            "type": "string",
            "enum": list(FIELD_HEADERS.values()),
            "description": "the transfer sheet's column",
        },
        "reason": {
            "type": "string",
            "description": "as the transfer-sheet import gives it, in English",
        },
    },
}
_RESULT = {
    "type": "object",
    "required": ["created", "duplicates", "errors", "warnings"],
    "properties": {
        "created": {"type": "array", "items": _CASE_REF},
        "duplicates": {
            "type": "array",
            "items": _CASE_REF,
            "description": "already stored with the same data; nothing changed",
        },
        "errors": {"type": "array", "items": _CASE_ERROR, "description": "rejected cases"},
        "warnings": {
            "type": "array",
            "items": _CASE_ERROR,
            "description": "created, with a remark (e.g. no deadline yet)",
        },
    },
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/cases": {
        "post": {
            "operationId": "intakeCases",
            "summary": f"Send up to {MAX_CASES} cases to the center",
            "description": (
                "Intake with exactly the rules of the transfer-sheet import: each case is "
                "validated as a sheet row and created, recognised as already present, or "
                "rejected with the column and the reason. A key may only send its own court's "
                "cases (an intermediate court's key also its basic courts'). With strict, "
                "nothing is stored unless every case is valid."
            ),
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["cases"],
                            "additionalProperties": False,
                            "properties": {
                                "cases": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": MAX_CASES,
                                    "items": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "description": "a missing field is an empty cell",
                                        "properties": {f: _field_schema(f) for f in FIELD_HEADERS},
                                    },
                                },
                                "strict": {"type": "boolean", "default": False},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "at least one case was created",
                    "content": {"application/json": {"schema": _RESULT}},
                },
                "200": {
                    "description": "nothing created: every case was already present or rejected",
                    "content": {"application/json": {"schema": _RESULT}},
                },
                "400": _error("not a valid intake body; details name each bad field, cases[3].foo"),
                "409": _error("a concurrent request stored some of these cases; nothing stored"),
                "422": _error(
                    "strict: some cases were rejected and nothing was stored; details name "
                    "each bad field (cases[3].amount) and details.errors lists them as in "
                    "the 200 response"
                ),
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "403": {"$ref": "#/components/responses/Forbidden"},
                "405": {"$ref": "#/components/responses/MethodNotAllowed"},
                "429": {"$ref": "#/components/responses/RateLimited"},
                "500": {"$ref": "#/components/responses/InternalError"},
            },
        }
    }
}
