"""The coordinators' and leadership's JSON API under ``/api/v1``: runs (queue, follow, cancel,
review, pin, override, publish), recusal waivers (record, list, revoke) and the matching weights
(read, preview, apply).

Views only parse, authorize (the access table in web/auth.py), call an operation and
serialize. Runs are queued and executed in the background (web/runs.py): ``POST /runs``
answers 202 at once with a ``Location`` to follow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g
from flask.wrappers import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from matcher.problem import Weights
from matcher.rules import WAIVABLE_GROUNDS
from models import AssignmentRun, Case, Proposal
from models.vocabulary import RunKind

from . import auth, runs, waivers, weights, workflow
from .api import ApiError, json_response
from .assignment import current_weights
from .db import get_session, transaction

TZ = ZoneInfo("Asia/Shanghai")
MAX_LIST = 100
MAX_ID = 2**31 - 1  # ids are 32-bit integers; a larger one matches no route (404)
PREVIEW_TIME_LIMIT = 5.0

F = TypeVar("F", bound=Callable[..., Any])


def _today() -> date:
    return datetime.now(TZ).date()


def _user_id() -> int | None:
    user = g.get("user")
    return int(user.id) if user is not None else None


def _body(fields: dict[str, tuple[type | tuple[type, ...], bool]]) -> dict[str, Any]:
    """The JSON object body, each field of the right type; every problem is named."""
    from flask import request

    data = request.get_json(silent=True)
    if data is None and not request.data:
        data = {}
    if not isinstance(data, dict):
        raise ApiError(
            400,
            "invalid_request",
            "expected a JSON object with Content-Type application/json",
            {"body": "not a JSON object"},
        )
    details: dict[str, str] = {str(name): "unknown field" for name in data if name not in fields}
    for name, (kind, required) in fields.items():
        if name not in data or data[name] is None:
            if required:
                details[name] = "required"
            continue
        value = data[name]
        ok = isinstance(value, kind) and not (isinstance(value, bool) and bool not in _kinds(kind))
        if not ok:
            details[name] = f"must be {_type_name(kind)}, got {type(value).__name__}"
        elif isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_ID:
            details[name] = f"out of range: must be between 0 and {MAX_ID}"
    if details:
        raise ApiError(400, "invalid_request", "invalid request body", details)
    return data


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             dict: "an object", list: "an array"}  # fmt: skip
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in _kinds(kind)))


def _date(value: Any, field: str) -> date:
    if value is None:
        return _today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400, "invalid_request", "invalid request body", {field: f"not a date: {value!r}"}
        ) from None


def _time_limit(value: Any) -> float:
    limit = float(value) if value is not None else 10.0
    if not 0 < limit <= workflow.MAX_TIME_LIMIT:
        raise ApiError(
            400,
            "invalid_request",
            "invalid request body",
            {"time_limit": f"must be in (0, {workflow.MAX_TIME_LIMIT:g}] seconds, got {value}"},
        )
    return limit


def _workflow_error(error: workflow.WorkflowError) -> ApiError:
    details: dict[str, Any] = {}
    code = {404: "not_found", 409: "conflict", 422: "rule_broken"}.get(error.status, "bad_request")
    if error.field is not None:
        details[error.field] = str(error)
        if error.status == 400:
            code = "invalid_request"
    if isinstance(error, workflow.RuleBroken):
        details["rule"] = error.rule
        if error.ground is not None:
            details["ground"] = error.ground
    return ApiError(error.status, code, str(error), details)


def _calling(fn: Callable[[], Response]) -> Response:
    try:
        return fn()
    except workflow.WorkflowError as error:
        raise _workflow_error(error) from None


# --- runs ---------------------------------------------------------------------------------------


def list_runs() -> Response:
    from flask import request

    session = get_session()
    runs.reap(session)
    query = select(AssignmentRun).where(
        AssignmentRun.kind.in_((RunKind.ASSIGN, RunKind.SCHEDULE, RunKind.REPAIR))
    )
    kind = request.args.get("kind")
    if kind is not None:
        if kind not in (RunKind.ASSIGN, RunKind.SCHEDULE, RunKind.REPAIR):
            raise ApiError(
                400, "invalid_request", "invalid query", {"kind": "assign, schedule or repair"}
            )
        query = query.where(AssignmentRun.kind == kind)
    found = session.scalars(query.order_by(AssignmentRun.id.desc()).limit(MAX_LIST)).all()
    return json_response({"runs": [runs.run_json(r) for r in found]})


def create_run() -> Response:
    body = _body(
        {
            "kind": (str, True),
            "time_limit": ((int, float), False),
            "today": (str, False),
            "parent": (int, False),
            "assign_run": (int, False),
        }
    )
    kind = body["kind"]
    session = get_session()
    today = _date(body.get("today"), "today")
    limit = _time_limit(body.get("time_limit"))

    def go() -> Response:
        if kind == RunKind.ASSIGN:
            if body.get("assign_run") is not None:
                raise ApiError(
                    400, "invalid_request", "invalid request body",
                    {"assign_run": "only for kind schedule; use parent to re-run"},
                )  # fmt: skip
            run = runs.submit_assign(
                session,
                today=today,
                time_limit=limit,
                small_claims_threshold=current_app.config["SUTIAO_SMALL_CLAIMS_THRESHOLD"],
                parent_run_id=body.get("parent"),
                user_id=_user_id(),
            )
        elif kind == RunKind.SCHEDULE:
            if body.get("assign_run") is None:
                raise ApiError(
                    400, "invalid_request", "invalid request body",
                    {"assign_run": "required for kind schedule: the assignment run to schedule"},
                )  # fmt: skip
            run = runs.submit_schedule(
                session, body["assign_run"], today=today, time_limit=limit, user_id=_user_id()
            )
        else:
            raise ApiError(
                400, "invalid_request", "invalid request body",
                {"kind": f"must be assign or schedule, got {kind!r}"},
            )  # fmt: skip
        session.refresh(run)
        response = json_response(runs.run_json(run), 202)
        response.headers["Location"] = f"/api/v1/runs/{run.id}"
        return response

    return _calling(go)


def get_run(run_id: int) -> Response:
    return _calling(lambda: json_response(runs.run_json(runs.get_run(run_id))))


def cancel_run(run_id: int) -> Response:
    session = get_session()

    def go() -> Response:
        run = workflow.cancel_run(session, run_id, user_id=_user_id())
        return json_response(runs.run_json(run), 202)

    return _calling(go)


def run_proposals(run_id: int) -> Response:
    session = get_session()
    run = session.get(AssignmentRun, run_id)
    if run is None or run.kind != RunKind.ASSIGN:
        raise ApiError(404, "not_found", f"no assignment run {run_id}", {"run": run_id})
    rows = session.scalars(
        select(Proposal)
        .where(Proposal.run_id == run_id)
        .options(selectinload(Proposal.case), selectinload(Proposal.person))
        .order_by(Proposal.case_id, Proposal.id)
    ).all()
    cases: dict[int, dict[str, Any]] = {}
    for p in rows:
        entry = cases.setdefault(
            p.case_id,
            {
                "case": p.case_id,
                "case_number": p.case.case_number,
                "team": [],
                "explanation": p.explanation,
            },
        )
        entry["team"].append(
            {
                "proposal": p.id,
                "person": p.person_id,
                "name": p.person.name,
                "roster_no": p.person.roster_no,
                "role": p.role,
                "presiding": p.is_presiding,
                "pinned": p.is_pinned,
                "override_reason": p.override_reason,
            }
        )
    return json_response(
        {
            "run": runs.run_json(run),
            "cases": list(cases.values()),
            "unassigned": (run.stats or {}).get("unassigned", []),
        }
    )


def publish_run(run_id: int) -> Response:
    session = get_session()

    def go() -> Response:
        summary = workflow.publish(session, run_id, user_id=_user_id())
        return json_response({"run": summary.run_id, "status": summary.status, **summary.detail})

    return _calling(go)


def pin_proposal(proposal_id: int) -> Response:
    body = _body({"reason": (str, True)})
    session = get_session()

    def go() -> Response:
        proposal = workflow.pin(session, proposal_id, reason=body["reason"], user_id=_user_id())
        return json_response({"proposal": proposal.id, "pinned": proposal.is_pinned})

    return _calling(go)


def override_proposal(proposal_id: int) -> Response:
    body = _body({"person": (int, True), "reason": (str, True), "today": (str, False)})
    session = get_session()

    def go() -> Response:
        proposal = workflow.override(
            session,
            proposal_id,
            body["person"],
            reason=body["reason"],
            today=_date(body.get("today"), "today"),
            user_id=_user_id(),
        )
        return json_response(
            {"proposal": proposal.id, "person": proposal.person_id, "pinned": proposal.is_pinned}
        )

    return _calling(go)


# --- recusal waivers ---------------------------------------------------------------------------


def record_waiver() -> Response:
    body = _body(
        {
            "case": (int, True),
            "person": (int, True),
            "ground": (str, True),
            "plaintiff_consent_on": (str, True),
            "defendant_consent_on": (str, True),
            "note": (str, False),
        }
    )
    details: dict[str, str] = {}
    consents: dict[str, date] = {}
    for field in waivers.CONSENTS:
        try:
            consents[field] = date.fromisoformat(body[field])
        except ValueError:
            details[field] = f"not a date (YYYY-MM-DD): {body[field][:32]!r}"
    if details:
        raise ApiError(400, "invalid_request", "invalid request body", details)
    session = get_session()

    def go() -> Response:
        waiver = waivers.record_waiver(
            session,
            case_id=body["case"],
            person_id=body["person"],
            ground=body["ground"],
            plaintiff_consent_on=consents["plaintiff_consent_on"],
            defendant_consent_on=consents["defendant_consent_on"],
            note=body.get("note"),
            today=_today(),
            user_id=_user_id(),
        )
        shown = next(v for v in waivers.list_waivers(session, case_ids=[waiver.case_id])
                     if v.id == waiver.id)  # fmt: skip
        response = json_response(shown.as_json(), 201)
        response.headers["Location"] = f"/api/v1/cases/{waiver.case_id}/waivers"
        return response

    return _calling(go)


def case_waivers(case_id: int) -> Response:
    session = get_session()
    case = session.get(Case, case_id)
    if case is None:
        raise ApiError(404, "not_found", f"no case {case_id}", {"case": case_id})
    return json_response(
        {
            "case": case.id,
            "case_number": case.case_number,
            "waivers": [w.as_json() for w in waivers.list_waivers(session, case_ids=[case.id])],
        }
    )


def revoke_waiver(waiver_id: int) -> Response:
    session = get_session()

    def go() -> Response:
        waiver = waivers.revoke_waiver(session, waiver_id, user_id=_user_id())
        return json_response({"waiver": waiver.id, "revoked": True})

    return _calling(go)


# --- weights ------------------------------------------------------------------------------------


def _profile_json(profile: Any) -> dict[str, Any]:
    return {
        "version": profile.version,
        "weights": profile.weights,
        "note": profile.note,
        "created_at": profile.created_at.isoformat(),
        "created_by": profile.created_by_id,
    }


def get_weights() -> Response:
    session = get_session()
    current = weights.current_profile(session)
    return json_response(
        {
            "current": _profile_json(current) if current else None,
            "defaults": Weights().as_dict(),
            "history": [_profile_json(p) for p in weights.history(session)],
        }
    )


def _proposed() -> tuple[Weights, dict[str, Any]]:
    body = _body(
        {"weights": (dict, True), "note": (str, False), "time_limit": ((int, float), False)}
    )
    session = get_session()
    try:
        proposed = weights.parse_weights(body["weights"], base=current_weights(session))
    except weights.WeightsError as error:
        raise ApiError(
            400,
            "invalid_weights",
            "invalid weights",
            {f"weights.{k}": v for k, v in error.details.items()},
        ) from None
    return proposed, body


def preview_weights() -> Response:
    proposed, body = _proposed()
    limit = min(_time_limit(body.get("time_limit", PREVIEW_TIME_LIMIT)), 30.0)
    result = weights.preview(
        get_session(),
        proposed,
        today=_today(),
        time_limit=limit,
        small_claims_threshold=current_app.config["SUTIAO_SMALL_CLAIMS_THRESHOLD"],
    )
    return json_response(result.as_json())


def apply_weights() -> Response:
    proposed, body = _proposed()
    session = get_session()
    with transaction(session):
        profile = weights.apply(session, proposed, user_id=_user_id(), note=body.get("note"))
    response = json_response(_profile_json(profile), 201)
    response.headers["Location"] = "/api/v1/weights"
    return response


# --- registration -------------------------------------------------------------------------------

RUN = f"<int(max={MAX_ID}):run_id>"
PROPOSAL = f"<int(max={MAX_ID}):proposal_id>"
CASE = f"<int(max={MAX_ID}):case_id>"
WAIVER = f"<int(max={MAX_ID}):waiver_id>"
PATH_IDS = ("run_id", "proposal_id", "case_id", "waiver_id")
ROUTES: list[tuple[str, str, Callable[..., Response], tuple[str, ...]]] = [
    # rule, method, view, who may use it (web/auth.py)
    ("/runs", "GET", list_runs, (auth.COORDINATOR, auth.LEADER, auth.ADMIN)),
    ("/runs", "POST", create_run, (auth.COORDINATOR,)),
    (f"/runs/{RUN}", "GET", get_run, (auth.COORDINATOR, auth.LEADER, auth.ADMIN)),
    (f"/runs/{RUN}/cancel", "POST", cancel_run, (auth.COORDINATOR,)),
    (f"/runs/{RUN}/proposals", "GET", run_proposals, (auth.COORDINATOR, auth.LEADER)),
    (f"/runs/{RUN}/publish", "POST", publish_run, (auth.COORDINATOR,)),
    (f"/proposals/{PROPOSAL}/pin", "POST", pin_proposal, (auth.COORDINATOR,)),
    (f"/proposals/{PROPOSAL}/override", "POST", override_proposal, (auth.COORDINATOR,)),
    ("/waivers", "POST", record_waiver, (auth.COORDINATOR, auth.ADMIN)),
    (f"/waivers/{WAIVER}", "DELETE", revoke_waiver, (auth.COORDINATOR, auth.ADMIN)),
    (f"/cases/{CASE}/waivers", "GET", case_waivers, (auth.COORDINATOR, auth.LEADER, auth.ADMIN)),
    ("/weights", "GET", get_weights, (auth.LEADER, auth.COORDINATOR, auth.ADMIN)),
    ("/weights", "POST", apply_weights, (auth.LEADER,)),
    ("/weights/preview", "POST", preview_weights, (auth.LEADER,)),
]


def register(bp: Blueprint) -> None:
    for rule, method, view, who in ROUTES:
        bp.add_url_rule(rule, view_func=view, methods=[method])
        auth.allow(f"{bp.name}.{view.__name__}", *who)


# --- OpenAPI ------------------------------------------------------------------------------------


def _err(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_OBJECT = {"type": "object"}
_RUN = {
    "type": "object",
    "required": ["id", "kind", "status", "progress"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["assign", "schedule", "repair"]},
        "status": {
            "type": "string",
            "enum": ["queued", "running", "succeeded", "failed", "cancelled", "published"],
        },
        "progress": {
            "type": "array",
            "description": "objective and bound over time",
            "items": {
                "type": "object",
                "properties": {
                    "seconds": {"type": "number"},
                    "objective": {"type": "integer"},
                    "bound": {"type": "integer"},
                },
            },
        },
        "objective": {"type": "integer", "nullable": True},
        "bound": {"type": "integer", "nullable": True},
        "gap": {"type": "number", "nullable": True},
        "error": {"type": "string", "nullable": True},
        "cancel_requested": {"type": "boolean"},
    },
}
_WEIGHTS_BODY = {
    "type": "object",
    "required": ["weights"],
    "additionalProperties": False,
    "properties": {
        "weights": {
            "type": "object",
            "description": "weight name to an integer in range; names left out keep their value",
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
        "note": {"type": "string", "maxLength": 255},
        "time_limit": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 30},
    },
}
_RUN_BODY = {
    "type": "object",
    "required": ["kind"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "enum": ["assign", "schedule"]},
        "time_limit": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 3600},
        "today": {"type": "string", "format": "date"},
        "parent": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_ID,
            "description": "re-run this assignment run, keeping pins",
        },
        "assign_run": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_ID,
            "description": "kind schedule: the run to schedule",
        },
    },
}
_REASON_BODY = {
    "type": "object",
    "required": ["reason"],
    "additionalProperties": False,
    "properties": {"reason": {"type": "string", "minLength": 1}},
}
_OVERRIDE_BODY = {
    "type": "object",
    "required": ["person", "reason"],
    "additionalProperties": False,
    "properties": {
        "person": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
        "reason": {"type": "string", "minLength": 1},
        "today": {"type": "string", "format": "date"},
    },
}
_WAIVER_BODY = {
    "type": "object",
    "required": ["case", "person", "ground", "plaintiff_consent_on", "defendant_consent_on"],
    "additionalProperties": False,
    "properties": {
        "case": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
        "person": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
        "ground": {
            "type": "string",
            "enum": list(WAIVABLE_GROUNDS),
            "description": "the recusal ground both parties waive (another role in the same "
            "case cannot be waived)",
        },
        "plaintiff_consent_on": {"type": "string", "format": "date"},
        "defendant_consent_on": {"type": "string", "format": "date"},
        "note": {"type": "string", "maxLength": 255},
    },
}
_WAIVER = {
    "type": "object",
    "required": ["id", "case", "person", "ground", "plaintiff_consent_on", "defendant_consent_on"],
    "properties": {
        "id": {"type": "integer"},
        "case": {"type": "integer"},
        "case_number": {"type": "string"},
        "person": {"type": "integer"},
        "name": {"type": "string"},
        "roster_no": {"type": "string"},
        "ground": {"type": "string"},
        "plaintiff_consent_on": {"type": "string", "format": "date"},
        "defendant_consent_on": {"type": "string", "format": "date"},
        "recorded_at": {"type": "string", "nullable": True},
        "recorded_by": {"type": "string", "nullable": True},
    },
}
_CASE_WAIVERS = {
    "type": "object",
    "required": ["case", "case_number", "waivers"],
    "properties": {
        "case": {"type": "integer"},
        "case_number": {"type": "string"},
        "waivers": {"type": "array", "items": _WAIVER},
    },
}

# view name -> (summary, request body schema or None, success status, success schema, errors)
_DOCS: dict[str, tuple[str, dict[str, Any] | None, str, dict[str, Any], dict[str, str]]] = {
    "list_runs": ("The latest runs", None, "200", _OBJECT, {"400": "bad kind"}),
    "create_run": (
        "Queue an assignment or scheduling run; follow it at Location",
        _RUN_BODY,
        "202",
        _RUN,
        {"400": "invalid body", "404": "no such parent run", "409": "parent not succeeded"},
    ),
    "get_run": ("A run's status and progress", None, "200", _RUN, {"404": "no such run"}),
    "cancel_run": (
        "Cancel a queued run, or ask a running one to stop",
        None,
        "202",
        _RUN,
        {"404": "no such run", "409": "the run has finished"},
    ),
    "run_proposals": (
        "A run's proposed teams with their explanations",
        None,
        "200",
        _OBJECT,
        {"404": "no such assignment run"},
    ),
    "publish_run": (
        "Publish a run's teams and schedule, all or nothing",
        None,
        "200",
        _OBJECT,
        {"404": "no such run", "409": "already published, or a double booking"},
    ),
    "pin_proposal": (
        "Pin a proposed team member (a re-run keeps them)",
        _REASON_BODY,
        "200",
        _OBJECT,
        {"400": "no reason", "404": "no such proposal", "409": "the run is not reviewable"},
    ),
    "override_proposal": (
        "Put another person in a proposal's place, checked against the hard rules",
        _OVERRIDE_BODY,
        "200",
        _OBJECT,
        {
            "400": "invalid body",
            "404": "no such proposal",
            "409": "the run is not reviewable",
            "422": "the override breaks a hard rule (details.rule names it)",
        },
    ),
    "record_waiver": (
        "Record both parties' consent that lifts a recusal ground of a person on a case",
        _WAIVER_BODY,
        "201",
        _WAIVER,
        {
            "400": "invalid body, or the ground does not apply today (details name the field)",
            "404": "no such case or person",
            "409": "already recorded, or the case is not waiting for a team",
        },
    ),
    "revoke_waiver": (
        "Revoke a recorded waiver (audited)",
        None,
        "200",
        _OBJECT,
        {"404": "no such waiver"},
    ),
    "case_waivers": (
        "The waivers recorded for a case",
        None,
        "200",
        _CASE_WAIVERS,
        {"404": "no such case"},
    ),
    "get_weights": ("The current weights and their versions", None, "200", _OBJECT, {}),
    "apply_weights": (
        "Apply proposed weights as a new version (leader)",
        _WEIGHTS_BODY,
        "201",
        _OBJECT,
        {"400": "invalid weights, each bad field named"},
    ),
    "preview_weights": (
        "Solve today's problem with proposed weights: KPI changes and changed teams",
        _WEIGHTS_BODY,
        "200",
        _OBJECT,
        {"400": "invalid weights, each bad field named"},
    ),
}


def openapi_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for rule, method, view, who in ROUTES:
        summary, body, status, schema, errors = _DOCS[view.__name__]
        path = "/api/v1" + re.sub(r"<[^:>]+:(\w+)>", r"{\1}", rule)
        operation: dict[str, Any] = {
            "operationId": view.__name__,
            "summary": summary,
            "description": "Who may call it: " + ", ".join(who) + " (session login).",
            "security": [{"session": []}],
            "responses": {
                status: _json(schema, "done"),
                **{code: _err(text) for code, text in errors.items()},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "403": {"$ref": "#/components/responses/Forbidden"},
                "405": {"$ref": "#/components/responses/MethodNotAllowed"},
                "429": {"$ref": "#/components/responses/RateLimited"},
                "500": {"$ref": "#/components/responses/InternalError"},
            },
        }
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
            }
            for name in PATH_IDS
            if "{" + name + "}" in path
        ]
        if params:
            operation["parameters"] = params
        if body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body}},
            }
        paths.setdefault(path, {})[method.lower()] = operation
    return paths
