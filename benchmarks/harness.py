"""What the web benchmarks share: errors, percentiles, a throwaway PostgreSQL cluster or a fresh
database on a given server, and gunicorn started with Sutiao's settings (web/gunicorn_conf.py),
healthy, and stopped on exit."""

from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# The settings the README tells production to use: the benchmarks measure the same server.
GUNICORN_CONF = "python:web.gunicorn_conf"


class BenchmarkError(RuntimeError):
    """The benchmark could not run; the message says which step failed and why."""


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of ``values``; 0.0 when empty."""
    if not 0 < q <= 100:
        raise ValueError(f"percentile: q must be in (0, 100], got {q}")
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(round(len(ordered) * q / 100, 9)))  # round: 99.9% of 1000 is 999
    return float(ordered[rank - 1])


# --- the machine's own speed ---------------------------------------------------------------------

# A control measured beside what is timed: these machines are shared, and for minutes at a time
# the same code runs up to twice as slowly. The control is fixed work of the kind a render does
# in Python (formatting text, filling a dict, encoding and joining bytes), so its time says how
# fast the machine itself ran at that moment.
CONTROL_ITEMS = 20_000
FULL_SPEED = 1.25  # a sample counts as "at full speed" when its control ran within this of the
# fastest control of the run


def control_workload(items: int = CONTROL_ITEMS) -> int:
    """The control: some 17 ms of pure Python at this machine's full speed (less with fewer
    ``items``)."""
    seen: dict[str, bytes] = {}
    for i in range(items):
        text = f"{i:05d}调解{i % 7}"
        seen[text] = text.encode("utf-8")
    return len(b"".join(seen.values()))


def at_full_speed(pairs: Sequence[tuple[float, float]]) -> list[float]:
    """Of (measured, control) pairs timed one after the other, the measured times of the pairs
    whose control ran within FULL_SPEED of the fastest control: the samples taken while the
    machine ran at its full speed."""
    if not pairs:
        return []
    fastest = min(control for _, control in pairs)
    return [measured for measured, control in pairs if control <= fastest * FULL_SPEED]


# --- PostgreSQL ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_checked(
    command: Sequence[str], what: str, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(list(command), capture_output=True, text=True, **kwargs)
    if run.returncode != 0:
        output = (run.stderr + run.stdout).strip()[-3000:]
        raise BenchmarkError(f"{what} failed (exit {run.returncode}):\n{output}")
    return run


def _pg_bindir() -> Path:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", path.parent.parent.name))

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=version)
    if not found:
        raise BenchmarkError(
            "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
            " and no --pg-url or SUTIAO_BENCH_PG_URL to use instead"
        )
    return found[-1].parent


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A PostgreSQL cluster in a temporary folder with the server's default settings
    (fsync on); yields its admin URL and removes it all on exit. As root, the cluster belongs to
    the postgres user, since PostgreSQL refuses to run as root."""
    bindir = _pg_bindir()
    as_root = os.geteuid() == 0
    # The postgres user must reach the folder, so not under a private TMPDIR.
    base = tempfile.mkdtemp(prefix="sutiao-bench-pg.", dir="/tmp" if as_root else None)
    folder = Path(base)
    prefix: list[str] = []
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    started = False
    try:
        initdb = [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust"]
        run_checked([*initdb, "-U", "postgres", "-E", "UTF8", "--locale=C"], "initdb")
        port = free_port()
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
        started = True
        run_checked(
            [*pg_ctl, "-l", str(folder / "server.log"), "-w", "-t", "60", "start", "-o", options],
            "pg_ctl start",
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run([*pg_ctl, "-m", "fast", "stop"], capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def throwaway_redis() -> Iterator[str | None]:
    """A redis-server on a free port with no persistence, as production's rate-limit store
    (README: ``SUTIAO_RATELIMIT_STORAGE_URI=redis://…``); yields its URL, or None when
    redis-server is not installed, and stops it on exit."""
    server = shutil.which("redis-server")
    if server is None:
        yield None
        return
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="sutiao-bench-redis."))
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    process = subprocess.Popen(
        [*args, "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchmarkError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/1"
    finally:
        _stop(process, grace=5)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(admin_url: str, prefix: str = "sutiao_bench") -> Iterator[str]:
    """A new, empty database on the server of ``admin_url``; dropped on exit."""
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import OperationalError

    name = f"{prefix}_{secrets.token_hex(5)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as exc:
            where = make_url(admin_url).render_as_string(hide_password=True)
            raise BenchmarkError(f"cannot create a database on {where}: {exc}") from exc
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def analyze(database_url: str) -> None:
    """PostgreSQL: refresh the planner's statistics after loading the data, as autovacuum
    would a little later. Measured here, a feed render on a database loaded seconds before
    took 220 ms of wall time for 57 ms of CPU: the planner still believed the tables empty."""
    from sqlalchemy import create_engine, text

    if not database_url.startswith("postgresql"):
        return
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


# --- gunicorn -----------------------------------------------------------------------------------


def _stop(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise BenchmarkError(f"gunicorn exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise BenchmarkError(f"gunicorn did not answer {url} within {timeout:.0f} s")


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str],
    cwd: Path,
    port: int,
    *,
    workers: int,
    threads: int,
    app: str = "web:create_app()",
) -> Iterator[tuple[list[str], int]]:
    """``gunicorn "web:create_app()"`` on 127.0.0.1:port, healthy; stopped on exit. Yields the
    command and the master's PID."""
    import gunicorn as installed

    command = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONF, "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    if installed.version_info >= (27,):
        # gunicorn 27 opens a control socket at one fixed path per user by default; two
        # servers at once (a benchmark beside a test run) would fight over it.
        command.append("--no-control-socket")
    command.append(app)
    log = cwd / "gunicorn.log"
    with log.open("wb") as out:
        # Its own session: a Ctrl-C in the terminal reaches this process, which stops it.
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}/healthz", process, log, timeout=60)
            yield command, process.pid
        finally:
            _stop(process)
