"""The ``sutiao`` command line: the same operations the web pages call."""

from __future__ import annotations

import json
import sys
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from models import migrate
from scheduler.workdays import ScheduleFileError

from .db import get_engine, get_session, transaction
from .feeds import feed_url_command
from .holidays import load_holidays, read_schedule_file
from .reference import load_reference
from .status import collect_status
from .transfer_sheet import ImportOptions, SheetError, import_cases

_today = click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Treat this date (YYYY-MM-DD) as today; default: the real date.",
)


def _as_date(value: datetime | None) -> date:
    return value.date() if value is not None else date.today()


@click.command("init")
@click.option("--demo", is_flag=True, help="Also load a deterministic, realistic demo center.")
@click.option("--seed", default=2026, show_default=True, help="Demo random seed.")
@click.option("--cases", default=160, show_default=True, help="Demo incoming cases.")
@click.option("--people", default=130, show_default=True, help="Demo mediators and experts.")
@_today
@with_appcontext
def init_command(demo: bool, seed: int, cases: int, people: int, today: datetime | None) -> None:
    """Create or upgrade the schema and load the reference data (and the demo center)."""
    engine = get_engine()
    migrate.upgrade(engine)
    session = get_session()
    with transaction(session):
        added = load_reference(session)
        summary = None
        if demo:
            from .demo import DemoError, load_demo

            try:
                summary = load_demo(
                    session, seed=seed, cases=cases, people=people, today=_as_date(today)
                )
            except DemoError as exc:
                raise click.ClickException(str(exc)) from None
    click.echo(
        f"Database ready at revision {migrate.current_revision(engine)} "
        f"({engine.url.render_as_string(hide_password=True)}); reference data: "
        f"{added['courts']} courts and {added['categories']} categories added."
    )
    if summary is not None:
        click.echo(
            f"Demo center: {summary.institutions} institutions, {summary.mediators} mediators, "
            f"{summary.experts} experts, {summary.liaison_judges} liaison judges, "
            f"{summary.leaders} leaders, {summary.rooms} rooms; cases: "
            f"{summary.incoming_cases} incoming, {summary.ongoing_cases} ongoing, "
            f"{summary.closed_cases} closed."
        )
        if summary.cases_without_deadline:
            click.echo(
                f"Warning: {summary.cases_without_deadline} cases have no deadline: it falls in "
                f"a year with no holiday schedule (load it with `sutiao load-holidays FILE`)."
            )
        click.echo("Demo logins (username / password — role):")
        for login in summary.logins:
            click.echo(f"  {login.username:<12} {login.password:<18} {login.description}")


@click.command("migrate")
@click.option("--revision", default="head", show_default=True)
@click.option("--down", is_flag=True, help="Downgrade to --revision instead of upgrading.")
@with_appcontext
def migrate_command(revision: str, down: bool) -> None:
    """Apply the Alembic migrations (production deploys run this before starting)."""
    engine = get_engine()
    if down:
        migrate.downgrade(engine, revision if revision != "head" else "base")
    else:
        migrate.upgrade(engine, revision)
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@click.command("import-cases")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Import nothing unless every row is valid.")
@_today
@with_appcontext
def import_cases_command(file: Path, strict: bool, today: datetime | None) -> None:
    """Import a court transfer sheet (.xlsx, or .csv in UTF-8 or GBK).

    Exit status: 0 every row imported (or already present), 1 some rows rejected,
    2 the file could not be read.
    """
    session = get_session()
    options = ImportOptions(
        today=_as_date(today),
        small_claims_threshold=current_app.config["SUTIAO_SMALL_CLAIMS_THRESHOLD"],
        major_amount=current_app.config["SUTIAO_MAJOR_AMOUNT"],
        strict=strict,
    )
    try:
        with transaction(session):
            report = import_cases(session, file, options)
            if strict and report.rejected:
                session.rollback()
    except SheetError as exc:
        click.echo(f"error: {exc.reason.in_locale('en')}", err=True)
        raise click.exceptions.Exit(2) from None
    # The command line speaks English; the reasons are translated from their Chinese msgids.
    imported = 0 if strict and report.rejected else len(report.imported)
    click.echo(
        f"{report.file}: {report.rows} rows — {imported} imported, "
        f"{len(report.unchanged)} already present, {len(report.rejected_rows)} rejected"
    )
    for error in report.rejected:
        reason = error.reason.in_locale("en")
        click.echo(f"  rejected row {error.row}, {error.field} [{error.value}]: {reason}")
    for warning in report.warnings:
        click.echo(
            f"  warning row {warning.row}, {warning.field}: {warning.reason.in_locale('en')}"
        )
    for name in report.institutions_created:
        click.echo(f"  new institution: {name}")
    if strict and report.rejected:
        click.echo("--strict: nothing was imported because some rows were rejected.")
    raise click.exceptions.Exit(report.exit_code)


@click.command("load-holidays")
@click.argument("file", type=click.Path(path_type=Path))
@with_appcontext
def load_holidays_command(file: Path) -> None:
    """Load an official holiday schedule (JSON) for a year chinese-calendar does not cover."""
    session = get_session()
    try:
        schedule = read_schedule_file(file)
        with transaction(session):
            changed = load_holidays(session, schedule, actor="cli")
    except ScheduleFileError as exc:
        click.echo(f"error: {file}: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    click.echo(
        f"loaded {schedule.year}: {len(schedule.holidays)} holidays, "
        f"{len(schedule.workdays)} adjusted working days; {changed} case deadlines updated"
    )


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def status_command(as_json: bool) -> None:
    """Counts: cases by status, roster, rooms, sessions."""
    status = collect_status(get_session())
    if as_json:
        click.echo(json.dumps(status.as_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"Cases ({status.cases_total}):")
    for label, n in status.cases_by_status_zh:
        click.echo(f"  {_pad(label, 12)}{n:>6}")
    click.echo("Roster and rooms:")
    for key, n in status.counts.items():
        click.echo(f"  {key:<20}{n:>6}")
    if status.cases_without_deadline:
        click.echo(
            f"  {status.cases_without_deadline} cases have no deadline yet: their year has no "
            f"holiday schedule (sutiao load-holidays)"
        )


def _pad(text: str, width: int) -> str:
    """Left-justify in terminal columns: CJK characters take two."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


@click.command("run-day")
@click.option("--time-limit", default=10.0, show_default=True, help="Matcher seconds.")
@_today
@with_appcontext
def run_day_command(time_limit: float, today: datetime | None) -> None:
    """Run the day's assignment and scheduling, as far as those engines exist."""
    from collections import Counter

    from matcher.solve import solve
    from matcher.validate import validate

    from .assignment import build_day_problem

    session = get_session()
    day = build_day_problem(
        session,
        today=_as_date(today),
        small_claims_threshold=current_app.config["SUTIAO_SMALL_CLAIMS_THRESHOLD"],
    )
    problem = day.problem
    click.echo(
        f"Assignment preview: {len(problem.cases)} received cases, {len(problem.people)} "
        f"active mediators and experts."
    )
    for number, why in sorted(day.skipped.items()):
        click.echo(f"  not in today's run: {number}: {why}")
    result = solve(problem, time_limit=time_limit)
    violations = validate(problem, result)
    staffed = len({a.case for a in result.assignments})
    ratio = result.objective / result.bound if result.bound > 0 else 0.0
    click.echo(
        f"  {staffed} cases staffed, {len(result.unassigned)} unassigned; status "
        f"{result.status}, objective {result.objective} (bound {result.bound}, "
        f"{ratio:.1%}), {result.seconds:.1f} s, {len(violations)} hard-rule violations"
    )
    for reason, n in Counter(u.reason for u in result.unassigned).most_common():
        click.echo(f"  unassigned, {reason}: {n}")
    kpis = result.kpis
    click.echo(
        f"  mean specialty level {kpis['mean_specialty_level']}, utilisation max "
        f"{kpis['max_utilisation_pct']}% / spread {kpis['utilisation_spread_pct']}, batch "
        f"cohesion {kpis['batch_cohesion']:.0%}, local share {kpis['local_share']:.0%}"
    )
    click.echo(
        "  The proposal is not stored: storing, review and publishing are the daily-run "
        "workflow (issue #5)."
    )
    click.echo(
        "Scheduling: not part of this preview; the scheduler runs on instance files "
        "(python -m scheduler) until the daily workflow stores runs (issue #5)."
    )


def _latest_run(kind: str, *, unpublished: bool = False) -> int:
    from models import AssignmentRun
    from models.vocabulary import RunStatus

    query = select(AssignmentRun.id).where(AssignmentRun.kind == kind)
    query = query.where(AssignmentRun.status == RunStatus.SUCCEEDED)
    if unpublished:
        query = query.where(AssignmentRun.published_at.is_(None))
    run_id = get_session().scalars(query.order_by(AssignmentRun.id.desc())).first()
    if run_id is None:
        raise click.ClickException(f"no succeeded {kind} run to use; run `sutiao {kind}` first")
    return run_id


def _execute_here(run_id: int) -> Any:
    """Execute a queued run in this process with a heartbeat (so that killing this command
    leaves a run that is marked failed, not one that runs forever); Ctrl+C cancels it."""
    from models import AssignmentRun
    from models.vocabulary import RunStatus

    from .runs import execute_with_heartbeat

    session = get_session()
    maker = current_app.extensions["sutiao.sessionmaker"]
    queued = session.get_one(AssignmentRun, run_id)
    queued.executor = "cli"
    session.commit()
    try:
        run = execute_with_heartbeat(
            session,
            maker,
            run_id,
            interval=float(current_app.config["SUTIAO_RUN_HEARTBEAT_SECONDS"]),
        )
    except Exception as error:
        raise click.ClickException(f"run {run_id} failed: {error}") from error
    except KeyboardInterrupt:
        from .workflow import cancel_run

        cancel_run(maker(), run_id)
        raise click.ClickException(f"run {run_id} interrupted; marked cancelled") from None
    if run.status != RunStatus.SUCCEEDED:
        again = session.get(AssignmentRun, run_id)
        raise click.ClickException(
            f"run {run_id} is {run.status}: {again.error if again else 'gone'}"
        )
    return run


@click.command("assign")
@click.option("--time-limit", default=10.0, show_default=True, help="Matcher seconds.")
@click.option("--rerun", "parent", type=int, default=None, help="Re-run RUN, keeping its pins.")
@_today
@with_appcontext
def assign_command(time_limit: float, parent: int | None, today: datetime | None) -> None:
    """Assign teams to the received cases and store the proposal as a run."""
    from collections import Counter

    from .workflow import WorkflowError, create_assign_run

    session = get_session()
    try:
        queued = create_assign_run(
            session,
            today=_as_date(today),
            time_limit=time_limit,
            small_claims_threshold=current_app.config["SUTIAO_SMALL_CLAIMS_THRESHOLD"],
            parent_run_id=parent,
        )
    except WorkflowError as error:
        raise click.ClickException(str(error)) from error
    run = _execute_here(queued.id)
    st = run.stats
    click.echo(
        f"Assignment run {run.id}: {st['staffed']} of {st['cases']} received cases staffed; "
        f"objective {st['objective']} (bound {st['bound']}), {st['seconds']} s"
    )
    for reason, n in Counter(u["reason"] for u in st["unassigned"]).most_common():
        click.echo(f"  unassigned, {reason}: {n}")
    for number, why in sorted(st["skipped"].items()):
        click.echo(f"  not in the run: {number}: {why}")


@click.command("schedule")
@click.argument("run", type=int, required=False)
@click.option("--time-limit", default=10.0, show_default=True, help="Scheduler seconds.")
@_today
@with_appcontext
def schedule_command(run: int | None, time_limit: float, today: datetime | None) -> None:
    """Schedule the sessions of assignment RUN (default: the latest unpublished one)."""
    from collections import Counter

    from .workflow import WorkflowError, create_schedule_run

    run_id = run if run is not None else _latest_run("assign", unpublished=True)
    try:
        queued = create_schedule_run(
            get_session(), run_id, today=_as_date(today), time_limit=time_limit
        )
    except WorkflowError as error:
        raise click.ClickException(str(error)) from error
    result = _execute_here(queued.id)
    st = result.stats
    click.echo(
        f"Schedule run {result.id} for assignment run {run_id}: {st['sessions']} sessions "
        f"placed, {len(st['unscheduled'])} not; mean slack "
        f"{st['kpis'].get('mean_slack_days', 0):.1f} working days; {st['seconds']} s"
    )
    for reason, n in Counter(u["reason"] for u in st["unscheduled"]).most_common():
        click.echo(f"  unscheduled, {reason}: {n}")
    for u in st["unscheduled"][:5]:
        click.echo(f"    {'、'.join(u['cases']) or u['id']}: {u['detail']}")


@click.command("publish")
@click.argument("run", type=int, required=False)
@with_appcontext
def publish_command(run: int | None) -> None:
    """Publish assignment RUN and its schedule, all or nothing (default: the latest)."""
    from .workflow import WorkflowError, publish

    run_id = run if run is not None else _latest_run("assign", unpublished=True)
    try:
        summary = publish(get_session(), run_id)
    except WorkflowError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Published assignment run {run_id}: {summary.detail['cases']} teams and "
        f"{summary.detail['sessions']} sessions."
    )
    _print_day_summary(run_id)


def _print_day_summary(run_id: int) -> None:
    """The day's table: assigned, unassigned by reason, scheduled, slack, utilisation."""
    from collections import Counter

    from models import AssignmentRun
    from models.vocabulary import RunKind

    session = get_session()
    run = session.get_one(AssignmentRun, run_id)
    st = run.stats or {}
    kpis = st.get("kpis", {})
    sched = session.scalars(
        select(AssignmentRun)
        .where(AssignmentRun.parent_run_id == run_id, AssignmentRun.kind == RunKind.SCHEDULE)
        .order_by(AssignmentRun.id.desc())
    ).first()
    sk = (sched.stats or {}).get("kpis", {}) if sched is not None else {}
    rows: list[tuple[str, str]] = [
        ("cases assigned", f"{st.get('staffed', 0)} of {st.get('cases', 0)}"),
    ]
    for reason, n in Counter(u["reason"] for u in st.get("unassigned", [])).most_common():
        rows.append((f"  unassigned: {reason}", str(n)))
    if sched is not None:
        unscheduled = len((sched.stats or {}).get("unscheduled", []))
        rows += [
            ("sessions scheduled", f"{(sched.stats or {}).get('sessions', 0)} ({unscheduled} not)"),
            ("deadline slack, mean", f"{sk.get('mean_slack_days', 0):.1f} working days"),
            ("deadline slack, least", f"{sk.get('min_slack_days', 0):.0f} working days"),
        ]
    rows += [
        ("utilisation, max", f"{kpis.get('max_utilisation_pct', 0):.0f}%"),
        ("utilisation, spread", f"{kpis.get('utilisation_spread_pct', 0):.1f} points"),
        ("specialty level, mean", f"{kpis.get('mean_specialty_level', 0):.2f} of 5"),
        ("local share", f"{100 * kpis.get('local_share', 0):.0f}%"),
    ]
    width = max(len(label) for label, _ in rows) + 2
    click.echo("")
    click.echo(f"Day summary (run {run_id})")
    for label, value in rows:
        click.echo(f"  {label:<{width}}{value}")


@click.command("record-leave")
@click.argument("roster_no")
@click.argument("first", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("last", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--reason", default=None, help="Why (sick leave, training, ...).")
@click.option("--time-limit", default=5.0, show_default=True, help="Repair seconds.")
@_today
@with_appcontext
def record_leave_command(
    roster_no: str,
    first: datetime,
    last: datetime,
    reason: str | None,
    time_limit: float,
    today: datetime | None,
) -> None:
    """Record leave for ROSTER_NO from FIRST to LAST and propose a repair of the schedule."""
    from models import Person

    from .repairs import record_leave
    from .workflow import WorkflowError

    session = get_session()
    person = session.scalars(select(Person).where(Person.roster_no == roster_no)).first()
    if person is None:
        raise click.ClickException(f"roster_no: no person {roster_no!r}")
    try:
        run = record_leave(
            session,
            person.id,
            first.date(),
            last.date(),
            today=_as_date(today),
            reason=reason,
            time_limit=time_limit,
        )
    except WorkflowError as error:
        raise click.ClickException(str(error)) from error
    moves = run.stats["moves"]
    click.echo(
        f"Leave recorded for {person.name} ({roster_no}), {first.date()} to {last.date()}. "
        f"Repair run {run.id}: {len(moves)} sessions to move; publish with "
        f"`sutiao publish-repair {run.id}`."
    )
    for m in moves:
        new = f"{m['new_start']} room {m['new_room']}" if m["new_start"] else "no place: cancel"
        click.echo(f"  session {m['session']}: {m['old_start']} room {m['old_room']} -> {new}")


@click.command("publish-repair")
@click.argument("run", type=int)
@with_appcontext
def publish_repair_command(run: int) -> None:
    """Publish repair RUN: moved sessions get their new time and a higher SEQUENCE."""
    from .repairs import publish_repair
    from .workflow import WorkflowError

    try:
        summary = publish_repair(get_session(), run)
    except WorkflowError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Published repair run {run}: {summary.detail['moved']} sessions moved, "
        f"{summary.detail['cancelled']} cancelled."
    )


_date_option = click.DateTime(formats=["%Y-%m-%d"])


@click.command("record-waiver")
@click.option("--case", "case_ref", required=True, help="The case: its 案号, or its id.")
@click.option("--person", "person_ref", required=True, help="Roster number, or the person's id.")
@click.option(
    "--ground",
    required=True,
    help="The recusal ground waived: affiliation or declared_conflict (see the refused override).",
)
@click.option("--plaintiff-consent", type=_date_option, required=True, help="YYYY-MM-DD")
@click.option("--defendant-consent", type=_date_option, required=True, help="YYYY-MM-DD")
@click.option("--note", default=None, help="Where the consents are on file, say.")
@_today
@with_appcontext
def record_waiver_command(
    case_ref: str,
    person_ref: str,
    ground: str,
    plaintiff_consent: datetime,
    defendant_consent: datetime,
    note: str | None,
    today: datetime | None,
) -> None:
    """Record both parties' consent that lifts a recusal ground of a person on a case; an
    override to that person is then possible."""
    from .waivers import find_case, find_person, record_waiver
    from .workflow import WorkflowError

    session = get_session()
    case = find_case(session, case_ref)
    if case is None:
        raise click.ClickException(f"case: no case {case_ref!r} (give its 案号 or id)")
    person = find_person(session, person_ref)
    if person is None:
        raise click.ClickException(f"person: no person {person_ref!r} (give a roster number or id)")
    try:
        waiver = record_waiver(
            session,
            case_id=case.id,
            person_id=person.id,
            ground=ground,
            plaintiff_consent_on=plaintiff_consent.date(),
            defendant_consent_on=defendant_consent.date(),
            note=note,
            today=_as_date(today),
        )
    except WorkflowError as error:
        session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Waiver {waiver.id} recorded: {ground} lifted for {person.name} ({person.roster_no}) "
        f"on {case.case_number}; plaintiff consented {waiver.plaintiff_consent_on}, defendant "
        f"{waiver.defendant_consent_on}."
    )


@click.command("waivers")
@click.option("--case", "case_ref", default=None, help="Only this case (案号 or id).")
@with_appcontext
def waivers_command(case_ref: str | None) -> None:
    """The recorded recusal waivers, newest first."""
    from .waivers import find_case, list_waivers

    session = get_session()
    case_ids = None
    if case_ref is not None:
        case = find_case(session, case_ref)
        if case is None:
            raise click.ClickException(f"case: no case {case_ref!r} (give its 案号 or id)")
        case_ids = [case.id]
    found = list_waivers(session, case_ids=case_ids)
    if not found:
        click.echo("No waivers recorded.")
    for w in found:
        click.echo(
            f"{w.id:>5}  {w.case_number}  {w.roster_no} {w.person_name}  {w.ground}  "
            f"plaintiff {w.plaintiff_consent_on}, defendant {w.defendant_consent_on}  "
            f"by {w.recorded_by or 'cli'}"
        )


@click.command("revoke-waiver")
@click.argument("waiver", type=int)
@click.option("--reason", default=None, help="Why (a party withdrew its consent, ...).")
@with_appcontext
def revoke_waiver_command(waiver: int, reason: str | None) -> None:
    """Revoke recorded waiver WAIVER (see `sutiao waivers`)."""
    from .waivers import revoke_waiver
    from .workflow import WorkflowError

    try:
        revoke_waiver(get_session(), waiver, reason=reason)
    except WorkflowError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Waiver {waiver} revoked.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Execute queued runs from Redis (SUTIAO_RUN_EXECUTOR=rq, SUTIAO_REDIS_URL)."""
    from .runs import RQExecutor, executor

    chosen = executor(current_app)
    if not isinstance(chosen, RQExecutor):
        raise click.ClickException(
            "the run executor is inline (runs execute inside the web process); set "
            "SUTIAO_RUN_EXECUTOR=rq and SUTIAO_REDIS_URL=redis://host:6379/0 for workers"
        )
    from rq import Worker

    click.echo(f"Worker on {chosen.redis_url} queue {chosen.queue_name} (Ctrl+C to stop)")
    Worker([chosen.queue()], connection=chosen.connection).work(burst=burst)


@click.command("runs")
@click.option("--limit", default=10, show_default=True)
@with_appcontext
def runs_command(limit: int) -> None:
    """The latest runs with their status (runs whose worker died are marked failed)."""
    from models import AssignmentRun

    from .runs import reap

    session = get_session()
    reap(session, app=current_app)
    rows = session.scalars(
        select(AssignmentRun).order_by(AssignmentRun.id.desc()).limit(limit)
    ).all()
    for run in rows:
        objective = (run.stats or {}).get("objective", "-")
        click.echo(
            f"{run.id:>5}  {run.kind:<9}{run.status:<11}{run.executor or '-':<8}"
            f"objective {objective}  {run.error or ''}".rstrip()
        )


@click.command("cancel")
@click.argument("run", type=int)
@with_appcontext
def cancel_command(run: int) -> None:
    """Cancel a queued run, or ask a running one to stop."""
    from .workflow import WorkflowError, cancel_run

    try:
        result = cancel_run(get_session(), run)
    except WorkflowError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Run {run}: {result.status}, cancellation requested.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the web app with Flask's own server (use gunicorn in production)."""
    click.echo(f"Serving Sutiao on http://{host}:{port}/ (Ctrl+C to stop)")
    current_app.run(host=host, port=port, debug=False, use_reloader=False)


@click.command("create-api-key")
@click.option("--court", "court_code", required=True, help="The court's 案号 code, e.g. 豫0802.")
@click.option("--label", default=None, help="A note to tell keys apart, e.g. 立案庭.")
@with_appcontext
def create_api_key_command(court_code: str, label: str | None) -> None:
    """Create a court API key and print it once; only its digest is stored."""
    from .apikeys import ApiKeyError, create_api_key

    session = get_session()
    try:
        with transaction(session):
            key, plaintext = create_api_key(session, court_code, label, actor="cli")
    except ApiKeyError as exc:
        raise click.ClickException(str(exc)) from None
    court = key.court
    click.echo(
        f"API key {key.prefix} for {court.code} {court.name}"
        + (f" ({key.label})" if key.label else "")
        + ":"
    )
    click.echo(f"  {plaintext}")
    click.echo(
        "Store it now: this is the only time it is shown. Sutiao keeps only a digest and cannot "
        f"show it again; if it is lost, revoke it (sutiao revoke-api-key {key.prefix}) and "
        "create a new one."
    )


@click.command("revoke-api-key")
@click.argument("prefix")
@with_appcontext
def revoke_api_key_command(prefix: str) -> None:
    """Revoke the API key with PREFIX (as `sutiao list-api-keys` shows it)."""
    from .apikeys import ApiKeyError, revoke_api_key

    session = get_session()
    try:
        with transaction(session):
            key = revoke_api_key(session, prefix, actor="cli")
    except ApiKeyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API key {key.prefix} ({key.court.code} {key.court.short_name}) revoked.")


@click.command("list-api-keys")
@with_appcontext
def list_api_keys_command() -> None:
    """List the API keys: prefix, court, label, created, last used, revoked (never the key)."""
    from .apikeys import list_api_keys

    keys = list_api_keys(get_session())
    if not keys:
        click.echo("No API keys; create one with `sutiao create-api-key --court CODE`.")
        return

    def when(moment: datetime | None) -> str:
        return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"

    click.echo(
        f"{'prefix':<10}{_pad('court', 10)}{_pad('label', 20)}{'created':<18}"
        f"{'last used':<18}revoked"
    )
    for key in keys:
        click.echo(
            f"{key.prefix:<10}{_pad(key.court.code or '-', 10)}{_pad(key.label or '-', 20)}"
            f"{when(key.created_at):<18}{when(key.last_used_at):<18}{when(key.revoked_at)}"
        )


@click.command("create-user")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["coordinator", "leader", "mediator", "court", "admin"]),
    help="What the user may do.",
)
@click.option(
    "--court", "court_code", default=None, help="Court code of a court user, e.g. 豫0802."
)
@click.option("--person", "roster_no", default=None, help="Roster number of a mediator or expert.")
@click.option("--display-name", default=None, help="Name shown in the pages.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for (hidden, twice) when not given.",
)
@with_appcontext
def create_user_command(
    username: str,
    role: str,
    court_code: str | None,
    roster_no: str | None,
    display_name: str | None,
    password: str,
) -> None:
    """Create a login with a hashed password."""
    from .users import UserError, create_user

    session = get_session()
    try:
        with transaction(session):
            user = create_user(
                session,
                username,
                role,
                password,
                display_name=display_name,
                court_code=court_code,
                person_roster_no=roster_no,
                actor="cli",
            )
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    extra = f", court {user.court.code}" if user.court else ""
    extra += f", person {user.person.roster_no}" if user.person else ""
    click.echo(f"User {user.username} ({user.display_name}) created: role {user.role}{extra}.")


COMMANDS = (
    init_command,
    migrate_command,
    import_cases_command,
    load_holidays_command,
    status_command,
    run_day_command,
    assign_command,
    schedule_command,
    publish_command,
    record_leave_command,
    publish_repair_command,
    record_waiver_command,
    waivers_command,
    revoke_waiver_command,
    serve_command,
    worker_command,
    runs_command,
    cancel_command,
    create_api_key_command,
    revoke_api_key_command,
    list_api_keys_command,
    create_user_command,
    feed_url_command,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


@click.group(commands=COMMANDS)
def sutiao() -> None:
    """Sutiao (速调): case assignment and scheduling for a financial dispute mediation center.

    The database is SUTIAO_DATABASE_URL (default: instance/sutiao.db under the current folder).
    """


def main() -> None:
    from . import create_app

    with create_app().app_context():
        sys.exit(sutiao.main(prog_name="sutiao"))
