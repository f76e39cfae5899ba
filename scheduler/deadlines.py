"""Statutory mediation deadlines, counted as the Civil Procedure Law counts 期间.

Sources: 《最高人民法院关于人民法院特邀调解的规定》Art.27 (30 days 委派; 15 days 委托 under ordinary
procedure, 7 under simplified; extensions need both parties' consent), 《人民法院在线调解规则》
Art.26 (appraisal and neutral evaluation time does not count) and 《民事诉讼法》Art.85 (the start
day is not counted; a last day on a statutory holiday or rest day moves to the next working day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .workdays import WorkdayCalendar

DELEGATED = "delegated"
ENTRUSTED = "entrusted"
ORDINARY = "ordinary"
SIMPLIFIED = "simplified"
SMALL_CLAIMS = "small_claims"

DELEGATED_DAYS = 30
ENTRUSTED_ORDINARY_DAYS = 15
ENTRUSTED_SIMPLIFIED_DAYS = 7  # small claims is a form of simplified procedure


@dataclass(frozen=True)
class Extension:
    days: int
    plaintiff_consented: bool
    defendant_consented: bool

    @property
    def counts(self) -> bool:
        return self.plaintiff_consented and self.defendant_consented


@dataclass(frozen=True)
class Pause:
    """Days [start, end] (inclusive) of appraisal or evaluation; end None means still running."""

    start: date
    end: date | None = None


@dataclass(frozen=True)
class Deadline:
    due_on: date
    statutory_days: int
    extension_days: int  # consented extensions only
    paused_days: int  # paused days inside the running period
    moved_from: date | None  # the raw last day, when it fell on a rest day or holiday
    is_provisional: bool  # an open pause: the date moves on while the pause lasts
    ignored_extensions: int  # extensions lacking a party's consent


def statutory_days(mode: str, procedure: str) -> int:
    if mode not in (DELEGATED, ENTRUSTED):
        raise ValueError(f"unknown case mode {mode!r}")
    if procedure not in (ORDINARY, SIMPLIFIED, SMALL_CLAIMS):
        raise ValueError(f"unknown procedure {procedure!r}")
    if mode == DELEGATED:
        return DELEGATED_DAYS
    if procedure == ORDINARY:
        return ENTRUSTED_ORDINARY_DAYS
    return ENTRUSTED_SIMPLIFIED_DAYS


def compute_deadline(
    received_on: date,
    mode: str,
    procedure: str,
    calendar: WorkdayCalendar,
    *,
    extensions: Sequence[Extension] = (),
    pauses: Sequence[Pause] = (),
    as_of: date | None = None,
) -> Deadline:
    """The last day of the mediation period for a case signed for on ``received_on``.

    An open pause is assumed to end on ``as_of`` (default: ``received_on``), so the result is
    flagged provisional. Raises YearNotCovered when the last day's year has no holiday schedule.
    """
    base = statutory_days(mode, procedure)
    granted = sum(e.days for e in extensions if e.counts)
    ignored = sum(1 for e in extensions if not e.counts)
    provisional = any(p.end is None for p in pauses)
    assumed_end = as_of or received_on
    spans = [(p.start, p.end or assumed_end) for p in pauses]

    def paused(day: date) -> bool:
        return any(start <= day <= end for start, end in spans)

    # The start day is not counted; every later day counts unless the clock is paused.
    to_count = base + granted
    day = received_on
    paused_days = 0
    while to_count > 0:
        day += timedelta(days=1)
        if paused(day):
            paused_days += 1
        else:
            to_count -= 1
    due = calendar.next_workday(day, inclusive=True)
    return Deadline(
        due_on=due,
        statutory_days=base,
        extension_days=granted,
        paused_days=paused_days,
        moved_from=day if due != day else None,
        is_provisional=provisional,
        ignored_extensions=ignored,
    )
