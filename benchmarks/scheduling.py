"""``python -m benchmarks.scheduling --size {S,M,L}``: the scheduler and its greedy baseline.

Generates a seeded instance (:mod:`benchmarks.sched_generate`), solves it with
``scheduler.solve``, validates the result with ``scheduler.validate``, runs the earliest-fit
greedy baseline (:mod:`benchmarks.sched_baselines`) on the same instance in the same process, and
then measures a repair: every placed session of the solver's schedule is published, the mediator
with the most sessions in the middle week of the horizon takes that week's working days as leave,
and ``scheduler.repair`` mends the schedule. Prints one JSON object (``--json``) or a short table.

Per schedule: ``objective`` and ``bound`` (``scheduler.score`` units), ``seconds``,
``violations`` (hard-rule breaches the validator finds; None while it is not written),
``deadline_misses`` (sessions unscheduled, each of which misses its deadline, plus any placed
after it), ``mean_slack_days`` (mean working days between a placed session's day and its
deadline) and ``unscheduled`` (counts by reason). ``planted_objective`` is the objective of the
schedule the generator planted (every session placed): a feasible reference, so the optimum is at
least that; it is never shown to the solver. ``repair``: ``seconds``, ``affected`` (the
person's sessions in the leave week) and ``moved`` (published sessions the repair moves).
``peak_rss_mb`` is the process's peak resident set after generating, solving and validating,
before the baseline and the repair run; ``peak_rss_mb_with_baselines`` is the peak at the end.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from benchmarks.sched_baselines import greedy, mean_slack_days
from benchmarks.sched_generate import SIZES, generate_planted, shape, tightness
from scheduler.grid import DAY, Grid
from scheduler.problem import Placement, SchedulingProblem
from scheduler.repair import release_pins
from scheduler.result import Schedule
from scheduler.score import evaluate

DEFAULT_TIME_LIMITS = {"S": 5.0, "M": 30.0, "L": 120.0}
REPAIR_TIME_LIMIT = 2.0  # the target: a repair answers within 2 s
MEDIATOR = "mediator"


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports kB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _label(size: str | tuple[int, int]) -> str:
    return size.upper() if isinstance(size, str) else f"{size[0]}x{size[1]}"


def _default_limit(size: str | tuple[int, int]) -> float:
    if isinstance(size, str):
        return DEFAULT_TIME_LIMITS[size.upper()]
    sessions = shape(size).sessions
    return 5.0 if sessions <= 400 else 30.0 if sessions <= 2_500 else 120.0


def engine(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name``, or None while that module is not written (imported lazily: the solver,
    the repair and the validator are written in parallel with this harness)."""
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
    found: Callable[..., Any] = getattr(loaded, name)
    return found


def violations(problem: SchedulingProblem, schedule: Schedule) -> int | None:
    """Hard-rule breaches by ``scheduler.validate``; None while the validator is not written."""
    validate = engine("scheduler.validate", "validate")
    return None if validate is None else len(validate(problem, schedule))


def figures(problem: SchedulingProblem, grid: Grid, schedule: Schedule) -> dict[str, Any]:
    sessions = {s.id: s for s in grid.sessions}
    placements = [
        (p.session, grid.to_minute(p.start), p.room)
        for p in schedule.sessions
        if p.session in sessions
    ]
    late = sum(
        1 for sid, start, _ in placements if grid.days[start // DAY] > sessions[sid].deadline
    )
    return {
        "status": schedule.status,
        "objective": schedule.objective,
        "bound": schedule.bound,
        "seconds": round(schedule.seconds, 3),
        "violations": violations(problem, schedule),
        "placed": len(placements),
        "deadline_misses": len(schedule.unscheduled) + late,
        "mean_slack_days": mean_slack_days(grid, placements),
        "unscheduled": dict(sorted(Counter(u.reason for u in schedule.unscheduled).items())),
    }


def leave_week(grid: Grid) -> tuple[date, date]:
    """Five working days (fewer in a short horizon) in the middle of the horizon."""
    days = [d for d, w in zip(grid.days, grid.workday, strict=True) if w]
    mid = len(days) // 2
    week = days[max(mid - 2, 0) : mid + 3]
    return week[0], week[-1]


def repair_case(
    problem: SchedulingProblem, grid: Grid, schedule: Schedule
) -> tuple[SchedulingProblem, str, tuple[date, date], list[str]]:
    """The solver's schedule published and one mediator's week of leave added: (the changed
    problem, the person, the leave, the person's sessions in that week)."""
    placed = {p.session: p for p in schedule.sessions if p.meeting is None}
    first, last = leave_week(grid)
    roles = {p.id: p.role for p in problem.people}
    in_week: Counter[str] = Counter()
    overall: Counter[str] = Counter()
    for p in placed.values():
        for pid in p.participants:
            if roles.get(pid) == MEDIATOR:
                overall[pid] += 1
                if first <= p.start.date() <= last:
                    in_week[pid] += 1
    mediators = [p.id for p in problem.people if p.role == MEDIATOR]
    person = max(mediators, key=lambda pid: (in_week[pid], overall[pid], pid))
    affected = sorted(
        sid
        for sid, p in placed.items()
        if person in p.participants and first <= p.start.date() <= last
    )
    sessions = tuple(
        replace(s, published=Placement(placed[s.id].start, placed[s.id].room))
        if s.id in placed
        else s
        for s in problem.sessions
    )
    people = tuple(
        replace(p, leave=(*p.leave, (first, last))) if p.id == person else p for p in problem.people
    )
    return replace(problem, sessions=sessions, people=people), person, (first, last), affected


def run(
    size: str | tuple[int, int],
    *,
    seed: int = 0,
    time_limit: float | None = None,
    repair_time_limit: float | None = None,
    workers: int = 2,
) -> dict[str, Any]:
    """Generate, solve, validate, compare with the greedy baseline and repair; the benchmark's
    JSON object. Without ``scheduler.solve`` the solver and repair blocks are None."""
    limit = _default_limit(size) if time_limit is None else time_limit
    repair_limit = REPAIR_TIME_LIMIT if repair_time_limit is None else repair_time_limit
    start = time.perf_counter()
    problem, planted = generate_planted(size, seed)
    generate_seconds = time.perf_counter() - start
    grid = Grid(problem)
    reference = evaluate(grid, [(sid, at, room) for sid, (at, room) in planted.items()])
    out: dict[str, Any] = {
        "size": _label(size),
        "seed": seed,
        "time_limit": limit,
        "sessions": len(problem.sessions),
        "meeting_occurrences": len(grid.occurrences),
        "people": len(problem.people),
        "rooms": len(problem.rooms),
        "days": len(grid.days),
        "working_days": int(grid.workday.sum()),
        "peak_rss_mb": None,
        "generate_seconds": round(generate_seconds, 3),
        "tightness": tightness(problem, grid),
        "planted_objective": reference.objective,
        "solver": None,
        "greedy": None,
        "repair": None,
        "notes": [],
    }
    solve = engine("scheduler.solve", "solve")
    solved: Schedule | None = None
    if solve is None:
        out["notes"].append("solver skipped: scheduler.solve is not written yet")
    else:
        solved = solve(problem, time_limit=limit, workers=workers, seed=seed)
        out["solver"] = figures(problem, grid, solved)
    out["peak_rss_mb"] = peak_rss_mb()

    out["greedy"] = figures(problem, grid, greedy(problem, grid))
    repair = engine("scheduler.repair", "repair")
    if solved is not None and repair is None:
        out["notes"].append("repair skipped: scheduler.repair is not written yet")
    if solved is not None and repair is not None:
        changed, person, (first, last), affected = repair_case(problem, grid, solved)
        started = time.perf_counter()
        repaired = repair(changed, time_limit=repair_limit, workers=workers, seed=seed)
        out["repair"] = {
            "person": person,
            "leave": [first.isoformat(), last.isoformat()],
            "time_limit": repair_limit,
            "seconds": round(time.perf_counter() - started, 3),
            "affected": len(affected),
            "moved": len(repaired.moved),
            "unscheduled": len(repaired.unscheduled),
            # Pins the leave broke are released by the repair; check against that problem.
            "violations": violations(release_pins(changed, repaired), repaired),
        }
    out["peak_rss_mb_with_baselines"] = peak_rss_mb()
    return out


def _table(out: dict[str, Any]) -> str:
    t = out["tightness"]
    lines = [
        f"size {out['size']} (seed {out['seed']}): {out['sessions']} sessions "
        f"(+{out['meeting_occurrences']} meeting occurrences) x {out['people']} people, "
        f"{out['rooms']} rooms, {out['days']} days ({out['working_days']} working), "
        f"peak RSS {out['peak_rss_mb']} MB",
        f"tightness: people {t['person_load']} (busiest {t['peak_person_load']}), rooms "
        f"{t['room_load']} (with either {t['room_load_either']}, by deadline "
        f"{t['deadline_room_load']}), close deadlines {t['close_deadlines']}",
        f"planted schedule (every session placed): objective {out['planted_objective']}",
        f"{'':8} {'objective':>10} {'bound':>10} {'seconds':>8} {'violations':>10} "
        f"{'misses':>7} {'slack':>6}",
    ]
    for name in ("solver", "greedy"):
        f = out[name]
        if f is None:
            lines.append(f"{name:8} (not run)")
            continue
        lines.append(
            f"{name:8} {f['objective']:>10} {f['bound']:>10} {f['seconds']:>8} "
            f"{f['violations'] if f['violations'] is not None else '-':>10} "
            f"{f['deadline_misses']:>7} {f['mean_slack_days'] or '-':>6}"
        )
    r = out["repair"]
    if r is not None:
        lines.append(
            f"repair: {r['person']} on leave {r['leave'][0]}..{r['leave'][1]}: "
            f"{r['affected']} affected, {r['moved']} moved, {r['unscheduled']} unscheduled, "
            f"{r['violations'] if r['violations'] is not None else '-'} violations, "
            f"{r['seconds']} s"
        )
    lines += [f"note: {n}" for n in out["notes"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scheduling", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds (default: S 5, M 30, L 120)"
    )
    parser.add_argument(
        "--repair-time-limit", type=float, default=None, help="seconds (default: 2, the target)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    out = run(
        args.size,
        seed=args.seed,
        time_limit=args.time_limit,
        repair_time_limit=args.repair_time_limit,
        workers=args.workers,
    )
    print(json.dumps(out, ensure_ascii=False) if args.json else _table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
