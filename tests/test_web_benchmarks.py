"""``python -m benchmarks.web``: its pure helpers, both load generators against a tiny local
server, and (with PostgreSQL) a tiny end-to-end run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from benchmarks.web import (
    BenchmarkError,
    LoadReport,
    Result,
    Target,
    lookup_paths,
    parse_wrk_report,
    percentile,
    python_load,
    verdict,
    wrk_load,
)
from models.case_number import parse_case_number

ROOT = Path(__file__).resolve().parent.parent

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:41234/api/v1/cases/%282026%29
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.31ms    5.02ms  80.11ms   91.20%
    Req/Sec   100.41     10.02   120.00     70.00%
  2002 requests in 10.01s, 1.91MB read
  Non-2xx or 3xx responses: 101
Requests/sec:    200.00
Transfer/sec:    195.31KB
@@sutiao {"requests":2002,"duration_us":10010000,"p50_us":11500.0,"p90_us":18000.5,\
"p99_us":42000.0,"max_us":80110.0,"statuses":{"200":1901,"404":101},"late":3,\
"errors":{"connect":0,"read":1,"write":0,"timeout":2,"status":101}}
"""


# --- pure helpers -------------------------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([], 99) == 0.0
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, 0)


def test_the_wrk_report_line_is_parsed() -> None:
    report = parse_wrk_report(WRK_OUTPUT)
    assert report == LoadReport(
        requests=2002,
        seconds=10.01,
        p50_ms=11.5,
        p90_ms=18.0005,
        p99_ms=42.0,
        max_ms=80.11,
        statuses={200: 1901, 404: 101},
        socket_errors=3,
        late=3,
    )
    assert report.rps == pytest.approx(200.0)
    with pytest.raises(BenchmarkError, match="@@sutiao"):
        parse_wrk_report(WRK_OUTPUT.rsplit("@@", 1)[0])


def test_errors_count_unexpected_statuses_and_socket_errors() -> None:
    report = parse_wrk_report(WRK_OUTPUT)
    assert Result("lookup", "rate", 200, 16, report, frozenset({200, 404})).errors == 3
    assert Result("healthz", "max", None, 16, report, frozenset({200})).errors == 104


def test_the_verdict_uses_the_fixed_rate_run() -> None:
    fast = {"target": "lookup", "mode": "rate", "rps": 199.5, "p99_ms": 40.0, "errors": 0}
    slow = {"target": "lookup", "mode": "max", "rps": 150.0, "p99_ms": 90.0, "errors": 0}
    assert verdict([fast, slow])["met"] is True
    assert verdict([{**fast, "p99_ms": 51.0}, slow])["met"] is False
    assert verdict([{**fast, "errors": 1}])["met"] is False
    assert verdict([slow])["met"] is False
    assert verdict([])["met"] is None


def test_lookup_paths_mix_forms_and_misses() -> None:
    numbers = [f"(2026)豫0802民初{n}号" for n in range(1, 60)] + ["(2026)豫08民终12号"]
    paths = lookup_paths(numbers, seed=3, count=400)
    assert paths == lookup_paths(numbers, seed=3, count=400)  # deterministic
    assert len(paths) == 400
    known = set(numbers)
    forms = {"half": 0, "full": 0, "tortoise": 0}
    for path, status in paths:
        assert path.startswith("/api/v1/cases/%28") or path.startswith("/api/v1/cases/%E")
        assert path.isascii()  # URL-encoded
        raw = unquote(path.removeprefix("/api/v1/cases/"))
        forms["full" if "（" in raw else "tortoise" if "〔" in raw else "half"] += 1
        normalised = parse_case_number(raw).normalized
        assert (normalised in known) == (status == 200), raw
    misses = sum(1 for _, status in paths if status == 404)
    assert 5 <= misses <= 40
    assert forms["half"] > forms["full"] > forms["tortoise"] > 0
    with pytest.raises(BenchmarkError):
        lookup_paths([])


# --- the load generators against a tiny server ---------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes

    def do_GET(self) -> None:
        status = 404 if self.path.startswith("/missing") else 200
        if self.headers.get("Authorization") != "Bearer k":
            status = 401
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


TARGET = Target(
    "t", ("/a", "/b", "/missing/c"), {"Authorization": "Bearer k"}, frozenset({200, 404})
)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
@pytest.mark.parametrize("rate", [0.0, 50.0])
def test_wrk_cycles_paths_counts_statuses_and_holds_a_rate(
    server: str, rate: float, tmp_path: Path
) -> None:
    wrk = shutil.which("wrk")
    assert wrk is not None
    report = wrk_load(wrk, server, TARGET, duration=1, connections=2, rate=rate, workdir=tmp_path)
    assert report.socket_errors == 0
    assert set(report.statuses) == {200, 404}  # the key went along: no 401
    assert report.statuses[200] >= report.statuses[404] > 0
    assert 0 < report.p50_ms <= report.p99_ms <= report.max_ms
    if rate:
        assert 35 <= report.rps <= 60, report  # the schedule, plus the connections' first sends
    else:
        assert report.rps > 60


@pytest.mark.parametrize("rate", [0.0, 50.0])
def test_the_python_client_measures_the_same(server: str, rate: float) -> None:
    report = python_load(server, TARGET, duration=1, connections=2, rate=rate)
    assert report.socket_errors == 0
    assert set(report.statuses) == {200, 404}
    assert 0 < report.p50_ms <= report.p99_ms <= report.max_ms
    if rate:
        assert 35 <= report.rps <= 55, report


# --- end to end -----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_python_m_benchmarks_web_runs_end_to_end(backend: object) -> None:
    """The smallest demo, one second per run; the server is the suite's (SUTIAO_TEST_PG_URL),
    skipped or required like every PostgreSQL test."""
    size = ["--cases", "150", "--people", "80", "--time-limit", "2"]
    load = ["--duration", "1", "--rate", "20", "--connections", "2"]
    pg_url = os.environ["SUTIAO_TEST_PG_URL"]
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.web", *size, *load, "--pg-url", pg_url, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["data"]["incoming_cases"] == 150
    assert out["data"]["published_sessions"] > 0 and out["data"]["team_members"] > 0
    assert out["postgres"] == "server at --pg-url"
    # Rate limits are counted where production counts them, when redis-server is there.
    expected_store = "redis" if shutil.which("redis-server") else "memory (no redis-server)"
    assert out["rate_limit_store"] == expected_store
    runs = {(r["target"], r["mode"]): r for r in out["results"]}
    modes = {(name, mode) for name in ("lookup", "healthz") for mode in ("rate", "max")}
    assert modes <= set(runs)
    for result in runs.values():
        # One second on a busy machine may finish few requests; none may fail.
        assert result["errors"] == 0, result
        assert result["p99_ms"] >= result["p50_ms"] >= 0
        assert set(result["statuses"]) <= (
            {"200", "404"} if result["target"] == "lookup" else {"200"}
        )
    assert runs["lookup", "max"]["statuses"].get("200", 0) > 0
    assert runs["healthz", "max"]["rps"] > 0
    assert "feed" in out["skipped"] or ("feed", "max") in runs
    assert out["target"]["met"] in (True, False)
