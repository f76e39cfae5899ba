"""Optimizer runs in the background: a request queues a run and returns at once; a worker
executes it while beating a heartbeat, publishing progress and watching for cancellation.

Two executors share everything but the transport:

- ``inline`` (the default, nothing to install): a thread of the web process. The embedded
  setup needs nothing more; a run dies with its process, and then the heartbeat says so.
- ``rq``: an RQ queue on Redis. ``sutiao worker`` processes, on this machine or others with the
  same SUTIAO_DATABASE_URL, pick runs up.

The database is the only channel between a run and its watchers. The worker's heartbeat thread,
with a session of its own, writes the heartbeat and the progress so far every few seconds and
reads back whether someone asked the run to stop. A run whose heartbeat is older than
``SUTIAO_RUN_STALE_SECONDS`` (its worker was killed, its machine lost) is marked failed the next
time anyone looks, and so is an RQ run whose job failed; a run never stays ``running`` forever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import AssignmentRun
from models.vocabulary import RunKind, RunStatus

from . import workflow
from .db import get_session

log = logging.getLogger(__name__)

INLINE = "inline"
RQ = "rq"
EXECUTORS = (INLINE, RQ)


def _now() -> datetime:
    return datetime.now(UTC)


class Executor(Protocol):
    name: str

    def submit(self, app: Flask, run_id: int, time_limit: float) -> str | None:
        """Start ``run_id`` (whose solver may take ``time_limit`` seconds) in the background;
        returns the queue's job id, if any."""


class InlineExecutor:
    """Runs execute one at a time in a thread of this process (the solvers use both cores)."""

    name = INLINE

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sutiao-run")
        self.futures: dict[int, Future[None]] = {}

    def submit(self, app: Flask, run_id: int, time_limit: float) -> str | None:
        self.futures[run_id] = self._pool.submit(execute_in_app, app, run_id)
        return None

    def wait(self, run_id: int, timeout: float | None = None) -> None:
        """Block until ``run_id`` is done (tests, and the CLI's ``--wait``)."""
        future = self.futures.get(run_id)
        if future is not None:
            future.result(timeout)


class RQExecutor:
    """Runs go to an RQ queue; ``sutiao worker`` executes them."""

    name = RQ

    def __init__(self, redis_url: str, queue: str) -> None:
        from redis import Redis

        self.redis_url = redis_url
        self.queue_name = queue
        self.connection = Redis.from_url(redis_url)

    def queue(self) -> Any:
        from rq import Queue

        return Queue(self.queue_name, connection=self.connection)

    def submit(self, app: Flask, run_id: int, time_limit: float) -> str | None:
        job = self.queue().enqueue(
            "web.runs.rq_job",
            run_id,
            job_id=f"sutiao-run-{run_id}",
            job_timeout=int(time_limit * 3 + 600),
            result_ttl=86400,
            failure_ttl=7 * 86400,
            description=f"Sutiao run {run_id}",
        )
        return str(job.id)

    def job_status(self, job_id: str) -> tuple[str | None, str | None]:
        """The job's status and, when it failed, the last line of its error."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            job = Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            return None, None
        status = job.get_status(refresh=True)
        error = None
        if status is not None and str(status) in ("failed", "stopped", "canceled"):
            info = job.latest_result()
            text = (info.exc_string if info is not None else None) or ""
            error = text.strip().splitlines()[-1] if text.strip() else None
        return (str(status) if status is not None else None), error


def executor(app: Flask | None = None) -> InlineExecutor | RQExecutor:
    """The app's executor, made on first use from SUTIAO_RUN_EXECUTOR."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    existing = app.extensions.get("sutiao.executor")
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    name = str(app.config.get("SUTIAO_RUN_EXECUTOR") or INLINE)
    made: InlineExecutor | RQExecutor
    if name == INLINE:
        made = InlineExecutor()
    elif name == RQ:
        url = app.config.get("SUTIAO_REDIS_URL")
        if not url:
            raise RuntimeError(
                "SUTIAO_RUN_EXECUTOR=rq needs SUTIAO_REDIS_URL (redis://host:6379/0)"
            )
        made = RQExecutor(str(url), str(app.config.get("SUTIAO_RQ_QUEUE") or "sutiao"))
    else:
        raise RuntimeError(
            f"SUTIAO_RUN_EXECUTOR must be one of {', '.join(EXECUTORS)}, not {name!r}"
        )
    app.extensions["sutiao.executor"] = made
    return made


# --- submitting ---------------------------------------------------------------------------------


def submit_assign(
    session: Session,
    *,
    today: date,
    time_limit: float,
    small_claims_threshold: Decimal,
    parent_run_id: int | None = None,
    user_id: int | None = None,
) -> AssignmentRun:
    """Queue an assignment run and hand it to the executor; returns the queued run."""
    run = workflow.create_assign_run(
        session,
        today=today,
        time_limit=time_limit,
        small_claims_threshold=small_claims_threshold,
        parent_run_id=parent_run_id,
        user_id=user_id,
    )
    return _hand_over(session, run)


def submit_schedule(
    session: Session,
    assign_run_id: int,
    *,
    today: date,
    time_limit: float,
    user_id: int | None = None,
) -> AssignmentRun:
    run = workflow.create_schedule_run(
        session, assign_run_id, today=today, time_limit=time_limit, user_id=user_id
    )
    return _hand_over(session, run)


def _hand_over(session: Session, run: AssignmentRun) -> AssignmentRun:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    chosen = executor(app)
    run.executor = chosen.name
    session.commit()
    try:
        job_id = chosen.submit(app, run.id, float((run.params or {}).get("time_limit", 60)))
    except Exception as error:
        # The queue is unreachable: the run cannot start, and says why.
        workflow._fail(session, run.id, error)
        raise workflow.WorkflowError(
            f"run {run.id} could not be queued ({chosen.name}): {error}"
        ) from error
    if job_id is not None:
        run.job_id = job_id
        session.commit()
    return run


# --- executing ----------------------------------------------------------------------------------


def execute_in_app(app: Flask, run_id: int) -> None:
    """Execute ``run_id`` with a heartbeat, in ``app``'s context (a thread or an RQ job)."""
    with app.app_context():
        maker: sessionmaker[Session] = app.extensions["sutiao.sessionmaker"]
        with maker() as session:
            try:
                execute_with_heartbeat(
                    session,
                    maker,
                    run_id,
                    interval=float(app.config.get("SUTIAO_RUN_HEARTBEAT_SECONDS", 2)),
                )
            except Exception:
                # Already recorded on the run by workflow.execute_run; keep the worker alive.
                log.exception("run %s failed", run_id)


def execute_with_heartbeat(
    session: Session,
    maker: Callable[[], Session],
    run_id: int,
    *,
    interval: float = 2.0,
) -> AssignmentRun:
    """Execute a queued run while a second thread beats its heartbeat, stores the progress so
    far and turns a cancellation request into the solver's stop event."""
    stop = threading.Event()
    finished = threading.Event()
    points: list[dict[str, Any]] = []
    lock = threading.Lock()

    def on_progress(point: dict[str, Any]) -> None:
        with lock:
            points.append(point)

    def beat() -> None:
        with maker() as own:
            while not finished.wait(interval):
                with lock:
                    trace = list(points)
                values: dict[str, Any] = {"heartbeat_at": _now()}
                if trace:
                    values["progress"] = trace
                try:
                    own.execute(
                        update(AssignmentRun)
                        .where(
                            AssignmentRun.id == run_id,
                            AssignmentRun.status == RunStatus.RUNNING,
                        )
                        .values(**values)
                        .execution_options(synchronize_session=False)
                    )
                    own.commit()
                    row = own.execute(
                        select(AssignmentRun.status, AssignmentRun.cancel_requested_at).where(
                            AssignmentRun.id == run_id
                        )
                    ).one()
                    own.commit()
                except Exception:
                    own.rollback()
                    log.warning("heartbeat of run %s failed; retrying", run_id, exc_info=True)
                    continue
                if row.cancel_requested_at is not None or row.status != RunStatus.RUNNING:
                    stop.set()

    beater = threading.Thread(target=beat, name=f"sutiao-heartbeat-{run_id}", daemon=True)
    beater.start()
    try:
        return workflow.execute_run(session, run_id, on_progress=on_progress, stop=stop)
    finally:
        finished.set()
        beater.join()


def rq_job(run_id: int) -> None:
    """The RQ job: a fresh app from the worker's environment (SUTIAO_DATABASE_URL)."""
    from . import create_app

    app = create_app()
    try:
        with app.app_context():
            maker: sessionmaker[Session] = app.extensions["sutiao.sessionmaker"]
            with maker() as session:
                execute_with_heartbeat(
                    session,
                    maker,
                    run_id,
                    interval=float(app.config.get("SUTIAO_RUN_HEARTBEAT_SECONDS", 2)),
                )
    finally:
        app.extensions["sutiao.engine"].dispose()


# --- watching -----------------------------------------------------------------------------------


def reap(session: Session, *, app: Flask | None = None) -> list[int]:
    """Mark failed every running run whose worker stopped beating, and every RQ run whose job
    failed or vanished; returns their ids. Cheap: called whenever runs are read."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    stale_after = timedelta(seconds=float(app.config.get("SUTIAO_RUN_STALE_SECONDS", 30)))
    now = _now()
    cutoff = now - stale_after
    candidates = session.scalars(
        select(AssignmentRun).where(
            AssignmentRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)),
            AssignmentRun.kind.in_((RunKind.ASSIGN, RunKind.SCHEDULE)),
        )
    ).all()
    reaped: list[int] = []
    for run in candidates:
        reason = None
        if run.status == RunStatus.RUNNING:
            last = run.heartbeat_at or run.started_at
            if last is not None and last < cutoff:
                reason = (
                    f"the worker stopped responding: no heartbeat since "
                    f"{last.astimezone(UTC).isoformat(timespec='seconds')} "
                    f"(more than {int(stale_after.total_seconds())} s)"
                )
        if reason is None and run.executor == RQ and run.job_id:
            chosen = executor(app)
            if isinstance(chosen, RQExecutor):
                status, error = chosen.job_status(run.job_id)
                if status in ("failed", "stopped", "canceled"):
                    reason = f"the RQ job {status}" + (f": {error}" if error else "")
                elif status is None and run.status == RunStatus.QUEUED:
                    reason = "the RQ job is gone from the queue"
        if reason is None:
            continue
        query = (
            update(AssignmentRun)
            .where(AssignmentRun.id == run.id)
            .where(AssignmentRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)))
        )
        if run.status == RunStatus.RUNNING and run.executor != RQ:
            # Not if it beat again since it was read.
            query = query.where(
                or_(AssignmentRun.heartbeat_at.is_(None), AssignmentRun.heartbeat_at < cutoff)
            )
        marked = session.execute(
            query.values(status=RunStatus.FAILED, finished_at=now, error=reason).execution_options(
                synchronize_session=False
            )
        )
        if getattr(marked, "rowcount", 0) == 1:
            reaped.append(run.id)
            log.warning("run %s marked failed: %s", run.id, reason)
    if reaped:
        session.commit()
        session.expire_all()
    return reaped


def run_json(run: AssignmentRun) -> dict[str, Any]:
    """A run as the progress endpoint shows it."""
    stats = run.stats or {}
    last = run.progress[-1] if run.progress else None
    summary: dict[str, Any] = {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "parent": run.parent_run_id,
        "executor": run.executor,
        "params": run.params,
        "queued_at": _iso(run.run_on),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "published_at": _iso(run.published_at),
        "heartbeat_at": _iso(run.heartbeat_at),
        "cancel_requested": run.cancel_requested_at is not None,
        "error": run.error,
        "progress": run.progress or [],
        "objective": stats.get("objective", last["objective"] if last else None),
        "bound": stats.get("bound", last["bound"] if last else None),
        "gap": stats.get("gap"),
        "stats": stats,
    }
    if last is not None and summary["gap"] is None and last.get("bound"):
        objective, bound = last["objective"], last["bound"]
        summary["gap"] = round(abs(bound - objective) / max(1, abs(bound)), 6)
    return summary


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def get_run(run_id: int) -> AssignmentRun:
    """A run after reaping, for the progress endpoint."""
    session = get_session()
    reap(session)
    run = session.get(AssignmentRun, run_id)
    if run is None or run.kind not in (RunKind.ASSIGN, RunKind.SCHEDULE):
        raise workflow.NotFound(f"no run {run_id}")
    session.refresh(run)
    return run
