"""Pages: court (see web/pages/__init__.py) — look cases up by 案号, one or a pasted list.

The lookup is the court API's (web/api.py ``read_cases``): the user's court and the courts under
it, every read audited, another court's case "not found" exactly like a missing one, and never
a party's name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from models.case_number import CaseNumberError, parse_case_number

from .. import auth
from ..api import MAX_BATCH, read_cases
from ..apikeys import courts_under
from ..db import get_session, transaction
from . import display, nav

bp = Blueprint("court", __name__, url_prefix="/court")
INPUT_MAX = 64 * MAX_BATCH  # characters; a 案号 is about 20

auth.allow("court.index", auth.COURT)
nav("court.index", display.N_("案号查询"))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"d": display, "parse_iso": datetime.fromisoformat}


# Why a 案号 cannot be read, by models/case_number.py's ``problem``, in the page's language.
_REASONS = {
    "empty": display.N_("案号为空"),
    "no_year": display.N_("应以括号中的年份开头，例如 (2026)"),
    "no_hao": display.N_("应以“号”结尾"),
    "court_code": display.N_("年份后缺少法院代字或代字不正确，例如 豫0802"),
    "year": display.N_("年份不合理"),
    "type_code": display.N_("类型代字不是民事调解可用的类型（民诉前调、民初、民终等）"),
    "seq": display.N_("序号应为正整数"),
}
_FORMAT = display.N_("格式应为 (年份)+法院代字+类型代字+序号+号")


def reason_text(error: CaseNumberError) -> str:
    return str(gettext(_REASONS.get(error.problem, _FORMAT)))


@dataclass(frozen=True)
class Line:
    query: str  # as typed
    number: str | None  # normalised, None when it cannot be parsed
    error: str | None  # why it cannot be parsed
    found: dict[str, Any] | None  # the API's view of the case


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@bp.route("/", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    text = request.form.get("numbers", "") if request.method == "POST" else ""
    if request.method == "GET":
        return render_template("court/index.html", text="", results=None, error=None)
    queries = _lines(text)
    error = None
    if not queries:
        error = gettext("请输入至少一个案号。")
    elif len(queries) > MAX_BATCH or len(text) > INPUT_MAX:
        error = gettext(
            "一次最多查询 %(max)s 个案号，本次输入了 %(n)s 个；请分批查询。",
            max=MAX_BATCH,
            n=len(queries),
        )
    if error:
        return render_template("court/index.html", text=text, results=None, error=error), 400

    parsed: list[tuple[str, str | None, str | None]] = []
    for query in queries:
        try:
            parsed.append((query, parse_case_number(query).normalized, None))
        except CaseNumberError as exc:
            parsed.append((query, None, reason_text(exc)))
    session = get_session()
    with transaction(session):
        found = read_cases(
            session,
            [n for _, n, _ in parsed if n is not None],
            at=display.now(),
            via="page",
            visible=courts_under(session, current_user.court_id),
            actor=str(current_user.username),
        )
    results = [
        Line(query, number, problem, found.get(number) if number else None)
        for query, number, problem in parsed
    ]
    summary = {
        "total": len(results),
        "found": sum(1 for r in results if r.found),
        "missing": sum(1 for r in results if r.number and not r.found),
        "bad": sum(1 for r in results if r.error),
    }
    return render_template(
        "court/index.html", text=text, results=results, summary=summary, error=None
    )
