"""Pages: me (see web/pages/__init__.py) — a mediator's or expert's own cases and sessions (a
list and a week view), their calendar subscription links with a reset, and recording leave.

The login's roster entry (``current_user.person_id``) bounds every read and write here."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from models import Person

from .. import auth, feeds, my_schedule, repairs
from ..db import get_session, transaction
from ..workflow import WorkflowError
from . import display, nav

bp = Blueprint("me", __name__, url_prefix="/me")

LIST_DAYS = 60  # the session list: today and this many days ahead
RECENT_DAYS = 7  # … and this many days back
LEAVE_REASON_MAX = 128
LEAVE_MAX_DAYS = 366
REPAIR_TIME_LIMIT = 5.0  # seconds (SUTIAO_REPAIR_TIME_LIMIT)

for _endpoint in ("index", "calendar", "reset_calendar", "leave"):
    auth.allow(f"me.{_endpoint}", auth.MEDIATOR)
nav("me.index", display.N_("我的案件与日程"))
nav("me.calendar", display.N_("日历订阅"))
nav("me.leave", display.N_("登记请假"))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"d": display}


def _person() -> Person | None:
    """The login's roster entry, or None (a mediator login not tied to the roster)."""
    person_id = current_user.person_id
    return get_session().get(Person, person_id) if person_id is not None else None


def _no_person() -> ResponseReturnValue:
    return render_template("me/no_person.html"), 409


def _week_start(raw: str | None, today: date) -> date:
    """The Monday of ``?week=YYYY-MM-DD`` (any day of that week); else of this week, or of the
    next one at the weekend."""
    if raw:
        try:
            return display.monday_of(date.fromisoformat(raw))
        except ValueError:
            flash(gettext("日期格式应为 YYYY-MM-DD，已显示本周。"), "error")
    return display.monday_of(today + timedelta(days=2 if today.weekday() >= 5 else 0))


@bp.get("/")
def index() -> ResponseReturnValue:
    person = _person()
    if person is None:
        return _no_person()
    session = get_session()
    today = display.today()
    monday = _week_start(request.args.get("week"), today)
    week = my_schedule.my_sessions(session, person.id, monday, monday + timedelta(days=6))
    days = [monday + timedelta(days=i) for i in range(5)]
    # A worked weekend day (调休) with a session gets its own column.
    days += sorted({s.day for s in week if s.day.weekday() >= 5})
    upcoming = my_schedule.my_sessions(
        session, person.id, today - timedelta(days=RECENT_DAYS), today + timedelta(days=LIST_DAYS)
    )
    return render_template(
        "me/index.html",
        person=person,
        today=today,
        monday=monday,
        sunday=monday + timedelta(days=6),
        days=days,
        week={day: [s for s in week if s.day == day] for day in days},
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
        this_week=_week_start(None, today),
        sessions=upcoming,
        cases=my_schedule.my_cases(session, person.id),
        list_days=LIST_DAYS,
        recent_days=RECENT_DAYS,
    )


# --- calendar subscription ------------------------------------------------------------------------


@bp.get("/calendar")
def calendar() -> ResponseReturnValue:
    person = _person()
    if person is None:
        return _no_person()
    session = get_session()
    with transaction(session):  # the first visit issues the person's token
        links = feeds.current_links(session, person_id=person.id, user_id=current_user.id)
    return render_template("me/calendar.html", person=person, links=links)


@bp.post("/calendar/reset")
def reset_calendar() -> ResponseReturnValue:
    person = _person()
    if person is None:
        return _no_person()
    session = get_session()
    if request.form.get("confirm") != "yes":
        flash(gettext("请先勾选确认：重置后旧的订阅链接将立即失效。"), "error")
        with transaction(session):
            links = feeds.current_links(session, person_id=person.id, user_id=current_user.id)
        return render_template("me/calendar.html", person=person, links=links), 400
    with transaction(session):
        feeds.reset_links(session, person_id=person.id, user_id=current_user.id)
    flash(
        gettext("已生成新的订阅链接，旧链接已失效。请在日历应用中用新链接重新订阅。"),
        "info",
    )
    return redirect(url_for("me.calendar"))


# --- leave ---------------------------------------------------------------------------------------


def _parse_leave() -> tuple[dict[str, str], dict[str, str], tuple[date, date, str | None] | None]:
    form = {k: request.form.get(k, "").strip() for k in ("starts_on", "ends_on", "reason")}
    errors: dict[str, str] = {}
    dates: dict[str, date] = {}
    for name, label in (("starts_on", display.N_("开始日期")), ("ends_on", display.N_("结束日期"))):
        raw = form[name]
        if not raw:
            errors[name] = gettext("请填写%(label)s。", label=gettext(label))
            continue
        try:
            dates[name] = display.parse_date(raw)
        except ValueError:
            errors[name] = gettext(
                "%(label)s应为 YYYY-MM-DD 格式的日期，收到“%(value)s”。",
                label=gettext(label),
                value=raw,
            )
    if not errors:
        start, end = dates["starts_on"], dates["ends_on"]
        if end < start:
            errors["ends_on"] = gettext("结束日期不能早于开始日期。")
        elif (end - start).days >= LEAVE_MAX_DAYS:
            errors["ends_on"] = gettext("一次请假最长 %(n)s 天。", n=LEAVE_MAX_DAYS)
        elif end < display.today():
            errors["ends_on"] = gettext("结束日期已过，无需登记。")
    if len(form["reason"]) > LEAVE_REASON_MAX:
        errors["reason"] = gettext("事由最多 %(n)s 字。", n=LEAVE_REASON_MAX)
    if errors:
        return form, errors, None
    return form, {}, (dates["starts_on"], dates["ends_on"], form["reason"] or None)


@bp.route("/leave", methods=["GET", "POST"])
def leave() -> ResponseReturnValue:
    person = _person()
    if person is None:
        return _no_person()
    session = get_session()
    today = display.today()
    form: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form, errors, parsed = _parse_leave()
        if parsed is not None:
            starts_on, ends_on, reason = parsed
            limit = float(current_app.config.get("SUTIAO_REPAIR_TIME_LIMIT", REPAIR_TIME_LIMIT))
            try:
                run = repairs.record_leave(
                    session,
                    person.id,
                    starts_on,
                    ends_on,
                    today=today,
                    reason=reason,
                    time_limit=limit,
                    user_id=current_user.id,
                )
            except WorkflowError as error:
                errors["form"] = gettext("未能登记请假：%(reason)s", reason=str(error))
            except Exception:
                # The leave itself is stored before the repair runs; only the proposal failed.
                current_app.logger.exception("repair after leave failed")
                flash(
                    gettext("请假已登记，但调整方案未能生成；协调员会看到失败的调整任务并处理。"),
                    "error",
                )
                return redirect(url_for("me.leave"))
            else:
                moves = run.stats.get("moves", [])
                if moves:
                    message = gettext(
                        "请假已登记（%(start)s 至 %(end)s）。受影响的 %(n)s 场调解已生成调整方案"
                        "（调整任务 %(run)s），协调员审核发布后，您的日程和订阅日历会随之更新。",
                        start=starts_on.isoformat(),
                        end=ends_on.isoformat(),
                        n=len(moves),
                        run=run.id,
                    )
                else:
                    message = gettext(
                        "请假已登记（%(start)s 至 %(end)s）。已发布的日程不受影响；"
                        "协调员会收到调整任务 %(run)s 以供核对，今后的分派与排期将避开这段时间。",
                        start=starts_on.isoformat(),
                        end=ends_on.isoformat(),
                        run=run.id,
                    )
                flash(message, "info")
                return redirect(url_for("me.leave"))
        status = 400
    return (
        render_template(
            "me/leave.html",
            person=person,
            form=form,
            errors=errors,
            leaves=my_schedule.my_leaves(session, person.id, since=today),
            today=today,
        ),
        status,
    )
