"""``python -m benchmarks.feeds``: one busy person's iCal feed, rendered and served by gunicorn.

Builds a database (SQLite in a temporary folder, or a fresh database on the PostgreSQL server of
``--pg-url``) with the schema and reference data, and a mediator with ``--events`` published
sessions (default 500) spread over the feed's window (30 days back to 180 ahead), each with its
case, party institutions, team and room, a few of them cancelled this week, plus a weekly 例会
with a moved and a cancelled occurrence. Then it measures:

- ``render``: building the feed in-process as the route does (``web.feeds.render``: the queries
  and the writing), ``--renders`` times after a warm-up, each cold render followed by a fixed
  control workload that shows how fast the machine itself ran (benchmarks.harness): the table
  gives the render at the machine's full speed beside the render overall;
- through ``gunicorn "web:create_app()"`` (``--workers`` processes, gthread workers so that
  connections are kept alive; gunicorn's sync worker closes every connection), from this
  process over one keep-alive connection, ``--requests`` requests each after a warm-up:
  ``full GET`` without validators (200 with the whole body), and ``304`` with the ETag in
  If-None-Match;

once with the feed cache on (the default) and once with ``SUTIAO_FEED_CACHE=0``, the baseline
that renders every request. Prints a table with the targets of issue 6 (render a 500-event feed
in at most 50 ms; the 304 path in at most 5 ms), or one JSON object with ``--json``. Every
process and database it started is stopped and removed on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from .harness import (
    FULL_SPEED,
    BenchmarkError,
    analyze,
    at_full_speed,
    control_workload,
    free_port,
    fresh_database,
    gunicorn,
    percentile,
)

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
TARGET_RENDER_MS = 50.0  # a 500-event feed, rendered (issue 6)
TARGET_304_MS = 5.0  # the 304 path, through gunicorn (issue 6)
SLOTS = ((9, 0, 120), (11, 0, 60), (14, 30, 120), (16, 40, 60))  # local start, minutes
BANKS = (
    "中国工商银行股份有限公司新乡分行",
    "中国农业银行股份有限公司新乡红旗支行",
    "中国建设银行股份有限公司新乡分行",
    "新乡农村商业银行股份有限公司",
    "中原消费金融股份有限公司",
)
CAUSES = ("金融借款合同纠纷", "信用卡纠纷", "保证合同纠纷", "融资租赁合同纠纷")


# --- measurements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Milliseconds of ``count`` repetitions of one thing."""

    count: int
    p50_ms: float
    p99_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Timing:
        return cls(
            count=len(samples),
            p50_ms=percentile(samples, 50),
            p99_ms=percentile(samples, 99),
            min_ms=min(samples, default=0.0),
            max_ms=max(samples, default=0.0),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "min_ms": round(self.min_ms, 3),
            "max_ms": round(self.max_ms, 3),
        }


# --- the data -----------------------------------------------------------------------------------


def build_center(database_url: str, events: int, today: date) -> int:
    """Schema, reference data and one mediator with ``events`` published sessions in the feed's
    window around ``today``; returns the mediator's person id."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from models import (
        Assignment,
        Case,
        CaseParty,
        Court,
        Institution,
        Person,
        RecurringMeeting,
        Room,
        SessionParticipant,
        migrate,
    )
    from models import Session as SessionRow
    from models.case_number import parse_case_number
    from web.db import make_engine
    from web.reference import load_reference

    days = 30 + 180  # the window: sessions from 29 days back to 179 ahead
    if events > days * len(SLOTS):
        raise BenchmarkError(f"--events: at most {days * len(SLOTS)} fit in the window")
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        now = datetime.now(UTC)
        with Session(engine) as db:
            load_reference(db)
            court = db.scalars(select(Court).where(Court.code == "豫0802")).one()
            me = Person(roster_no="M-001", name="张明", title="资深调解员", is_mediator=True)
            colleagues = [
                Person(roster_no=f"M-{i:03}", name=name, is_mediator=True)
                for i, name in ((2, "李华"), (3, "王芳"), (4, "陈静"))
            ]
            expert = Person(roster_no="E-001", name="赵强", title="注册会计师", is_expert=True)
            leader = Person(roster_no="L-001", name="孙敏", is_leader=True)
            db.add_all([me, *colleagues, expert, leader])
            rooms = [
                Room(
                    name=f"诉调中心第{n}调解室",
                    location="诉调中心",
                    address=f"河南省新乡市红旗区人民东路新乡市中级人民法院诉讼服务中心{n}楼",
                    capacity=8,
                )
                for n in "一二三"
            ]
            rooms.append(
                Room(
                    name="线上调解室",
                    location="线上",
                    address="人民法院在线服务平台",
                    capacity=200,
                    is_online=True,
                )
            )
            db.add_all(rooms)
            banks = [Institution(name=name, kind="state_bank") for name in BANKS]
            db.add_all(banks)
            db.flush()

            first_day = today - timedelta(days=29)
            step = days * len(SLOTS) / events
            for i in range(events):
                slot_no = int(i * step)
                day = first_day + timedelta(days=slot_no // len(SLOTS))
                hour, minute, minutes = SLOTS[slot_no % len(SLOTS)]
                start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
                number = parse_case_number(f"(2026)豫0802民初{1000 + i}号")
                case = Case(
                    case_number=number.normalized,
                    year=number.year,
                    court_code=number.court_code,
                    type_code=number.type_code,
                    seq=number.seq,
                    court=court,
                    mode="entrusted",
                    instance=1,
                    procedure="ordinary",
                    category="financial_loan",
                    cause_text=CAUSES[i % len(CAUSES)],
                    amount=Decimal(50_000 + 1_000 * i),
                    complexity="ordinary",
                    received_on=first_day - timedelta(days=10),
                    status="scheduled",
                )
                case.parties = [
                    CaseParty(
                        role="plaintiff",
                        position=0,
                        institution=banks[i % len(banks)],
                        name=BANKS[i % len(banks)],
                    ),
                    CaseParty(role="defendant", position=0, name=f"被告{i}"),
                ]
                db.add(case)
                team = [Assignment(case=case, person=me, role="mediator", is_presiding=True)]
                partner = colleagues[i % len(colleagues)]
                people = [SessionParticipant(person=me, role="mediator")]
                if i % 3 == 0:
                    team.append(Assignment(case=case, person=partner, role="mediator"))
                    people.append(SessionParticipant(person=partner, role="mediator"))
                if i % 5 == 0:
                    team.append(Assignment(case=case, person=expert, role="expert"))
                    people.append(SessionParticipant(person=expert, role="expert"))
                db.add_all(team)
                past = start.astimezone(UTC) < now
                cancelled = i % 97 == 5
                row = SessionRow(
                    uid=f"session-bench-{i}@sutiao",
                    kind="joint_mediation" if i % 3 == 0 else "mediation",
                    status="cancelled" if cancelled else ("held" if past else "confirmed"),
                    title="调解",
                    starts_at=start.astimezone(UTC),
                    ends_at=(start + timedelta(minutes=minutes)).astimezone(UTC),
                    room=rooms[i % len(rooms)],
                    sequence=1 if cancelled else i % 3,
                    is_published=True,
                    updated_at=now - timedelta(days=2 if cancelled else 20),
                    created_at=now - timedelta(days=40),
                )
                row.cases = [case]
                row.participants = people
                db.add(row)

            # The weekly meeting: one series, one occurrence moved, one cancelled.
            monday = today - timedelta(days=today.weekday() + 28)
            meeting = RecurringMeeting(
                uid="meeting-bench@sutiao",
                title="金融纠纷诉调对接中心工作例会",
                rrule="FREQ=WEEKLY;BYDAY=MO",
                starts_at=datetime(monday.year, monday.month, monday.day, 8, 0, tzinfo=TZ),
                duration_minutes=60,
                room=rooms[0],
                is_published=True,
                members=[me, leader, *colleagues],
            )
            db.add(meeting)
            db.flush()
            for weeks, moved in ((5, True), (6, False)):
                original = meeting.starts_at + timedelta(weeks=weeks)
                start = original + timedelta(hours=6 if moved else 0)
                db.add(
                    SessionRow(
                        uid=f"meeting-bench-{weeks}@sutiao",
                        kind="regular_meeting",
                        status="confirmed" if moved else "cancelled",
                        title=meeting.title,
                        starts_at=start,
                        ends_at=start + timedelta(hours=1),
                        room=rooms[0],
                        sequence=1,
                        is_published=True,
                        recurring_meeting_id=meeting.id,
                        recurrence_of=original,
                        updated_at=now - timedelta(days=3),
                    )
                )
            db.commit()
            return me.id
    finally:
        engine.dispose()


# --- in-process rendering -----------------------------------------------------------------------


def measure_render(
    database_url: str, person_id: int, renders: int
) -> tuple[int, int, dict[str, Timing]]:
    """Events and bytes of the person's feed, and the time to build it (queries included):
    ``cold`` with the memos of written events and teams emptied first (a feed rendered for the
    first time in a process), ``warm`` as rendered again after a change elsewhere, and the CPU
    time of the warm renders (what this process itself used: on a busy machine, wall time also
    counts the waits for a CPU).

    Right after each cold render, the ``control`` workload (benchmarks.harness) is timed: how
    fast the machine itself ran then. ``cold_full_speed`` is the cold renders whose control ran
    within FULL_SPEED of the run's fastest, the render at the machine's full speed."""
    from web import create_app, feeds, gunicorn_conf

    app = create_app({"SUTIAO_DATABASE_URL": database_url})
    try:
        with app.app_context():
            # As the route renders it (web.feeds.render: a pooled autocommit connection).
            feed = feeds.render(person_id, None)
            for _ in range(5):  # warm-up: statement caches (psycopg prepares at the 5th run)
                feeds.render(person_id, None)
            # What a gunicorn worker does once it has loaded the app (web/gunicorn_conf.py):
            # the long-lived heap leaves the collector's generations.
            gunicorn_conf.post_worker_init(None)
            samples: dict[str, list[float]] = {
                "cold": [],
                "warm": [],
                "warm_cpu": [],
                "control": [],
            }
            for _ in range(renders):
                feeds.clear_memos()
                start = time.perf_counter()
                feeds.render(person_id, None)
                samples["cold"].append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                control_workload()
                samples["control"].append((time.perf_counter() - start) * 1000)
                start, cpu = time.perf_counter(), time.process_time()
                feeds.render(person_id, None)
                samples["warm"].append((time.perf_counter() - start) * 1000)
                samples["warm_cpu"].append((time.process_time() - cpu) * 1000)
        samples["cold_full_speed"] = at_full_speed(
            list(zip(samples["cold"], samples["control"], strict=True))
        )
        return feed.events, len(feed.body), {k: Timing.of(v) for k, v in samples.items()}
    finally:
        app.extensions["sutiao.engine"].dispose()


def feed_path(database_url: str, person_id: int, base_url: str) -> str:
    """The person's feed URL path (issued here, as ``sutiao feed-url`` would)."""
    from web import create_app, feeds
    from web.db import get_session

    app = create_app({"SUTIAO_DATABASE_URL": database_url, "SUTIAO_BASE_URL": base_url})
    try:
        with app.app_context():
            links = feeds.current_links(get_session(), person_id=person_id)
        return links.https.removeprefix(base_url)
    finally:
        app.extensions["sutiao.engine"].dispose()


# --- gunicorn -----------------------------------------------------------------------------------


HTTP_BATCH = 25  # requests between two controls (the machine's phases last minutes)


def http_timings(
    port: int, path: str, headers: dict[str, str], requests: int, expect: int
) -> tuple[Timing, Timing, str, int]:
    """Sequential requests over one keep-alive connection: their timing, their timing at the
    machine's full speed (the control, as for the render, timed after every HTTP_BATCH
    requests: a batch whose control ran within FULL_SPEED of the fastest), the ETag, the
    bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples: list[tuple[float, float]] = []  # (request, control of its batch)
    batch: list[float] = []
    etag, size = "", 0
    try:
        for i in range(requests + 20):  # the first 20 warm up (connection, worker cache)
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - start) * 1000
            if response.status != expect:
                raise BenchmarkError(f"GET {path}: {response.status}, expected {expect}")
            if response.will_close:
                raise BenchmarkError("gunicorn closed the connection: no keep-alive")
            etag, size = response.getheader("ETag") or "", len(body)
            if i < 20:
                continue
            batch.append(elapsed)
            if len(batch) == HTTP_BATCH or i == requests + 19:
                start = time.perf_counter()
                control_workload()
                control = (time.perf_counter() - start) * 1000
                samples += [(request, control) for request in batch]
                batch = []
    finally:
        conn.close()
    overall = Timing.of([elapsed for elapsed, _ in samples])
    return overall, Timing.of(at_full_speed(samples)), etag, size


def measure_http(
    env: dict[str, str], cwd: Path, path: str, *, cache: bool, workers: int, requests: int
) -> dict[str, Any]:
    port = free_port()
    run_env = {**env, "SUTIAO_FEED_CACHE": "1" if cache else "0"}
    with gunicorn(run_env, cwd, port, workers=workers, threads=2):
        full, _, etag, size = http_timings(port, path, {}, requests, 200)
        not_modified, fast, _, _ = http_timings(port, path, {"If-None-Match": etag}, requests, 304)
    return {
        "cache": cache,
        "bytes": size,
        "full": full,
        "not_modified": not_modified,
        "not_modified_full_speed": fast,
    }


# --- the benchmark ------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="sutiao-feedbench."))
    try:
        with contextlib.ExitStack() as stack:
            if args.pg_url:
                database_url = stack.enter_context(fresh_database(args.pg_url, "sutiao_feedbench"))
                backend = "postgresql"
            else:
                database_url = f"sqlite:///{workdir / 'bench.sqlite'}"
                backend = "sqlite"
            today = datetime.now(TZ).date()
            load_before = os.getloadavg()
            started = time.perf_counter()
            person_id = build_center(database_url, args.events, today)
            analyze(database_url)
            setup = time.perf_counter() - started
            events, size, render = measure_render(database_url, person_id, args.renders)
            env = dict(os.environ)
            env.update(
                SUTIAO_DATABASE_URL=database_url,
                SECRET_KEY=secrets.token_hex(16),
                PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            )
            path = feed_path(database_url, person_id, "http://127.0.0.1")
            runs = [
                measure_http(
                    env, workdir, path, cache=cache, workers=args.workers, requests=args.requests
                )
                for cache in (True, False)
            ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    cached = runs[0]
    return {
        "backend": backend,
        "cpus": len(os.sched_getaffinity(0)),
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "sessions": args.events,
        "events": events,
        "bytes": size,
        "setup_seconds": round(setup, 2),
        "workers": args.workers,
        "requests": args.requests,
        "render": {name: timing.as_json() for name, timing in render.items()},
        "machine": {
            "full_speed_within": FULL_SPEED,
            "slowdown_p50": round(render["control"].p50_ms / render["control"].min_ms, 2),
        },
        "http": [
            {
                "cache": r["cache"],
                "full": r["full"].as_json(),
                "not_modified": r["not_modified"].as_json(),
                "not_modified_full_speed": r["not_modified_full_speed"].as_json(),
            }
            for r in runs
        ],
        "targets": {
            "render_p50_ms": TARGET_RENDER_MS,
            "render_met": render["cold"].p50_ms <= TARGET_RENDER_MS,
            # The same target over the renders taken while the machine ran at full speed (none:
            # null); the machine's slowdown is the control's p50 over its fastest.
            "render_met_at_full_speed": (
                render["cold_full_speed"].p50_ms <= TARGET_RENDER_MS
                if render["cold_full_speed"].count
                else None
            ),
            "not_modified_p99_ms": TARGET_304_MS,
            "not_modified_met": cached["not_modified"].p99_ms <= TARGET_304_MS,
            "not_modified_met_at_full_speed": (
                cached["not_modified_full_speed"].p99_ms <= TARGET_304_MS
                if cached["not_modified_full_speed"].count
                else None
            ),
        },
    }


def table(out: dict[str, Any]) -> str:
    load = out["load_average"]
    lines = [
        f"iCal feed of one mediator: {out['sessions']} published sessions, {out['events']} "
        f"events, {out['bytes'] / 1024:.0f} KiB; {out['backend']}; gunicorn {out['workers']} "
        f"workers (gthread, keep-alive), {out['requests']} sequential requests per HTTP row",
        f"{out['cpus']} CPUs, load average {load['before'][0]:g} before and "
        f"{load['after'][0]:g} after (above the CPU count, times include waits for a CPU)",
        "",
        f"{'what':<36}{'p50 ms':>9}{'p99 ms':>9}{'min ms':>9}{'max ms':>9}",
    ]

    def row(label: str, t: dict[str, Any]) -> str:
        return (
            f"{label:<36}{t['p50_ms']:>9.2f}{t['p99_ms']:>9.2f}{t['min_ms']:>9.2f}"
            f"{t['max_ms']:>9.2f}"
        )

    r = out["render"]
    lines.append(row(f"render in-process, cold ({r['cold']['count']}x)", r["cold"]))
    lines.append(row("render in-process, warm", r["warm"]))
    lines.append(row("render in-process, warm, CPU time", r["warm_cpu"]))
    lines.append(row("control workload (machine speed)", r["control"]))
    full = r["cold_full_speed"]
    lines.append(row(f"render, cold, at full speed ({full['count']}x)", full))
    for run in out["http"]:
        label = "cache on" if run["cache"] else "cache off (baseline)"
        lines.append(row(f"full GET, {label}", run["full"]))
        lines.append(row(f"304, {label}", run["not_modified"]))
        if run["cache"]:
            fast = run["not_modified_full_speed"]
            lines.append(row(f"304, cache on, at full speed ({fast['count']}x)", fast))
    t = out["targets"]
    lines += [
        "",
        f"target: render <= {t['render_p50_ms']:g} ms (cold, p50): "
        f"{'met' if t['render_met'] else 'NOT met'}",
        f"  at the machine's full speed (control within {out['machine']['full_speed_within']:g}x "
        f"its fastest, {full['count']} of {r['cold']['count']} renders): "
        + {True: "met", False: "NOT met", None: "no such render"}[t["render_met_at_full_speed"]],
        f"machine: the control ran at {out['machine']['slowdown_p50']:g}x its fastest time (p50)",
        f"target: 304 <= {t['not_modified_p99_ms']:g} ms (p99, cache on): "
        f"{'met' if t['not_modified_met'] else 'NOT met'}",
        f"  at the machine's full speed (the control after every {HTTP_BATCH} requests): "
        + {True: "met", False: "NOT met", None: "no such request"}[
            t["not_modified_met_at_full_speed"]
        ],
        f"setup: {out['setup_seconds']:g} s",
    ]
    return "\n".join(lines)


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    # Unwinds like Ctrl-C, so every `finally` stops gunicorn and drops the database.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.feeds", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--events", type=int, default=500, help="published sessions (500)")
    parser.add_argument("--requests", type=int, default=500, help="HTTP requests per row")
    parser.add_argument("--renders", type=int, default=30, help="in-process renders")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--pg-url",
        default=None,
        help="PostgreSQL admin URL: run on a fresh database there instead of SQLite",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.events < 1 or args.requests < 1 or args.renders < 1 or args.workers < 1:
        parser.error("--events, --requests, --renders and --workers must be at least 1")
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        out = run(args)
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
