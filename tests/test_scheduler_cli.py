"""``python -m scheduler``: progress on stderr, a summary on stdout, the schedule, clean errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

import scheduler.__main__ as cli
from scheduler.problem import TZ, SchedulingProblem
from scheduler.result import Move, Placed, Progress, Schedule, Unscheduled

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scheduler" / "examples" / "tiny.json"
RESULT_KEYS = {"status", "objective", "bound", "seconds", "sessions", "unscheduled"}
SESSION_KEYS = {"id", "case", "kind", "start", "end", "room", "participants"}

try:
    import scheduler.solve  # noqa: F401

    HAS_SOLVER = True
except ImportError:
    HAS_SOLVER = False


def tiny_instance() -> dict[str, Any]:
    """One mediator, one room, two sessions; the horizon lies in 2026 (chinese-calendar has it)."""
    return {
        "settings": {"today": "2026-09-24", "horizon_days": 28},
        "rooms": [{"id": "R1"}],
        "people": [{"id": "p1", "name": "王敏"}],
        "sessions": [
            {
                "id": "s1",
                "kind": "mediation",
                "cases": ["（2026）豫0802民诉前调1234号"],
                "duration": 60,
                "participants": ["p1"],
                "deadline": "2026-10-16",
            },
            {
                "id": "s2",
                "kind": "case_conference",
                "cases": ["（2026）豫0802民诉前调1240号", "（2026）豫0802民诉前调1241号"],
                "duration": 90,
                "participants": ["p1"],
                "deadline": "2026-10-20",
                "published": {"start": "2026-09-29T09:00:00+08:00", "room": "R1"},
            },
        ],
    }


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.fixture
def instance_file(tmp_path: Path) -> Path:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(tiny_instance(), ensure_ascii=False), encoding="utf-8")
    return path


def fake_schedule(fallback_years: tuple[int, ...] = ()) -> Schedule:
    day = date(2026, 9, 29)
    return Schedule(
        status="feasible",
        objective=420,
        bound=450,
        seconds=1.5,
        sessions=(
            Placed(
                session="s1",
                kind="mediation",
                cases=("（2026）豫0802民诉前调1234号",),
                start=at(day, 14, 30),
                end=at(day, 15, 30),
                room="R1",
                participants=("p1",),
            ),
        ),
        unscheduled=(
            Unscheduled(
                "s2", "crowded", "会商时段已被其他调解占用", "p1", {"window": 12, "people": 0}
            ),
        ),
        moved=(Move("s2", at(day, 9), "R1", None, None),),
        fallback_years=fallback_years,
        kpis={"sessions_placed": 1.0},
    )


class FakeSolver:
    """Stands in for scheduler.solve.solve: records the call, reports progress twice."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self.calls: list[dict[str, Any]] = []

    def __call__(self, problem: SchedulingProblem, **kwargs: Any) -> Schedule:
        self.calls.append({"problem": problem, **kwargs})
        kwargs["progress"](Progress(seconds=0.5, objective=300, bound=500))
        kwargs["progress"](Progress(seconds=1.5, objective=420, bound=450))
        return self.schedule


@pytest.fixture
def fake_solver(monkeypatch: pytest.MonkeyPatch) -> FakeSolver:
    fake = FakeSolver(fake_schedule())
    monkeypatch.setattr(cli, "solve", fake)
    return fake


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=120,
        check=False,
    )


# --- in process, with a fake solver --------------------------------------------------------------


def test_cli_prints_progress_and_summary_and_writes_the_schedule(
    instance_file: Path,
    tmp_path: Path,
    fake_solver: FakeSolver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "schedule.json"
    args = [str(instance_file), "-o", str(out), "--time-limit", "2.5", "--workers", "1"]
    assert cli.main([*args, "--seed", "7"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "  0.50 s  objective 300  bound 500  gap 40.00%",
        "  1.50 s  objective 420  bound 450  gap 6.67%",
    ]
    summary = captured.out
    for line in (
        "status      feasible",
        "objective   420",
        "bound       450",
        "gap         6.67%",
        "seconds     1.50",
        "sessions    2: 1 placed, 1 unscheduled",
        "  s2: crowded (blocked by p1): 会商时段已被其他调解占用",
        "moved       1 published sessions",
    ):
        assert line in summary.splitlines(), line
    (call,) = fake_solver.calls
    assert (call["time_limit"], call["workers"], call["seed"]) == (2.5, 1, 7)
    assert [s.id for s in call["problem"].sessions] == ["s1", "s2"]

    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= RESULT_KEYS
    assert (data["status"], data["objective"], data["bound"], data["seconds"]) == (
        "feasible",
        420,
        450,
        1.5,
    )
    (session,) = data["sessions"]
    assert set(session) >= SESSION_KEYS
    assert session["id"] == "s1"
    assert session["case"] == "（2026）豫0802民诉前调1234号"
    assert session["start"] == "2026-09-29T14:30:00+08:00"
    assert session["end"] == "2026-09-29T15:30:00+08:00"
    assert session["participants"] == ["p1"]
    (missed,) = data["unscheduled"]
    assert (missed["id"], missed["reason"]) == ("s2", "crowded")
    assert missed["free_slots"] == {"window": 12, "people": 0}


def test_cli_defaults(instance_file: Path, fake_solver: FakeSolver) -> None:
    assert cli.main([str(instance_file)]) == 0
    (call,) = fake_solver.calls
    assert (call["time_limit"], call["workers"], call["seed"]) == (10.0, 2, 0)
    assert callable(call["progress"])


def test_cli_warns_about_fallback_years(
    instance_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "solve", FakeSolver(fake_schedule(fallback_years=(2027, 2028))))
    assert cli.main([str(instance_file)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: no official holiday schedule for 2027, 2028")


def test_cli_reports_an_unwritable_output(
    instance_file: Path,
    tmp_path: Path,
    fake_solver: FakeSolver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main([str(instance_file), "-o", str(tmp_path / "no" / "such" / "dir.json")]) == 2
    assert "error: cannot write" in capsys.readouterr().err


def test_cli_bad_instance_does_not_call_the_solver(
    tmp_path: Path, fake_solver: FakeSolver, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tiny_instance()
    data["sessions"][0]["kind"] = "hearing"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main([str(path)]) == 2
    assert capsys.readouterr().err == "error: sessions[s1].kind: unknown kind 'hearing'\n"
    assert fake_solver.calls == []


# --- as a real process ---------------------------------------------------------------------------


def test_cli_help() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    for option in ("INSTANCE", "--time-limit", "--workers", "--seed", "-o", "instance.schema.json"):
        assert option in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["people"][0].update(
                busy=[{"start": "2026-09-29T09:00:00", "end": "2026-09-29T12:00:00+08:00"}]
            ),
            "error: people[p1].busy[0].start: needs a UTC offset",
        ),
        (
            lambda d: d["sessions"][1].update(deadline="2026-13-01"),
            "error: sessions[s2].deadline: '2026-13-01' is not a date (YYYY-MM-DD)",
        ),
        (
            lambda d: d["sessions"][0].update(participants=["p1", "p9"]),
            "error: sessions[s1].participants: unknown person 'p9'",
        ),
        (
            lambda d: d["settings"].update(grid=20),
            "error: settings.grid: 20 is not one of (15, 30)",
        ),
        (
            lambda d: d["sessions"][0].update(pinned=True),
            "error: sessions[s1].pinned: a pinned session needs `published`",
        ),
    ],
    ids=["naive datetime", "bad date", "unknown participant", "grid 20", "pinned unpublished"],
)
def test_cli_bad_instance_exits_2_without_traceback(
    tmp_path: Path, mutate: Any, message: str
) -> None:
    data = tiny_instance()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = run_cli(str(path))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_cli_invalid_json_and_missing_file_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    for path, message in [
        (broken, "broken.json: invalid JSON at line 1 column 2"),
        (tmp_path / "absent.json", "cannot read"),
    ]:
        done = run_cli(str(path))
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("error: ")
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_cli_rejects_bad_options() -> None:
    done = run_cli("x.json", "--time-limit", "0")
    assert done.returncode == 2
    assert "must be positive" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not HAS_SOLVER, reason="solver not built")
def test_cli_year_without_a_holiday_schedule_exits_2(tmp_path: Path) -> None:
    data = tiny_instance()
    data["settings"]["today"] = "2099-03-02"
    for session in data["sessions"]:
        session["deadline"] = "2099-03-20"
        session.pop("published", None)
    path = tmp_path / "future.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = run_cli(str(path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: no official holiday schedule for 2099")
    assert "Traceback" not in done.stderr

    data["settings"]["weekend_fallback"] = True
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = run_cli(str(path), "--time-limit", "5", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert "warning: no official holiday schedule for 2099" in done.stderr


@pytest.mark.skipif(not HAS_SOLVER, reason="solver not built")
def test_cli_solves_the_example(tmp_path: Path) -> None:
    out = tmp_path / "schedule.json"
    done = run_cli(str(EXAMPLE), "-o", str(out), "--time-limit", "10", "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "warning" not in done.stderr  # 2026 is covered by chinese-calendar
    assert "sessions    11: 11 placed, 0 unscheduled" in done.stdout

    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= RESULT_KEYS
    assert data["status"] in ("optimal", "feasible")
    assert data["unscheduled"] == []
    instance = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    placed = {s["id"]: s for s in data["sessions"] if "meeting" not in s}
    assert set(placed) == {s["id"] for s in instance["sessions"]}
    for session in data["sessions"]:
        assert set(session) >= SESSION_KEYS
        assert session["start"].endswith("+08:00") and session["end"].endswith("+08:00")
        day = date.fromisoformat(session["start"][:10])
        assert not date(2026, 10, 1) <= day <= date(2026, 10, 7), session  # Golden Week
    pinned = next(s for s in instance["sessions"] if s.get("pinned"))
    assert placed[pinned["id"]]["start"] == pinned["published"]["start"]
    assert placed[pinned["id"]]["room"] == pinned["published"]["room"]
    # The Monday meeting of 2026-10-05 falls in Golden Week: held later that week instead.
    moved = [s for s in data["sessions"] if s["id"] == "weekly@2026-10-05"]
    assert len(moved) == 1
    assert date(2026, 10, 8) <= date.fromisoformat(moved[0]["start"][:10]) <= date(2026, 10, 12)
