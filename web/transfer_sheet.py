"""Importing a court's transfer sheet (移送清单): .xlsx, or .csv in UTF-8 (with or without BOM)
or GBK/GB18030, with the Chinese column headers of ../shared/domain/reference.md.

Rows are validated one by one; each rejected row is reported with its spreadsheet row number,
the column and the reason. Valid rows are imported, the same row imported again is recognised
and skipped, and ``strict`` imports nothing unless every row is valid.

Everything after reading the file is ``import_records``, which the intake API
(``POST /api/v1/cases``, web/api_intake.py) calls with the same field names, so a case sent
through the API passes exactly the checks a sheet row passes and fails with the same reasons.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Case, CaseParty, Court, Institution, Person
from models.case_number import CaseNumber, CaseNumberError, parse_case_number
from models.vocabulary import CaseMode, Complexity, PartyRole, Procedure

from . import audit
from .holidays import calendar_from_db, refresh_deadline
from .reference import CAUSE_ALIASES, classify_institution, looks_like_organisation

# Column header -> field. Headers are compared after NFKC and whitespace removal, so 标的额（元）
# and 标的额(元) are the same column.
COLUMNS: dict[str, str] = {
    "案号": "case_number",
    "移送法院": "court",
    "调解类型": "mode",
    "审级": "instance",
    "程序": "procedure",
    "案由": "cause",
    "标的额（元）": "amount",
    "原告": "plaintiff",
    "被告": "defendants",
    "收案日期": "received_on",
    "是否疑难复杂": "is_complex",
    "是否需要中立评估": "needs_evaluation",
    "当事人共同选定调解员": "chosen_mediator",
    "备注": "notes",
}
OPTIONAL = {"chosen_mediator", "notes"}
HEADER_ALIASES = {"标的额": "amount", "标的额元": "amount", "标的金额（元）": "amount"}
FIELD_HEADERS = {f: h for h, f in COLUMNS.items()}

MODES = {"委派": CaseMode.DELEGATED, "诉前委派": CaseMode.DELEGATED,
         "委托": CaseMode.ENTRUSTED, "诉中委托": CaseMode.ENTRUSTED}  # fmt: skip
INSTANCES = {"一审": 1, "第一审": 1, "1": 1, "二审": 2, "第二审": 2, "2": 2}
PROCEDURES = {
    "普通": Procedure.ORDINARY, "普通程序": Procedure.ORDINARY,
    "简易": Procedure.SIMPLIFIED, "简易程序": Procedure.SIMPLIFIED,
    "小额": Procedure.SMALL_CLAIMS, "小额诉讼": Procedure.SMALL_CLAIMS,
    "小额诉讼程序": Procedure.SMALL_CLAIMS,
}  # fmt: skip
YES = {"是", "Y", "YES", "1", "√", "TRUE"}
NO = {"否", "N", "NO", "0", "×", "FALSE", ""}
# The 案号 type code a case of each mode/instance carries.
EXPECTED_TYPES = {
    (CaseMode.DELEGATED, None): ("民诉前调",),
    (CaseMode.ENTRUSTED, 1): ("民初",),
    (CaseMode.ENTRUSTED, 2): ("民终",),
}
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_SEQ = 2**31 - 1  # cases.seq is an INTEGER
MAX_NAME = 128  # case_parties.name and institutions.name are VARCHAR(128)
# Says no more than the rule: not whose court it is nor whether the case exists.
NOT_YOUR_COURT = (
    "this key may only submit cases of its own court (an intermediate court's key also those "
    "of its basic courts)"
)
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)


class SheetError(Exception):
    """The file as a whole cannot be imported (unreadable, wrong format or headers)."""


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number, header included, as Excel shows it
    field: str  # the column header
    value: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.reason}"

    @property
    def field_name(self) -> str:
        """The field behind the column header (``amount`` for 标的额（元）)."""
        return COLUMNS[self.field]


@dataclass
class ImportReport:
    file: str
    strict: bool
    rows: int = 0
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    institutions_created: list[str] = field(default_factory=list)
    # The row (or API index) of every imported or unchanged 案号.
    row_of: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e.row for e in self.rejected})

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0


@dataclass(frozen=True)
class ImportOptions:
    today: date
    small_claims_threshold: Decimal = Decimal("50000")
    major_amount: Decimal = Decimal("5000000")
    strict: bool = False
    actor: str = "cli"


@dataclass(frozen=True)
class RecordSource:
    """Where a batch of records comes from: named in the audit entry, and in the reason that
    points from a duplicate back to the record it repeats."""

    kind: str  # the audit entry's object_type, e.g. "transfer_sheet"
    name: str  # its object_id and ImportReport.file, e.g. the file name
    batch: str = "file"  # "duplicate 案号 … in this file"
    first: str = "first on row {}"  # the earlier record a duplicate repeats
    details: Mapping[str, Any] = field(default_factory=dict)  # more for the audit entry


@dataclass
class _Row:
    """One sheet row after cell-level parsing; ``errors`` empty means the row is valid."""

    number: int
    raw: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    def fail(self, fld: str, reason: str) -> None:
        self.errors.append(RowError(self.number, FIELD_HEADERS[fld], self.raw.get(fld, ""), reason))


# ---------------------------------------------------------------- reading the file


def _canon_header(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


_CANON_COLUMNS = {_canon_header(h): f for h, f in COLUMNS.items()} | {
    _canon_header(h): f for h, f in HEADER_ALIASES.items()
}


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SheetError(
                f"{name}: the file starts with a UTF-8 byte-order mark but is not UTF-8 text "
                f"(undecodable byte at offset {exc.start + 3})"
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK, which Excel on Chinese Windows writes
    except UnicodeDecodeError as exc:
        raise SheetError(
            f"{name}: the file is neither UTF-8 nor GBK/GB18030 text "
            f"(undecodable byte at offset {exc.start})"
        ) from None


def _read_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError(f"cannot read {path}: {exc.strerror}") from None
    if suffix == ".csv":
        text = _decode(data, path.name)
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            yield number, list(cells)
    elif suffix in (".xlsx", ".xlsm"):
        import openpyxl  # imported here: only xlsx imports pay for it

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a corrupt file
            raise SheetError(f"{path.name}: not a readable .xlsx workbook ({exc})") from None
        sheet = book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
        book.close()
    elif suffix == ".xls":
        raise SheetError(f"{path.name}: the old .xls format is not supported; save it as .xlsx")
    else:
        raise SheetError(f"{path.name}: unsupported file type {suffix!r}; use .xlsx or .csv")


def read_sheet(path: Path) -> tuple[dict[str, int], list[tuple[int, dict[str, Any]]]]:
    """The column positions and the non-empty data rows. The header is the first row (of the
    first five) that has a 案号 column, since exports often put a title row above it."""
    rows = _read_rows(path)
    columns: dict[str, int] | None = None
    for number, cells in rows:
        canon = [_canon_header(c) for c in cells]
        if "案号" in canon:
            columns = {}
            for idx, name in enumerate(canon):
                fld = _CANON_COLUMNS.get(name)
                if fld is not None and fld not in columns:
                    columns[fld] = idx
            header_row = number
            break
        if number >= 5:
            break
    if columns is None:
        raise SheetError(f"{path.name}: no header row with a 案号 column in the first 5 rows")
    missing = [FIELD_HEADERS[f] for f in FIELD_HEADERS if f not in columns and f not in OPTIONAL]
    if missing:
        raise SheetError(
            f"{path.name}: header row {header_row} lacks required column(s): {'、'.join(missing)}"
        )
    data = []
    for number, cells in rows:
        record = {f: (cells[i] if i < len(cells) else None) for f, i in columns.items()}
        if all(v is None or str(v).strip() == "" for v in record.values()):
            continue
        data.append((number, record))
    return columns, data


# ---------------------------------------------------------------- parsing cells


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _parse_amount(row: _Row, value: Any) -> None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        # Excel stores numbers as binary floats; repr round-trips what the cell showed.
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = re.sub(r"[\s,，¥￥]|元$", "", _text(value))
    if not text:
        row.fail("amount", "amount is empty")
        return
    try:
        amount = Decimal(text)
    except InvalidOperation:
        row.fail("amount", f"{_text(value)!r} is not a number")
        return
    if not amount.is_finite():
        row.fail("amount", f"{_text(value)!r} is not a number")
    elif amount < 0:
        row.fail("amount", f"amount {amount} is negative")
    elif amount > MAX_AMOUNT:
        row.fail("amount", f"amount {amount} is larger than the largest amount the center records")
    elif amount != amount.quantize(Decimal("0.01")):
        row.fail("amount", f"amount {amount} has more than 2 decimal places (fen)")
    else:
        row.values["amount"] = amount.quantize(Decimal("0.01"))


def _parse_date(row: _Row, value: Any, today: date) -> None:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _text(value)
        if not text:
            row.fail("received_on", "date is empty")
            return
        match = _DATE.match(text)
        if match is None:
            row.fail(
                "received_on",
                f"{text!r} is not a date (use 2026-11-27, 2026/11/27 or 2026年11月27日)",
            )
            return
        y, m, d = (int(g) for g in match.groups())
        try:
            day = date(y, m, d)
        except ValueError:
            row.fail("received_on", f"{y:04d}-{m:02d}-{d:02d} is not a real date")
            return
    if day > today:
        row.fail("received_on", f"date {day.isoformat()} is in the future (today is {today})")
        return
    row.values["received_on"] = day


def _parse_flag(row: _Row, fld: str, value: Any) -> None:
    text = _text(value).upper()
    if text in YES:
        row.values[fld] = True
    elif text in NO:
        row.values[fld] = False
    else:
        row.fail(fld, f"{_text(value)!r} is not 是 or 否")


def _parse_cells(number: int, record: Mapping[str, Any], options: ImportOptions) -> _Row:
    row = _Row(number, {f: _text(v) for f, v in record.items()})
    raw = row.raw

    try:
        parsed = parse_case_number(raw["case_number"], today_year=options.today.year)
    except CaseNumberError as exc:
        row.fail("case_number", str(exc))
    else:
        if parsed.seq > MAX_SEQ:
            row.fail(
                "case_number",
                f"bad 案号 {raw['case_number']!r}: sequence number {parsed.seq} is too large",
            )
        else:
            row.values["number"] = parsed

    mode = MODES.get(raw["mode"])
    if mode is None:
        row.fail("mode", f"{raw['mode']!r} is not 委派 or 委托")
    row.values["mode"] = mode

    instance: int | None = None
    if mode == CaseMode.DELEGATED and raw["instance"]:
        row.fail("instance", f"must be empty for 委派 (pre-filing) cases, got {raw['instance']!r}")
    elif mode == CaseMode.ENTRUSTED:
        instance = INSTANCES.get(raw["instance"])
        if instance is None:
            row.fail("instance", f"{raw['instance']!r} is not 一审 or 二审 (required for 委托)")
    row.values["instance"] = instance

    procedure = PROCEDURES.get(raw["procedure"])
    if procedure is None and not (mode == CaseMode.DELEGATED and not raw["procedure"]):
        row.fail("procedure", f"{raw['procedure']!r} is not 普通, 简易 or 小额")
    row.values["procedure"] = procedure

    cause = re.sub(r"\s+", "", raw["cause"])
    category = CAUSE_ALIASES.get(cause)
    if not cause:
        row.fail("cause", "案由 is empty")
    elif category is None:
        row.fail("cause", f"{cause!r} is not a financial dispute the center mediates")
    row.values["category"] = category
    row.values["cause"] = cause

    _parse_amount(row, record.get("amount"))
    _parse_date(row, record.get("received_on"), options.today)
    _parse_flag(row, "is_complex", record.get("is_complex"))
    _parse_flag(row, "needs_evaluation", record.get("needs_evaluation"))

    plaintiff = re.sub(r"\s+", "", raw["plaintiff"])
    if not plaintiff:
        row.fail("plaintiff", "原告 is empty")
    else:
        _check_text(row, "plaintiff", [plaintiff])
    row.values["plaintiff"] = plaintiff
    defendants = [re.sub(r"\s+", "", d) for d in re.split(r"[、;；]", raw["defendants"])]
    defendants = [d for d in defendants if d]
    if not defendants:
        row.fail("defendants", "被告 is empty")
    else:
        _check_text(row, "defendants", defendants)
    row.values["defendants"] = defendants
    row.values["notes"] = raw.get("notes") or None
    _check_text(row, "notes", [raw["notes"]], limit=None)
    return row


def _check_text(row: _Row, fld: str, texts: list[str], *, limit: int | None = MAX_NAME) -> None:
    """Stored free text: no control characters or lone surrogates (the database refuses them)
    and names no longer than their column."""
    for text in texts:
        bad = next(
            (ch for ch in text if ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cs")),
            None,
        )
        if bad is not None:
            kind = (
                "a lone surrogate" if unicodedata.category(bad) == "Cs" else "a control character"
            )
            row.fail(fld, f"contains U+{ord(bad):04X}, {kind}, which is not text")
            return
        if limit is not None and len(text) > limit:
            row.fail(fld, f"{text[:20]!r}… is longer than {limit} characters")
            return


# ---------------------------------------------------------------- checks against the database


class _Lookups:
    def __init__(self, session: Session) -> None:
        courts = list(session.scalars(select(Court)))
        self.courts: dict[str, Court] = {}
        for court in courts:
            for key in (court.code, court.name, court.short_name):
                if key:
                    self.courts[_canon_header(key)] = court
            # "解放区人民法院" is also written "焦作市解放区人民法院" and vice versa
            self.courts.setdefault(_canon_header("焦作市" + court.short_name), court)
        self.institutions = {i.name: i for i in session.scalars(select(Institution))}
        mediators = list(
            session.scalars(
                select(Person).where(Person.is_mediator.is_(True), Person.is_active.is_(True))
            )
        )
        self.by_roster_no = {p.roster_no: p for p in mediators}
        self.by_name: dict[str, list[Person]] = {}
        for person in mediators:
            self.by_name.setdefault(person.name, []).append(person)


def _check_row(row: _Row, lookups: _Lookups, allowed_court_ids: set[int] | None) -> None:
    raw, values = row.raw, row.values
    court = lookups.courts.get(_canon_header(raw["court"]))
    if court is None:
        row.fail("court", f"unknown court {raw['court']!r}")
    elif allowed_court_ids is not None and court.id not in allowed_court_ids:
        row.fail("court", NOT_YOUR_COURT)
    values["court"] = court

    number = values.get("number")
    mode, instance = values.get("mode"), values.get("instance")
    if number is not None and court is not None and court.code and number.court_code != court.code:
        row.fail(
            "case_number",
            f"案号 court code {number.court_code} does not match 移送法院 {court.name} "
            f"({court.code})",
        )
    if number is not None and mode is not None and (mode, instance) in EXPECTED_TYPES:
        expected = EXPECTED_TYPES[(mode, instance)]
        if number.type_code not in expected:
            label = (
                "委派"
                if mode == CaseMode.DELEGATED
                else f"委托 {'一审' if instance == 1 else '二审'}"
            )
            row.fail(
                "case_number",
                f"案号 type code {number.type_code} does not fit a {label} case "
                f"(expected {'/'.join(expected)})",
            )

    if values.get("procedure") == Procedure.SMALL_CLAIMS and instance == 2:
        row.fail("procedure", "small-claims cases are final at first instance; 二审 is impossible")

    chosen = raw.get("chosen_mediator") or ""
    values["chosen_mediator"] = None
    if chosen:
        person = lookups.by_roster_no.get(chosen)
        if person is None:
            matches = lookups.by_name.get(chosen, [])
            if len(matches) > 1:
                nos = "、".join(p.roster_no for p in matches)
                row.fail(
                    "chosen_mediator",
                    f"{chosen!r} names {len(matches)} roster mediators ({nos}); give the roster "
                    f"number",
                )
            elif matches:
                person = matches[0]
            else:
                row.fail("chosen_mediator", f"{chosen!r} is not an active mediator on the roster")
        values["chosen_mediator"] = person


def _derive(values: dict[str, Any], options: ImportOptions) -> dict[str, Any]:
    amount: Decimal = values["amount"]
    procedure = values["procedure"]
    if procedure is None:  # a 委派 row without 程序: classify by amount
        small = amount <= options.small_claims_threshold
        procedure = Procedure.SMALL_CLAIMS if small else Procedure.ORDINARY
    if values["is_complex"]:
        complexity = Complexity.MAJOR if amount >= options.major_amount else Complexity.COMPLEX
    elif procedure in (Procedure.SMALL_CLAIMS, Procedure.SIMPLIFIED):
        complexity = Complexity.SIMPLE
    else:
        complexity = Complexity.ORDINARY
    return {"procedure": procedure, "complexity": complexity}


def _stored_values(case: Case) -> dict[str, Any]:
    """The imported fields of a stored case, keyed by field, to compare with a sheet row."""
    return {
        "court": case.court_id,
        "mode": case.mode,
        "instance": case.instance,
        "procedure": case.procedure,
        "cause": case.cause_text,
        "amount": case.amount,
        "plaintiff": tuple(p.name for p in case.plaintiffs),
        "defendants": tuple(p.name for p in case.defendants),
        "received_on": case.received_on,
        "is_complex": case.complexity,
        "needs_evaluation": case.needs_evaluation,
        "chosen_mediator": case.chosen_mediator_id,
        "notes": case.notes,
    }


def _row_values(values: dict[str, Any], options: ImportOptions) -> dict[str, Any]:
    derived = _derive(values, options)
    chosen = values["chosen_mediator"]
    return {
        "court": values["court"].id,
        "mode": values["mode"],
        "instance": values["instance"],
        "procedure": derived["procedure"],
        "cause": values["cause"],
        "amount": values["amount"],
        "plaintiff": (values["plaintiff"],),
        "defendants": tuple(values["defendants"]),
        "received_on": values["received_on"],
        "is_complex": derived["complexity"],
        "needs_evaluation": values["needs_evaluation"],
        "chosen_mediator": chosen.id if chosen is not None else None,
        "notes": values["notes"],
    }


# ---------------------------------------------------------------- the operation


def import_cases(session: Session, path: Path, options: ImportOptions) -> ImportReport:
    """Validate every row of ``path`` and add the valid ones to ``session`` (flushed, not
    committed). With ``options.strict`` nothing is added unless every row is valid."""
    _columns, data = read_sheet(path)
    source = RecordSource(
        kind="transfer_sheet",
        name=path.name,
        details={"file_sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
    )
    return import_records(session, data, options, source=source)


def import_records(
    session: Session,
    records: Sequence[tuple[int, Mapping[str, Any]]],
    options: ImportOptions,
    *,
    source: RecordSource,
    allowed_court_ids: set[int] | None = None,
) -> ImportReport:
    """Validate records (row number or index, {field: value}) as sheet rows and add the valid
    ones to ``session`` (flushed, not committed), with one audit entry. A missing field is an
    empty cell. With ``options.strict`` nothing is added, nor audited, unless every record is
    valid. With ``allowed_court_ids``, a record of any other court is rejected on ``court``."""
    report = ImportReport(file=source.name, strict=options.strict, rows=len(records))
    lookups = _Lookups(session)

    rows = [
        _parse_cells(number, {f: record.get(f) for f in FIELD_HEADERS}, options)
        for number, record in records
    ]
    for row in rows:
        _check_row(row, lookups, allowed_court_ids)

    # Duplicates inside the batch: the first occurrence stands, later ones are rejected.
    first_seen: dict[str, int] = {}
    for row in rows:
        number = row.values.get("number")
        if number is None:
            continue
        if number.normalized in first_seen:
            first = source.first.format(first_seen[number.normalized])
            row.fail(
                "case_number",
                f"duplicate 案号 {number.normalized} in this {source.batch} ({first})",
            )
        else:
            first_seen[number.normalized] = row.number

    existing = {
        c.case_number: c
        for c in session.scalars(
            select(Case)
            .where(Case.case_number.in_(list(first_seen)))
            .options(selectinload(Case.parties))
        )
    }
    accepted: list[_Row] = []
    for row in rows:
        number = row.values.get("number")
        stored = existing.get(number.normalized) if number is not None else None
        if stored is not None and not row.errors:
            _compare_stored(row, stored, options, allowed_court_ids)
            if not row.errors:
                report.unchanged.append(stored.case_number)
                report.row_of[stored.case_number] = row.number
                continue
        if row.errors:
            report.rejected.extend(row.errors)
        else:
            accepted.append(row)

    order = {h: i for i, h in enumerate(COLUMNS)}
    report.rejected.sort(key=lambda e: (e.row, order.get(e.field, 99)))
    if options.strict and report.rejected:
        return report

    calendar = calendar_from_db(session)
    for row in accepted:
        case = _build_case(session, row, lookups, options, report)
        if not refresh_deadline(case, calendar):
            report.warnings.append(
                RowError(
                    row.number,
                    FIELD_HEADERS["received_on"],
                    row.raw["received_on"],
                    "imported without a deadline: its last day falls in a year with no "
                    "holiday schedule; load it with `sutiao load-holidays`",
                )
            )
        report.imported.append(case.case_number)
        report.row_of[case.case_number] = row.number
    session.flush()
    audit.record(
        session,
        "cases.import",
        actor=options.actor,
        object_type=source.kind,
        object_id=source.name,
        **source.details,
        rows=report.rows,
        imported=len(report.imported),
        unchanged=len(report.unchanged),
        rejected_rows=report.rejected_rows,
        strict=options.strict,
    )
    session.flush()
    return report


def _compare_stored(
    row: _Row, stored: Case, options: ImportOptions, allowed_court_ids: set[int] | None
) -> None:
    """A record whose 案号 is already stored is unchanged if every field matches, else it is
    rejected naming the columns that differ."""
    number: CaseNumber = row.values["number"]
    if allowed_court_ids is not None and stored.court_id not in allowed_court_ids:
        # Not this key's case: its data is not this key's to compare with.
        row.fail("case_number", f"duplicate 案号: {number.normalized} is already in the database")
        return
    stored_values = _stored_values(stored)
    differing = [
        FIELD_HEADERS[f]
        for f, v in _row_values(row.values, options).items()
        if stored_values[f] != v
    ]
    if differing:
        row.fail(
            "case_number",
            f"duplicate 案号: {stored.case_number} is already in the database with "
            f"different data: {'、'.join(differing)} differ",
        )


def _institution(
    session: Session, name: str, lookups: _Lookups, report: ImportReport
) -> Institution:
    inst = lookups.institutions.get(name)
    if inst is None:
        kind = classify_institution(name)
        inst = Institution(name=name, kind=kind, is_financial="银行" in name or "保险" in name)
        session.add(inst)
        session.flush()
        lookups.institutions[name] = inst
        report.institutions_created.append(name)
    return inst


def _build_case(
    session: Session, row: _Row, lookups: _Lookups, options: ImportOptions, report: ImportReport
) -> Case:
    values = row.values
    number = values["number"]
    derived = _derive(values, options)
    case = Case(
        case_number=number.normalized,
        year=number.year,
        court_code=number.court_code,
        type_code=number.type_code,
        seq=number.seq,
        court=values["court"],
        mode=values["mode"],
        instance=values["instance"],
        procedure=derived["procedure"],
        category=values["category"],
        cause_text=values["cause"],
        amount=values["amount"],
        complexity=derived["complexity"],
        needs_evaluation=values["needs_evaluation"],
        chosen_mediator=values["chosen_mediator"],
        received_on=values["received_on"],
        notes=values["notes"],
        extensions=[],
        pauses=[],
    )
    plaintiff_name = values["plaintiff"]
    plaintiff_inst = None
    if looks_like_organisation(plaintiff_name):
        plaintiff_inst = _institution(session, plaintiff_name, lookups, report)
        case.batch_key = f"{values['category']}@{plaintiff_inst.id}"
    parties = [
        CaseParty(
            role=PartyRole.PLAINTIFF, position=0, name=plaintiff_name, institution=plaintiff_inst
        )
    ]
    for pos, name in enumerate(values["defendants"]):
        inst = (
            _institution(session, name, lookups, report) if looks_like_organisation(name) else None
        )
        parties.append(
            CaseParty(role=PartyRole.DEFENDANT, position=pos, name=name, institution=inst)
        )
    case.parties = parties
    session.add(case)
    return case
