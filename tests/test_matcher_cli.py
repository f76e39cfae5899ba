"""``python -m matcher``: progress on stderr, a summary on stdout, the result file, clean errors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from matcher.__main__ import main
from matcher.problem import MatchingProblem
from matcher.result import Assignment, MatchResult, Progress, Unassigned

ROOT = Path(__file__).resolve().parent.parent
RESULT_KEYS = {"status", "objective", "bound", "seconds", "assignments", "unassigned", "kpis"}
HAS_SOLVER = importlib.util.find_spec("matcher.solve") is not None


def tiny_instance() -> dict[str, Any]:
    """Two simple cases, three mediators with time to spare: every case can be assigned."""
    person = {
        "roles": ["mediator"],
        "specialties": {"financial_loan": 3, "credit_card": 4},
        "capacity": 4,
        "base_court": "JD",
        "roster_courts": ["JD"],
        "free_minutes": [480] * 14,
    }
    case = {"court": "JD", "complexity": "simple", "deadline": "2026-03-20"}
    return {
        "settings": {"today": "2026-03-02"},
        "courts": [{"id": "ZY"}, {"id": "JD", "parent": "ZY"}],
        "people": [{"id": f"P{i}", **person} for i in (1, 2, 3)],
        "cases": [
            {"id": "C1", "category": "financial_loan", **case},
            {"id": "C2", "category": "credit_card", **case},
        ],
    }


@pytest.fixture
def instance_file(tmp_path: Path) -> Path:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(tiny_instance()), encoding="utf-8")
    return path


@pytest.fixture
def fake_solver(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Stand in for matcher.solve: record the call, report progress twice, return a result."""
    calls: dict[str, Any] = {}

    def solve(problem: MatchingProblem, **kwargs: Any) -> MatchResult:
        calls["problem"] = problem
        calls.update(kwargs)
        kwargs["progress"](Progress(seconds=0.5, objective=900, bound=1000))
        kwargs["progress"](Progress(seconds=3.21, objective=12345, bound=12400))
        return MatchResult(
            status="feasible",
            objective=12345,
            bound=12400,
            seconds=3.21,
            assignments=(Assignment("C1", "P1", "mediator", presiding=True),),
            unassigned=(Unassigned("C2", "capacity_exhausted", {"demand": 1, "supply": 0}),),
            kpis={"mean_specialty_level": 3.0, "max_utilisation": 0.25},
        )

    module = types.ModuleType("matcher.solve")
    module.solve = solve  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "matcher.solve", module)
    return calls


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matcher", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


# --- in process, with a fake solver --------------------------------------------------------------


def test_cli_prints_progress_and_summary_and_writes_result(
    instance_file: Path,
    tmp_path: Path,
    fake_solver: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "result.json"
    args = [str(instance_file), "-o", str(out), "--time-limit", "2.5", "--workers", "1"]
    assert main([*args, "--seed", "7"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "  0.50 s  objective 900  bound 1000  gap 10.00%",
        "  3.21 s  objective 12345  bound 12400  gap 0.44%",
    ]
    summary = captured.out
    assert "status      feasible" in summary
    assert "objective   12345" in summary
    assert "bound       12400" in summary
    assert "gap         0.44%" in summary
    assert "seconds     3.21" in summary
    assert "cases       2: 1 assigned, 1 unassigned" in summary
    assert "capacity_exhausted" in summary
    assert "mean_specialty_level" in summary
    assert fake_solver["time_limit"] == 2.5
    assert fake_solver["workers"] == 1
    assert fake_solver["seed"] == 7
    assert fake_solver["problem"].settings.pure is False
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= RESULT_KEYS
    assert data["unassigned"][0]["details"] == {"demand": 1, "supply": 0}


def test_cli_defaults_and_pure(instance_file: Path, fake_solver: dict[str, Any]) -> None:
    assert main([str(instance_file), "--pure"]) == 0
    assert fake_solver["problem"].settings.pure is True
    assert [c.id for c in fake_solver["problem"].cases] == ["C1", "C2"]
    assert (fake_solver["time_limit"], fake_solver["workers"], fake_solver["seed"]) == (10.0, 2, 0)


def test_cli_reports_an_unwritable_output(
    instance_file: Path,
    tmp_path: Path,
    fake_solver: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([str(instance_file), "-o", str(tmp_path / "no" / "such" / "dir.json")]) == 2
    assert "error: cannot write" in capsys.readouterr().err


# --- as a real process ---------------------------------------------------------------------------


@pytest.mark.skipif(not HAS_SOLVER, reason="matcher.solve is not written yet")
def test_cli_solves_a_tiny_instance(instance_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = run_cli(str(instance_file), "-o", str(out), "--time-limit", "5", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "status" in done.stdout
    assert "objective" in done.stdout
    assert "cases       2: 2 assigned, 0 unassigned" in done.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= RESULT_KEYS
    assert data["status"] in ("optimal", "feasible")
    assert {a["case"] for a in data["assignments"]} == {"C1", "C2"}
    assert data["unassigned"] == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            lambda d: d["people"][1].update(capacity=-1),
            "error: people (id 'P2').capacity: -1 is negative",
        ),
        (
            lambda d: d["cases"][0].update(category="crypto"),
            "error: cases (id 'C1').category: unknown category 'crypto'",
        ),
        (
            lambda d: d["cases"][1].update(deadline="2026-02-30"),
            "error: cases[1] (id 'C2').deadline: '2026-02-30' is not a date (YYYY-MM-DD)",
        ),
        (
            lambda d: d.update(weights={"workload": 101}),
            "error: weights.workload: 101 is out of range",
        ),
    ],
    ids=["negative capacity", "unknown category", "bad date", "weight out of range"],
)
def test_cli_bad_instance_exits_2_without_traceback(
    tmp_path: Path, content: Any, message: str
) -> None:
    data = tiny_instance()
    content(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
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
    help_run = run_cli("--help")
    assert help_run.returncode == 0
    for option in ("--time-limit", "--workers", "--seed", "--pure", "-o"):
        assert option in help_run.stdout
