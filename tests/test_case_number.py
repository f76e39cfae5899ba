"""案号 parsing and normalisation (models/case_number.py).

Format (法〔2015〕137号, 法〔2018〕335号): ``(year)`` + court code + type code + sequence + ``号``.
The normal form uses half-width parentheses and half-width digits with no spaces.
"""

from __future__ import annotations

import dataclasses

import pytest

from models.case_number import (
    TYPE_CODES,
    CaseNumber,
    CaseNumberError,
    normalize_case_number,
    parse_case_number,
)

# ---------------------------------------------------------------------------------------------
# The reference sheet's examples (/work/shared/domain/reference.md)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "year", "court", "type_code", "seq"),
    [
        ("(2026)豫0802民诉前调1234号", 2026, "豫0802", "民诉前调", 1234),
        ("(2026)豫0802民初567号", 2026, "豫0802", "民初", 567),
        ("(2026)豫08民终89号", 2026, "豫08", "民终", 89),
        ("(2026)豫0802诉前调确12号", 2026, "豫0802", "诉前调确", 12),
    ],
)
def test_parses_reference_examples_into_their_parts(
    raw: str, year: int, court: str, type_code: str, seq: int
) -> None:
    assert parse_case_number(raw) == CaseNumber(
        year=year, court_code=court, type_code=type_code, seq=seq
    )


@pytest.mark.parametrize(
    "raw",
    [
        "(2026)豫0802民诉前调1234号",
        "(2026)豫0802民初567号",
        "(2026)豫08民终89号",
        "(2026)豫0802诉前调确12号",
    ],
)
def test_normal_form_of_a_normal_case_number_is_itself(raw: str) -> None:
    assert normalize_case_number(raw) == raw


# ---------------------------------------------------------------------------------------------
# Variant spellings normalise to one form
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # full-width parentheses
        ("（2026）豫0802民初567号", "(2026)豫0802民初567号"),
        # mixed: full-width open, half-width close
        ("（2026)豫0802民初567号", "(2026)豫0802民初567号"),
        # 〔〕 as in document numbers
        ("〔2026〕豫08民终89号", "(2026)豫08民终89号"),
        # 【】 mistyped year brackets
        ("【2026】豫0802民初567号", "(2026)豫0802民初567号"),
        # full-width digits everywhere
        ("（２０２６）豫０８０２民诉前调１２３４号", "(2026)豫0802民诉前调1234号"),
        # full-width digits only in the sequence number
        ("(2026)豫0802民初５６７号", "(2026)豫0802民初567号"),
        # stray half-width spaces between every part
        (" ( 2026 ) 豫 0802 民初 567 号 ", "(2026)豫0802民初567号"),
        # ideographic (full-width) spaces, tab and trailing newline from a spreadsheet cell
        ("\u3000（2026）\u3000豫0802\t民初567号\n", "(2026)豫0802民初567号"),
        # a space inside the type code
        ("(2026)豫0802民诉 前调1234号", "(2026)豫0802民诉前调1234号"),
    ],
)
def test_variant_spellings_normalise_to_half_width_form(raw: str, expected: str) -> None:
    assert normalize_case_number(raw) == expected


def test_full_width_and_half_width_spellings_parse_equal() -> None:
    assert parse_case_number("（２０２６）豫０８民终８９号") == parse_case_number(
        "(2026)豫08民终89号"
    )


def test_leading_zeros_in_sequence_number_are_dropped() -> None:
    parsed = parse_case_number("(2026)豫0802民初0012号")
    assert parsed.seq == 12
    assert parsed.normalized == "(2026)豫0802民初12号"


def test_normalisation_is_idempotent() -> None:
    once = normalize_case_number("〔２０２６〕 豫０８０２ 诉前调确 １２ 号")
    assert once == "(2026)豫0802诉前调确12号"
    assert normalize_case_number(once) == once


def test_str_of_case_number_is_normal_form() -> None:
    parsed = parse_case_number("（2026）豫08民终89号")
    assert str(parsed) == "(2026)豫08民终89号"
    assert parsed.normalized == "(2026)豫08民终89号"


def test_case_number_is_frozen() -> None:
    parsed = parse_case_number("(2026)豫08民终89号")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.seq = 90  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# Type codes and court codes
# ---------------------------------------------------------------------------------------------


def test_type_codes_include_every_reference_type() -> None:
    assert {"民诉前调", "诉前调确", "民初", "民终"} <= set(TYPE_CODES)


@pytest.mark.parametrize("type_code", sorted(TYPE_CODES))
def test_every_known_type_code_parses(type_code: str) -> None:
    parsed = parse_case_number(f"(2026)豫0802{type_code}7号")
    assert parsed.type_code == type_code
    assert parsed.seq == 7
    assert parsed.court_code == "豫0802"


@pytest.mark.parametrize("type_code", sorted(TYPE_CODES))
def test_every_known_type_code_parses_with_two_digit_court(type_code: str) -> None:
    parsed = parse_case_number(f"（２０２６）豫08{type_code}３号")
    assert (parsed.court_code, parsed.type_code, parsed.seq) == ("豫08", type_code, 3)


@pytest.mark.parametrize(
    "court",
    [
        # every Jiaozuo court in reference.md
        "豫08",
        "豫0802",
        "豫0803",
        "豫0804",
        "豫0811",
        "豫0821",
        "豫0822",
        "豫0823",
        "豫0825",
        "豫0882",
        "豫0883",
        # other provinces, including the XPCC (兵)
        "京01",
        "京0105",
        "沪0115",
        "粤03",
        "兵08",
    ],
)
def test_court_codes_of_two_and_four_digits_parse(court: str) -> None:
    parsed = parse_case_number(f"(2026){court}民初1号")
    assert parsed.court_code == court
    assert parsed.normalized == f"(2026){court}民初1号"


def test_year_equal_to_today_year_is_accepted() -> None:
    assert parse_case_number("(2026)豫0802民初1号", today_year=2026).year == 2026


def test_past_year_is_accepted_with_today_year() -> None:
    assert parse_case_number("(2015)豫0802民初1号", today_year=2026).year == 2015


# ---------------------------------------------------------------------------------------------
# Errors name the problem
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "\t\n"])
def test_empty_input_is_rejected(raw: str) -> None:
    with pytest.raises(CaseNumberError, match="empty"):
        parse_case_number(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "2026豫0802民初567号",  # no parentheses at all
        "豫0802民初567号",  # no year
        "(2026豫0802民初567号",  # unclosed parenthesis
        "2026)豫0802民初567号",  # no opening parenthesis
        "(26)豫0802民初567号",  # two-digit year
        "()豫0802民初567号",  # empty parentheses
    ],
)
def test_missing_or_malformed_year_parentheses_are_named(raw: str) -> None:
    with pytest.raises(CaseNumberError, match=r"year in parentheses"):
        parse_case_number(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "(2026)豫0802民初567",  # no 号
        "(2026)豫0802民初567号之一",  # text after 号
        "(2026)豫0802民初567hao",
    ],
)
def test_missing_hao_is_named(raw: str) -> None:
    with pytest.raises(CaseNumberError, match="must end with 号"):
        parse_case_number(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "(2026)X0802民初567号",  # not a province abbreviation
        "(2026)港0802民初567号",  # Hong Kong courts do not use this system
        "(2026)0802民初567号",  # province missing
        "(2026)民初567号",  # court code missing entirely
        "(2026)豫8民初567号",  # one digit
    ],
)
def test_unknown_or_missing_court_code_is_named(raw: str) -> None:
    with pytest.raises(CaseNumberError, match="court code"):
        parse_case_number(raw)


@pytest.mark.parametrize("type_code", ["刑初", "行初", "执", "民", "民诉前"])
def test_unknown_type_code_is_named(type_code: str) -> None:
    with pytest.raises(CaseNumberError, match=f"type code '{type_code}'") as info:
        parse_case_number(f"(2026)豫0802{type_code}567号")
    # the message lists the type codes that are accepted
    assert "民初" in str(info.value)


def test_missing_type_code_is_rejected() -> None:
    with pytest.raises(CaseNumberError, match="type code"):
        parse_case_number("(2026)豫0802567号")


def test_missing_sequence_number_is_rejected() -> None:
    with pytest.raises(CaseNumberError, match="sequence number"):
        parse_case_number("(2026)豫0802民初号")


@pytest.mark.parametrize("seq", ["0", "00", "０"])
def test_zero_sequence_number_is_named(seq: str) -> None:
    with pytest.raises(CaseNumberError, match="sequence number must be positive"):
        parse_case_number(f"(2026)豫0802民初{seq}号")


def test_year_after_today_year_is_implausible() -> None:
    with pytest.raises(CaseNumberError, match="year 2027 is not plausible"):
        parse_case_number("(2027)豫0802民初1号", today_year=2026)


@pytest.mark.parametrize("year", ["1989", "0000", "1066"])
def test_year_before_the_case_number_rules_is_implausible(year: str) -> None:
    with pytest.raises(CaseNumberError, match=f"year {int(year)} is not plausible"):
        parse_case_number(f"({year})豫0802民初1号")


def test_error_message_quotes_the_input() -> None:
    with pytest.raises(CaseNumberError, match=r"\(2026\)豫0802刑初567号"):
        parse_case_number("  (2026)豫0802刑初567号  ")


def test_case_number_error_is_a_value_error() -> None:
    assert issubclass(CaseNumberError, ValueError)
    with pytest.raises(ValueError):
        normalize_case_number("not a case number")
