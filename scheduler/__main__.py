"""``python -m scheduler INSTANCE.json``: schedule an instance file, print progress and a summary.

Progress lines and warnings go to stderr, the summary to stdout, and the full schedule JSON to
``-o``. Bad input prints ``error: <message>`` and exits 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence

from scheduler.instance import InstanceError, load_instance, write_schedule
from scheduler.problem import ProblemError, SchedulingProblem
from scheduler.result import Progress, Schedule
from scheduler.solve import solve
from scheduler.workdays import YearNotCovered

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        problem = load_instance(args.instance)
    except InstanceError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot read {args.instance}: {exc.strerror or exc}")

    try:
        schedule = solve(
            problem,
            time_limit=args.time_limit,
            workers=args.workers,
            seed=args.seed,
            progress=print_progress,
        )
    except (ProblemError, YearNotCovered) as exc:
        # A year without an official holiday schedule, and no weekend fallback asked for.
        return _fail(str(exc))
    if schedule.fallback_years:
        years = ", ".join(str(y) for y in schedule.fallback_years)
        print(
            f"warning: no official holiday schedule for {years}: working days there are "
            f"weekdays only (weekend_fallback); load the schedule and run again",
            file=sys.stderr,
        )
    print(format_summary(problem, schedule))
    if args.output is not None:
        try:
            write_schedule(schedule, args.output)
        except OSError as exc:
            return _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    return 0


def print_progress(event: Progress) -> None:
    """One line per improving solution, on stderr."""
    print(
        f"{event.seconds:6.2f} s  objective {event.objective}  bound {event.bound}"
        f"  gap {_gap(event.objective, event.bound):.2%}",
        file=sys.stderr,
        flush=True,
    )


def _gap(objective: int, bound: int) -> float:
    # As Schedule.gap: the objective is maximised and the bound lies above it.
    return 0.0 if bound == 0 else max(0.0, (bound - objective) / abs(bound))


def format_summary(problem: SchedulingProblem, schedule: Schedule) -> str:
    """The human summary: status, objective, bound, gap, time, sessions placed and unscheduled
    (with the reason of each), meetings, moves and KPIs."""
    placed = [p for p in schedule.sessions if p.meeting is None]
    occurrences = [p for p in schedule.sessions if p.meeting is not None]
    ids = {s.id for s in problem.sessions}
    missed = [u for u in schedule.unscheduled if u.session in ids]
    missed_meetings = len(schedule.unscheduled) - len(missed)  # occurrences moved off a holiday
    lines = [
        f"status      {schedule.status}",
        f"objective   {schedule.objective}",
        f"bound       {schedule.bound}",
        f"gap         {schedule.gap:.2%}",
        f"seconds     {schedule.seconds:.2f}",
        f"sessions    {len(problem.sessions)}: {len(placed)} placed, {len(missed)} unscheduled",
    ]
    reasons = Counter(u.reason for u in schedule.unscheduled)
    lines += [f"  {reason:<34} {n}" for reason, n in sorted(reasons.items())]
    for u in schedule.unscheduled:
        blocker = f" (blocked by {u.blocker})" if u.blocker else ""
        lines.append(f"  {u.session}: {u.reason}{blocker}: {u.detail}")
    if problem.meetings:
        unplaced = f", {missed_meetings} unscheduled" if missed_meetings else ""
        lines.append(f"meetings    {len(occurrences)} occurrences placed{unplaced}")
    if any(s.published is not None for s in problem.sessions):
        lines.append(f"moved       {len(schedule.moved)} published sessions")
    if schedule.kpis:
        lines.append("kpis")
        width = max(len(name) for name in schedule.kpis)
        lines += [f"  {name:<{width}}  {value:.4g}" for name, value in schedule.kpis.items()]
    return "\n".join(lines)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scheduler",
        description="Schedule mediation sessions, conferences and regular meetings: solve one "
        "instance file.",
    )
    parser.add_argument(
        "instance",
        metavar="INSTANCE.json",
        help="the instance, JSON (see scheduler/instance.schema.json)",
    )
    parser.add_argument(
        "-o", "--output", metavar="RESULT.json", help="write the full schedule here"
    )
    parser.add_argument(
        "--time-limit",
        type=_positive_float,
        default=10.0,
        metavar="S",
        help="wall-clock limit in seconds; the best schedule found is returned (default 10)",
    )
    parser.add_argument(
        "--workers", type=_positive_int, default=2, metavar="N", help="solver threads (default 2)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
