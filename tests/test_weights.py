"""Leadership's weights: validation naming each field, versions with audit, preview."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.problem import Weights
from models import AuditEntry, WeightProfile
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
