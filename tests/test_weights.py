"""Leadership's weights: validation naming each field, versions with audit, preview."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.problem import Weights
from models import AuditEntry, Case, WeightProfile
from models.vocabulary import CaseStatus
from web import weights as ops
from web.demo import load_demo

TODAY = date(2026, 11, 20)


def test_parse_names_every_bad_field() -> None:
    with pytest.raises(ops.WeightsError) as bad:
        ops.parse_weights({"specialty": 500, "colour": 3, "rotation": -1})
    assert set(bad.value.details) == {"colour", "specialty", "rotation"}
    assert "range" in bad.value.details["specialty"]
    with pytest.raises(ops.WeightsError) as bad:
        ops.parse_weights({"batch": "high"})
    assert "batch" in bad.value.details
    with pytest.raises(ops.WeightsError):
        ops.parse_weights([1, 2])
    assert ops.parse_weights({"batch": 9}, base=Weights(workload=3)).workload == 3


def test_apply_adds_a_version_and_audits_old_and_new(session: Session) -> None:
    first = ops.apply(session, Weights(batch=7), user_id=None, note="试行")
    second = ops.apply(session, Weights(batch=9))
    assert second.version == first.version + 1
    assert [p.version for p in ops.history(session)][:2] == [second.version, first.version]
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "weights.apply")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert entry.old is not None and entry.old["batch"] == 7 and entry.new["batch"] == 9
    # Nothing is edited in place.
    assert session.get_one(WeightProfile, first.id).weights["batch"] == 7


def test_preview_reports_kpis_and_changed_teams_and_writes_nothing(session: Session) -> None:
    load_demo(session, today=TODAY, cases=150, people=80)
    session.commit()
    versions = len(ops.history(session))
    result = ops.preview(
        session, Weights(specialty=0, workload=40, batch=0), today=TODAY, time_limit=2
    )
    assert result.proposed["workload"] == 40
    assert {"before", "after", "change"} <= set(result.kpis["max_utilisation_pct"])
    assert result.changes, "moving the weights this far changes some teams"
    change = result.changes[0]
    assert change["before"] != change["after"]
    assert len(ops.history(session)) == versions


def test_preview_solves_each_weighting_as_a_solve_of_its_own_would(session: Session) -> None:
    """The two solves run side by side; each answers for its own weights, as one solve alone
    with the same weights and limits would (the small day is solved to optimality)."""
    from dataclasses import replace

    from matcher.solve import solve
    from web.assignment import build_day_problem, current_weights

    load_demo(session, today=TODAY, cases=150, people=80)
    received = session.scalars(
        select(Case).where(Case.status == CaseStatus.RECEIVED).order_by(Case.id)
    ).all()
    for case in received[12:]:  # a small day, solved to optimality within the limit
        case.status = CaseStatus.WITHDRAWN
    session.commit()
    proposed = Weights(specialty=0, workload=40, batch=0)
    result = ops.preview(session, proposed, today=TODAY, time_limit=5)
    sides = [{k: v[side] for k, v in result.kpis.items()} for side in ("before", "after")]
    assert sides[0] != sides[1], "the weights move some KPI: a swap would show"
    day = build_day_problem(session, today=TODAY)
    for side, weights in (("before", current_weights(session)), ("after", proposed)):
        alone = solve(replace(day.problem, weights=weights), time_limit=5, workers=1)
        assert alone.status == "optimal"
        assert {k: v[side] for k, v in result.kpis.items()} == {
            k: float(v) for k, v in alone.kpis.items()
        }
