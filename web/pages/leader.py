"""Pages: leader (see web/pages/__init__.py) — the dashboard, the matching weights with a
preview before anything is applied and their version history, and the .xlsx exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from matcher.problem import MAX_WEIGHT, WEIGHT_NAMES, Weights
from models import Case, Person, User

from .. import auth, dashboard, weights
from ..assignment import current_weights
from ..db import get_session
from . import charts, display, nav, tables

bp = Blueprint("leader", __name__, url_prefix="/leader")

PREVIEW_TIME_LIMIT = 5.0  # seconds per solve; the preview solves twice (SUTIAO_PREVIEW_TIME_LIMIT)
NOTE_MAX = 255

for _endpoint in ("dashboard", "weights", "preview_weights", "apply_weights", "export"):
    auth.allow(f"leader.{_endpoint}", auth.LEADER)
nav("leader.dashboard", display.N_("领导看板"))
nav("leader.weights", display.N_("匹配权重"))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"d": display, "cell_text": tables.cell_text}


# --- the dashboard ------------------------------------------------------------------------------


def _charts(data: dashboard.Dashboard) -> dict[str, Any]:
    loads = [x for x in data.loads if x.percent is not None]
    busiest = sorted(
        (x for x in loads if x.active + x.new > 0), key=lambda x: (-(x.active + x.new), x.roster_no)
    )[:20]
    return {
        "utilisation_all": charts.columns(
            [(f"{x.name}（{x.roster_no}）", [x.percent or 0.0]) for x in loads],
            title=gettext("全体人员利用率（按高低排列）"),
            empty=gettext("暂无调解员或专家"),
            width=900,
            height=200,
            show_labels=False,
            show_values=False,
            ref=100,
            ref_label=gettext("满负荷 100%"),
            y_fmt=lambda v: f"{v:.0f}%",
        ),
        "utilisation_top": charts.hbars(
            [(x.name, [x.active, x.new]) for x in busiest],
            title=gettext("在办与新分派案件最多的人员"),
            series=[gettext("在办"), gettext("待发布新案")],
            empty=gettext("暂无在办案件"),
            width=560,
            label_width=90,
            bar=14,
        ),
        "slack": charts.columns(
            [(label, [n]) for label, n in data.slack_histogram],
            title=gettext("已发布调解距期限的工作日数"),
            empty=gettext("暂无已发布的调解"),
            width=420,
            height=220,
        ),
        "status": charts.hbars(
            [(gettext(display.label(display.STATUS, s)), [n]) for s, n in data.by_status],
            title=gettext("案件状态分布"),
            width=420,
            label_width=100,
            bar=16,
        ),
        "court": charts.hbars(
            [(s.label, [s.open, s.closed]) for s in data.by_court],
            title=gettext("各法院案件"),
            series=[gettext("在办"), gettext("已结")],
            empty=gettext("暂无案件"),
            width=420,
            label_width=110,
            bar=16,
        ),
        "category": charts.hbars(
            [
                (gettext(display.label(display.CATEGORY, s.key)), [s.open, s.closed])
                for s in data.by_category
            ],
            title=gettext("各案由案件"),
            series=[gettext("在办"), gettext("已结")],
            empty=gettext("暂无案件"),
            width=420,
            label_width=150,
            bar=16,
        ),
        "outcomes": charts.columns(
            [(m.month, [m.settled, m.failed, m.withdrawn]) for m in data.outcomes],
            title=gettext("各月结案及结果"),
            series=[gettext("调解成功"), gettext("调解不成"), gettext("撤回")],
            empty=gettext("暂无结案"),
            width=560,
            height=240,
        ),
    }


@bp.get("/", endpoint="dashboard")
def dashboard_page() -> ResponseReturnValue:
    data = dashboard.collect(get_session(), display.today())
    built = {name: build(data) for name, build in tables.BUILDERS.items()}
    return render_template("leader/dashboard.html", data=data, tables=built, charts=_charts(data))


@bp.get("/export/<string:table>.xlsx")
def export(table: str) -> ResponseReturnValue:
    if table != tables.ALL and table not in tables.BUILDERS:
        abort(404)
    data = dashboard.collect(get_session(), display.today())
    names = list(tables.BUILDERS) if table == tables.ALL else [table]
    body = tables.workbook([tables.BUILDERS[name](data) for name in names])
    filename = f"sutiao-{table}-{data.today.isoformat()}.xlsx"
    response = current_app.response_class(
        body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- weights ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightField:
    name: str
    label: str
    help: str
    value: str  # as entered (or the current value)
    current: int
    default: int
    error: str | None


def _fields(values: dict[str, str], errors: dict[str, str]) -> list[WeightField]:
    current = current_weights(get_session()).as_dict()
    defaults = Weights().as_dict()
    return [
        WeightField(
            name=name,
            label=display.WEIGHT_LABEL[name],
            help=display.WEIGHT_HELP[name],
            value=values.get(name, str(current[name])),
            current=current[name],
            default=defaults[name],
            error=errors.get(name),
        )
        for name in WEIGHT_NAMES
    ]


def _parse_form() -> tuple[dict[str, str], Weights | None, dict[str, str]]:
    """The weights as entered, the Weights they make (or None) and each bad field's error."""
    entered = {name: request.form.get(name, "").strip() for name in WEIGHT_NAMES}
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name, raw in entered.items():
        label = gettext(display.WEIGHT_LABEL[name])
        if not raw:
            errors[name] = gettext("请填写“%(label)s”的权重。", label=label)
            continue
        try:
            value = int(raw)
        except ValueError:
            errors[name] = gettext("“%(label)s”须为整数，收到“%(value)s”。", label=label, value=raw)
            continue
        if not 0 <= value <= MAX_WEIGHT:
            errors[name] = gettext(
                "“%(label)s”须在 0 到 %(max)s 之间，收到 %(value)s。",
                label=label,
                max=MAX_WEIGHT,
                value=value,
            )
            continue
        numbers[name] = value
    if errors:
        return entered, None, errors
    try:
        proposed = weights.parse_weights(numbers, base=current_weights(get_session()))
    except weights.WeightsError as error:  # the operation has the last word on each field
        return entered, None, {k: v for k, v in error.details.items()}
    return entered, proposed, {}


def _history() -> list[dict[str, Any]]:
    session = get_session()
    profiles = weights.history(session)
    users = {
        u.id: u.display_name
        for u in session.scalars(
            select(User).where(User.id.in_({p.created_by_id for p in profiles if p.created_by_id}))
        )
    }
    out = []
    for i, profile in enumerate(profiles):
        older = profiles[i + 1] if i + 1 < len(profiles) else None
        changes = [
            (name, None if older is None else older.weights.get(name), profile.weights.get(name))
            for name in WEIGHT_NAMES
            if older is None or older.weights.get(name) != profile.weights.get(name)
        ]
        out.append(
            {
                "version": profile.version,
                "who": users.get(profile.created_by_id or 0),
                "when": display.fmt_datetime(profile.created_at),
                "note": profile.note,
                "changes": changes,
                "first": older is None,
            }
        )
    return out


def _render_weights(
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    preview: dict[str, Any] | None = None,
    note: str = "",
    note_error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "leader/weights.html",
            fields=_fields(values or {}, errors or {}),
            errors=errors or {},
            history=_history(),
            preview=preview,
            note=note,
            note_error=note_error,
            max_weight=MAX_WEIGHT,
        ),
        status,
    )


@bp.get("/weights", endpoint="weights")
def weights_page() -> ResponseReturnValue:
    return _render_weights()


def _team(members: list[dict[str, Any]], names: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "name": names.get(int(m["person"]), str(m["person"])),
            "role": m["role"],
            "presiding": bool(m["presiding"]),
        }
        for m in sorted(members, key=lambda m: (not m["presiding"], m["role"]))
    ]


def _serialize_preview(result: weights.Preview) -> dict[str, Any]:
    """The preview with case numbers and names instead of ids."""
    session = get_session()
    case_ids = {int(c["case"]) for c in result.changes}
    person_ids = {int(m["person"]) for c in result.changes for m in (*c["before"], *c["after"])}
    numbers = (
        dict(
            session.execute(select(Case.id, Case.case_number).where(Case.id.in_(case_ids)))
            .tuples()
            .all()
        )
        if case_ids
        else {}
    )
    names = (
        dict(
            session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids)))
            .tuples()
            .all()
        )
        if person_ids
        else {}
    )
    kpis = []
    for name, row in result.kpis.items():
        change = row["change"]
        better = display.KPI_HIGHER_IS_BETTER.get(name)
        verdict = None
        if change and better is not None:
            verdict = "good" if (change > 0) == better else "bad"
        kpis.append(
            {
                "name": name,
                "label": display.label(display.KPI_LABEL, name),
                "before": row["before"],
                "after": row["after"],
                "change": change,
                "verdict": verdict,
            }
        )
    order = list(display.KPI_LABEL)
    kpis.sort(key=lambda k: order.index(k["name"]) if k["name"] in order else len(order))
    changes: list[dict[str, Any]] = [
        {
            "case_number": numbers.get(int(c["case"]), str(c["case"])),
            "before": _team(c["before"], names),
            "after": _team(c["after"], names),
        }
        for c in result.changes
    ]
    changes.sort(key=lambda c: str(c["case_number"]))
    changed = [
        (name, result.current[name], result.proposed[name])
        for name in WEIGHT_NAMES
        if result.current[name] != result.proposed[name]
    ]
    return {
        "kpis": kpis,
        "changes": changes,
        "proposed": result.proposed,
        "changed_weights": changed,
    }


@bp.post("/weights/preview")
def preview_weights() -> ResponseReturnValue:
    values, proposed, errors = _parse_form()
    if proposed is None:
        return _render_weights(values, errors, status=400)
    limit = float(current_app.config.get("SUTIAO_PREVIEW_TIME_LIMIT", PREVIEW_TIME_LIMIT))
    result = weights.preview(
        get_session(),
        proposed,
        today=display.today(),
        time_limit=limit,
        small_claims_threshold=current_app.config["SUTIAO_SMALL_CLAIMS_THRESHOLD"],
    )
    get_session().rollback()  # a preview writes nothing
    return _render_weights(values, preview=_serialize_preview(result))


@bp.post("/weights/apply")
def apply_weights() -> ResponseReturnValue:
    values, proposed, errors = _parse_form()
    note = request.form.get("note", "").strip()
    note_error = None
    if not note:
        note_error = gettext("请填写调整说明（将记入版本历史）。")
    elif len(note) > NOTE_MAX:
        note_error = gettext("调整说明最多 %(max)s 字。", max=NOTE_MAX)
    if proposed is None or note_error:
        return _render_weights(values, errors, note=note, note_error=note_error, status=400)
    session = get_session()
    if proposed == current_weights(session):
        flash(gettext("未应用：提交的权重与当前版本相同。"), "error")
        return _render_weights(values, note=note, status=409)
    profile = weights.apply(session, proposed, user_id=current_user.id, note=note)
    flash(gettext("已应用新权重，版本 %(version)s。", version=profile.version), "info")
    return redirect(url_for("leader.weights"))
