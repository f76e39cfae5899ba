"""``python -m matcher INSTANCE.json``: solve an instance file, print progress and a summary.

Progress lines go to stderr, the summary to stdout, and the full result JSON to ``-o``. Bad input
prints ``error: <message>`` and exits 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from matcher.instance import read_problem, write_result
from matcher.problem import MatchingProblem, ProblemError
from matcher.result import MatchResult, Progress

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        problem = read_problem(args.instance)
    except ProblemError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot read {args.instance}: {exc.strerror or exc}")
    if args.pure:
        problem = replace(problem, settings=replace(problem.settings, pure=True))

    try:  # imported late: --help and bad input need no solver
        from matcher.solve import solve
    except ModuleNotFoundError as exc:
        if exc.name != "matcher.solve":
            raise
        print("error: the solver (matcher.solve) is not installed", file=sys.stderr)
        return 1

    try:
        result = solve(
            problem,
            time_limit=args.time_limit,
            workers=args.workers,
            seed=args.seed,
            progress=print_progress,
        )
    except ProblemError as exc:
        return _fail(str(exc))
    print(format_summary(problem, result))
    if args.output is not None:
        try:
            write_result(result, args.output)
        except OSError as exc:
            return _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    return 0


def print_progress(event: Progress) -> None:
    """One line per improving solution, on stderr."""
    print(
        f"{event.seconds:6.2f} s  objective {event.objective}  bound {event.bound}"
        f"  gap {event.gap:.2%}",
        file=sys.stderr,
        flush=True,
    )


def format_summary(problem: MatchingProblem, result: MatchResult) -> str:
    """The human summary: status, objective, bound, gap, time, coverage and KPIs."""
    assigned = {a.case for a in result.assignments}
    lines = [
        f"status      {result.status}",
        f"objective   {result.objective}",
        f"bound       {result.bound}",
        f"gap         {result.gap:.2%}",
        f"seconds     {result.seconds:.2f}",
        f"cases       {len(problem.cases)}: {len(assigned)} assigned,"
        f" {len(result.unassigned)} unassigned",
    ]
    reasons = Counter(u.reason for u in result.unassigned)
    lines += [f"  {reason:<34} {n}" for reason, n in sorted(reasons.items())]
    if result.kpis:
        lines.append("kpis")
        width = max(len(name) for name in result.kpis)
        lines += [f"  {name:<{width}}  {value:.4g}" for name, value in result.kpis.items()]
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
        prog="python -m matcher",
        description="Assign cases to mediators and experts: solve one instance file.",
    )
    parser.add_argument("instance", help="the instance, JSON (see matcher/instance.schema.json)")
    parser.add_argument("-o", "--output", metavar="RESULT.json", help="write the full result here")
    parser.add_argument(
        "--time-limit",
        type=_positive_float,
        default=10.0,
        metavar="S",
        help="wall-clock limit in seconds; the best solution found is returned (default 10)",
    )
    parser.add_argument(
        "--workers", type=_positive_int, default=2, metavar="N", help="solver threads (default 2)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    parser.add_argument(
        "--pure",
        action="store_true",
        help="side constraints off: one mediator per case, no teams or balance",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
