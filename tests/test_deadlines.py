"""Statutory mediation deadlines (scheduler/deadlines.py).

Rules: 委派 (delegated) 30 days; 委托 (entrusted) 15 days ordinary, 7 simplified / small claims
(特邀调解规定 Art.27). Counted as 民事诉讼法 Art.85 counts 期间: the start day (the day the center
signs for the materials) is not counted; a last day on a rest day or statutory holiday moves to the
first working day after it. Extensions count only with both parties' consent; appraisal/evaluation
pauses do not count (在线调解规则 Art.26).

Every expected date below was counted by hand on these calendars (Mo Tu We Th Fr Sa Su).
2026 holidays 1/1–3, 2/15–23, 4/4–6, 5/1–5, 6/19–21, 9/25–27, 10/1–7; adjusted working days
1/4, 2/14, 2/28, 5/9, 9/20, 10/10.

     December 2025            January 2026            February 2026             March 2026
   1  2  3  4  5  6  7             1  2  3  4                       1                       1
   8  9 10 11 12 13 14     5  6  7  8  9 10 11     2  3  4  5  6  7  8     2  3  4  5  6  7  8
  15 16 17 18 19 20 21    12 13 14 15 16 17 18     9 10 11 12 13 14 15     9 10 11 12 13 14 15
  22 23 24 25 26 27 28    19 20 21 22 23 24 25    16 17 18 19 20 21 22    16 17 18 19 20 21 22
  29 30 31                26 27 28 29 30 31       23 24 25 26 27 28       23 24 25 26 27 28 29
                                                                          30 31
       April 2026              May 2026            September 2026           October 2026
         1  2  3  4  5                 1  2  3        1  2  3  4  5  6              1  2  3  4
   6  7  8  9 10 11 12     4  5  6  7  8  9 10     7  8  9 10 11 12 13     5  6  7  8  9 10 11
  13 14 15 16 17 18 19    11 12 13 14 15 16 17    14 15 16 17 18 19 20    12 13 14 15 16 17 18
  20 21 22 23 24 25 26    18 19 20 21 22 23 24    21 22 23 24 25 26 27    19 20 21 22 23 24 25
  27 28 29 30             25 26 27 28 29 30 31    28 29 30                26 27 28 29 30 31

    December 2026            January 2027
      1  2  3  4  5  6                 1  2  3
   7  8  9 10 11 12 13     4  5  6  7  8  9 10
  14 15 16 17 18 19 20    11 12 13 14 15 16 17
  21 22 23 24 25 26 27    18 19 20 21 22 23 24
  28 29 30 31             25 26 27 28 29 30 31
"""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.deadlines import (
    DELEGATED,
    ENTRUSTED,
    ORDINARY,
    SIMPLIFIED,
    SMALL_CLAIMS,
    Deadline,
    Extension,
    Pause,
    compute_deadline,
    statutory_days,
)
from scheduler.workdays import WorkdayCalendar, YearNotCovered, YearSchedule

D = date


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def schedule_2027() -> YearSchedule:
    """A TEST FIXTURE, not the official 2027 schedule: New Year 2027-01-01..03 (Fri–Sun) only."""
    return YearSchedule(
        year=2027,
        holidays={D(2027, 1, 1): "元旦", D(2027, 1, 2): "元旦", D(2027, 1, 3): "元旦"},
        source="test fixture (not official)",
    )


# ---------------------------------------------------------------------------------------------
# statutory_days
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "procedure", "days"),
    [
        (DELEGATED, ORDINARY, 30),
        (DELEGATED, SIMPLIFIED, 30),
        (DELEGATED, SMALL_CLAIMS, 30),
        (ENTRUSTED, ORDINARY, 15),
        (ENTRUSTED, SIMPLIFIED, 7),
        (ENTRUSTED, SMALL_CLAIMS, 7),
    ],
)
def test_statutory_days(mode: str, procedure: str, days: int) -> None:
    assert statutory_days(mode, procedure) == days


def test_vocabulary_strings_match_design() -> None:
    assert (DELEGATED, ENTRUSTED) == ("delegated", "entrusted")
    assert (ORDINARY, SIMPLIFIED, SMALL_CLAIMS) == ("ordinary", "simplified", "small_claims")


@pytest.mark.parametrize("mode", ["", "委派", "Delegated", "pre_filing"])
def test_unknown_mode_raises(mode: str) -> None:
    with pytest.raises(ValueError, match="unknown case mode"):
        statutory_days(mode, ORDINARY)


@pytest.mark.parametrize("mode", [DELEGATED, ENTRUSTED])
@pytest.mark.parametrize("procedure", ["", "simple", "普通", "Ordinary"])
def test_unknown_procedure_raises(mode: str, procedure: str) -> None:
    with pytest.raises(ValueError, match="unknown procedure"):
        statutory_days(mode, procedure)


def test_compute_deadline_rejects_unknown_mode(cal: WorkdayCalendar) -> None:
    with pytest.raises(ValueError, match="unknown case mode 'bogus'"):
        compute_deadline(D(2026, 3, 2), "bogus", ORDINARY, cal)


def test_compute_deadline_rejects_unknown_procedure(cal: WorkdayCalendar) -> None:
    with pytest.raises(ValueError, match="unknown procedure 'bogus'"):
        compute_deadline(D(2026, 3, 2), ENTRUSTED, "bogus", cal)


# ---------------------------------------------------------------------------------------------
# Plain periods: the start day is not counted
# ---------------------------------------------------------------------------------------------


def test_delegated_start_day_not_counted(cal: WorkdayCalendar) -> None:
    # received Mon 3/2: 3/3..3/31 are days 1..29, Wed 4/1 is day 30 (a working day)
    result = compute_deadline(D(2026, 3, 2), DELEGATED, ORDINARY, cal)
    assert result == Deadline(
        due_on=D(2026, 4, 1),
        statutory_days=30,
        extension_days=0,
        paused_days=0,
        moved_from=None,
        is_provisional=False,
        ignored_extensions=0,
    )


@pytest.mark.parametrize(
    ("mode", "procedure", "due"),
    [
        # received Mon 3/2
        (DELEGATED, SIMPLIFIED, D(2026, 4, 1)),  # 3/3..4/1 = 30 days, Wed
        (DELEGATED, SMALL_CLAIMS, D(2026, 4, 1)),
        (ENTRUSTED, ORDINARY, D(2026, 3, 17)),  # 3/3..3/17 = 15 days, Tue
        (ENTRUSTED, SIMPLIFIED, D(2026, 3, 9)),  # 3/3..3/9 = 7 days, Mon
        (ENTRUSTED, SMALL_CLAIMS, D(2026, 3, 9)),
    ],
)
def test_due_dates_by_mode_and_procedure(
    cal: WorkdayCalendar, mode: str, procedure: str, due: date
) -> None:
    result = compute_deadline(D(2026, 3, 2), mode, procedure, cal)
    assert result.due_on == due
    assert result.moved_from is None


def test_statutory_days_reported_in_result(cal: WorkdayCalendar) -> None:
    assert compute_deadline(D(2026, 3, 2), ENTRUSTED, ORDINARY, cal).statutory_days == 15


def test_holidays_inside_the_period_still_count(cal: WorkdayCalendar) -> None:
    # received Mon 9/28, entrusted ordinary: 9/29, 9/30 (2), 10/1..10/13 (13) -> Tue 10/13.
    # National Day 10/1–7 lies inside the period and is counted like any other day.
    result = compute_deadline(D(2026, 9, 28), ENTRUSTED, ORDINARY, cal)
    assert result.due_on == D(2026, 10, 13)
    assert result.moved_from is None


# ---------------------------------------------------------------------------------------------
# A last day on a rest day or holiday
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "mode", "procedure", "raw", "due"),
    [
        # Fri 3/13 + 15: 3/14..3/28 -> Sat 3/28 -> Mon 3/30
        (D(2026, 3, 13), ENTRUSTED, ORDINARY, D(2026, 3, 28), D(2026, 3, 30)),
        # Sun 3/8 + 7: 3/9..3/15 -> Sun 3/15 -> Mon 3/16
        (D(2026, 3, 8), ENTRUSTED, SIMPLIFIED, D(2026, 3, 15), D(2026, 3, 16)),
        # Sat 3/7 + 7: 3/8..3/14 -> Sat 3/14 -> Mon 3/16
        (D(2026, 3, 7), ENTRUSTED, SMALL_CLAIMS, D(2026, 3, 14), D(2026, 3, 16)),
    ],
    ids=["saturday", "sunday", "saturday-small-claims"],
)
def test_last_day_on_weekend_moves_to_monday(
    cal: WorkdayCalendar, received: date, mode: str, procedure: str, raw: date, due: date
) -> None:
    result = compute_deadline(received, mode, procedure, cal)
    assert result.due_on == due
    assert result.moved_from == raw


def test_last_day_in_spring_festival_moves_past_it(cal: WorkdayCalendar) -> None:
    # received Tue 1/20, delegated: 1/21..1/31 = 11 days, 2/1..2/19 = 19 days -> Thu 2/19,
    # inside the Spring Festival 2/15–23 -> first working day after it, Tue 2/24
    result = compute_deadline(D(2026, 1, 20), DELEGATED, ORDINARY, cal)
    assert result.due_on == D(2026, 2, 24)
    assert result.moved_from == D(2026, 2, 19)


@pytest.mark.parametrize(
    ("received", "mode", "procedure", "raw", "due"),
    [
        # Tue 9/1 delegated: 9/2..9/30 = 29 days, 10/1 = 30 -> National Day 10/1–7 -> Thu 10/8
        (D(2026, 9, 1), DELEGATED, ORDINARY, D(2026, 10, 1), D(2026, 10, 8)),
        # Sun 9/20 entrusted ordinary: 9/21..9/30 = 10, 10/1..10/5 = 5 -> Mon 10/5 -> Thu 10/8
        (D(2026, 9, 20), ENTRUSTED, ORDINARY, D(2026, 10, 5), D(2026, 10, 8)),
        # Wed 9/30 entrusted simplified: 10/1..10/7 -> Wed 10/7, last holiday day -> Thu 10/8
        (D(2026, 9, 30), ENTRUSTED, SIMPLIFIED, D(2026, 10, 7), D(2026, 10, 8)),
    ],
    ids=["delegated-10-01", "ordinary-10-05", "simplified-10-07"],
)
def test_last_day_in_national_day_moves_to_10_08(
    cal: WorkdayCalendar, received: date, mode: str, procedure: str, raw: date, due: date
) -> None:
    result = compute_deadline(received, mode, procedure, cal)
    assert result.due_on == due
    assert result.moved_from == raw


@pytest.mark.parametrize(
    ("received", "mode", "procedure", "raw", "due"),
    [
        # Thu 12/25/2025 + 7: 12/26..1/1 -> Thu 1/1 (New Year 1/1–3) -> Sun 1/4, adjusted
        (D(2025, 12, 25), ENTRUSTED, SIMPLIFIED, D(2026, 1, 1), D(2026, 1, 4)),
        # Thu 4/16 + 15: 4/17..4/30 = 14, 5/1 = 15 -> Labour Day 5/1–5 -> Wed 5/6
        (D(2026, 4, 16), ENTRUSTED, ORDINARY, D(2026, 5, 1), D(2026, 5, 6)),
        # Fri 9/18 + 7: 9/19..9/25 -> Fri 9/25 (Mid-autumn 9/25–27) -> Mon 9/28
        (D(2026, 9, 18), ENTRUSTED, SIMPLIFIED, D(2026, 9, 25), D(2026, 9, 28)),
        # Fri 6/12 + 7: 6/13..6/19 -> Fri 6/19 (Dragon Boat 6/19–21) -> Mon 6/22
        (D(2026, 6, 12), ENTRUSTED, SIMPLIFIED, D(2026, 6, 19), D(2026, 6, 22)),
        # Thu 3/5 delegated: 3/6..3/31 = 26, 4/1..4/4 = 4 -> Sat 4/4 (Qingming 4/4–6) -> Tue 4/7
        (D(2026, 3, 5), DELEGATED, ORDINARY, D(2026, 4, 4), D(2026, 4, 7)),
    ],
    ids=["new-year", "labour-day", "mid-autumn", "dragon-boat", "qingming"],
)
def test_last_day_in_other_holidays(
    cal: WorkdayCalendar, received: date, mode: str, procedure: str, raw: date, due: date
) -> None:
    result = compute_deadline(received, mode, procedure, cal)
    assert result.due_on == due
    assert result.moved_from == raw


@pytest.mark.parametrize(
    ("received", "mode", "procedure", "due"),
    [
        # Fri 1/30 + 15: 1/31 (1), 2/1..2/14 (14) -> Sat 2/14, adjusted working day
        (D(2026, 1, 30), ENTRUSTED, ORDINARY, D(2026, 2, 14)),
        # Fri 2/13 + 15: 2/14..2/28 -> Sat 2/28, adjusted working day
        (D(2026, 2, 13), ENTRUSTED, ORDINARY, D(2026, 2, 28)),
        # Sun 12/28/2025 + 7: 12/29, 12/30, 12/31, 1/1, 1/2, 1/3, 1/4 -> Sun 1/4, adjusted
        (D(2025, 12, 28), ENTRUSTED, SIMPLIFIED, D(2026, 1, 4)),
        # Sat 5/2 + 7: 5/3..5/9 -> Sat 5/9, adjusted
        (D(2026, 5, 2), ENTRUSTED, SMALL_CLAIMS, D(2026, 5, 9)),
        # Sat 10/3 + 7: 10/4..10/10 -> Sat 10/10, adjusted
        (D(2026, 10, 3), ENTRUSTED, SIMPLIFIED, D(2026, 10, 10)),
    ],
    ids=["2-14", "2-28", "1-04", "5-09", "10-10"],
)
def test_last_day_on_adjusted_working_day_stays(
    cal: WorkdayCalendar, received: date, mode: str, procedure: str, due: date
) -> None:
    result = compute_deadline(received, mode, procedure, cal)
    assert result.due_on == due
    assert result.moved_from is None


# ---------------------------------------------------------------------------------------------
# Extensions: only with both parties' consent
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plaintiff", "defendant", "counts"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_extension_counts_only_with_both_consents(
    plaintiff: bool, defendant: bool, counts: bool
) -> None:
    assert Extension(7, plaintiff, defendant).counts is counts


def test_consented_extension_adds_days(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, delegated: day 30 is Wed 4/1; +7 -> Wed 4/8
    result = compute_deadline(
        D(2026, 3, 2), DELEGATED, ORDINARY, cal, extensions=[Extension(7, True, True)]
    )
    assert result.due_on == D(2026, 4, 8)
    assert result.extension_days == 7
    assert result.statutory_days == 30
    assert result.ignored_extensions == 0


def test_extended_last_day_on_weekend_moves(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, delegated: day 30 is Wed 4/1; +10 -> Sat 4/11 -> Mon 4/13
    result = compute_deadline(
        D(2026, 3, 2), DELEGATED, ORDINARY, cal, extensions=[Extension(10, True, True)]
    )
    assert result.due_on == D(2026, 4, 13)
    assert result.moved_from == D(2026, 4, 11)


@pytest.mark.parametrize(("plaintiff", "defendant"), [(True, False), (False, True), (False, False)])
def test_one_sided_extension_is_ignored_and_counted(
    cal: WorkdayCalendar, plaintiff: bool, defendant: bool
) -> None:
    # received Mon 3/2, delegated: Wed 4/1 as if there were no extension
    result = compute_deadline(
        D(2026, 3, 2), DELEGATED, ORDINARY, cal, extensions=[Extension(7, plaintiff, defendant)]
    )
    assert result.due_on == D(2026, 4, 1)
    assert result.extension_days == 0
    assert result.ignored_extensions == 1


def test_several_extensions_only_consented_ones_add_up(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, entrusted ordinary: day 15 is Tue 3/17; consented 5 + 2 = 7 -> Tue 3/24
    result = compute_deadline(
        D(2026, 3, 2),
        ENTRUSTED,
        ORDINARY,
        cal,
        extensions=[
            Extension(5, True, True),
            Extension(10, True, False),
            Extension(2, True, True),
            Extension(30, False, True),
        ],
    )
    assert result.due_on == D(2026, 3, 24)
    assert result.extension_days == 7
    assert result.ignored_extensions == 2


# ---------------------------------------------------------------------------------------------
# Pauses (appraisal / neutral evaluation), inclusive days
# ---------------------------------------------------------------------------------------------


def test_pause_inside_the_period_adds_its_days(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, entrusted ordinary, paused Thu 3/5..Fri 3/6 (2 days):
    # counted 3/3, 3/4 (2), paused 3/5, 3/6, counted 3/7..3/19 (13) -> Thu 3/19
    result = compute_deadline(
        D(2026, 3, 2), ENTRUSTED, ORDINARY, cal, pauses=[Pause(D(2026, 3, 5), D(2026, 3, 6))]
    )
    assert result.due_on == D(2026, 3, 19)
    assert result.paused_days == 2
    assert result.is_provisional is False


def test_single_day_pause_counts_one_day(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, entrusted ordinary, paused Thu 3/5 only: 3/17 + 1 -> Wed 3/18
    result = compute_deadline(
        D(2026, 3, 2), ENTRUSTED, ORDINARY, cal, pauses=[Pause(D(2026, 3, 5), D(2026, 3, 5))]
    )
    assert result.due_on == D(2026, 3, 18)
    assert result.paused_days == 1


@pytest.mark.parametrize(
    "pause",
    [
        Pause(D(2026, 2, 20), D(2026, 2, 27)),  # entirely before receipt
        Pause(D(2026, 2, 20), D(2026, 3, 2)),  # ends on the (uncounted) day of receipt
        Pause(D(2026, 3, 18), D(2026, 3, 25)),  # entirely after the last day 3/17
    ],
    ids=["before", "ends-on-receipt", "after"],
)
def test_pause_outside_the_period_does_not_matter(cal: WorkdayCalendar, pause: Pause) -> None:
    # received Mon 3/2, entrusted ordinary: Tue 3/17 as without pause
    result = compute_deadline(D(2026, 3, 2), ENTRUSTED, ORDINARY, cal, pauses=[pause])
    assert result.due_on == D(2026, 3, 17)
    assert result.paused_days == 0


def test_pause_straddling_receipt_counts_only_days_after_it(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, paused Fri 2/27..Wed 3/4: only 3/3, 3/4 fall in the period (2 days);
    # counted 3/5..3/19 (15) -> Thu 3/19
    result = compute_deadline(
        D(2026, 3, 2), ENTRUSTED, ORDINARY, cal, pauses=[Pause(D(2026, 2, 27), D(2026, 3, 4))]
    )
    assert result.due_on == D(2026, 3, 19)
    assert result.paused_days == 2


def test_pause_starting_on_the_raw_last_day_pushes_it(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, entrusted ordinary, raw last day Tue 3/17; paused 3/17..3/18:
    # 3/3..3/16 counted (14), 3/17, 3/18 paused, Thu 3/19 is day 15
    result = compute_deadline(
        D(2026, 3, 2), ENTRUSTED, ORDINARY, cal, pauses=[Pause(D(2026, 3, 17), D(2026, 3, 18))]
    )
    assert result.due_on == D(2026, 3, 19)
    assert result.paused_days == 2


def test_overlapping_pauses_are_not_double_counted(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, entrusted ordinary; pauses 3/5..3/8 and 3/7..3/10 cover 3/5..3/10 (6 days):
    # counted 3/3, 3/4 (2), paused 3/5..3/10, counted 3/11..3/23 (13) -> Mon 3/23
    result = compute_deadline(
        D(2026, 3, 2),
        ENTRUSTED,
        ORDINARY,
        cal,
        pauses=[Pause(D(2026, 3, 5), D(2026, 3, 8)), Pause(D(2026, 3, 7), D(2026, 3, 10))],
    )
    assert result.due_on == D(2026, 3, 23)
    assert result.paused_days == 6


def test_identical_pauses_count_once(cal: WorkdayCalendar) -> None:
    # same as the 2-day pause case: Thu 3/19
    pause = Pause(D(2026, 3, 5), D(2026, 3, 6))
    result = compute_deadline(D(2026, 3, 2), ENTRUSTED, ORDINARY, cal, pauses=[pause, pause])
    assert result.due_on == D(2026, 3, 19)
    assert result.paused_days == 2


def test_separate_pauses_add_up(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, entrusted ordinary; paused 3/5 (1) and 3/10..3/11 (2) -> 3/17 + 3 = Fri 3/20
    result = compute_deadline(
        D(2026, 3, 2),
        ENTRUSTED,
        ORDINARY,
        cal,
        pauses=[Pause(D(2026, 3, 5), D(2026, 3, 5)), Pause(D(2026, 3, 10), D(2026, 3, 11))],
    )
    assert result.due_on == D(2026, 3, 20)
    assert result.paused_days == 3


def test_pause_pushing_last_day_into_a_holiday(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, delegated, paused 3/10..3/12 (3 days): raw 4/1 + 3 = Sat 4/4, in
    # Qingming 4/4–6 -> Tue 4/7
    result = compute_deadline(
        D(2026, 3, 2), DELEGATED, ORDINARY, cal, pauses=[Pause(D(2026, 3, 10), D(2026, 3, 12))]
    )
    assert result.due_on == D(2026, 4, 7)
    assert result.moved_from == D(2026, 4, 4)
    assert result.paused_days == 3


def test_pause_and_consented_extension_combine(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, entrusted ordinary + 5 consented = 20 days, paused 3/5..3/6 (2):
    # 3/3..3/24 is 22 calendar days = 20 counted + 2 paused -> Tue 3/24
    result = compute_deadline(
        D(2026, 3, 2),
        ENTRUSTED,
        ORDINARY,
        cal,
        extensions=[Extension(5, True, True)],
        pauses=[Pause(D(2026, 3, 5), D(2026, 3, 6))],
    )
    assert result.due_on == D(2026, 3, 24)
    assert (result.extension_days, result.paused_days) == (5, 2)


def test_open_pause_is_provisional_and_ends_on_as_of(cal: WorkdayCalendar) -> None:
    # received Mon 3/2, entrusted ordinary, evaluation since Thu 3/5 still running, as of Tue 3/10:
    # assumed paused 3/5..3/10 (6); counted 3/3, 3/4 (2) and 3/11..3/23 (13) -> Mon 3/23
    result = compute_deadline(
        D(2026, 3, 2),
        ENTRUSTED,
        ORDINARY,
        cal,
        pauses=[Pause(D(2026, 3, 5))],
        as_of=D(2026, 3, 10),
    )
    assert result.due_on == D(2026, 3, 23)
    assert result.paused_days == 6
    assert result.is_provisional is True


def test_open_pause_date_moves_on_with_as_of(cal: WorkdayCalendar) -> None:
    # as above, as of Thu 3/12: paused 3/5..3/12 (8) -> 3/17 + 8 = Wed 3/25
    result = compute_deadline(
        D(2026, 3, 2),
        ENTRUSTED,
        ORDINARY,
        cal,
        pauses=[Pause(D(2026, 3, 5))],
        as_of=D(2026, 3, 12),
    )
    assert result.due_on == D(2026, 3, 25)
    assert result.paused_days == 8


def test_open_pause_without_as_of_assumes_it_ends_on_receipt(cal: WorkdayCalendar) -> None:
    # no as_of: the open pause is assumed to end on the day of receipt, so nothing is paused yet
    result = compute_deadline(
        D(2026, 3, 2), ENTRUSTED, ORDINARY, cal, pauses=[Pause(D(2026, 3, 5))]
    )
    assert result.due_on == D(2026, 3, 17)
    assert result.paused_days == 0
    assert result.is_provisional is True


def test_closed_pauses_are_not_provisional(cal: WorkdayCalendar) -> None:
    result = compute_deadline(
        D(2026, 3, 2), ENTRUSTED, ORDINARY, cal, pauses=[Pause(D(2026, 3, 5), D(2026, 3, 6))]
    )
    assert result.is_provisional is False


# ---------------------------------------------------------------------------------------------
# Deadlines in 2027, which chinese-calendar does not cover
# ---------------------------------------------------------------------------------------------


def test_deadline_in_2027_raises_naming_2027(cal: WorkdayCalendar) -> None:
    # received Thu 12/10, delegated: 12/11..12/31 = 21, 1/1..1/9 = 9 -> Sat 2027-01-09
    with pytest.raises(YearNotCovered, match="2027") as info:
        compute_deadline(D(2026, 12, 10), DELEGATED, ORDINARY, cal)
    assert info.value.year == 2027


def test_deadline_on_last_day_of_2026_needs_no_2027(cal: WorkdayCalendar) -> None:
    # received Thu 12/24 + 7: 12/25..12/31 -> Thu 12/31, a working day
    result = compute_deadline(D(2026, 12, 24), ENTRUSTED, SIMPLIFIED, cal)
    assert result.due_on == D(2026, 12, 31)


def test_deadline_in_2027_with_loaded_schedule(cal: WorkdayCalendar) -> None:
    # received Wed 12/2, delegated: 12/3..12/31 = 29, 2027-01-01 = 30 -> Fri 1/1, New Year in the
    # test fixture (1/1–3) -> Mon 2027-01-04
    loaded = WorkdayCalendar([schedule_2027()])
    result = compute_deadline(D(2026, 12, 2), DELEGATED, ORDINARY, loaded)
    assert result.due_on == D(2027, 1, 4)
    assert result.moved_from == D(2027, 1, 1)


def test_deadline_on_2027_weekend_with_loaded_schedule() -> None:
    # received Thu 12/10, delegated -> Sat 2027-01-09 -> Mon 2027-01-11
    loaded = WorkdayCalendar([schedule_2027()])
    result = compute_deadline(D(2026, 12, 10), DELEGATED, ORDINARY, loaded)
    assert result.due_on == D(2027, 1, 11)
    assert result.moved_from == D(2027, 1, 9)


def test_deadline_in_2027_on_weekend_fallback_is_flagged() -> None:
    # received Wed 12/2, delegated -> Fri 2027-01-01; weekends-only, so it stays and 2027 is flagged
    fallback = WorkdayCalendar(weekend_fallback=True)
    result = compute_deadline(D(2026, 12, 2), DELEGATED, ORDINARY, fallback)
    assert result.due_on == D(2027, 1, 1)
    assert fallback.fallback_years == {2027}
