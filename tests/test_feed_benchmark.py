"""``python -m benchmarks.feeds``: the machine-speed control, and a tiny end-to-end run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.harness import FULL_SPEED, at_full_speed, control_workload

ROOT = Path(__file__).resolve().parent.parent


def test_full_speed_keeps_the_samples_whose_control_ran_near_the_fastest() -> None:
    pairs = [(40.0, 10.0), (70.0, 19.0), (44.0, 12.4), (66.0, 12.6), (90.0, 30.0)]
    # Fastest control 10.0: within FULL_SPEED (1.25) is up to 12.5.
    assert FULL_SPEED == 1.25
    assert at_full_speed(pairs) == [40.0, 44.0]
    assert at_full_speed([]) == []


def test_the_control_is_fixed_work() -> None:
    assert control_workload() == control_workload() > 0


@pytest.mark.slow
def test_python_m_benchmarks_feeds_runs_end_to_end() -> None:
    """A 12-session feed on SQLite, a few renders and requests: every figure is there and
    consistent, and the body holds the sessions and the weekly meeting's series."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.feeds",
            *("--events", "12", "--renders", "4", "--requests", "10", "--json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["backend"] == "sqlite" and out["sessions"] == 12
    # The sessions, the weekly meeting's series and its moved occurrence (RECURRENCE-ID).
    assert out["events"] == 12 + 2
    render = out["render"]
    assert set(render) == {"cold", "warm", "warm_cpu", "control", "cold_full_speed"}
    for name in ("cold", "warm", "warm_cpu", "control"):
        assert render[name]["count"] == 4
        t = render[name]
        assert 0 < t["min_ms"] <= t["p50_ms"] <= t["p99_ms"] <= t["max_ms"]
    # The fastest control's own render is always among those at full speed.
    assert 1 <= render["cold_full_speed"]["count"] <= 4
    assert render["cold_full_speed"]["min_ms"] >= render["cold"]["min_ms"]
    assert out["machine"]["slowdown_p50"] >= 1.0
    targets = out["targets"]
    assert targets["render_met"] == (render["cold"]["p50_ms"] <= targets["render_p50_ms"])
    assert targets["render_met_at_full_speed"] == (
        render["cold_full_speed"]["p50_ms"] <= targets["render_p50_ms"]
    )
    assert [r["cache"] for r in out["http"]] == [True, False]
    for r in out["http"]:
        assert r["full"]["count"] == r["not_modified"]["count"] == 10
        # 10 requests are one batch of the HTTP control: at full speed, all of them.
        assert r["not_modified_full_speed"] == r["not_modified"]
    assert targets["not_modified_met_at_full_speed"] == targets["not_modified_met"]
