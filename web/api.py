"""The JSON API under ``/api/v1``: the court lookup by 案号, with court API keys, per-key rate
limits, JSON errors and the OpenAPI document.

Conventions: every error is ``{"error": {"code", "message", "details"}}`` with ``details``
naming each bad field; a case of a court the key cannot see answers exactly like a missing one;
nothing returned names an individual party; every case read through a key is audited.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, g, request
from flask.wrappers import Response
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import Connection, Integer, Row, bindparam, exists, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from wtforms.validators import ValidationError

from models import ApiKey, Assignment, Case, Court, Person, Room, SessionCase
from models import Session as SessionRow
from models.case_number import CaseNumberError, parse_case_number
from models.vocabulary import SessionStatus, TeamRole

from . import audit, auth
from .apikeys import (
    KEY_SCHEME,
    KeyMemo,
    KeyNoLongerLive,
    authenticate,
    courts_under,
    digest,
    visible_court_ids,
)
from .db import core, request_connection, use_autocommit_connection

bp = Blueprint("api", __name__, url_prefix="/api/v1")

TZ = ZoneInfo("Asia/Shanghai")
MAX_BATCH = 500
DEFAULT_RATE_LIMIT = "120 per minute"
# Endpoints anyone may read without a key; they are not rate-limited either.
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
# Endpoints whose only write is a single statement (the read audit): their session runs in
# autocommit mode, which saves the BEGIN and COMMIT round trips on the API's hot path.
AUTOCOMMIT_ENDPOINTS = frozenset({"api.get_case", "api.lookup_cases"})

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
}


def now() -> datetime:
    """The current time; tests replace it to look at a fixed day's sessions."""
    return datetime.now(UTC)


# --- errors -----------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    # Chinese stays readable in the body; the mimetype says UTF-8 JSON.
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.headers.update(headers or {})
    return response


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    payload = {"error": {"code": code, "message": message, "details": details or {}}}
    return json_response(payload, status, headers)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.details, error.headers)


def _http_error(error: HTTPException) -> Response | HTTPException:
    if not request.path.startswith(bp.url_prefix or "/api/v1"):
        return error  # pages keep Flask's own error pages
    status = error.code or 500
    code = ERROR_CODES.get(status, (error.name or "error").lower().replace(" ", "_"))
    details: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(error, RateLimitExceeded):
        message = f"rate limit exceeded ({error.description}); slow down and retry later"
        details = {"limit": error.description}
        headers.update(_rate_limit_headers())
    elif isinstance(error, MethodNotAllowed):
        allowed = sorted(error.valid_methods or [])
        message = f"method {request.method} is not allowed here; allowed: {', '.join(allowed)}"
        details = {"method": request.method, "allowed": allowed}
        headers["Allow"] = ", ".join(allowed)
    elif status == 404:
        message = f"no such endpoint: {request.path}; see /api/v1/openapi.json"
        details = {"path": request.path}
    else:
        message = error.description or error.name
    return error_response(status, code, message, details, headers)


def _rate_limit_headers() -> dict[str, str]:
    """Retry-After and the X-RateLimit-* headers of a refused request. Only refusals carry
    them: on every other answer they would cost two more round trips to the rate-limit store
    (Redis in production) for figures a court's client needs only once it is refused."""
    limiter = current_app.extensions["sutiao.limiter"]
    limit = limiter.current_limit
    if limit is None:
        return {}
    reset_at = limit.reset_at
    return {
        "Retry-After": str(max(1, reset_at - int(time.time()))),
        "X-RateLimit-Limit": str(limit.limit.amount),
        "X-RateLimit-Remaining": str(limit.remaining),
        "X-RateLimit-Reset": str(reset_at),
    }


def _internal_error(error: Exception) -> Response:
    current_app.logger.exception("API request failed: %s %s", request.method, request.path)
    return error_response(500, "internal_error", "internal server error; the error was logged")


bp.register_error_handler(HTTPException, _http_error)
bp.register_error_handler(Exception, _internal_error)
# Unknown paths and wrong methods under /api/v1 match no API route, so the blueprint's own
# handlers never see them; this app-wide fallback answers those in JSON and leaves pages alone.
bp.app_errorhandler(HTTPException)(_http_error)


# --- authentication and rate limits -------------------------------------------------------------


def _presented_key() -> str | None:
    header = request.headers.get("Authorization")
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(
                401,
                "unauthorized",
                "the Authorization header must be 'Bearer <key>'",
                {"authorization": f"unsupported scheme {scheme!r}; use Bearer"},
                {"WWW-Authenticate": 'Bearer realm="sutiao"'},
            )
        return value.strip()
    return request.headers.get("X-API-Key", "").strip() or None


@bp.before_request
def _authenticate() -> None:
    """Who is asking: a court API key (``g.api_key``) or a logged-in user (``g.user``), then
    whether the access table (web/auth.py) lets them use this endpoint."""
    g.api_key = None
    g.user = None
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    if request.endpoint in AUTOCOMMIT_ENDPOINTS:
        use_autocommit_connection()
    challenge = {"WWW-Authenticate": 'Bearer realm="sutiao"'}
    presented = _presented_key()
    if presented is not None:
        # The lookups' read confirms the key is live (read_cases), so a remembered key will do.
        memo = (
            current_app.extensions["sutiao.key_memo"]
            if request.endpoint in AUTOCOMMIT_ENDPOINTS
            else None
        )
        key = authenticate(request_connection(), presented, memo)
        if key is None:
            raise _invalid_key()
        g.api_key = key
        who = auth.KEY
    elif current_user.is_authenticated:
        g.user = current_user
        who = current_user.role
        if request.method not in ("GET", "HEAD"):
            # A browser session: the page's CSRF token must come along (X-CSRFToken header).
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except ValidationError as exc:
                raise ApiError(
                    400,
                    "csrf_failed",
                    f"the CSRF token is missing or invalid ({exc}); send the page's token in "
                    "the X-CSRFToken header",
                    {"X-CSRFToken": str(exc)},
                ) from None
    else:
        raise ApiError(
            401,
            "unauthorized",
            "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
            "(or log in to use the pages' API)",
            {"authorization": "missing"},
            challenge,
        )
    if request.endpoint is not None and not auth.allowed(request.endpoint, who):
        holder = "a court API key" if who == auth.KEY else f"the {who} role"
        raise ApiError(
            403,
            "forbidden",
            f"{holder} may not use {request.method} {request.path}",
            {"role": who},
        )


def key_or_user_label() -> str:
    """The audit actor of the current API request."""
    if g.get("api_key") is not None:
        return f"apikey:{g.api_key.prefix}"
    user = g.get("user")
    return str(user.username) if user is not None else "anonymous"


def _invalid_key() -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        "the API key is not valid: it is unknown or has been revoked",
        {"authorization": "unknown or revoked key"},
        {"WWW-Authenticate": 'Bearer realm="sutiao"'},
    )


@bp.errorhandler(KeyNoLongerLive)
def _key_no_longer_live(_error: KeyNoLongerLive) -> Response:
    # Revoked since this process remembered it: forget it, and refuse like any unknown key.
    presented = _presented_key()
    if presented:
        current_app.extensions["sutiao.key_memo"].forget(digest(presented))
    return _api_error(_invalid_key())


def _rate_key() -> str:
    """Count per key (by digest, never the key itself); requests without one per address."""
    try:
        presented = _presented_key()
    except ApiError:
        presented = None
    if presented and presented.startswith(KEY_SCHEME):
        return "key:" + hashlib.sha256(presented.encode()).hexdigest()[:24]
    return f"addr:{request.remote_addr or '-'}"


def _rate_limit() -> str:
    return str(current_app.config["SUTIAO_API_RATE_LIMIT"])


def _rate_exempt() -> bool:
    return request.endpoint in PUBLIC_ENDPOINTS


_routes_added = False


def _register_routes() -> None:
    """The routes of the other API modules, and who may use each endpoint (web/auth.py)."""
    global _routes_added
    if _routes_added:
        return  # a second app in the same process (tests): the blueprint is complete
    _routes_added = True
    from . import api_intake, api_work

    api_intake.register(bp)
    api_work.register(bp)
    from . import feeds

    feeds.register_api(bp)
    auth.allow("api.openapi", "public")
    auth.allow("api.get_case", auth.KEY, auth.COURT)
    auth.allow("api.lookup_cases", auth.KEY, auth.COURT)
    auth.allow("api.intake_cases", auth.KEY, auth.COORDINATOR)


def init_app(app: Flask) -> None:
    """Register the API with its own rate limiter (one per app, so test apps never share)."""
    # Defaults and environment overrides come from web/config.py.
    app.config.setdefault("SUTIAO_API_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    # memory:// counts per process; several gunicorn workers share a limit through redis://.
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("SUTIAO_RATELIMIT_STORAGE_URI", "memory://")
    )
    # Rate-limit headers only on a 429 (_rate_limit_headers), not on every answer.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(_rate_key, app=app)
    # One budget per key across every API endpoint, not one per endpoint.
    limiter.shared_limit(_rate_limit, scope="api", exempt_when=_rate_exempt)(bp)
    app.extensions["sutiao.limiter"] = limiter
    app.extensions["sutiao.key_memo"] = KeyMemo()
    _register_routes()
    # Keys need no CSRF token; a logged-in browser's unsafe request is checked in _authenticate.
    auth.csrf.exempt(bp)
    app.register_blueprint(bp)


# --- the court lookup (read operation) ----------------------------------------------------------


def _local(moment: datetime) -> str:
    return moment.astimezone(TZ).isoformat()


# The lookup's one read (the cases with their teams and published sessions), built once and run
# as a Core statement that fetches plain columns: it is the API's hot path, and building
# statements and ORM objects per request, or one more round trip, cost more CPU than the query
# itself (python -m benchmarks.web).
# The caller's key, when one is given, is confirmed live in the same statement (a key revoked
# since this process remembered it must read nothing: apikeys.KeyMemo); the one-row "caller"
# is outer-joined to the cases, so the answer says so even when no case matches.
_caller = select(
    exists()
    .where(ApiKey.id == bindparam("key_id", type_=Integer), ApiKey.revoked_at.is_(None))
    .label("key_live")
).subquery("caller")
_CASES = (
    select(
        _caller.c.key_live,
        Case.id,
        Case.case_number,
        Case.court_id,
        Case.status,
        Case.deadline_on,
        Court.code.label("court_code"),
        Court.name.label("court_name"),
        Assignment.id.label("member_id"),
        Assignment.role,
        Assignment.is_presiding,
        Person.name,
        Person.roster_no,
        Person.title,
        SessionRow.id.label("session_id"),
        SessionRow.starts_at,
        SessionRow.ends_at,
        SessionRow.kind,
        SessionRow.status.label("session_status"),
        SessionRow.sequence,
        SessionRow.updated_at,
        SessionRow.room_id,
        Room.name.label("room_name"),
        Room.address.label("room_address"),
        Room.location.label("room_location"),
        Room.is_online.label("room_is_online"),
    )
    .select_from(_caller)
    .outerjoin(Case, Case.case_number.in_(bindparam("numbers", expanding=True)))
    .outerjoin(Court, Court.id == Case.court_id)
    .outerjoin(Assignment, Assignment.case_id == Case.id)
    .outerjoin(Person, Person.id == Assignment.person_id)
    .outerjoin(SessionCase, SessionCase.case_id == Case.id)
    .outerjoin(
        SessionRow, (SessionRow.id == SessionCase.session_id) & SessionRow.is_published.is_(True)
    )
    .outerjoin(Room, Room.id == SessionRow.room_id)
)


def _session_json(row: Row[Any]) -> dict[str, Any]:
    """The session columns of a ``_CASES`` row."""
    room = row.room_id is not None
    return {
        "start": _local(row.starts_at),
        "end": _local(row.ends_at),
        "kind": row.kind,
        "status": row.session_status,
        "sequence": row.sequence,
        "room": row.room_name if room else None,
        "address": (row.room_address or row.room_location)
        if room and not row.room_is_online
        else None,
        "online": bool(room and row.room_is_online),
        "updated": _local(row.updated_at),
    }


def _team_json(rows: Iterable[Row[Any]]) -> list[dict[str, Any]]:
    """The member columns of ``_CASES`` rows, the presiding member first."""
    order = {TeamRole.MEDIATOR.value: 0, TeamRole.EXPERT.value: 1}
    ranked = sorted(rows, key=lambda r: (not r.is_presiding, order.get(r.role, 9), r.roster_no))
    return [
        {
            "name": r.name,
            "roster_no": r.roster_no,
            "title": r.title,
            "role": r.role,
            "presiding": r.is_presiding,
        }
        for r in ranked
    ]


def _key_id() -> int | None:
    key = g.get("api_key")
    return None if key is None else int(key.id)


def reader_scope(session: Session | Connection) -> tuple[set[int], str]:
    """The courts the current API caller may read (a court key, or a court user), and the
    actor to audit."""
    if g.get("api_key") is not None:
        return visible_court_ids(session, g.api_key), f"apikey:{g.api_key.prefix}"
    user = g.get("user")
    if user is not None and user.court_id is not None:
        return courts_under(session, user.court_id), str(user.username)
    return set(), key_or_user_label()


def read_cases(
    db: Session | Connection,
    numbers: Sequence[str],
    *,
    at: datetime,
    via: str,
    visible: set[int],
    actor: str,
    live_key: int | None = None,
) -> dict[str, dict[str, Any]]:
    """The cases (by normalised 案号) in the ``visible`` courts, as the API shows them; every
    read and every miss is audited. A case of another court is simply absent from the result.
    ``db`` is a session (the reads and the audit join its transaction) or an autocommit
    connection (the audit is a single statement, atomic on its own). With ``live_key``, the
    read also confirms that key is not revoked, and raises KeyNoLongerLive (reading and
    auditing nothing) if it is."""
    wanted = list(dict.fromkeys(numbers))
    if not wanted and live_key is None:
        return {}  # (with a key, even an empty lookup confirms the key is live)
    connection = core(db)
    by_number: dict[str, Row[Any]] = {}
    # One row per case, team member and published session: the product, deduplicated here.
    teams: dict[int, dict[int, Row[Any]]] = {}
    sessions: dict[int, dict[int, Row[Any]]] = {}
    for row in connection.execute(_CASES, {"numbers": wanted, "key_id": live_key}):
        if live_key is not None and not row.key_live:
            raise KeyNoLongerLive(live_key)
        if row.id is None:
            continue  # the caller's row, when no case matched
        by_number.setdefault(row.case_number, row)
        members = teams.setdefault(row.id, {})
        if row.member_id is not None:
            members.setdefault(row.member_id, row)
        meetings = sessions.setdefault(row.id, {})
        if row.session_id is not None:
            meetings.setdefault(row.session_id, row)
    shown = {c.id for c in by_number.values() if c.court_id in visible}

    result: dict[str, dict[str, Any]] = {}
    entries: list[dict[str, Any]] = []
    for number in wanted:
        case = by_number.get(number)
        if case is None or case.id not in shown:
            reason = "missing" if case is None else "other court"
            entries.append(
                audit.entry(
                    "case.read_missing",
                    actor=actor,
                    object_type="case",
                    object_id=case.id if case else None,
                    case_number=number,
                    reason=reason,
                    via=via,
                )
            )
            continue
        history = sorted(sessions[case.id].values(), key=lambda s: (s.starts_at, s.session_id))
        upcoming = [
            s for s in history if s.session_status != SessionStatus.CANCELLED and s.ends_at > at
        ]
        result[number] = {
            "case_number": case.case_number,
            "court": {"code": case.court_code, "name": case.court_name},
            "status": case.status,
            "deadline": case.deadline_on.isoformat() if case.deadline_on else None,
            "team": _team_json(teams[case.id].values()),
            "next_session": _session_json(upcoming[0]) if upcoming else None,
            "history": [_session_json(s) for s in history],
        }
        entries.append(
            audit.entry("case.read", actor=actor, object_type="case", object_id=case.id, via=via)
        )
    audit.record_many(connection, entries)
    return result


# --- views ----------------------------------------------------------------------------------


def _normalise(raw: str) -> str:
    return parse_case_number(raw).normalized


def _not_found(number: str) -> ApiError:
    # Identical for a missing case and another court's case, so that nobody can enumerate.
    return ApiError(404, "not_found", f"no case {number}", {"case_number": number})


@bp.get("/cases/<path:number>")
def get_case(number: str) -> Response:
    try:
        normalised = _normalise(number)
    except CaseNumberError as exc:
        raise ApiError(
            400, "bad_case_number", str(exc), {"case_number": str(exc), "value": number}
        ) from None
    # Autocommit (AUTOCOMMIT_ENDPOINTS): reads, then the audit insert, each atomic on its own.
    connection = request_connection()
    visible, actor = reader_scope(connection)
    found = read_cases(
        connection,
        [normalised],
        at=now(),
        via="get",
        visible=visible,
        actor=actor,
        live_key=_key_id(),
    )
    if normalised not in found:
        raise _not_found(normalised)
    return json_response(found[normalised])


@bp.post("/cases/lookup")
def lookup_cases() -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(
            400,
            "invalid_request",
            'expected a JSON object {"case_numbers": [...]} with Content-Type application/json',
            {"body": "not a JSON object"},
        )
    details: dict[str, str] = {name: "unknown field" for name in body if name != "case_numbers"}
    numbers = body.get("case_numbers")
    if numbers is None:
        details["case_numbers"] = "required: an array of 案号 strings"
    elif not isinstance(numbers, list):
        details["case_numbers"] = "must be an array of 案号 strings"
    elif len(numbers) > MAX_BATCH:
        details["case_numbers"] = (
            f"at most {MAX_BATCH} case numbers per request, got {len(numbers)}"
        )
    if details:
        raise ApiError(400, "invalid_request", "invalid lookup request", details)
    assert isinstance(numbers, list)

    parsed: list[tuple[Any, str | None, str | None]] = []
    for item in numbers:
        if not isinstance(item, str):
            parsed.append((item, None, "must be a string"))
            continue
        try:
            parsed.append((item, _normalise(item), None))
        except CaseNumberError as exc:
            parsed.append((item, None, str(exc)))

    connection = request_connection()  # autocommit, as in get_case
    visible, actor = reader_scope(connection)
    found = read_cases(
        connection,
        [n for _, n, _ in parsed if n is not None],
        at=now(),
        via="lookup",
        visible=visible,
        actor=actor,
        live_key=_key_id(),
    )
    results: list[dict[str, Any]] = []
    for raw, normalised, problem in parsed:
        if normalised is None:
            error = {"code": "bad_case_number", "message": problem}
            results.append({"query": raw, "case_number": raw, "found": False, "error": error})
        elif normalised in found:
            results.append({"query": raw, "found": True, **found[normalised]})
        else:
            results.append({"query": raw, "case_number": normalised, "found": False})
    return json_response({"results": results})


@bp.get("/openapi.json")
def openapi() -> Response:
    return json_response(openapi_document())


# --- OpenAPI ----------------------------------------------------------------------------------


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


_COMMON_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "405": {"$ref": "#/components/responses/MethodNotAllowed"},
    "429": {"$ref": "#/components/responses/RateLimited"},
    "500": {"$ref": "#/components/responses/InternalError"},
}


def openapi_document() -> dict[str, Any]:
    nullable_string = {"type": "string", "nullable": True}
    session_schema = {
        "type": "object",
        "required": ["start", "end", "kind", "status", "sequence", "room", "online"],
        "properties": {
            "start": {
                "type": "string",
                "format": "date-time",
                "example": "2026-12-01T09:00:00+08:00",
            },
            "end": {"type": "string", "format": "date-time"},
            "kind": {
                "type": "string",
                "description": "mediation, joint_mediation, evaluation, case_conference, …",
            },
            "status": {"type": "string", "enum": [s.value for s in SessionStatus]},
            "sequence": {
                "type": "integer",
                "minimum": 0,
                "description": "goes up every time the session moves",
            },
            "room": nullable_string,
            "address": {**nullable_string, "description": "null for the online room"},
            "online": {"type": "boolean"},
            "updated": {"type": "string", "format": "date-time"},
        },
    }
    case_schema = {
        "type": "object",
        "required": [
            "case_number",
            "court",
            "status",
            "deadline",
            "team",
            "next_session",
            "history",
        ],
        "properties": {
            "case_number": {"type": "string", "example": "(2026)豫0802民诉前调1234号"},
            "court": {
                "type": "object",
                "required": ["code", "name"],
                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
            },
            "status": {"type": "string"},
            "deadline": {"type": "string", "format": "date", "nullable": True},
            "team": {"type": "array", "items": _ref("TeamMember")},
            "next_session": {"allOf": [_ref("Session")], "nullable": True},
            "history": {
                "type": "array",
                "items": _ref("Session"),
                "description": "published sessions, oldest first",
            },
        },
    }
    from . import api_intake, api_work

    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "Sutiao API",
            "version": "1",
            "description": (
                "Court lookup of the mediation team and sessions of a case by 案号. A key sees "
                "its own court's cases (an intermediate court's key also its basic courts'); "
                "any other case answers 404 exactly like a missing one. Lookups are "
                "rate-limited per key and audited. Parties' personal names are never returned."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"apiKeyHeader": []}],
        "paths": {
            "/api/v1/cases/{number}": {
                "get": {
                    "operationId": "getCase",
                    "summary": "One case by 案号",
                    "parameters": [
                        {
                            "name": "number",
                            "in": "path",
                            "required": True,
                            "description": "URL-encoded 案号; half- or full-width parentheses",
                            "schema": {"type": "string"},
                            "example": "(2026)豫0802民诉前调1234号",
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "the case",
                            "content": {"application/json": {"schema": _ref("Case")}},
                        },
                        "400": _error_response("the 案号 cannot be parsed"),
                        "404": _error_response("no such case, or not one this key may see"),
                        **_COMMON_ERRORS,
                    },
                }
            },
            "/api/v1/cases/lookup": {
                "post": {
                    "operationId": "lookupCases",
                    "summary": f"Up to {MAX_BATCH} cases at once",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("LookupRequest")}},
                    },
                    "responses": {
                        "200": {
                            "description": "one result per requested number, in order",
                            "content": {"application/json": {"schema": _ref("LookupResponse")}},
                        },
                        "400": _error_response("the body is not a valid lookup request"),
                        **_COMMON_ERRORS,
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "the OpenAPI document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "a logged-in user's session (pages); unsafe methods also need "
                    "the page's CSRF token in X-CSRFToken",
                },
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a court API key from `sutiao create-api-key`",
                },
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
            "responses": {
                "Unauthorized": _error_response("no key, or an unknown or revoked one"),
                "Forbidden": _error_response("this key or role may not use the endpoint"),
                "MethodNotAllowed": _error_response("wrong HTTP method"),
                "RateLimited": _error_response("too many requests for this key"),
                "InternalError": _error_response("server error"),
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "details"],
                            "properties": {
                                "code": {"type": "string", "example": "not_found"},
                                "message": {"type": "string"},
                                "details": {
                                    "type": "object",
                                    "description": "each bad field and what is wrong with it",
                                    "additionalProperties": True,
                                },
                            },
                        }
                    },
                },
                "TeamMember": {
                    "type": "object",
                    "required": ["name", "roster_no", "title", "role", "presiding"],
                    "properties": {
                        "name": {"type": "string"},
                        "roster_no": {"type": "string"},
                        "title": nullable_string,
                        "role": {"type": "string", "enum": [r.value for r in TeamRole]},
                        "presiding": {"type": "boolean"},
                    },
                },
                "Session": session_schema,
                "Case": case_schema,
                "LookupRequest": {
                    "type": "object",
                    "required": ["case_numbers"],
                    "additionalProperties": False,
                    "properties": {
                        "case_numbers": {
                            "type": "array",
                            "maxItems": MAX_BATCH,
                            "items": {"type": "string"},
                        }
                    },
                },
                "LookupResult": {
                    "type": "object",
                    "required": ["query", "case_number", "found"],
                    "description": "when found, also every field of Case",
                    "properties": {
                        "query": {"description": "the number as sent"},
                        "case_number": {"description": "normalised when it could be parsed"},
                        "found": {"type": "boolean"},
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
                "LookupResponse": {
                    "type": "object",
                    "required": ["results"],
                    "properties": {"results": {"type": "array", "items": _ref("LookupResult")}},
                },
            },
        },
    }
    document["paths"].update(api_intake.OPENAPI_PATHS)
    document["paths"].update(api_work.openapi_paths())
    from . import feeds

    document["paths"].update(feeds.OPENAPI_PATHS)
    return document
