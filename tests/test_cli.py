"""The sutiao command line: init, status, migrate and the day's run."""

from __future__ import annotations

import json

from flask.testing import FlaskCliRunner

from models import migrate


def test_init_is_idempotent(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    # The fixture database already has the reference data: nothing more is added.
    assert "0 courts and 0 categories added" in first.output
    again = runner.invoke(args=["init"])
    assert again.exit_code == 0
    assert "0 courts and 0 categories added" in again.output


def test_status_json_reports_counts(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["cases_total"] == 0
    assert set(data["cases_by_status"]) >= {"received", "assigned", "settled"}
    assert data["counts"]["courts"] == 12
    assert data["counts"]["mediators"] == 0


def test_status_text_lists_cases_in_chinese(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["status"])
    assert result.exit_code == 0
    assert "待分派" in result.output


def test_run_day_says_plainly_what_does_not_exist_yet(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["run-day", "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    assert "Assignment preview: 0 received cases" in result.output
    assert "not stored" in result.output
    assert "python -m scheduler" in result.output


def test_migrate_down_and_up(runner: FlaskCliRunner) -> None:
    down = runner.invoke(args=["migrate", "--down", "--revision", "base"])
    assert down.exit_code == 0, down.output
    assert "database at revision None" in down.output
    up = runner.invoke(args=["migrate"])
    assert up.exit_code == 0, up.output
    assert f"database at revision {migrate.head_revision()}" in up.output


def test_init_demo_prints_logins_and_a_second_load_changes_nothing(
    runner: FlaskCliRunner,
) -> None:
    first = runner.invoke(args=["init", "--demo", "--today", "2026-11-20"])
    assert first.exit_code == 0, first.output
    assert "160 incoming" in first.output
    assert "demo-coordinator" in first.output
    before = json.loads(runner.invoke(args=["status", "--json"]).output)

    second = runner.invoke(args=["init", "--demo", "--today", "2026-11-20"])
    assert second.exit_code == 1
    assert "Error:" in second.output and "demo" in second.output
    after = json.loads(runner.invoke(args=["status", "--json"]).output)
    assert after == before
    assert after["cases_total"] >= 150
    assert after["counts"]["mediators"] >= 40
    assert after["counts"]["experts"] >= 80
