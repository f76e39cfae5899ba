"""案号 (case number) parsing and normalisation, rules 法〔2015〕137号 and 法〔2018〕335号.

Format: ``(year)`` + court code + type code + sequence number + ``号``, for example
``(2026)豫0802民诉前调1234号``. Parentheses may be half- or full-width (or the 〔〕 that
documents sometimes use); the normal form uses half-width ones, as the reference sheet does.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Province-level abbreviations used as the first character of a court code (兵 = XPCC courts).
PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新兵"

# Type codes a financial mediation case can carry, and what each means.
TYPE_CODES: dict[str, str] = {
    "民诉前调": "pre-filing mediation (委派)",
    "诉前调确": "judicial confirmation after pre-filing mediation",
    "民初": "civil first instance",
    "民终": "civil second instance",
    "民特": "special procedure (judicial confirmation)",
    "民再": "civil retrial",
}

_PATTERN = re.compile(
    r"^\((?P<year>\d{4})\)"
    rf"(?P<court>[{PROVINCES}]\d{{2}}(?:\d{{2}})?)"
    r"(?P<type>[\u4e00-\u9fff]+?)"
    r"(?P<seq>\d+)号$"
)


class CaseNumberError(ValueError):
    """A 案号 that cannot be parsed; the message (English) says which part is wrong.

    ``problem`` names it for callers that word the reason themselves, e.g. in the page's
    language (web/transfer_sheet.py): empty, no_year, no_hao, court_code, format, year,
    type_code or seq; ``params`` holds what the message quotes (raw, year, type_code, known)."""

    def __init__(self, message: str, problem: str, **params: str | int) -> None:
        super().__init__(message)
        self.problem = problem
        self.params = params


@dataclass(frozen=True, slots=True)
class CaseNumber:
    year: int
    court_code: str
    type_code: str
    seq: int

    @property
    def normalized(self) -> str:
        return f"({self.year}){self.court_code}{self.type_code}{self.seq}号"

    def __str__(self) -> str:
        return self.normalized


_BRACKETS = str.maketrans("〔〕【】", "()()")


def _canonical_text(raw: str) -> str:
    # NFKC folds full-width digits and parentheses; 〔〕 and 【】 are mistyped year brackets.
    text = unicodedata.normalize("NFKC", raw)
    text = text.translate(_BRACKETS)
    return re.sub(r"\s+", "", text)


def parse_case_number(raw: str, *, today_year: int | None = None) -> CaseNumber:
    """Parse and normalise a 案号, raising CaseNumberError with the reason."""
    if not raw or not raw.strip():
        raise CaseNumberError("案号 is empty", "empty")
    shown = raw.strip()
    text = _canonical_text(raw)
    match = _PATTERN.match(text)
    if match is None:
        if not re.match(r"^\(\d{4}\)", text):
            problem, reason = "no_year", "must start with the year in parentheses, e.g. (2026)"
        elif not text.endswith("号"):
            problem, reason = "no_hao", "must end with 号"
        elif not re.match(rf"^\(\d{{4}}\)[{PROVINCES}]\d{{2}}", text):
            problem = "court_code"
            reason = "court code after the year is missing or unknown (e.g. 豫0802)"
        else:
            problem, reason = "format", "expected (year)+court code+type code+sequence number+号"
        raise CaseNumberError(f"bad 案号 {shown!r}: {reason}", problem, raw=shown)
    year = int(match["year"])
    if year < 1990 or (today_year is not None and year > today_year):
        raise CaseNumberError(
            f"bad 案号 {shown!r}: year {year} is not plausible", "year", raw=shown, year=year
        )
    type_code = match["type"]
    if type_code not in TYPE_CODES:
        known = "、".join(TYPE_CODES)
        raise CaseNumberError(
            f"bad 案号 {shown!r}: type code {type_code!r} is not a civil mediation type ({known})",
            "type_code",
            raw=shown,
            type_code=type_code,
            known=known,
        )
    seq = int(match["seq"])
    if seq <= 0:
        raise CaseNumberError(
            f"bad 案号 {shown!r}: sequence number must be positive", "seq", raw=shown
        )
    return CaseNumber(year=year, court_code=match["court"], type_code=type_code, seq=seq)


def normalize_case_number(raw: str) -> str:
    return parse_case_number(raw).normalized
