"""Leadership's matching weights: versioned profiles, a preview before anything changes.

A profile is never edited in place: applying new weights adds the next version, and the audit
log keeps who, when, the old values and the new ones. ``preview`` solves today's problem twice,
side by side, with the current weights and with the proposed ones, and reports each KPI before
and after and every assignment that would change, without writing anything.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.problem import MAX_WEIGHT, WEIGHT_NAMES, ProblemError, Weights
from matcher.solve import solve
from models import WeightProfile

from .assignment import build_day_problem, current_weights
from .audit import record


class WeightsError(ValueError):
    """Proposed weights that cannot be used; ``details`` maps each bad field to why."""

    def __init__(self, details: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in details.items()))
        self.details = details


def parse_weights(data: Any, *, base: Weights | None = None) -> Weights:
    """Weights from a mapping, each an integer in range; unknown or bad fields are named.
    Fields left out keep ``base`` (the current profile)."""
    if not isinstance(data, dict):
        raise WeightsError({"weights": "must be an object of weight name to integer"})
    details: dict[str, str] = {}
    values = (base or Weights()).as_dict()
    for name, value in data.items():
        if name not in WEIGHT_NAMES:
            details[str(name)] = f"unknown weight (expected one of {', '.join(WEIGHT_NAMES)})"
        elif isinstance(value, bool) or not isinstance(value, int):
            details[name] = f"must be an integer, got {value!r}"
        elif not 0 <= value <= MAX_WEIGHT:
            details[name] = f"{value} is out of range [0, {MAX_WEIGHT}]"
        else:
            values[name] = value
    if details:
        raise WeightsError(details)
    try:
        return Weights(**values)
    except ProblemError as error:  # the dataclass has the last word
        field, _, why = str(error).partition(": ")
        raise WeightsError({field.removeprefix("weights."): why}) from None


def current_profile(session: Session) -> WeightProfile | None:
    return session.scalars(
        select(WeightProfile).order_by(WeightProfile.version.desc()).limit(1)
    ).first()


def history(session: Session) -> list[WeightProfile]:
    return list(session.scalars(select(WeightProfile).order_by(WeightProfile.version.desc())))


def apply(
    session: Session,
    weights: Weights,
    *,
    user_id: int | None = None,
    note: str | None = None,
) -> WeightProfile:
    """Store ``weights`` as the next version and audit the change."""
    old = current_profile(session)
    profile = WeightProfile(
        version=(old.version + 1) if old is not None else 1,
        weights=weights.as_dict(),
        note=note,
        created_by_id=user_id,
    )
    session.add(profile)
    session.flush()
    record(
        session,
        "weights.apply",
        actor=f"user:{user_id}" if user_id is not None else "cli",
        user_id=user_id,
        object_type="weight_profile",
        object_id=profile.id,
        old=dict(old.weights) if old is not None else None,
        new=weights.as_dict(),
        version=profile.version,
    )
    session.commit()
    return profile


@dataclass(frozen=True)
class Preview:
    current: dict[str, int]
    proposed: dict[str, int]
    kpis: dict[str, dict[str, float]]  # name -> {"before", "after", "change"}
    changes: list[dict[str, Any]]  # per case whose team would change: before and after

    def as_json(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "proposed": self.proposed,
            "kpis": self.kpis,
            "changes": self.changes,
        }


def preview(
    session: Session,
    proposed: Weights,
    *,
    today: date,
    time_limit: float = 5.0,
    small_claims_threshold: Decimal = Decimal("50000"),
) -> Preview:
    """Today's assignment under the current and the proposed weights, compared."""
    from dataclasses import replace

    day = build_day_problem(session, today=today, small_claims_threshold=small_claims_threshold)
    current = current_weights(session)
    # The two solves side by side, one CP-SAT worker each: the preview answers in one time limit
    # rather than two (CP-SAT and numpy release the GIL while they work).
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="weights-preview") as pool:
        solves = [
            pool.submit(solve, replace(day.problem, weights=w), time_limit=time_limit, workers=1)
            for w in (current, proposed)
        ]
        before, after = (s.result() for s in solves)
    kpis: dict[str, dict[str, float]] = {}
    for name in sorted(set(before.kpis) | set(after.kpis)):
        b, a = float(before.kpis.get(name, 0.0)), float(after.kpis.get(name, 0.0))
        kpis[name] = {"before": b, "after": a, "change": round(a - b, 6)}
    changes = []
    cases = sorted({a.case for a in before.assignments} | {a.case for a in after.assignments})
    for case in cases:
        old = sorted((m.role, m.person, m.presiding) for m in before.team(case))
        new = sorted((m.role, m.person, m.presiding) for m in after.team(case))
        if old != new:
            changes.append(
                {
                    "case": int(case),
                    "before": [{"role": r, "person": int(p), "presiding": h} for r, p, h in old],
                    "after": [{"role": r, "person": int(p), "presiding": h} for r, p, h in new],
                }
            )
    return Preview(current.as_dict(), proposed.as_dict(), kpis, changes)
