"""Importing a court's transfer sheet (移送清单): .xlsx, or .csv in UTF-8 (with or without BOM)
or GBK/GB18030, with the Chinese column headers of ../shared/domain/reference.md.

Rows are validated one by one; each rejected row is reported with its spreadsheet row number,
the column and the reason. Valid rows are imported, the same row imported again is recognised
and skipped, and ``strict`` imports nothing unless every row is valid.

Everything after reading the file is ``import_records``, which the intake API
(``POST /api/v1/cases``, web/api_intake.py) calls with the same field names, so a case sent
through the API passes exactly the checks a sheet row passes and fails with the same reasons.

Reasons (``RowError.reason``, ``SheetError.reason``) are ``LazyText`` (web/languages.py): a
Chinese msgid and its parameters, translated where they are shown. The coordinator's page shows
them in the page's language, the API and the CLI in English (``reason.in_locale("en")``); the
English is in web/translations/en/LC_MESSAGES/messages.po. Nothing here stores a reason: the
import's audit entry records counts and row numbers only.
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
from .languages import LazyText
from .languages import lazy_text as _l
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
NOT_YOUR_COURT = _l("本密钥只能报送本院的案件（中级法院的密钥还可报送其辖区内基层法院的案件）")
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)


class SheetError(Exception):
    """The file as a whole cannot be imported (unreadable, wrong format or headers).
    ``str()`` is in the current locale; ``reason.in_locale(...)`` in a chosen one."""

    def __init__(self, reason: LazyText) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.reason)


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number, header included, as Excel shows it
    field: str  # the column header
    value: str
    reason: LazyText  # translated where it is shown: str() or reason.in_locale("en")

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.reason.in_locale('en')}"

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
    # "file": a duplicate 案号 names the row of its first occurrence; "request": its index
    batch: str = "file"
    details: Mapping[str, Any] = field(default_factory=dict)  # more for the audit entry


@dataclass
class _Row:
    """One sheet row after cell-level parsing; ``errors`` empty means the row is valid."""

    number: int
    raw: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    def fail(self, fld: str, reason: LazyText) -> None:
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
                _l(
                    "%(file)s：文件开头有 UTF-8 字节顺序标记（BOM），但内容不是 UTF-8 文本"
                    "（偏移量 %(offset)s 处的字节无法解码）",
                    file=name,
                    offset=exc.start + 3,
                )
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK, which Excel on Chinese Windows writes
    except UnicodeDecodeError as exc:
        raise SheetError(
            _l(
                "%(file)s：文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本"
                "（偏移量 %(offset)s 处的字节无法解码）",
                file=name,
                offset=exc.start,
            )
        ) from None


def _read_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError(
            _l("无法读取 %(file)s：%(error)s", file=str(path), error=exc.strerror)
        ) from None
    if suffix == ".csv":
        text = _decode(data, path.name)
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            yield number, list(cells)
    elif suffix in (".xlsx", ".xlsm"):
        import openpyxl  # imported here: only xlsx imports pay for it

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a corrupt file
            raise SheetError(
                _l(
                    "%(file)s：不是可读取的 .xlsx 工作簿（%(error)s）",
                    file=path.name,
                    error=str(exc),
                )
            ) from None
        sheet = book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
        book.close()
    elif suffix == ".xls":
        raise SheetError(
            _l("%(file)s：不支持旧版 .xls 格式，请另存为 .xlsx 后再导入", file=path.name)
        )
    else:
        raise SheetError(
            _l(
                "%(file)s：不支持“%(suffix)s”类型的文件，请使用 .xlsx 或 .csv",
                file=path.name,
                suffix=suffix,
            )
        )


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
        raise SheetError(_l("%(file)s：前 5 行中没有含“案号”栏目的表头行", file=path.name))
    missing = [FIELD_HEADERS[f] for f in FIELD_HEADERS if f not in columns and f not in OPTIONAL]
    if missing:
        raise SheetError(
            _l(
                "%(file)s：表头行（第 %(row)s 行）缺少必需的栏目：%(columns)s",
                file=path.name,
                row=header_row,
                columns="、".join(missing),
            )
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
        row.fail("amount", _l("标的额为空"))
        return
    try:
        amount = Decimal(text)
    except InvalidOperation:
        row.fail("amount", _l("「%(value)s」不是数字", value=_text(value)))
        return
    if not amount.is_finite():
        row.fail("amount", _l("「%(value)s」不是数字", value=_text(value)))
    elif amount < 0:
        row.fail("amount", _l("标的额不能为负数（%(amount)s）", amount=str(amount)))
    elif amount > MAX_AMOUNT:
        row.fail("amount", _l("标的额 %(amount)s 超出本中心可登记的最大金额", amount=str(amount)))
    elif amount != amount.quantize(Decimal("0.01")):
        row.fail("amount", _l("标的额 %(amount)s 超过两位小数（应精确到分）", amount=str(amount)))
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
            row.fail("received_on", _l("收案日期为空"))
            return
        match = _DATE.match(text)
        if match is None:
            row.fail(
                "received_on",
                _l(
                    "「%(value)s」不是日期（请写作 2026-11-27、2026/11/27 或 2026年11月27日）",
                    value=text,
                ),
            )
            return
        y, m, d = (int(g) for g in match.groups())
        try:
            day = date(y, m, d)
        except ValueError:
            row.fail("received_on", _l("日期 %(date)s 不存在", date=f"{y:04d}-{m:02d}-{d:02d}"))
            return
    if day > today:
        row.fail(
            "received_on",
            _l(
                "收案日期 %(date)s 晚于今天（%(today)s）",
                date=day.isoformat(),
                today=today.isoformat(),
            ),
        )
        return
    row.values["received_on"] = day


def _parse_flag(row: _Row, fld: str, value: Any) -> None:
    text = _text(value).upper()
    if text in YES:
        row.values[fld] = True
    elif text in NO:
        row.values[fld] = False
    else:
        row.fail(fld, _l("「%(value)s」应填“是”或“否”", value=_text(value)))


def _case_number_reason(exc: CaseNumberError) -> LazyText:
    """models/case_number.py's reason, worded here so that it can be translated."""
    value = exc.params.get("raw", "")
    match exc.problem:
        case "empty":
            return _l("案号为空")
        case "no_year":
            return _l("案号「%(value)s」有误：应以括号中的年份开头，例如 (2026)", value=value)
        case "no_hao":
            return _l("案号「%(value)s」有误：应以“号”结尾", value=value)
        case "court_code":
            return _l(
                "案号「%(value)s」有误：年份后缺少法院代字或代字不正确（例如 豫0802）",
                value=value,
            )
        case "year":
            return _l(
                "案号「%(value)s」有误：年份 %(year)s 不合理", value=value, year=exc.params["year"]
            )
        case "type_code":
            return _l(
                "案号「%(value)s」有误：类型代字「%(type_code)s」不是民事调解案件的类型"
                "（%(known)s）",
                value=value,
                type_code=exc.params["type_code"],
                known=exc.params["known"],
            )
        case "seq":
            return _l("案号「%(value)s」有误：序号应为正整数", value=value)
        case _:
            return _l(
                "案号「%(value)s」有误：格式应为 (年份)+法院代字+类型代字+序号+号", value=value
            )


def _parse_cells(number: int, record: Mapping[str, Any], options: ImportOptions) -> _Row:
    row = _Row(number, {f: _text(v) for f, v in record.items()})
    raw = row.raw

    try:
        parsed = parse_case_number(raw["case_number"], today_year=options.today.year)
    except CaseNumberError as exc:
        row.fail("case_number", _case_number_reason(exc))
    else:
        if parsed.seq > MAX_SEQ:
            row.fail(
                "case_number",
                _l(
                    "案号「%(value)s」有误：序号 %(seq)s 过大",
                    value=raw["case_number"],
                    seq=parsed.seq,
                ),
            )
        else:
            row.values["number"] = parsed

    mode = MODES.get(raw["mode"])
    if mode is None:
        if raw["mode"]:
            row.fail("mode", _l("「%(value)s」不是调解类型，应填“委派”或“委托”", value=raw["mode"]))
        else:
            row.fail("mode", _l("调解类型为空，应填“委派”或“委托”"))
    row.values["mode"] = mode

    instance: int | None = None
    if mode == CaseMode.DELEGATED and raw["instance"]:
        row.fail(
            "instance",
            _l("委派（诉前）案件不填审级，此处填了「%(value)s」", value=raw["instance"]),
        )
    elif mode == CaseMode.ENTRUSTED:
        instance = INSTANCES.get(raw["instance"])
        if instance is None and raw["instance"]:
            row.fail(
                "instance",
                _l("「%(value)s」不是审级，委托案件应填“一审”或“二审”", value=raw["instance"]),
            )
        elif instance is None:
            row.fail("instance", _l("委托案件须填写审级：“一审”或“二审”"))
    row.values["instance"] = instance

    procedure = PROCEDURES.get(raw["procedure"])
    if procedure is None and not (mode == CaseMode.DELEGATED and not raw["procedure"]):
        if raw["procedure"]:
            row.fail(
                "procedure",
                _l("「%(value)s」不是程序，应填“普通”“简易”或“小额”", value=raw["procedure"]),
            )
        else:
            row.fail("procedure", _l("程序为空，应填“普通”“简易”或“小额”"))
    row.values["procedure"] = procedure

    cause = re.sub(r"\s+", "", raw["cause"])
    category = CAUSE_ALIASES.get(cause)
    if not cause:
        row.fail("cause", _l("案由为空"))
    elif category is None:
        row.fail("cause", _l("「%(value)s」不是本中心调解的金融纠纷案由", value=cause))
    row.values["category"] = category
    row.values["cause"] = cause

    _parse_amount(row, record.get("amount"))
    _parse_date(row, record.get("received_on"), options.today)
    _parse_flag(row, "is_complex", record.get("is_complex"))
    _parse_flag(row, "needs_evaluation", record.get("needs_evaluation"))

    plaintiff = re.sub(r"\s+", "", raw["plaintiff"])
    if not plaintiff:
        row.fail("plaintiff", _l("原告为空"))
    else:
        _check_text(row, "plaintiff", [plaintiff])
    row.values["plaintiff"] = plaintiff
    defendants = [re.sub(r"\s+", "", d) for d in re.split(r"[、;；]", raw["defendants"])]
    defendants = [d for d in defendants if d]
    if not defendants:
        row.fail("defendants", _l("被告为空"))
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
            code = f"{ord(bad):04X}"
            if unicodedata.category(bad) == "Cs":
                row.fail(fld, _l("含有孤立的代理码位 U+%(code)s，不是有效的文字", code=code))
            else:
                row.fail(fld, _l("含有控制字符 U+%(code)s，不是有效的文字", code=code))
            return
        if limit is not None and len(text) > limit:
            row.fail(
                fld,
                _l("「%(start)s…」超过 %(limit)s 个字", start=text[:20], limit=limit),
            )
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
        row.fail("court", _l("法院名录中没有「%(value)s」", value=raw["court"]))
    elif allowed_court_ids is not None and court.id not in allowed_court_ids:
        row.fail("court", NOT_YOUR_COURT)
    values["court"] = court

    number = values.get("number")
    mode, instance = values.get("mode"), values.get("instance")
    if number is not None and court is not None and court.code and number.court_code != court.code:
        row.fail(
            "case_number",
            _l(
                "案号中的法院代字「%(code)s」与移送法院「%(court)s」（%(court_code)s）不符",
                code=number.court_code,
                court=court.name,
                court_code=court.code,
            ),
        )
    if number is not None and mode is not None and (mode, instance) in EXPECTED_TYPES:
        expected = EXPECTED_TYPES[(mode, instance)]
        if number.type_code not in expected:
            found, wanted = number.type_code, "/".join(expected)
            if mode == CaseMode.DELEGATED:
                reason = _l(
                    "案号中的类型代字「%(type_code)s」与委派案件不符（应为 %(expected)s）",
                    type_code=found,
                    expected=wanted,
                )
            elif instance == 1:
                reason = _l(
                    "案号中的类型代字「%(type_code)s」与委托一审案件不符（应为 %(expected)s）",
                    type_code=found,
                    expected=wanted,
                )
            else:
                reason = _l(
                    "案号中的类型代字「%(type_code)s」与委托二审案件不符（应为 %(expected)s）",
                    type_code=found,
                    expected=wanted,
                )
            row.fail("case_number", reason)

    if values.get("procedure") == Procedure.SMALL_CLAIMS and instance == 2:
        row.fail("procedure", _l("小额诉讼案件实行一审终审，不能为二审"))

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
                    _l(
                        "名册中有 %(n)s 名调解员叫「%(value)s」（%(numbers)s），请填写名册编号",
                        value=chosen,
                        n=len(matches),
                        numbers=nos,
                    ),
                )
            elif matches:
                person = matches[0]
            else:
                row.fail("chosen_mediator", _l("「%(value)s」不是名册中在任的调解员", value=chosen))
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
            first = first_seen[number.normalized]
            if source.batch == "request":
                reason = _l(
                    "本次请求中案号 %(number)s 重复（首次出现在索引 %(first)s 处）",
                    number=number.normalized,
                    first=first,
                )
            else:
                reason = _l(
                    "本文件中案号 %(number)s 重复（首次出现在第 %(first)s 行）",
                    number=number.normalized,
                    first=first,
                )
            row.fail("case_number", reason)
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
                    _l(
                        "已导入，但未计算期限：期限届满日所在年度的节假日安排尚未载入，"
                        "请用 `sutiao load-holidays` 载入"
                    ),
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
        row.fail("case_number", _l("案号 %(number)s 已在系统中", number=number.normalized))
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
            _l(
                "案号 %(number)s 已在系统中，且以下栏目与系统中的数据不同：%(columns)s",
                number=stored.case_number,
                columns="、".join(differing),
            ),
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
