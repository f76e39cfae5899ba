"""Both solvers give up promptly once their stop event is set, and raise Cancelled."""

from __future__ import annotations

import threading
import time

import pytest

import matcher.solve
import scheduler.solve
from benchmarks import generate as matching_generate
from benchmarks import sched_generate
from matcher.result import Cancelled as MatchCancelled
from scheduler.result import Cancelled as ScheduleCancelled

LIMIT = 60.0  # far longer than a cancelled solve may take


@pytest.mark.parametrize("delay", [0.0, 0.6])
def test_matcher_stops_when_asked(delay: float) -> None:
    problem = matching_generate.generate("M", 0)
    stop = threading.Event()
    timer = threading.Timer(delay, stop.set)
    timer.start()
    started = time.perf_counter()
    try:
        with pytest.raises(MatchCancelled, match="cancelled"):
            matcher.solve.solve(problem, time_limit=LIMIT, stop=stop)
    finally:
        timer.cancel()
    assert time.perf_counter() - started < LIMIT / 2


@pytest.mark.parametrize("delay", [0.0, 0.6])
def test_scheduler_stops_when_asked(delay: float) -> None:
    problem = sched_generate.generate("M", 0)
    stop = threading.Event()
    timer = threading.Timer(delay, stop.set)
    timer.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ScheduleCancelled, match="cancelled"):
            scheduler.solve.solve(problem, time_limit=LIMIT, stop=stop)
    finally:
        timer.cancel()
    assert time.perf_counter() - started < LIMIT / 2


def test_an_unset_stop_event_changes_nothing() -> None:
    problem = matching_generate.generate("S", 0)
    plain = matcher.solve.solve(problem, time_limit=5, workers=1, seed=0)
    watched = matcher.solve.solve(problem, time_limit=5, workers=1, seed=0, stop=threading.Event())
    assert watched.objective == plain.objective
