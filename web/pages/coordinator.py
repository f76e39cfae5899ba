"""Pages: coordinator — today's inbox and the transfer-sheet upload, runs with live progress,
the review of a run's teams (pin, override, re-run; a recusal waiver when an override is refused
for recusal), the schedule by week, publish, and the repair proposals after leave.

Views parse the form, call an operation (transfer_sheet, runs, workflow, repairs) or a read
(web/coordination.py), and render. Every user-visible string is a Chinese msgid for Flask-Babel.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from matcher.rules import WAIVABLE_GROUNDS
from models import AssignmentRun, Case, Person, Proposal, Waiver
from models.vocabulary import RunKind, RunStatus

from .. import api, coordination, repairs, runs, waivers, workflow
from ..auth import COORDINATOR, allow
from ..db import get_session
from ..transfer_sheet import ImportOptions, SheetError, import_cases
from . import nav

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

ID = "int(max=2147483647)"  # ids are 32-bit; a larger one matches no route (404)
DEFAULT_TIME_LIMIT = 10.0
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
SHEET_SUFFIXES = (".xlsx", ".csv")


def _today() -> date:
    """The center's today (Asia/Shanghai); tests fix it through ``web.api.now``."""
    return api.now().astimezone(coordination.TZ).date()


def _user_id() -> int | None:
    return int(current_user.id) if current_user.is_authenticated else None


# --- labels: one Chinese msgid per code the pages show ------------------------------------------

LABELS: dict[str, dict[str, Any]] = {
    "run_status": {
        RunStatus.QUEUED: _l("排队中"),
        RunStatus.RUNNING: _l("运行中"),
        RunStatus.SUCCEEDED: _l("已完成，待审核"),
        RunStatus.FAILED: _l("失败"),
        RunStatus.CANCELLED: _l("已取消"),
        RunStatus.PUBLISHED: _l("已发布"),
    },
    "run_kind": {
        RunKind.ASSIGN: _l("分案"),
        RunKind.SCHEDULE: _l("排期"),
        RunKind.REPAIR: _l("请假调整"),
        RunKind.PREVIEW: _l("权重预览"),
    },
    "case_status": {
        "received": _l("待分派"),
        "assigned": _l("已分派"),
        "scheduled": _l("已排期"),
        "paused": _l("中立评估中"),
        "settled": _l("调解成功"),
        "failed": _l("调解不成"),
        "withdrawn": _l("撤回"),
    },
    "mode": {"delegated": _l("委派"), "entrusted": _l("委托")},
    "instance": {"1": _l("一审"), "2": _l("二审")},
    "procedure": {
        "ordinary": _l("普通程序"),
        "simplified": _l("简易程序"),
        "small_claims": _l("小额诉讼"),
    },
    "complexity": {
        "simple": _l("简单"),
        "ordinary": _l("普通"),
        "complex": _l("疑难"),
        "major": _l("重大"),
    },
    # The same names as models.vocabulary.CATEGORY_NAMES_ZH, as msgids.
    "category": {
        "financial_loan": _l("金融借款合同纠纷"),
        "credit_card": _l("信用卡纠纷"),
        "insurance": _l("保险合同纠纷"),
        "guarantee": _l("保证合同纠纷"),
        "financial_leasing": _l("融资租赁合同纠纷"),
        "securities_futures": _l("证券期货纠纷"),
        "deposit": _l("储蓄存款合同纠纷"),
        "financial_tort": _l("金融业务侵权责任纠纷"),
        "other_financial": _l("其他金融纠纷"),
    },
    "role": {
        "mediator": _l("调解员"),
        "expert": _l("专家"),
        "liaison_judge": _l("联络法官"),
        "leader": _l("领导"),
        "member": _l("参会人员"),
    },
    # The matcher's hard rules (matcher/result.py).
    "rule": {
        "eligibility": _l("专业资格"),
        "roster_scope": _l("名册服务范围"),
        "recusal": _l("回避"),
        "capacity": _l("承办容量已满"),
        "availability": _l("期限内无空闲时间"),
        "team_composition": _l("团队构成"),
        "distinct_people": _l("同一人不得重复"),
        "presiding": _l("主持人资格"),
        "locks": _l("锁定人员（当事人选定或已固定）"),
    },
    "rule_help": {
        "eligibility": _l("擅长领域不含本案案由，或缺少中立评估资质"),
        "roster_scope": _l("不在为本案法院服务的名册内"),
        "recusal": _l("与当事人机构存在任职关系、已声明利益冲突或在本案担任其他角色"),
        "capacity": _l("在办案件已达承办上限"),
        "availability": _l("期限届满前的空闲时间不足以办理本案"),
        "team_composition": _l("团队人数或角色不符合本案复杂程度的要求"),
        "distinct_people": _l("已在本案团队中"),
        "presiding": _l("二审与重大案件须由资深调解员主持"),
        "locks": _l("与当事人共同选定或协调员固定的人员冲突"),
    },
    # The recusal grounds (matcher/rules.py).
    "ground": {
        "affiliation": _l("与当事人机构存在任职关系"),
        "declared_conflict": _l("已声明利益冲突"),
        "other_role": _l("在本案担任其他角色"),
    },
    # The objective's terms (matcher/score.py).
    "term": {
        "specialty": _l("专业匹配"),
        "locality": _l("就近（同一法院）"),
        "rotation": _l("轮换（近期承办量）"),
        "batch": _l("串案延续"),
        "urgency": _l("期限紧迫"),
        "stability": _l("方案稳定"),
    },
    "reason": {
        "no_eligible_specialist": _l("无符合条件的专业人员"),
        "all_conflicted": _l("符合条件的人员均须回避"),
        "capacity_exhausted": _l("承办容量已用尽"),
        "no_availability_before_deadline": _l("期限届满前无空闲时间"),
        "team_incomplete": _l("团队无法配齐"),
    },
    "fix": {
        "no_eligible_specialist": _l(
            "为该案由增补调解员或专家（含所需的中立评估资质），或将现有人员的名册服务范围扩大到该法院。"
        ),
        "all_conflicted": _l(
            "记录双方当事人对回避事由的书面同意（豁免），或增补与当事人机构无关联的专业人员。"
        ),
        "capacity_exhausted": _l(
            "提高相关人员的承办上限，或将本案顺延到下一轮分案（期限允许时）。"
        ),
        "no_availability_before_deadline": _l(
            "请相关人员在期限前增加可安排时间，或征得双方当事人同意延长调解期限。"
        ),
        "team_incomplete": _l(
            "检查当事人选定或已固定的人员是否违反硬性规则；为缺少的角色增补人员后重新运行。"
        ),
    },
    "figure": {
        "needed": _l("需要人数"),
        "specialists": _l("该案由专业人员"),
        "in_roster_scope": _l("名册范围内"),
        "not_conflicted": _l("无需回避"),
        "with_capacity": _l("尚有承办容量"),
        "available_before_deadline": _l("期限前有空闲"),
        "still_free_after_assignment": _l("本轮分配后仍有余量"),
    },
    "kpi": {
        "cases_assigned": _l("已配齐团队的案件"),
        "cases_unassigned": _l("未分派案件"),
        "mean_specialty_level": _l("平均专业等级"),
        "max_utilisation_pct": _l("最高负荷（%）"),
        "utilisation_spread_pct": _l("负荷差异（百分点）"),
        "rotation_spread": _l("轮换差异"),
        "batch_cohesion": _l("串案集中度"),
        "batch_splits": _l("串案拆分次数"),
        "local_share": _l("就近承办比例"),
        "sessions_placed": _l("已排场次"),
        "unscheduled": _l("未排场次"),
        "mean_slack_days": _l("平均距期限余量（工作日）"),
        "min_slack_days": _l("最小距期限余量（工作日）"),
        "moved": _l("调整场次"),
    },
    "kind": {
        "mediation": _l("调解"),
        "joint_mediation": _l("联合调解"),
        "evaluation": _l("中立评估"),
        "case_conference": _l("疑难案件研讨会"),
        "regular_meeting": _l("工作例会"),
        "training": _l("培训"),
    },
    # One character per session kind, shown on the week grid beside the colour.
    "kind_mark": {
        "mediation": _l("调"),
        "joint_mediation": _l("联"),
        "evaluation": _l("评"),
        "case_conference": _l("研"),
        "regular_meeting": _l("例"),
        "training": _l("训"),
    },
    "unscheduled": {
        "no_common_time": _l("参加人员在期限内没有共同空闲时间"),
        "window_empty": _l("通知期之后、期限之前没有工作日"),
        "no_room": _l("没有满足人数与设备要求的调解室"),
        "crowded": _l("可用时段已被其他场次占满"),
    },
    "weekday": {
        "0": _l("周一"),
        "1": _l("周二"),
        "2": _l("周三"),
        "3": _l("周四"),
        "4": _l("周五"),
        "5": _l("周六"),
        "6": _l("周日"),
    },
}


def label(group: str, code: Any) -> str:
    """The label of a code in the request's language (the code itself when there is none).
    Kept for the rest of the request: the week grid asks for the same few labels some 700 times,
    and each lazy string looks its translation up again (some 30 µs)."""
    if code is None:
        return ""
    key = (group, str(code))
    labels: dict[tuple[str, str], str] = (
        g.setdefault("coordinator_labels", {}) if has_request_context() else {}
    )
    if key not in labels:
        value = LABELS.get(group, {}).get(key[1])
        labels[key] = key[1] if value is None else str(value)
    return labels[key]


def _fmt_date(value: Any) -> str:
    if value is None:
        return "—"
    if hasattr(value, "astimezone") and hasattr(value, "hour"):
        return coordination.local(value).strftime("%Y-%m-%d")
    return str(value.isoformat())


def _fmt_dt(value: Any) -> str:
    if value is None:
        return "—"
    return coordination.local(value).strftime("%Y-%m-%d %H:%M")


def _fmt_time(value: Any) -> str:
    return "—" if value is None else coordination.local(value).strftime("%H:%M")


def _fmt_number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if digits:
        return f"{float(value):,.{digits}f}"
    return f"{round(float(value)):,}"


def _fmt_gap(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.2f}%"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "label": label,
        "fmt_date": _fmt_date,
        "fmt_dt": _fmt_dt,
        "fmt_time": _fmt_time,
        "fmt_number": _fmt_number,
        "fmt_gap": _fmt_gap,
        "default_time_limit": DEFAULT_TIME_LIMIT,
    }


# --- parsing ------------------------------------------------------------------------------------


def _time_limit(raw: str | None) -> float | None:
    """Seconds from a form field; None (with a message flashed) when it is not usable."""
    try:
        limit = float((raw or "").strip())
    except ValueError:
        flash(_("时间上限须为秒数，例如 10。"), "error")
        return None
    if not 0 < limit <= workflow.MAX_TIME_LIMIT:
        flash(
            _("时间上限须大于 0 且不超过 %(max)d 秒。", max=int(workflow.MAX_TIME_LIMIT)),
            "error",
        )
        return None
    return limit


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _back(default: str) -> ResponseReturnValue:
    """Back to the form's page (a path on this site only), else ``default``."""
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return redirect(target)
    return redirect(default)


def _explain(error: workflow.WorkflowError) -> str:
    """A workflow error for a Chinese page: what happened, with the operation's detail."""
    if isinstance(error, workflow.Conflict):
        head = _("操作未执行：状态已变化或与已发布的内容冲突。")
    else:
        head = _("操作未执行。")
    return f"{head} （{error}）"


def _assign_run(run_id: int) -> AssignmentRun:
    run = get_session().get(AssignmentRun, run_id)
    if run is None or run.kind != RunKind.ASSIGN:
        abort(404)
    return run


# --- today --------------------------------------------------------------------------------------


def _render_today(status: int = 200, **extra: Any) -> ResponseReturnValue:
    session = get_session()
    runs.reap(session)
    data = coordination.inbox(session, _today())
    return render_template("coordinator/today.html", inbox=data, **extra), status


@bp.get("/")
def today() -> ResponseReturnValue:
    return _render_today()


@bp.post("/upload")
def upload() -> ResponseReturnValue:
    upload = request.files.get("sheet")
    strict = request.form.get("strict") == "1"
    if upload is None or not upload.filename:
        return _render_today(400, sheet_error=_("请选择要上传的移送清单文件（.xlsx 或 .csv）。"))
    name = Path(upload.filename.replace("\\", "/")).name
    suffix = Path(name).suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        return _render_today(
            400,
            sheet_error=_(
                "不支持的文件类型“%(suffix)s”：请上传 .xlsx 或 .csv 文件"
                "（旧版 .xls 请先另存为 .xlsx）。",
                suffix=suffix or name,
            ),
        )
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return _render_today(
            400, sheet_error=_("文件超过 %(mb)d MB，请拆分后上传。", mb=MAX_UPLOAD_BYTES >> 20)
        )
    # The import names the file in its audit entry, so keep a readable name.
    stem = re.sub(r"[^\w（）()\-]+", "_", Path(name).stem)[:80] or "transfer_sheet"
    session = get_session()
    options = ImportOptions(
        today=_today(),
        small_claims_threshold=current_app.config["SUTIAO_SMALL_CLAIMS_THRESHOLD"],
        major_amount=current_app.config["SUTIAO_MAJOR_AMOUNT"],
        strict=strict,
        actor=str(current_user.username),
    )
    with tempfile.TemporaryDirectory(prefix="sutiao-upload-") as folder:
        path = Path(folder) / f"{stem}{suffix}"
        path.write_bytes(data)
        try:
            report = import_cases(session, path, options)
        except SheetError as error:
            session.rollback()
            return _render_today(
                400,
                sheet_error=_("文件无法导入，未导入任何案件。"),
                sheet_detail=str(error.reason),  # in the page's language, as the row reasons
            )
        except Exception:
            session.rollback()
            raise
    session.commit()
    return _render_today(report=report, uploaded=name)


# --- runs ---------------------------------------------------------------------------------------


@bp.get("/runs")
def runs_list() -> ResponseReturnValue:
    session = get_session()
    runs.reap(session)
    return render_template("coordinator/runs.html", runs=coordination.latest_runs(session))


@bp.post("/runs")
def start_assign() -> ResponseReturnValue:
    limit = _time_limit(request.form.get("time_limit"))
    if limit is None:
        return _back(url_for(".today"))
    parent = _int(request.form.get("parent"))
    session = get_session()
    try:
        run = runs.submit_assign(
            session,
            today=_today(),
            time_limit=limit,
            small_claims_threshold=current_app.config["SUTIAO_SMALL_CLAIMS_THRESHOLD"],
            parent_run_id=parent,
            user_id=_user_id(),
        )
    except workflow.NotFound:
        abort(404)
    except workflow.WorkflowError as error:
        flash(_explain(error), "error")
        return _back(url_for(".today"))
    if parent is not None:
        flash(_("已提交重新运行（保留运行 #%(id)d 的固定与替换）。", id=parent), "info")
    return redirect(url_for(".run", run_id=run.id))


@bp.get(f"/runs/<{ID}:run_id>")
def run(run_id: int) -> ResponseReturnValue:
    session = get_session()
    runs.reap(session)
    found = session.get(AssignmentRun, run_id)
    if found is None or found.kind not in (RunKind.ASSIGN, RunKind.SCHEDULE):
        abort(404)
    session.refresh(found)
    data = runs.run_json(found)
    parent = session.get(AssignmentRun, found.parent_run_id) if found.parent_run_id else None
    return render_template(
        "coordinator/run.html",
        run=found,
        data=data,
        parent=parent,
        chart=coordination.progress_chart(data["progress"], time_limit=_limit_of(found)),
        status_labels={str(k): str(v) for k, v in LABELS["run_status"].items()},
        time_limit=_limit_of(found),
        first_day=_first_session_day(found),
    )


def _limit_of(run: AssignmentRun) -> float:
    try:
        return float((run.params or {}).get("time_limit", 0))
    except (TypeError, ValueError):
        return 0.0


def _first_session_day(run: AssignmentRun) -> date | None:
    if run.kind != RunKind.SCHEDULE:
        return None
    from models import Session as SessionRow

    first = get_session().scalar(
        select(SessionRow.starts_at)
        .where(SessionRow.run_id == run.id)
        .order_by(SessionRow.starts_at)
        .limit(1)
    )
    return coordination.local(first).date() if first is not None else None


@bp.post(f"/runs/<{ID}:run_id>/cancel")
def cancel(run_id: int) -> ResponseReturnValue:
    try:
        workflow.cancel_run(get_session(), run_id, user_id=_user_id())
    except workflow.NotFound:
        abort(404)
    except workflow.WorkflowError as error:
        flash(_explain(error), "error")
    else:
        flash(_("已请求取消运行 #%(id)d。", id=run_id), "info")
    return redirect(url_for(".run", run_id=run_id))


# --- review -------------------------------------------------------------------------------------


@bp.get(f"/runs/<{ID}:run_id>/review")
def review(run_id: int) -> ResponseReturnValue:
    run = _assign_run(run_id)
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        flash(_("运行 #%(id)d 尚未完成，完成后即可审核。", id=run_id), "info")
        return redirect(url_for(".run", run_id=run_id))
    session = get_session()
    data = coordination.review(session, run)
    open_case = _int(request.args.get("open"))
    case_ids = [c.case.id for c in data.cases] + [u.case_id for u in data.unassigned]
    recorded: dict[int, list[waivers.WaiverView]] = {}
    for w in waivers.list_waivers(session, case_ids=case_ids):
        recorded.setdefault(w.case_id, []).append(w)
    return render_template(
        "coordinator/review.html",
        review=data,
        run=run,
        open_case=open_case,
        waivers=recorded,
        waivable=WAIVABLE_GROUNDS,
        waive=_waive_request(open_case),
        retry=_retry_request(),
        today=_today(),
    )


def _waive_request(open_case: int | None) -> dict[str, Any] | None:
    """After an override refused for recusal: the waiver form, filled in (person, ground and
    the proposal to retry), for the open case."""
    person_id = _int(request.args.get("waive"))
    ground = request.args.get("ground")
    if open_case is None or person_id is None or ground not in WAIVABLE_GROUNDS:
        return None
    person = get_session().get(Person, person_id)
    if person is None:
        return None
    return {
        "case": open_case,
        "person": person,
        "ground": ground,
        "proposal": _int(request.args.get("proposal")),
    }


def _retry_request() -> dict[str, Any] | None:
    """After a waiver: the override form of the proposal to retry, with the person filled in."""
    proposal_id = _int(request.args.get("retry"))
    person_id = _int(request.args.get("person"))
    if proposal_id is None or person_id is None:
        return None
    person = get_session().get(Person, person_id)
    return {"proposal": proposal_id, "person": person} if person is not None else None


def _review_at(run_id: int, case_id: int, **args: Any) -> ResponseReturnValue:
    target = url_for(".review", run_id=run_id, open=case_id, **args)
    return redirect(f"{target}#case-{case_id}")


def _to_review(proposal: Proposal) -> ResponseReturnValue:
    return _review_at(proposal.run_id, proposal.case_id)


@bp.post(f"/proposals/<{ID}:proposal_id>/pin")
def pin(proposal_id: int) -> ResponseReturnValue:
    session = get_session()
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("固定须填写理由。"), "error")
        return _to_review(proposal)
    try:
        workflow.pin(session, proposal_id, reason=reason, user_id=_user_id())
    except workflow.WorkflowError as error:
        flash(_explain(error), "error")
    else:
        flash(
            _(
                "已固定 %(name)s（%(case)s）：重新运行时保留。",
                name=proposal.person.name,
                case=proposal.case.case_number,
            ),
            "info",
        )
    return _to_review(proposal)


@bp.post(f"/proposals/<{ID}:proposal_id>/override")
def override(proposal_id: int) -> ResponseReturnValue:
    session = get_session()
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    reason = (request.form.get("reason") or "").strip()
    roster_no = (request.form.get("roster_no") or "").strip()
    person_id = _int(request.form.get("person"))
    if roster_no:
        person_id = session.scalar(select(Person.id).where(Person.roster_no == roster_no))
        if person_id is None:
            flash(_("名册中没有编号为 %(no)s 的人员。", no=roster_no), "error")
            return _to_review(proposal)
    if person_id is None:
        flash(_("请选择替换人员，或填写名册编号。"), "error")
        return _to_review(proposal)
    if not reason:
        flash(_("替换须填写理由。"), "error")
        return _to_review(proposal)
    replaced = proposal.person.name
    case_number = proposal.case.case_number
    run_today = (proposal.run.params or {}).get("today")
    try:
        workflow.override(
            session,
            proposal_id,
            person_id,
            reason=reason,
            today=date.fromisoformat(run_today) if run_today else _today(),
            user_id=_user_id(),
        )
    except workflow.RuleBroken as broken:
        message = _(
            "替换未执行：违反硬性规则「%(rule)s」（%(help)s）。",
            rule=label("rule", broken.rule),
            help=label("rule_help", broken.rule),
        )
        if broken.rule == "recusal" and broken.ground in WAIVABLE_GROUNDS:
            message += _("回避事由：%(ground)s。", ground=label("ground", broken.ground))
            message += _(
                "该人员有回避事由：须先记录双方当事人同意其参与本案的书面意见（回避豁免），才能替换。"
            )
            flash(message, "error")
            return _review_at(
                proposal.run_id,
                proposal.case_id,
                waive=person_id,
                ground=broken.ground,
                proposal=proposal_id,
            )
        if broken.rule == "recusal":
            message += _("该人员在本案担任其他角色，不得豁免（《人民调解法》第十六条）。")
        flash(message, "error")
    except workflow.NotFound:
        abort(404)
    except workflow.WorkflowError as error:
        flash(_explain(error), "error")
    else:
        session.refresh(proposal)
        flash(
            _(
                "已将 %(case)s 的 %(old)s 替换为 %(new)s，并已固定。",
                case=case_number,
                old=replaced,
                new=proposal.person.name,
            ),
            "info",
        )
    return _to_review(proposal)


def _form_date(name: str) -> tuple[date | None, bool]:
    """A YYYY-MM-DD form field: (the date or None when empty, whether it was well formed)."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None, True
    try:
        return date.fromisoformat(raw), True
    except ValueError:
        return None, False


@bp.post(f"/cases/<{ID}:case_id>/waivers")
def record_waiver(case_id: int) -> ResponseReturnValue:
    session = get_session()
    case = session.get(Case, case_id)
    if case is None:
        abort(404)
    run_id = _int(request.form.get("run"))
    proposal_id = _int(request.form.get("proposal"))
    ground = (request.form.get("ground") or "").strip()
    roster_no = (request.form.get("roster_no") or "").strip()
    person_id = _int(request.form.get("person"))
    again: dict[str, Any] = {}
    if person_id is not None and ground in WAIVABLE_GROUNDS:
        # On a mistake, the form comes back filled in.
        again = {"waive": person_id, "ground": ground}
        if proposal_id is not None:
            again["proposal"] = proposal_id

    def back(**args: Any) -> ResponseReturnValue:
        if run_id is None:
            return _back(url_for(".today"))
        return _review_at(run_id, case_id, **args)

    if roster_no:
        person_id = session.scalar(select(Person.id).where(Person.roster_no == roster_no))
        if person_id is None:
            flash(_("名册中没有编号为 %(no)s 的人员。", no=roster_no), "error")
            return back(**again)
    if person_id is None:
        flash(_("请选择须回避的人员，或填写名册编号。"), "error")
        return back(**again)
    consents: dict[str, date | None] = {}
    for field in waivers.CONSENTS:
        consents[field], ok = _form_date(field)
        if not ok:
            flash(_("同意日期格式应为 YYYY-MM-DD。"), "error")
            return back(**again)
    try:
        waivers.record_waiver(
            session,
            case_id=case_id,
            person_id=person_id,
            ground=ground,
            plaintiff_consent_on=consents["plaintiff_consent_on"],
            defendant_consent_on=consents["defendant_consent_on"],
            note=request.form.get("note"),
            today=_today(),
            user_id=_user_id(),
        )
    except workflow.WorkflowError as error:
        session.rollback()
        head = _("未记录回避豁免。")
        flash(f"{head} （{error}）", "error")
        return back(**again)
    person = session.get_one(Person, person_id)
    flash(
        _(
            "已记录 %(name)s 在 %(case)s 的回避豁免（%(ground)s），双方当事人同意日期："
            "原告 %(p)s，被告 %(d)s。",
            name=person.name,
            case=case.case_number,
            ground=label("ground", ground),
            p=_fmt_date(consents["plaintiff_consent_on"]),
            d=_fmt_date(consents["defendant_consent_on"]),
        ),
        "info",
    )
    if proposal_id is not None:
        flash(_("现在可以重新替换：名册编号已填好，填写理由后提交。"), "info")
        return back(retry=proposal_id, person=person_id)
    return back()


@bp.post(f"/waivers/<{ID}:waiver_id>/revoke")
def revoke_waiver(waiver_id: int) -> ResponseReturnValue:
    session = get_session()
    run_id = _int(request.form.get("run"))
    waiver = session.get(Waiver, waiver_id)
    if waiver is None:
        abort(404)
    case_id = waiver.case_id
    try:
        waivers.revoke_waiver(
            session, waiver_id, reason=request.form.get("reason"), user_id=_user_id()
        )
    except workflow.NotFound:
        abort(404)
    except workflow.WorkflowError as error:
        session.rollback()
        flash(_explain(error), "error")
    else:
        flash(_("已撤销回避豁免 #%(id)d。", id=waiver_id), "info")
    if run_id is None:
        return _back(url_for(".today"))
    return _review_at(run_id, case_id)


@bp.post(f"/runs/<{ID}:run_id>/schedule")
def start_schedule(run_id: int) -> ResponseReturnValue:
    limit = _time_limit(request.form.get("time_limit"))
    if limit is None:
        return _back(url_for(".review", run_id=run_id))
    try:
        scheduled = runs.submit_schedule(
            get_session(), run_id, today=_today(), time_limit=limit, user_id=_user_id()
        )
    except workflow.NotFound:
        abort(404)
    except workflow.WorkflowError as error:
        flash(_explain(error), "error")
        return _back(url_for(".review", run_id=run_id))
    return redirect(url_for(".run", run_id=scheduled.id))


# --- the week -----------------------------------------------------------------------------------


@bp.get("/schedule")
def schedule() -> ResponseReturnValue:
    session = get_session()
    by = request.args.get("by", "person")
    if by not in ("person", "room"):
        by = "person"
    raw = request.args.get("week")
    day: date | None = None
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            flash(_("日期格式应为 YYYY-MM-DD，已显示本周。"), "error")
    if day is None:
        day = _today()
        if day.weekday() >= 5:  # at the weekend, the coming week is the one to look at
            day += timedelta(days=7 - day.weekday())
    monday = coordination.monday_of(day)
    run_id = _int(request.args.get("run"))
    proposal = coordination.proposal_schedule_run(session, run_id)
    if run_id is not None and proposal is None:
        abort(404)
    data = coordination.week(session, monday, by, proposal=proposal)
    return render_template("coordinator/schedule.html", week=data, run_param=run_id)


# --- publish ------------------------------------------------------------------------------------


@bp.route(f"/runs/<{ID}:run_id>/publish", methods=["GET", "POST"])
def publish(run_id: int) -> ResponseReturnValue:
    session = get_session()
    run = _assign_run(run_id)
    error: str | None = None
    status = 200
    if request.method == "POST":
        try:
            summary = workflow.publish(session, run_id, user_id=_user_id())
        except workflow.NotFound:
            abort(404)
        except workflow.Conflict as conflict:
            error = _explain(conflict)
            status = 409
            session.expire_all()
        else:
            flash(
                _(
                    "已发布运行 #%(id)d：%(cases)d 件案件的团队，%(sessions)d 场调解排期。",
                    id=run_id,
                    cases=summary.detail["cases"],
                    sessions=summary.detail["sessions"],
                ),
                "info",
            )
            return redirect(url_for(".publish", run_id=run_id))
    session.refresh(run)
    data = coordination.publish_summary(session, run)
    return render_template("coordinator/publish.html", summary=data, run=run, error=error), status


# --- repairs ------------------------------------------------------------------------------------


@bp.get("/repairs")
def repairs_list() -> ResponseReturnValue:
    return render_template(
        "coordinator/repairs.html", repairs=coordination.repair_proposals(get_session())
    )


@bp.post(f"/repairs/<{ID}:run_id>/publish")
def publish_repair(run_id: int) -> ResponseReturnValue:
    try:
        summary = repairs.publish_repair(get_session(), run_id, user_id=_user_id())
    except workflow.NotFound:
        abort(404)
    except workflow.WorkflowError as error:
        flash(_explain(error), "error")
    else:
        flash(
            _(
                "已发布调整 #%(id)d：改期 %(moved)d 场，取消 %(cancelled)d 场；"
                "订阅日历将随之更新。",
                id=run_id,
                moved=summary.detail["moved"],
                cancelled=summary.detail["cancelled"],
            ),
            "info",
        )
    return redirect(url_for(".repairs_list") + f"#repair-{run_id}")


# --- access and navigation ----------------------------------------------------------------------

for _endpoint in (
    "today",
    "upload",
    "runs_list",
    "start_assign",
    "run",
    "cancel",
    "review",
    "pin",
    "override",
    "record_waiver",
    "revoke_waiver",
    "start_schedule",
    "schedule",
    "publish",
    "repairs_list",
    "publish_repair",
):
    allow(f"coordinator.{_endpoint}", COORDINATOR)

nav("coordinator.today", "今日收案")
nav("coordinator.runs_list", "分案与排期")
nav("coordinator.schedule", "周排期")
nav("coordinator.repairs_list", "请假调整")
