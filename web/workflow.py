"""The daily run as operations on the database: assign, schedule, publish.

Each operation takes a SQLAlchemy session, does its reads, calls a pure optimizer and writes its
result in one transaction, with an audit entry. A run that fails leaves no proposals or sessions
behind, only its own row marked ``failed`` with the error.

- :func:`assign` stores the matcher's proposal as an assignment run (kind ``assign``): one
  proposal row per team member, with the case's score breakdown and alternates. Pins of the
  parent run are kept, and its proposal is the stability reference.
- :func:`schedule` turns a succeeded assignment run's teams into sessions (kind ``schedule``, a
  child of it): a mediation session per case, a joint session with the court's liaison judge for
  complex and major cases; published sessions and fixed meetings block their people and rooms.
- :func:`publish` makes an assignment run and its latest schedule official at once: proposals
  become assignments, sessions become published, cases move on. Two publishers at once: the
  first wins, the second gets :class:`Conflict`.
"""

from __future__ import annotations

import re
import threading
import traceback
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matcher.problem import Member
from matcher.result import Cancelled as MatchCancelled
from matcher.result import MatchResult
from matcher.solve import solve as solve_matching
from matcher.validate import validate as validate_matching
from models import Assignment, AssignmentRun, Booking, Case, Person, Proposal, Room
from models import Session as SessionRow
from models.calendar import SessionCase, SessionParticipant
from models.vocabulary import (
    CaseStatus,
    Complexity,
    RunKind,
    RunStatus,
    SessionKind,
    SessionStatus,
)
from scheduler import problem as sp
from scheduler.result import Cancelled as ScheduleCancelled
from scheduler.solve import solve as solve_schedule
from scheduler.validate import validate as validate_schedule

from .assignment import build_day_problem, current_weights, unwaived_grounds
from .audit import record
from .holidays import calendar_from_db

MEDIATION_MINUTES = 60
JOINT_MINUTES = 120
SCHEDULE_HORIZON_DAYS = 42
CONFERENCE_CASES = 4  # major cases discussed at one case conference
# A case's own sessions, where it is mediated (or evaluated): they schedule it. A case conference
# discusses up to CONFERENCE_CASES major cases but mediates none of them, so it neither schedules
# a case nor keeps it from waiting for a session of its own.
OWN_KINDS = (SessionKind.MEDIATION, SessionKind.JOINT_MEDIATION, SessionKind.EVALUATION)
CONFERENCE_MINUTES_BASE = 30
CONFERENCE_MINUTES_PER_CASE = 30  # with the base, always whole half-hours of the grid
MAX_TIME_LIMIT = 3600.0  # seconds a single run may be given
_NEW_SESSION = re.compile(r"\b(?:case|conference)-\d+\b")  # ids of sessions a run places


class WorkflowError(Exception):
    """An operation that cannot be done; ``status`` is the HTTP status it maps to and
    ``field``, when set, the input field at fault (an API names it in the error's details)."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(WorkflowError):
    status = 404


class Conflict(WorkflowError):
    status = 409


class RuleBroken(WorkflowError):
    """An override that breaks a hard rule; ``rule`` is its name (matcher.result), and for
    recusal ``ground`` the ground that stands (matcher.rules.RECUSAL_GROUNDS)."""

    status = 422

    def __init__(self, rule: str, message: str, *, ground: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.ground = ground


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    status: str
    detail: dict[str, Any]


def actor_label(user_id: int | None) -> str:
    """The audit actor of an operation: the user, or the command line."""
    return f"user:{user_id}" if user_id is not None else "cli"


def _audit_run(
    session: Session, action: str, run: AssignmentRun, user_id: int | None, new: dict[str, Any]
) -> None:
    record(
        session,
        action,
        actor=actor_label(user_id),
        user_id=user_id,
        object_type="assignment_run",
        object_id=run.id,
        new=new,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _get_run(session: Session, run_id: int, kind: str) -> AssignmentRun:
    run = session.get(AssignmentRun, run_id)
    if run is None or run.kind != kind:
        raise NotFound(f"no {kind} run {run_id}")
    return run


def _fail(session: Session, run_id: int, error: BaseException) -> None:
    """Mark a run failed in its own transaction; whatever it wrote is already rolled back."""
    _finish(session, run_id, RunStatus.FAILED, "".join(traceback.format_exception_only(error)))


def _finish(session: Session, run_id: int, status: str, error: str | None) -> None:
    session.rollback()
    run = session.get(AssignmentRun, run_id)
    if run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        run.status = status
        run.finished_at = _now()
        run.error = error.strip() if error else None
        session.commit()


def _check_time_limit(time_limit: float) -> None:
    if not 0 < time_limit <= MAX_TIME_LIMIT:
        raise WorkflowError(
            f"time limit must be in (0, {MAX_TIME_LIMIT}] seconds, not {time_limit}"
        )


def _queue(session: Session, run: AssignmentRun, user_id: int | None) -> AssignmentRun:
    """Store a queued run with its audit entry."""
    session.add(run)
    session.flush()
    _audit_run(session, "run.queue", run, user_id, {"kind": run.kind, "params": run.params})
    session.commit()
    return run


def create_assign_run(
    session: Session,
    *,
    today: date,
    time_limit: float = 10.0,
    small_claims_threshold: Decimal = Decimal("50000"),
    parent_run_id: int | None = None,
    user_id: int | None = None,
) -> AssignmentRun:
    """Queue a matcher run on the day's received cases (a re-run of ``parent_run_id`` keeps
    its pins). Nothing is solved yet: :func:`execute_run` does that, here or in a worker."""
    _check_time_limit(time_limit)
    if parent_run_id is not None:
        _get_run(session, parent_run_id, RunKind.ASSIGN)
    run = AssignmentRun(
        kind=RunKind.ASSIGN,
        status=RunStatus.QUEUED,
        weights_snapshot=current_weights(session).as_dict(),
        parent_run_id=parent_run_id,
        created_by_id=user_id,
        params={
            "today": today.isoformat(),
            "time_limit": time_limit,
            "small_claims_threshold": str(small_claims_threshold),
        },
    )
    return _queue(session, run, user_id)


def create_schedule_run(
    session: Session,
    assign_run_id: int,
    *,
    today: date,
    time_limit: float = 10.0,
    user_id: int | None = None,
) -> AssignmentRun:
    """Queue the scheduling of a succeeded assignment run's sessions."""
    _check_time_limit(time_limit)
    parent = _get_run(session, assign_run_id, RunKind.ASSIGN)
    if parent.status != RunStatus.SUCCEEDED:
        raise Conflict(f"assignment run {assign_run_id} is {parent.status}, not succeeded")
    run = AssignmentRun(
        kind=RunKind.SCHEDULE,
        status=RunStatus.QUEUED,
        parent_run_id=assign_run_id,
        created_by_id=user_id,
        params={"today": today.isoformat(), "time_limit": time_limit},
    )
    return _queue(session, run, user_id)


def execute_run(
    session: Session,
    run_id: int,
    *,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    stop: threading.Event | None = None,
) -> AssignmentRun:
    """Execute a queued run: claim it (queued → running), solve, and store the result and the
    final status in one transaction. A run that was cancelled or claimed meanwhile is returned
    as it is. A failure marks the run failed and re-raises; a stop marks it cancelled. Either
    way nothing it computed is stored."""
    claimed = session.execute(
        update(AssignmentRun)
        .where(AssignmentRun.id == run_id, AssignmentRun.status == RunStatus.QUEUED)
        .values(status=RunStatus.RUNNING, started_at=_now(), heartbeat_at=_now())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    run = session.get(AssignmentRun, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    session.refresh(run)
    if cast(CursorResult[Any], claimed).rowcount != 1:
        return run
    try:
        if run.kind == RunKind.ASSIGN:
            _execute_assign(session, run, on_progress, stop)
        elif run.kind == RunKind.SCHEDULE:
            _execute_schedule(session, run, on_progress, stop)
        else:
            raise WorkflowError(f"run {run_id} is a {run.kind} run, which is not executed here")
        # Compare-and-set: a run cancelled or given up on meanwhile stores nothing.
        done = session.execute(
            update(AssignmentRun)
            .where(AssignmentRun.id == run_id, AssignmentRun.status == RunStatus.RUNNING)
            .where(AssignmentRun.cancel_requested_at.is_(None))
            .values(status=RunStatus.SUCCEEDED, finished_at=_now())
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], done).rowcount != 1:
            session.rollback()
            _finish(session, run_id, RunStatus.CANCELLED, "cancelled before it could finish")
        else:
            session.commit()
    except (MatchCancelled, ScheduleCancelled) as stopped:
        _finish(session, run_id, RunStatus.CANCELLED, str(stopped))
    except Exception as error:
        _fail(session, run_id, error)
        raise
    session.refresh(run)
    return run


def cancel_run(session: Session, run_id: int, *, user_id: int | None = None) -> AssignmentRun:
    """Cancel a queued run at once, or ask a running one to stop (its worker watches for it)."""
    run = session.get(AssignmentRun, run_id)
    if run is None or run.kind not in (RunKind.ASSIGN, RunKind.SCHEDULE):
        raise NotFound(f"no run {run_id}")
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise Conflict(
            f"run {run_id} is {run.status}; only a queued or running run can be cancelled"
        )
    now = _now()
    session.execute(
        update(AssignmentRun)
        .where(AssignmentRun.id == run_id, AssignmentRun.status == RunStatus.QUEUED)
        .values(status=RunStatus.CANCELLED, finished_at=now, error="cancelled while queued")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(AssignmentRun)
        .where(AssignmentRun.id == run_id, AssignmentRun.cancel_requested_at.is_(None))
        .values(cancel_requested_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(run)
    _audit_run(session, "run.cancel", run, user_id, {"status": run.status})
    session.commit()
    return run


def assign(
    session: Session,
    *,
    today: date,
    time_limit: float = 10.0,
    small_claims_threshold: Decimal = Decimal("50000"),
    parent_run_id: int | None = None,
    user_id: int | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> AssignmentRun:
    """Queue and execute a matcher run here and now (the CLI and tests)."""
    run = create_assign_run(
        session,
        today=today,
        time_limit=time_limit,
        small_claims_threshold=small_claims_threshold,
        parent_run_id=parent_run_id,
        user_id=user_id,
    )
    return execute_run(session, run.id, on_progress=on_progress)


def _recorder(
    on_progress: Callable[[dict[str, Any]], None] | None,
) -> tuple[list[dict[str, Any]], Callable[[Any], None]]:
    """A solver progress callback that keeps the trace (seconds, objective, bound) and passes
    each point on."""
    trace: list[dict[str, Any]] = []

    def progress(event: Any) -> None:
        point = {
            "seconds": round(event.seconds, 3),
            "objective": event.objective,
            "bound": event.bound,
        }
        trace.append(point)
        if on_progress is not None:
            on_progress(point)

    return trace, progress


def _execute_assign(
    session: Session,
    run: AssignmentRun,
    on_progress: Callable[[dict[str, Any]], None] | None,
    stop: threading.Event | None,
) -> None:
    params = run.params
    pins: dict[int, list[Member]] = defaultdict(list)
    previous: dict[int, list[Member]] = defaultdict(list)
    if run.parent_run_id is not None:
        parent = _get_run(session, run.parent_run_id, RunKind.ASSIGN)
        for p in parent.proposals:
            member = Member(str(p.person_id), p.role, p.is_presiding)
            previous[p.case_id].append(member)
            if p.is_pinned:
                pins[p.case_id].append(member)
    day = build_day_problem(
        session,
        today=date.fromisoformat(params["today"]),
        small_claims_threshold=Decimal(params.get("small_claims_threshold", "50000")),
        pins=pins,
        previous=previous,
    )
    trace, progress = _recorder(on_progress)

    result = solve_matching(
        day.problem, time_limit=float(params["time_limit"]), progress=progress, stop=stop
    )
    violations = validate_matching(day.problem, result)
    if violations:
        raise RuntimeError(f"the matcher broke {len(violations)} hard rules: {violations[0]}")
    _store_proposals(session, run, result, pins)
    run.progress = trace
    run.stats = {
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "gap": round(result.gap, 6),
        "seconds": round(result.seconds, 3),
        "cases": len(day.problem.cases),
        "staffed": len({a.case for a in result.assignments}),
        "unassigned": [
            {"case": int(u.case), "reason": u.reason, "details": dict(u.details)}
            for u in result.unassigned
        ],
        "skipped": day.skipped,
        "kpis": dict(result.kpis),
    }
    _audit_run(session, "run.assign", run, run.created_by_id, {"parent": run.parent_run_id})


def _store_proposals(
    session: Session, run: AssignmentRun, result: MatchResult, pins: dict[int, list[Member]]
) -> None:
    explained = result.as_json()["explanations"]
    pinned = {(case, m.person, m.role) for case, ms in pins.items() for m in ms}
    for a in result.assignments:
        case_id = int(a.case)
        session.add(
            Proposal(
                run=run,
                case_id=case_id,
                person_id=int(a.person),
                role=a.role,
                is_presiding=a.presiding,
                is_pinned=(case_id, a.person, a.role) in pinned,
                explanation=explained.get(a.case, {}),
            )
        )


def _open_proposal(session: Session, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    if proposal.run.status != RunStatus.SUCCEEDED:
        raise Conflict(
            f"run {proposal.run_id} is {proposal.run.status}: only a succeeded, unpublished "
            f"run can be reviewed"
        )
    return proposal


def _need_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise WorkflowError("reason: a pin or an override needs a reason")
    return reason


def pin(session: Session, proposal_id: int, *, reason: str, user_id: int | None = None) -> Proposal:
    """Pin a proposed team member: a re-run keeps them."""
    proposal = _open_proposal(session, proposal_id)
    why = _need_reason(reason)
    proposal.is_pinned = True
    record(
        session,
        "proposal.pin",
        actor=actor_label(user_id),
        user_id=user_id,
        object_type="proposal",
        object_id=proposal.id,
        new={"pinned": True, "reason": why},
    )
    session.commit()
    return proposal


def override(
    session: Session,
    proposal_id: int,
    person_id: int,
    *,
    reason: str,
    today: date,
    user_id: int | None = None,
) -> Proposal:
    """Put ``person_id`` in the proposal's place, checked against the hard rules first.

    A recused person is refused, with the rule and the ground named, unless a waiver from
    both parties is recorded for the case and each ground (web/waivers.py; the day's problem
    carries the waivers, so the check lifts the grounds then). Another role in the same case
    is never waived. The override is pinned, so a re-run keeps it."""
    from matcher.result import DISTINCT_PEOPLE, ELIGIBILITY, PRESIDING, RECUSAL
    from matcher.rules import OTHER_ROLE, pair_violation, recusal_ground

    proposal = _open_proposal(session, proposal_id)
    why = _need_reason(reason)
    problem = build_day_problem(session, today=today).problem
    case = problem.case_index.get(str(proposal.case_id))
    if case is None:
        raise Conflict(f"case {proposal.case_id} is no longer waiting for a team")
    index = problem.person_index.get(str(person_id))
    if index is None:
        raise RuleBroken(ELIGIBILITY, f"person {person_id} is not on the active roster")
    person = problem.people[index]
    team = [
        p for p in proposal.run.proposals if p.case_id == proposal.case_id and p.id != proposal.id
    ]
    if any(p.person_id == person_id for p in team):
        raise RuleBroken(DISTINCT_PEOPLE, f"{person_id} is already on this case's team")
    rule = pair_violation(problem, problem.cases[case], person, proposal.role)
    if rule == RECUSAL:
        standing = unwaived_grounds(session, problem, problem.cases[case], person)
        ground = standing[0] if standing else recusal_ground(problem, problem.cases[case], person)
        if ground == OTHER_ROLE:
            raise RuleBroken(
                RECUSAL,
                f"recusal ({ground}): person {person_id} has another role in this case, which "
                f"no waiver lifts (Art. 16)",
                ground=ground,
            )
        raise RuleBroken(
            RECUSAL,
            f"recusal ({ground}): record a waiver from both parties for this case before "
            f"overriding",
            ground=ground,
        )
    if rule is not None:
        raise RuleBroken(rule, f"{rule}: person {person_id} cannot take this role on the case")
    if (
        proposal.is_presiding
        and problem.cases[case].needs_senior_presiding
        and not person.is_senior
    ):
        raise RuleBroken(PRESIDING, "the presiding mediator of this case must be senior")
    old = proposal.person_id
    proposal.person_id = person_id
    proposal.is_pinned = True
    proposal.override_reason = why[:255]
    record(
        session,
        "proposal.override",
        actor=actor_label(user_id),
        user_id=user_id,
        object_type="proposal",
        object_id=proposal.id,
        old={"person": old},
        new={"person": person_id, "reason": why},
    )
    session.commit()
    return proposal


def schedule(
    session: Session,
    assign_run_id: int,
    *,
    today: date,
    time_limit: float = 10.0,
    user_id: int | None = None,
) -> AssignmentRun:
    """Queue and execute the scheduling of a succeeded assignment run, here and now."""
    run = create_schedule_run(
        session, assign_run_id, today=today, time_limit=time_limit, user_id=user_id
    )
    return execute_run(session, run.id)


def _execute_schedule(
    session: Session,
    run: AssignmentRun,
    on_progress: Callable[[dict[str, Any]], None] | None,
    stop: threading.Event | None,
) -> None:
    """Schedule the sessions of the parent assignment run; stores them unpublished."""
    assert run.parent_run_id is not None
    parent = _get_run(session, run.parent_run_id, RunKind.ASSIGN)
    if parent.status != RunStatus.SUCCEEDED:
        raise Conflict(f"assignment run {parent.id} is {parent.status}, not succeeded")
    problem, meta = _scheduling_problem(session, parent, date.fromisoformat(run.params["today"]))
    trace, progress = _recorder(on_progress)

    result = solve_schedule(
        problem, time_limit=float(run.params["time_limit"]), progress=progress, stop=stop
    )
    # Only what this run placed can be its fault: two published sessions that already clash
    # (a travel buffer, say) are the published state's problem, held fixed here.
    violations = [
        v
        for v in validate_schedule(problem, result)
        if v.session in meta or _NEW_SESSION.search(v.detail)
    ]
    if violations:
        raise RuntimeError(f"the scheduler broke {len(violations)} hard rules: {violations[0]}")
    rooms = {str(r.id): r for r in session.scalars(select(Room))}
    for placed in result.sessions:
        if placed.session not in meta:
            continue  # meetings and already published sessions stay as they are
        kind, case_ids, roles = meta[placed.session]
        row = SessionRow(
            uid=f"session-{uuid.uuid4().hex}",
            kind=kind,
            status=SessionStatus.TENTATIVE,
            title=_title(kind),
            starts_at=placed.start,
            ends_at=placed.end,
            room_id=rooms[placed.room].id,
            run_id=run.id,
        )
        row.cases = [session.get_one(Case, cid) for cid in case_ids]
        row.participants = [
            SessionParticipant(person_id=int(pid), role=roles[pid]) for pid in placed.participants
        ]
        session.add(row)
    run.progress = trace
    run.stats = {
        "status": result.status,
        "objective": result.objective,
        "seconds": round(result.seconds, 3),
        "sessions": sum(1 for p in result.sessions if p.session in meta),
        "unscheduled": [
            u.as_json() | {"cases": list(_numbers(session, meta, u.session))}
            for u in result.unscheduled
        ],
        "kpis": dict(result.kpis),
    }
    _audit_run(session, "run.schedule", run, run.created_by_id, {"parent": parent.id})


def bookings_for(row: SessionRow) -> list[Booking]:
    """The holds a published session puts on its people and its physical room."""
    holds = [
        Booking(session=row, person_id=p.person_id, starts_at=row.starts_at, ends_at=row.ends_at)
        for p in row.participants
    ]
    if row.room is not None and not row.room.is_online:
        holds.append(
            Booking(session=row, room_id=row.room.id, starts_at=row.starts_at, ends_at=row.ends_at)
        )
    return holds


def _numbers(
    session: Session, meta: dict[str, tuple[str, list[int], dict[str, str]]], sid: str
) -> list[str]:
    """The 案号 of a scheduler session (by the case ids it was built from)."""
    if sid not in meta:
        return []
    return [session.get_one(Case, cid).case_number for cid in meta[sid][1]]


def _title(kind: str) -> str:
    return {
        "joint_mediation": "联合调解",
        "mediation": "调解",
        "case_conference": "疑难复杂案件会商",
    }.get(kind, kind)


def _conferences(
    majors: list[Case],
    teams: dict[int, Sequence[Proposal | Assignment]],
    leader: Person | None,
    judge_of_court: dict[int, Person],
) -> list[tuple[str, str, list[int], dict[str, str]]]:
    """Complex-case conferences (疑难复杂案件会商) for major cases: up to CONFERENCE_CASES cases
    each, earliest deadlines together. Each brings the cases' presiding mediators (from the
    run's proposals, or the published team of a case of an earlier day), the center's leader and
    the courts' liaison judges around one table."""
    majors = sorted(majors, key=lambda c: (c.deadline_on or date.max, c.case_number))
    out: list[tuple[str, str, list[int], dict[str, str]]] = []
    for k in range(0, len(majors), CONFERENCE_CASES):
        group = majors[k : k + CONFERENCE_CASES]
        roles: dict[str, str] = {}
        for case in group:
            team = teams[case.id]
            chair = next((p for p in team if p.is_presiding), None) or next(
                (p for p in team if p.role == "mediator"), None
            )
            if chair is not None:
                roles[str(chair.person_id)] = "mediator"
            judge = judge_of_court.get(case.court_id)
            if judge is not None:
                roles.setdefault(str(judge.id), "liaison_judge")
        if leader is not None:
            roles.setdefault(str(leader.id), "leader")
        if roles:
            out.append(
                (f"conference-{group[0].id}", "case_conference", [c.id for c in group], roles)
            )
    return out


def live_case_ids(kinds: Collection[str], *, besides_run: int | None = None) -> Select[tuple[int]]:
    """Ids of the cases with a live session of one of ``kinds``: published and not cancelled
    (an unpublished one, of a schedule run never published or not yet, holds nothing). With
    ``besides_run``: leaving out that schedule run's own sessions."""
    query = (
        select(SessionCase.case_id)
        .join(SessionRow, SessionRow.id == SessionCase.session_id)
        .where(
            SessionRow.is_published.is_(True),
            SessionRow.status != SessionStatus.CANCELLED,
            SessionRow.kind.in_([str(k) for k in kinds]),
        )
    )
    if besides_run is not None:
        query = query.where(or_(SessionRow.run_id.is_(None), SessionRow.run_id != besides_run))
    return query


def _of_earlier_days(
    session: Session, today: date, exclude: Collection[int], *conditions: Any
) -> list[tuple[Case, list[Assignment]]]:
    """Cases with a published team (by 案号) whose deadline is still ahead, not in ``exclude``,
    that meet ``conditions``; each with its team."""
    found = list(
        session.scalars(
            select(Case)
            .where(Case.deadline_on >= today, Case.id.not_in(list(exclude)), *conditions)
            .order_by(Case.case_number)
        )
    )
    members: dict[int, list[Assignment]] = defaultdict(list)
    if found:
        for a in session.scalars(
            select(Assignment)
            .where(Assignment.case_id.in_([c.id for c in found]))
            .order_by(Assignment.id)
        ):
            members[a.case_id].append(a)
    return [(c, members[c.id]) for c in found if members[c.id]]


def carried_over(
    session: Session, today: date, *, exclude: Collection[int] = ()
) -> list[tuple[Case, list[Assignment]]]:
    """Cases with a published team but no live session of their own (OWN_KINDS), whose
    deadline is still ahead: each schedule run places them again, with their teams (by 案号).
    A case conference does not count: it mediates none of its cases."""
    return _of_earlier_days(
        session,
        today,
        exclude,
        Case.status == CaseStatus.ASSIGNED,
        Case.id.not_in(live_case_ids(OWN_KINDS)),
    )


def conference_pending(
    session: Session, today: date, *, exclude: Collection[int] = ()
) -> list[tuple[Case, list[Assignment]]]:
    """Major cases with a published team and no live case conference, whose deadline is still
    ahead (no time was found for one on their day, or a repair cancelled it): each schedule run
    adds them to its conferences, with their presiding mediators."""
    return _of_earlier_days(
        session,
        today,
        exclude,
        Case.complexity == Complexity.MAJOR,
        Case.status.in_([CaseStatus.ASSIGNED, CaseStatus.SCHEDULED]),
        Case.id.not_in(live_case_ids([SessionKind.CASE_CONFERENCE])),
    )


def no_longer_waiting(
    session: Session, schedule_run_id: int, own: Collection[int]
) -> list[tuple[str, str]]:
    """The cases of an earlier day that the schedule run placed (any case not in ``own``, the
    cases of its assignment run) and that no longer wait for it, as (案号, why), by 案号: a
    session of its own for a case no longer assigned (scheduled meanwhile, or closed), or a
    conference for a case that got one meanwhile. Such a run is out of date: publishing it is
    refused (:func:`publish`) and the pages say so."""
    rows = session.execute(
        select(SessionRow.kind, Case.id, Case.case_number, Case.status)
        .join(SessionCase, SessionCase.session_id == SessionRow.id)
        .join(Case, Case.id == SessionCase.case_id)
        .where(SessionRow.run_id == schedule_run_id, Case.id.not_in(list(own)))
    ).all()
    if not rows:
        return []
    conferenced = set(
        session.scalars(
            live_case_ids([SessionKind.CASE_CONFERENCE], besides_run=schedule_run_id).where(
                SessionCase.case_id.in_({case_id for _, case_id, _, _ in rows})
            )
        )
    )
    gone: dict[str, str] = {}
    for kind, case_id, number, status in rows:
        if kind == SessionKind.CASE_CONFERENCE:
            if case_id in conferenced:
                gone.setdefault(number, "has a case conference")
            elif status not in (CaseStatus.ASSIGNED, CaseStatus.SCHEDULED):
                gone.setdefault(number, f"is {status}")
        elif status != CaseStatus.ASSIGNED:
            gone.setdefault(number, f"is {status}")
    return sorted(gone.items())


def _scheduling_problem(
    session: Session, run: AssignmentRun, today: date
) -> tuple[sp.SchedulingProblem, dict[str, tuple[str, list[int], dict[str, str]]]]:
    """The run's teams as sessions to place, with everyone they involve and every room."""
    teams: dict[int, list[Proposal]] = defaultdict(list)
    for p in run.proposals:
        teams[p.case_id].append(p)
    cases = {
        c.id: c
        for c in session.scalars(select(Case).where(Case.id.in_(list(teams))))
        if c.deadline_on is not None
    }
    judges = list(
        session.scalars(
            select(Person).where(Person.is_liaison_judge.is_(True), Person.is_active.is_(True))
        )
    )
    judge_of_court: dict[int, Person] = {}
    for j in judges:
        if j.base_court_id is not None:
            judge_of_court.setdefault(j.base_court_id, j)
    sessions: list[sp.Session] = []
    meta: dict[str, tuple[str, list[int], dict[str, str]]] = {}
    involved: set[int] = set()
    calendar = calendar_from_db(session)
    if not calendar.covers(today.year):
        raise WorkflowError(
            f"no official holiday schedule for {today.year}: load it with "
            f"`sutiao load-holidays FILE` before scheduling"
        )
    horizon_end = today + timedelta(days=SCHEDULE_HORIZON_DAYS - 1)
    if not calendar.covers(horizon_end.year):
        # Never schedule into a year without its official schedule: stop at its eve.
        horizon_end = date(horizon_end.year - 1, 12, 31)
    team_roles = {
        case_id: {str(p.person_id): p.role for p in team}
        for case_id, team in teams.items()
        if case_id in cases
    }
    # Cases assigned on an earlier day that still have no session (no common time was found
    # then, or a repair cancelled their session): placed again, with their published team.
    carried = carried_over(session, today, exclude=set(teams))
    for case, members in carried:
        cases[case.id] = case
        team_roles[case.id] = {str(a.person_id): a.role for a in members}
    # Major cases of an earlier day without a live conference join this run's conferences.
    chairs: dict[int, Sequence[Proposal | Assignment]] = {
        case_id: team for case_id, team in teams.items() if case_id in cases
    }
    for case, members in conference_pending(session, today, exclude=set(teams)):
        cases.setdefault(case.id, case)
        chairs[case.id] = members
    for case_id, roles in team_roles.items():
        case = cases[case_id]
        joint = case.complexity in (Complexity.COMPLEX, Complexity.MAJOR)
        judge = judge_of_court.get(case.court_id)
        if joint and judge is not None and str(judge.id) not in roles:
            roles[str(judge.id)] = "liaison_judge"
        kind = "joint_mediation" if joint else "mediation"
        sid = f"case-{case_id}"
        sessions.append(
            sp.Session(
                id=sid,
                kind=kind,
                cases=(case.case_number,),
                duration=JOINT_MINUTES if joint else MEDIATION_MINUTES,
                participants=tuple(roles),
                deadline=min(case.deadline_on or horizon_end, horizon_end),
                small_claims=case.procedure == "small_claims",
            )
        )
        meta[sid] = (kind, [case_id], roles)
        involved |= {int(pid) for pid in roles}
    leader = session.scalars(
        select(Person)
        .where(Person.is_leader.is_(True), Person.is_active.is_(True))
        .order_by(Person.roster_no)
    ).first()
    for sid, kind, case_ids, roles in _conferences(
        [c for c in cases.values() if c.complexity == Complexity.MAJOR and c.id in chairs],
        chairs,
        leader,
        judge_of_court,
    ):
        group = [cases[cid] for cid in case_ids]
        sessions.append(
            sp.Session(
                id=sid,
                kind=kind,
                cases=tuple(c.case_number for c in group),
                duration=CONFERENCE_MINUTES_BASE + CONFERENCE_MINUTES_PER_CASE * len(group),
                participants=tuple(roles),
                deadline=min(min(c.deadline_on or horizon_end for c in group), horizon_end),
            )
        )
        meta[sid] = (kind, case_ids, roles)
        involved |= {int(pid) for pid in roles}
    people = list(
        session.scalars(
            select(Person)
            .where(Person.id.in_(involved))
            .options(selectinload(Person.availability), selectinload(Person.leaves))
        )
    )
    # Published sessions in the horizon hold their people and rooms: they come in pinned.
    published = list(
        session.scalars(
            select(SessionRow)
            .where(SessionRow.is_published.is_(True))
            .where(SessionRow.status != SessionStatus.CANCELLED)
            .where(SessionRow.starts_at >= datetime.combine(today, datetime.min.time(), UTC))
            .options(selectinload(SessionRow.participants))
        )
    )
    for row in published:
        involved |= {p.person_id for p in row.participants}
    extra = [
        p
        for p in session.scalars(
            select(Person)
            .where(Person.id.in_(involved - {p.id for p in people}))
            .options(selectinload(Person.availability), selectinload(Person.leaves))
        )
    ]
    people += extra
    on_leave = {p.id: [(lv.starts_on, lv.ends_on) for lv in p.leaves] for p in people}
    for row in published:
        start = row.starts_at.astimezone(sp.TZ)
        if row.room_id is None or start.date() > horizon_end:
            continue
        # Leave recorded after publishing: the repair run moves the session; until it is
        # published, the session holds only those of its people who are not away that day.
        present = tuple(
            str(p.person_id)
            for p in row.participants
            if not any(a <= start.date() <= b for a, b in on_leave.get(p.person_id, ()))
        )
        if not present:
            continue
        minutes = int((row.ends_at - row.starts_at).total_seconds() // 60)
        sessions.append(
            sp.Session(
                id=f"published-{row.id}",
                kind=row.kind,
                cases=(),
                duration=minutes,
                participants=present,
                deadline=start.date(),
                earliest=start.date(),
                published=sp.Placement(start, str(row.room_id)),
                pinned=True,
            )
        )
    rooms = tuple(
        sp.Room(
            id=str(r.id),
            name=r.name,
            capacity=r.capacity if not r.is_online else 1000,
            equipment=frozenset(r.equipment or ()),
            location=r.location,
            online=r.is_online,
        )
        for r in session.scalars(select(Room).where(Room.is_active.is_(True)).order_by(Room.id))
    )
    m_people = tuple(
        sp.Person(
            id=str(p.id),
            name=p.name,
            role="liaison_judge"
            if p.is_liaison_judge
            else "leader"
            if p.is_leader
            else "mediator"
            if p.is_mediator
            else "expert",
            availability=tuple(
                sp.Availability(a.weekday, a.start_minute, a.end_minute) for a in p.availability
            ),
            leave=tuple((lv.starts_on, lv.ends_on) for lv in p.leaves),
        )
        for p in people
    )
    problem = sp.SchedulingProblem(
        settings=sp.Settings(
            today=today,
            horizon_days=(horizon_end - today).days + 1,
            year_schedules=calendar.schedules,
        ),
        rooms=rooms,
        people=m_people,
        sessions=tuple(sessions),
    )
    return problem, meta


def publish(session: Session, assign_run_id: int, *, user_id: int | None = None) -> RunSummary:
    """Publish an assignment run and its latest succeeded schedule, all or nothing.

    The compare-and-set on ``published_at`` makes concurrent publishers safe: exactly one
    update matches the unpublished row; the other sees zero rows and gets :class:`Conflict`."""
    run = _get_run(session, assign_run_id, RunKind.ASSIGN)
    if run.status == RunStatus.PUBLISHED and run.published_at is not None:
        raise Conflict(
            f"assignment run {assign_run_id} was already published ({run.published_at.isoformat()})"
        )
    if run.status != RunStatus.SUCCEEDED:
        raise Conflict(f"assignment run {assign_run_id} is {run.status}, not succeeded")
    now = _now()
    cas = session.execute(
        update(AssignmentRun)
        .where(AssignmentRun.id == assign_run_id)
        .where(AssignmentRun.published_at.is_(None))
        .values(published_at=now, status=RunStatus.PUBLISHED)
        .execution_options(synchronize_session=False)
    )
    won = cast(CursorResult[Any], cas).rowcount
    if won != 1:
        session.rollback()
        session.expire_all()
        again = session.get(AssignmentRun, assign_run_id)
        when = again.published_at.isoformat() if again and again.published_at else "just now"
        raise Conflict(f"assignment run {assign_run_id} was already published ({when})")
    try:
        teams: dict[int, list[Proposal]] = defaultdict(list)
        for p in run.proposals:
            teams[p.case_id].append(p)
        for case_id, team in teams.items():
            case = session.get_one(Case, case_id)
            if case.status != CaseStatus.RECEIVED:
                raise Conflict(f"case {case.case_number} is {case.status}, no longer received")
            for p in team:
                session.add(
                    Assignment(
                        case_id=case_id,
                        person_id=p.person_id,
                        role=p.role,
                        is_presiding=p.is_presiding,
                        run_id=run.id,
                    )
                )
            case.status = CaseStatus.ASSIGNED
        schedule_run = session.scalars(
            select(AssignmentRun)
            .where(AssignmentRun.parent_run_id == assign_run_id)
            .where(AssignmentRun.kind == RunKind.SCHEDULE)
            .where(AssignmentRun.status == RunStatus.SUCCEEDED)
            .order_by(AssignmentRun.id.desc())
        ).first()
        published = 0
        if schedule_run is not None:
            # Cases of an earlier day it placed (carried_over, conference_pending) that no
            # longer wait for it: the run is out of date.
            gone = no_longer_waiting(session, schedule_run.id, teams)
            if gone:
                number, why = gone[0]
                raise Conflict(
                    f"case {number} {why} since it was scheduled here; schedule run "
                    f"{schedule_run.id} is out of date, run it again"
                )
            rows = session.scalars(
                select(SessionRow)
                .where(SessionRow.run_id == schedule_run.id)
                .options(selectinload(SessionRow.cases))
            )
            for row in rows:
                row.is_published = True
                row.status = SessionStatus.CONFIRMED
                published += 1
                if row.kind in OWN_KINDS:  # a conference schedules none of its cases
                    for case in row.cases:
                        case.status = CaseStatus.SCHEDULED
                session.add_all(bookings_for(row))
            schedule_run.status = RunStatus.PUBLISHED
            schedule_run.published_at = now
        _audit_run(
            session, "run.publish", run, user_id, {"cases": len(teams), "sessions": published}
        )
        session.commit()
    except IntegrityError as error:
        session.rollback()  # the compare-and-set goes with everything else
        if "double booking" in str(error) or "ex_bookings" in str(error):
            raise Conflict(
                f"assignment run {assign_run_id} was not published: a person or a room would "
                f"be double-booked by a schedule published meanwhile; schedule it again"
            ) from None
        raise
    except Exception:
        session.rollback()
        raise
    return RunSummary(
        run_id=assign_run_id,
        status=RunStatus.PUBLISHED,
        detail={"cases": len(teams), "sessions": published},
    )


__all__ = [
    "Conflict",
    "NotFound",
    "RuleBroken",
    "RunSummary",
    "WorkflowError",
    "assign",
    "cancel_run",
    "create_assign_run",
    "create_schedule_run",
    "execute_run",
    "override",
    "pin",
    "publish",
    "schedule",
]
