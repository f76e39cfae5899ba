"""Importing a court transfer sheet (移送清单), web/transfer_sheet.py and `sutiao import-cases`.

Every input file is built inside the test the way the courts' Excel writes it: .xlsx (real date
and number cells, often a title row above the header) or .csv in UTF-8 (with or without BOM),
GBK or GB18030 with CRLF line ends. Row numbers are spreadsheet rows as Excel shows them: the
header is row 1 (row 2 below a title row) and the first case is the row after it.

A reason is a translatable value (web/languages.py LazyText): ``zh(error)`` is what the
coordinator's page shows by default (outside an app context it is the Chinese msgid itself),
``en(error)`` what the API and the CLI give.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_babel import force_locale
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import AuditEntry, Case, Court, Institution, Person
from models.vocabulary import (
    CaseMode,
    CaseStatus,
    Category,
    Complexity,
    InstitutionKind,
    PartyRole,
    Procedure,
)
from web.transfer_sheet import ImportOptions, ImportReport, RowError, SheetError, import_cases

TODAY = date(2026, 11, 28)

AMOUNT = "标的额（元）"
HEADER: tuple[str, ...] = (
    "案号",
    "移送法院",
    "调解类型",
    "审级",
    "程序",
    "案由",
    AMOUNT,
    "原告",
    "被告",
    "收案日期",
    "是否疑难复杂",
    "是否需要中立评估",
    "当事人共同选定调解员",
    "备注",
)
TITLE = "焦作市解放区人民法院 金融纠纷移送清单（2026年11月）"
BANK = "中国工商银行股份有限公司焦作分行"
RURAL_BANK = "焦作解放农村商业银行股份有限公司"

Row = dict[str, Any]


def delegated(seq: int = 1001) -> Row:
    """A valid 委派 (pre-filing) row at 解放区人民法院."""
    return {
        "案号": f"(2026)豫0802民诉前调{seq}号",
        "移送法院": "解放区人民法院",
        "调解类型": "委派",
        "审级": "",
        "程序": "简易",
        "案由": "金融借款合同纠纷",
        AMOUNT: "120000.00",
        "原告": BANK,
        "被告": "张三",
        "收案日期": "2026-11-02",
        "是否疑难复杂": "否",
        "是否需要中立评估": "否",
        "当事人共同选定调解员": "",
        "备注": "",
    }


def entrusted(seq: int = 567, instance: str = "一审") -> Row:
    """A valid 委托 row: 一审 at 解放区人民法院 (民初) or 二审 at the intermediate court (民终)."""
    if instance == "二审":
        number, court = f"(2026)豫08民终{seq}号", "焦作市中级人民法院"
    else:
        number, court = f"(2026)豫0802民初{seq}号", "解放区人民法院"
    return {
        "案号": number,
        "移送法院": court,
        "调解类型": "委托",
        "审级": instance,
        "程序": "普通",
        "案由": "信用卡纠纷",
        AMOUNT: "86000.00",
        "原告": RURAL_BANK,
        "被告": "李四",
        "收案日期": "2026-11-20",
        "是否疑难复杂": "否",
        "是否需要中立评估": "否",
        "当事人共同选定调解员": "",
        "备注": "",
    }


# ---------------------------------------------------------------------------- writing files


def _table(
    rows: Sequence[Row], rename: dict[str, str], drop: Sequence[str]
) -> tuple[list[str], list[list[Any]]]:
    columns = [h for h in HEADER if h not in drop]
    header = [rename.get(h, h) for h in columns]
    return header, [[r.get(h, "") for h in columns] if r else [] for r in rows]


def csv_bytes(
    rows: Sequence[Row],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    title: str | None = None,
    rename: dict[str, str] | None = None,
    drop: Sequence[str] = (),
) -> bytes:
    """CSV as Excel saves it: CRLF line ends; an empty dict is written as a blank line."""
    header, body = _table(rows, rename or {}, drop)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if title is not None:
        writer.writerow([title] + [""] * (len(header) - 1))
    writer.writerow(header)
    writer.writerows(body)
    data = buf.getvalue().encode(encoding)
    return b"\xef\xbb\xbf" + data if bom else data


def write_csv(tmp_path: Path, rows: Sequence[Row], name: str = "sheet.csv", **kw: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows, **kw))
    return path


def write_xlsx(
    tmp_path: Path,
    rows: Sequence[Row],
    name: str = "sheet.xlsx",
    *,
    title: str | None = None,
    blank_first_row: bool = False,
    rename: dict[str, str] | None = None,
    drop: Sequence[str] = (),
) -> Path:
    """An .xlsx with the values as given: date/datetime become date cells, numbers numbers."""
    header, body = _table(rows, rename or {}, drop)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "移送清单"
    r = 1
    if blank_first_row:
        r += 1
    if title is not None:
        sheet.cell(row=r, column=1, value=title)
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(header))
        r += 1
    for c, text in enumerate(header, start=1):
        sheet.cell(row=r, column=c, value=text)
    for values in body:
        r += 1
        for c, value in enumerate(values, start=1):
            if value != "":
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, date | datetime):
                    cell.number_format = "yyyy-mm-dd"
    path = tmp_path / name
    book.save(path)
    return path


def write(tmp_path: Path, rows: Sequence[Row], fmt: str, **kw: Any) -> Path:
    if fmt == "xlsx":
        return write_xlsx(tmp_path, rows, **kw)
    return write_csv(tmp_path, rows, **kw)


# ---------------------------------------------------------------------------- helpers


def run(session: Session, path: Path, **options: Any) -> ImportReport:
    options.setdefault("today", TODAY)
    return import_cases(session, path, ImportOptions(**options))


def only_error(report: ImportReport) -> RowError:
    assert len(report.rejected) == 1, report.rejected
    return report.rejected[0]


def zh(error: RowError | SheetError) -> str:
    """The reason as the page shows it by default (outside an app context: the msgid)."""
    return str(error.reason)


def en(error: RowError | SheetError) -> str:
    """The reason as the API and the CLI give it."""
    return error.reason.in_locale("en")


def case_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Case)) or 0


def institution_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Institution)) or 0


def stored(session: Session, number: str) -> Case:
    return session.scalars(select(Case).where(Case.case_number == number)).one()


def court_by_code(session: Session, code: str) -> Court:
    return session.scalars(select(Court).where(Court.code == code)).one()


@pytest.fixture
def fresh(engine: Engine) -> Iterator[Session]:
    """A second session, to read what the import committed without the identity map."""
    with Session(engine) as s:
        yield s


# ============================================================================ rejections


DELEGATED_REJECTIONS = [
    pytest.param(
        {"案号": "2026豫0802民诉前调1001号"},
        "案号",
        "案号「2026豫0802民诉前调1001号」有误：应以括号中的年份开头",
        "must start with the year",
        id="no-year",
    ),
    pytest.param(
        {"案号": "(2026)豫0802民诉前调1001"},
        "案号",
        "应以“号”结尾",
        "must end with 号",
        id="no-hao",
    ),
    pytest.param(
        {"案号": "(2026)0802民诉前调1001号"},
        "案号",
        "年份后缺少法院代字或代字不正确",
        "court code",
        id="no-province",
    ),
    pytest.param(
        {"案号": "(2026)豫0802刑初1001号"},
        "案号",
        "类型代字「刑初」不是民事调解案件的类型",
        "type code '刑初'",
        id="criminal-type",
    ),
    pytest.param(
        {"案号": "(2027)豫0802民诉前调1001号"},
        "案号",
        "年份 2027 不合理",
        "year 2027 is not plausible",
        id="year",
    ),
    pytest.param(
        {"案号": "(2026)豫0802民诉前调0号"},
        "案号",
        "序号应为正整数",
        "must be positive",
        id="seq-zero",
    ),
    pytest.param(
        {"案号": "(2026)豫0802民诉前调9999999999号"},
        "案号",
        "序号 9999999999 过大",
        "sequence number 9999999999 is too large",
        id="seq-too-large",
    ),
    pytest.param({"案号": ""}, "案号", "案号为空", "The case number is empty", id="no-case-number"),
    pytest.param(
        {"移送法院": "洛阳市西工区人民法院"},
        "移送法院",
        "法院名录中没有「洛阳市西工区人民法院」",
        "unknown court '洛阳市西工区人民法院'",
        id="unknown-court",
    ),
    pytest.param(
        {"移送法院": "豫0899"}, "移送法院", "法院名录中没有", "unknown court", id="unknown-code"
    ),
    pytest.param(
        {"调解类型": "调解"},
        "调解类型",
        "「调解」不是调解类型，应填“委派”或“委托”",
        "'调解' is not 委派 or 委托",
        id="bad-mode",
    ),
    pytest.param(
        {"调解类型": ""},
        "调解类型",
        "调解类型为空，应填“委派”或“委托”",
        "调解类型 is empty; it must be 委派 or 委托",
        id="no-mode",
    ),
    pytest.param(
        {"审级": "一审"},
        "审级",
        "委派（诉前）案件不填审级，此处填了「一审」",
        "must be empty for 委派",
        id="instance-for-delegated",
    ),
    pytest.param(
        {"程序": "特别程序"},
        "程序",
        "「特别程序」不是程序，应填“普通”“简易”或“小额”",
        "is not 普通, 简易 or 小额",
        id="bad-procedure",
    ),
    pytest.param(
        {"案由": "离婚纠纷"},
        "案由",
        "「离婚纠纷」不是本中心调解的金融纠纷案由",
        "not a financial dispute",
        id="divorce",
    ),
    pytest.param(
        {"案由": "民间借贷纠纷"},
        "案由",
        "不是本中心调解的金融纠纷案由",
        "not a financial dispute",
        id="private-lending",
    ),
    pytest.param({"案由": ""}, "案由", "案由为空", "案由 is empty", id="no-cause"),
    pytest.param(
        {AMOUNT: "-5000"},
        AMOUNT,
        "标的额不能为负数（-5000）",
        "amount -5000 is negative",
        id="negative",
    ),
    pytest.param(
        {AMOUNT: "十二万"}, AMOUNT, "「十二万」不是数字", "'十二万' is not a number", id="words"
    ),
    pytest.param({AMOUNT: "12万"}, AMOUNT, "「12万」不是数字", "'12万' is not a number", id="wan"),
    pytest.param({AMOUNT: "NaN"}, AMOUNT, "「NaN」不是数字", "is not a number", id="nan"),
    pytest.param(
        {AMOUNT: "100.125"},
        AMOUNT,
        "标的额 100.125 超过两位小数（应精确到分）",
        "more than 2 decimal places",
        id="three-decimals",
    ),
    pytest.param({AMOUNT: ""}, AMOUNT, "标的额为空", "amount is empty", id="no-amount"),
    pytest.param(
        {AMOUNT: "1000000000000"},
        AMOUNT,
        "超出本中心可登记的最大金额",
        "larger than",
        id="too-large",
    ),
    pytest.param(
        {"收案日期": "2026-02-30"},
        "收案日期",
        "日期 2026-02-30 不存在",
        "2026-02-30 is not a real date",
        id="feb-30",
    ),
    pytest.param(
        {"收案日期": "2026年13月01日"},
        "收案日期",
        "日期 2026-13-01 不存在",
        "2026-13-01 is not a real date",
        id="month-13",
    ),
    pytest.param(
        {"收案日期": "2026-11-29"},
        "收案日期",
        "收案日期 2026-11-29 晚于今天（2026-11-28）",
        "date 2026-11-29 is in the future (today is 2026-11-28)",
        id="future",
    ),
    pytest.param(
        {"收案日期": "11/27/2026"},
        "收案日期",
        "「11/27/2026」不是日期",
        "is not a date",
        id="us-date",
    ),
    pytest.param({"收案日期": ""}, "收案日期", "收案日期为空", "date is empty", id="no-date"),
    pytest.param(
        {"是否疑难复杂": "可能"},
        "是否疑难复杂",
        "「可能」应填“是”或“否”",
        "'可能' is not 是 or 否",
        id="bad-complex",
    ),
    pytest.param(
        {"是否需要中立评估": "待定"},
        "是否需要中立评估",
        "「待定」应填“是”或“否”",
        "is not 是 or 否",
        id="bad-evaluation",
    ),
    pytest.param({"原告": ""}, "原告", "原告为空", "原告 is empty", id="no-plaintiff"),
    pytest.param({"原告": "   "}, "原告", "原告为空", "原告 is empty", id="blank-plaintiff"),
    pytest.param({"被告": ""}, "被告", "被告为空", "被告 is empty", id="no-defendant"),
    pytest.param({"被告": "、 、"}, "被告", "被告为空", "被告 is empty", id="only-separators"),
    pytest.param(
        {"被告": "张" * 129},
        "被告",
        f"「{'张' * 20}…」超过 128 个字",
        f"'{'张' * 20}'… is longer than 128 characters",
        id="name-too-long",
    ),
    pytest.param(
        {"备注": "第一行\x07"},
        "备注",
        "含有控制字符 U+0007，不是有效的文字",
        "contains U+0007, a control character, which is not text",
        id="control-character",
    ),
    pytest.param(
        {"案号": "(2026)豫0803民诉前调1001号"},
        "案号",
        "案号中的法院代字「豫0803」与移送法院「焦作市解放区人民法院」（豫0802）不符",
        "court code 豫0803 does not match 移送法院",
        id="court-code-mismatch",
    ),
    pytest.param(
        {"案号": "(2026)豫0802民初1001号"},
        "案号",
        "案号中的类型代字「民初」与委派案件不符（应为 民诉前调）",
        "type code 民初 does not fit a 委派 case",
        id="min-chu-for-delegated",
    ),
]


@pytest.mark.parametrize(("change", "field", "reason_zh", "reason_en"), DELEGATED_REJECTIONS)
def test_rejects_a_bad_delegated_row(
    session: Session, tmp_path: Path, change: Row, field: str, reason_zh: str, reason_en: str
) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | change]))

    error = only_error(report)
    assert (error.row, error.field) == (2, field)
    assert reason_zh in zh(error)
    assert reason_en in en(error)
    assert report.imported == []
    assert report.rejected_rows == [2]
    assert report.exit_code == 1
    assert case_count(session) == 0


ENTRUSTED_REJECTIONS = [
    pytest.param(
        "一审",
        {"审级": ""},
        "审级",
        "委托案件须填写审级：“一审”或“二审”",
        "required for 委托",
        id="no-instance",
    ),
    pytest.param(
        "一审",
        {"审级": "三审"},
        "审级",
        "「三审」不是审级，委托案件应填“一审”或“二审”",
        "'三审' is not 一审 or 二审 (required for 委托)",
        id="third-instance",
    ),
    pytest.param(
        "一审",
        {"程序": ""},
        "程序",
        "程序为空，应填“普通”“简易”或“小额”",
        "程序 is empty; it must be 普通, 简易 or 小额",
        id="no-procedure",
    ),
    pytest.param(
        "一审",
        {"案号": "(2026)豫0802民终567号"},
        "案号",
        "案号中的类型代字「民终」与委托一审案件不符（应为 民初）",
        "type code 民终 does not fit a 委托 一审 case",
        id="min-zhong-for-first-instance",
    ),
    pytest.param(
        "一审",
        {"案号": "(2026)豫0802民诉前调567号"},
        "案号",
        "与委托一审案件不符（应为 民初）",
        "does not fit a 委托 一审 case (expected 民初)",
        id="pre-filing-number-for-entrusted",
    ),
    pytest.param(
        "二审",
        {"案号": "(2026)豫08民初89号"},
        "案号",
        "案号中的类型代字「民初」与委托二审案件不符（应为 民终）",
        "type code 民初 does not fit a 委托 二审 case",
        id="min-chu-for-second-instance",
    ),
    pytest.param(
        "二审",
        {"程序": "小额"},
        "程序",
        "小额诉讼案件实行一审终审，不能为二审",
        "small-claims cases are final at first instance",
        id="small-claims-appeal",
    ),
]


@pytest.mark.parametrize(
    ("instance", "change", "field", "reason_zh", "reason_en"), ENTRUSTED_REJECTIONS
)
def test_rejects_a_bad_entrusted_row(
    session: Session,
    tmp_path: Path,
    instance: str,
    change: Row,
    field: str,
    reason_zh: str,
    reason_en: str,
) -> None:
    report = run(session, write_csv(tmp_path, [entrusted(instance=instance) | change]))

    error = only_error(report)
    assert (error.row, error.field) == (2, field)
    assert reason_zh in zh(error)
    assert reason_en in en(error)
    assert case_count(session) == 0


def test_rejection_carries_the_cell_value_as_written(session: Session, tmp_path: Path) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {AMOUNT: " -5,000.00 "}]))

    error = only_error(report)
    assert (error.row, error.field, error.value) == (2, AMOUNT, "-5,000.00")
    assert (zh(error), en(error)) == ("标的额不能为负数（-5000.00）", "amount -5000.00 is negative")


def test_a_reason_is_shown_in_the_language_of_where_it_is_shown(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    """The same RowError renders in Chinese or English when it is shown, not when it is made."""
    report = run(session, write_csv(tmp_path, [delegated() | {AMOUNT: "八万六"}]))
    error = only_error(report)
    chinese, english = "「八万六」不是数字", "'八万六' is not a number"

    assert str(error.reason) == chinese  # outside an app context: the msgid
    assert error.reason.in_locale("en") == english  # anywhere
    assert error.reason.in_locale("zh_CN") == chinese
    assert str(error) == f"row 2, {AMOUNT}: {english}"
    with app.test_request_context("/?lang=en"):
        assert str(error.reason) == english
    with app.test_request_context("/"):
        assert str(error.reason) == chinese
    with app.app_context():  # the CLI's context: no request, so zh_CN unless forced
        assert str(error.reason) == chinese
        with force_locale("en"):
            assert str(error.reason) == english


def test_every_problem_of_a_row_is_reported_in_column_order(
    session: Session, tmp_path: Path
) -> None:
    bad = delegated() | {"收案日期": "2026-02-30", AMOUNT: "abc", "案号": "2026-1001"}
    report = run(session, write_csv(tmp_path, [bad]))

    assert [(e.row, e.field) for e in report.rejected] == [
        (2, "案号"),
        (2, AMOUNT),
        (2, "收案日期"),
    ]
    assert report.rejected_rows == [2]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("title", "first"), [(None, 2), (TITLE, 3)], ids=["no-title", "title"])
def test_row_numbers_are_spreadsheet_rows(
    session: Session, tmp_path: Path, fmt: str, title: str | None, first: int
) -> None:
    rows = [
        delegated(1001),
        delegated(1002) | {AMOUNT: "-1"},
        {},  # a blank row: skipped, but it still takes a row number
        dict.fromkeys(HEADER, " "),  # only empty cells (a CSV line of commas): skipped too
        delegated(1003) | {"案由": "离婚纠纷"},
        delegated(1004),
    ]
    report = run(session, write(tmp_path, rows, fmt, title=title))

    assert [(e.row, e.field) for e in report.rejected] == [
        (first + 1, AMOUNT),
        (first + 4, "案由"),
    ]
    assert report.rows == 4
    assert len(report.imported) == 2


def test_xlsx_row_numbers_count_a_blank_first_row(session: Session, tmp_path: Path) -> None:
    rows = [delegated(1001), delegated(1002) | {"被告": ""}]
    report = run(session, write_xlsx(tmp_path, rows, blank_first_row=True, title=TITLE))

    # blank row 1, title row 2, header row 3, cases on rows 4 and 5
    assert [(e.row, e.field) for e in report.rejected] == [(5, "被告")]


def test_csv_row_numbers_count_a_multiline_cell_as_one_row(
    session: Session, tmp_path: Path
) -> None:
    # Excel shows a cell with a line break inside one row; the CSV spans two physical lines.
    rows = [delegated(1001) | {"备注": "第一行\n第二行"}, delegated(1002) | {AMOUNT: "x"}]
    report = run(session, write_csv(tmp_path, rows))

    assert only_error(report).row == 3
    assert stored(session, "(2026)豫0802民诉前调1001号").notes == "第一行\n第二行"


def test_duplicate_case_number_within_the_file_names_the_first_row(
    session: Session, tmp_path: Path
) -> None:
    rows = [
        delegated(1001),
        delegated(1002),
        delegated(1001) | {AMOUNT: "5000"},
    ]
    report = run(session, write_csv(tmp_path, rows))

    error = only_error(report)
    assert (error.row, error.field) == (4, "案号")
    assert zh(error) == "本文件中案号 (2026)豫0802民诉前调1001号 重复（首次出现在第 2 行）"
    assert en(error) == "duplicate 案号 (2026)豫0802民诉前调1001号 in this file (first on row 2)"
    assert report.imported == ["(2026)豫0802民诉前调1001号", "(2026)豫0802民诉前调1002号"]
    assert stored(session, "(2026)豫0802民诉前调1001号").amount == Decimal("120000.00")


def test_duplicate_within_the_file_is_found_after_normalising(
    session: Session, tmp_path: Path
) -> None:
    rows = [delegated(1001), delegated(1001) | {"案号": "（２０２６）豫０８０２民诉前调１００１号"}]
    report = run(session, write_csv(tmp_path, rows))

    error = only_error(report)
    assert (error.row, error.field) == (3, "案号")
    assert "首次出现在第 2 行" in zh(error)
    assert "first on row 2" in en(error)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({AMOUNT: "99000.00"}, id="amount"),
        pytest.param({"被告": "王五"}, id="defendant"),
        pytest.param({"收案日期": "2026-11-03"}, id="received-on"),
        pytest.param({"案由": "信用卡纠纷"}, id="category"),
        pytest.param({"原告": "中国银行股份有限公司焦作分行"}, id="plaintiff"),
        # A corrected sheet must not be taken as "already present" with the old data kept.
        pytest.param({"程序": "普通"}, id="procedure"),
        pytest.param({"是否疑难复杂": "是"}, id="complexity"),
        pytest.param({"是否需要中立评估": "是"}, id="needs-evaluation"),
        pytest.param({"备注": "补充材料"}, id="notes"),
    ],
)
def test_case_number_already_in_the_database_with_different_data_is_rejected(
    session: Session, fresh: Session, tmp_path: Path, change: Row
) -> None:
    run(session, write_csv(tmp_path, [delegated(1001)], name="first.csv"))
    session.commit()

    report = run(fresh, write_csv(tmp_path, [delegated(1001) | change], name="second.csv"))

    error = only_error(report)
    assert (error.row, error.field) == (2, "案号")
    assert "(2026)豫0802民诉前调1001号 is already in the database with different data" in (
        en(error)
    )
    # The reason names the columns that differ, so the coordinator knows what to check.
    (column,) = change
    assert zh(error).startswith(
        "案号 (2026)豫0802民诉前调1001号 已在系统中，且以下栏目与系统中的数据不同："
    )
    assert column in zh(error)
    assert column in en(error)
    assert report.unchanged == []
    assert case_count(fresh) == 1


# ---------------------------------------------------------------------------- chosen mediator


@pytest.fixture
def roster(session: Session) -> dict[str, Person]:
    people = {
        "M-001": Person(roster_no="M-001", name="王建国", is_mediator=True),
        "M-002": Person(roster_no="M-002", name="李明", is_mediator=True),
        "M-003": Person(roster_no="M-003", name="李明", is_mediator=True),
        "M-004": Person(roster_no="M-004", name="赵停", is_mediator=True, is_active=False),
        "E-001": Person(roster_no="E-001", name="钱专家", is_expert=True),
    }
    session.add_all(people.values())
    session.flush()
    return people


@pytest.mark.parametrize("chosen", ["M-001", "王建国", " 王建国 "])
def test_chosen_mediator_by_roster_number_or_name(
    session: Session, tmp_path: Path, roster: dict[str, Person], chosen: str
) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {"当事人共同选定调解员": chosen}]))

    assert report.rejected == []
    assert stored(session, "(2026)豫0802民诉前调1001号").chosen_mediator_id == roster["M-001"].id


@pytest.mark.parametrize(
    ("chosen", "reason_zh", "reason_en"),
    [
        pytest.param(
            "张无名",
            "「张无名」不是名册中在任的调解员",
            "'张无名' is not an active mediator on the roster",
            id="unknown",
        ),
        pytest.param(
            "M-999",
            "「M-999」不是名册中在任的调解员",
            "'M-999' is not an active mediator",
            id="unknown-number",
        ),
        pytest.param(
            "赵停",
            "「赵停」不是名册中在任的调解员",
            "'赵停' is not an active mediator",
            id="suspended",
        ),
        pytest.param(
            "钱专家",
            "「钱专家」不是名册中在任的调解员",
            "'钱专家' is not an active mediator",
            id="expert-only",
        ),
        pytest.param(
            "李明",
            "名册中有 2 名调解员叫「李明」（M-002、M-003），请填写名册编号",
            "names 2 roster mediators (M-002、M-003)",
            id="ambiguous-name",
        ),
    ],
)
def test_rejects_a_chosen_mediator_not_on_the_roster(
    session: Session,
    tmp_path: Path,
    roster: dict[str, Person],
    chosen: str,
    reason_zh: str,
    reason_en: str,
) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {"当事人共同选定调解员": chosen}]))

    error = only_error(report)
    assert (error.row, error.field) == (2, "当事人共同选定调解员")
    assert zh(error) == reason_zh
    assert reason_en in en(error)


def test_ambiguous_mediator_name_is_accepted_by_roster_number(
    session: Session, tmp_path: Path, roster: dict[str, Person]
) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {"当事人共同选定调解员": "M-003"}]))

    assert report.rejected == []
    assert stored(session, "(2026)豫0802民诉前调1001号").chosen_mediator_id == roster["M-003"].id


# ============================================================================ accepted forms


@pytest.mark.parametrize(
    "written",
    [
        "（2026）豫0802民诉前调1001号",
        "（２０２６）豫０８０２民诉前调１００１号",
        "〔2026〕豫0802民诉前调1001号",
        " (2026) 豫0802 民诉前调 1001号 ",
    ],
)
def test_case_number_is_normalised_to_half_width(
    session: Session, tmp_path: Path, written: str
) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {"案号": written}]))

    assert report.rejected == []
    assert report.imported == ["(2026)豫0802民诉前调1001号"]
    case = stored(session, "(2026)豫0802民诉前调1001号")
    assert (case.year, case.court_code, case.type_code, case.seq) == (
        2026,
        "豫0802",
        "民诉前调",
        1001,
    )


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ("1,234,567.89", Decimal("1234567.89")),
        ("１２３４", Decimal("1234.00")),
        ("１，２３４．５", Decimal("1234.50")),
        ("¥12,000", Decimal("12000.00")),
        ("￥12000.5", Decimal("12000.50")),
        ("12000元", Decimal("12000.00")),
        (" 120000.00 ", Decimal("120000.00")),
        ("0", Decimal("0.00")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_amount_forms_are_stored_exactly(
    session: Session, fresh: Session, tmp_path: Path, written: str, amount: Decimal
) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {AMOUNT: written}]))
    assert report.rejected == []
    session.commit()

    value = stored(fresh, "(2026)豫0802民诉前调1001号").amount
    assert isinstance(value, Decimal)
    assert value == amount
    assert str(value.quantize(Decimal("0.01"))) == str(amount)


@pytest.mark.parametrize(
    "written",
    [
        "2026/11/27",
        "2026-11-27",
        "2026年11月27日",
        "2026.11.27",
        "2026-11-27 09:30",
        "2026/11/27 9:30:00",
        " 2026年 11月 27日 ",
    ],
)
def test_date_forms(session: Session, tmp_path: Path, written: str) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {"收案日期": written}]))

    assert report.rejected == []
    assert stored(session, "(2026)豫0802民诉前调1001号").received_on == date(2026, 11, 27)


def test_a_case_received_today_is_not_in_the_future(session: Session, tmp_path: Path) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {"收案日期": "2026-11-28"}]))

    assert report.rejected == []


def test_stray_spaces_around_every_cell_are_ignored(session: Session, tmp_path: Path) -> None:
    padded = {k: f" \u3000{v}  " for k, v in entrusted().items()}
    report = run(session, write_csv(tmp_path, [padded]))

    assert report.rejected == []
    case = stored(session, "(2026)豫0802民初567号")
    assert (case.mode, case.instance, case.procedure) == (
        CaseMode.ENTRUSTED,
        1,
        Procedure.ORDINARY,
    )
    assert case.cause_text == "信用卡纠纷"
    assert [p.name for p in case.parties] == [RURAL_BANK, "李四"]


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("焦作市解放区人民法院", "豫0802"),
        ("解放区人民法院", "豫0802"),
        ("豫0802", "豫0802"),
        ("豫０８０２", "豫0802"),
        ("解放区 人民法院", "豫0802"),
        ("焦作市修武县人民法院", "豫0821"),
        ("修武县人民法院", "豫0821"),
    ],
)
def test_court_by_full_name_short_name_or_code(
    session: Session, tmp_path: Path, written: str, code: str
) -> None:
    row = delegated() | {"案号": f"(2026){code}民诉前调1001号", "移送法院": written}
    report = run(session, write_csv(tmp_path, [row]))

    assert report.rejected == []
    case = session.scalars(select(Case)).one()
    assert case.court_id == court_by_code(session, code).id


@pytest.mark.parametrize("written", ["焦作市中级人民法院", "焦作中院", "豫08"])
def test_second_instance_at_the_intermediate_court(
    session: Session, tmp_path: Path, written: str
) -> None:
    report = run(session, write_csv(tmp_path, [entrusted(89, "二审") | {"移送法院": written}]))

    assert report.rejected == []
    case = stored(session, "(2026)豫08民终89号")
    assert case.court_id == court_by_code(session, "豫08").id
    assert (case.mode, case.instance, case.type_code) == (CaseMode.ENTRUSTED, 2, "民终")


@pytest.mark.parametrize(
    "amount_header", ["标的额(元)", "标的额（元）", "标的额", "标的金额（元）", " 标的额 ( 元 ) "]
)
def test_amount_header_variants(session: Session, tmp_path: Path, amount_header: str) -> None:
    path = write_csv(tmp_path, [delegated()], rename={AMOUNT: amount_header})
    report = run(session, path)

    assert report.rejected == []
    assert stored(session, "(2026)豫0802民诉前调1001号").amount == Decimal("120000.00")


def test_amount_error_names_the_column_even_under_a_half_width_header(
    session: Session, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [delegated() | {AMOUNT: "-1"}], rename={AMOUNT: "标的额(元)"})

    assert only_error(run(session, path)).field == AMOUNT


def test_optional_columns_may_be_absent(session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [delegated()], drop=["当事人共同选定调解员", "备注"])
    report = run(session, path)

    assert report.rejected == []
    case = stored(session, "(2026)豫0802民诉前调1001号")
    assert case.chosen_mediator_id is None
    assert case.notes is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_upper_case_extension(session: Session, tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, [delegated()], fmt, name=f"SHEET.{fmt.upper()}")

    assert run(session, path).imported == ["(2026)豫0802民诉前调1001号"]


def test_columns_may_come_in_any_order(session: Session, tmp_path: Path) -> None:
    row = delegated()
    columns = list(reversed(HEADER))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([row[h] for h in columns])
    path = tmp_path / "reversed.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))

    report = run(session, path)

    assert report.rejected == []
    assert report.imported == ["(2026)豫0802民诉前调1001号"]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", False), ("utf-8", True), ("gbk", False), ("gb18030", False)],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030"],
)
def test_csv_encodings_as_excel_writes_them(
    session: Session, tmp_path: Path, encoding: str, bom: bool
) -> None:
    rows = [delegated(1001) | {"被告": "张三、焦作市某某商贸有限公司"}, entrusted(567)]
    path = write_csv(tmp_path, rows, encoding=encoding, bom=bom, title=TITLE)
    assert b"\r\n" in path.read_bytes()

    report = run(session, path)

    assert report.rejected == []
    assert report.imported == ["(2026)豫0802民诉前调1001号", "(2026)豫0802民初567号"]
    case = stored(session, "(2026)豫0802民诉前调1001号")
    assert case.cause_text == "金融借款合同纠纷"
    assert [p.name for p in case.parties] == [BANK, "张三", "焦作市某某商贸有限公司"]


def test_gb18030_only_characters_in_a_name(session: Session, tmp_path: Path) -> None:
    name = "王𠀀"  # Extension B: GB18030 encodes it, GBK cannot
    path = write_csv(tmp_path, [delegated() | {"被告": name}], encoding="gb18030")

    report = run(session, path)

    assert report.rejected == []
    assert stored(session, "(2026)豫0802民诉前调1001号").defendants[0].name == name


def test_xlsx_with_title_row_date_cells_and_number_cells(
    session: Session, fresh: Session, tmp_path: Path
) -> None:
    rows = [
        delegated(1001) | {AMOUNT: 1234567.89, "收案日期": datetime(2026, 11, 2)},
        delegated(1002) | {AMOUNT: 120000, "收案日期": date(2026, 11, 3)},
        entrusted(567) | {AMOUNT: 86000.5, "收案日期": datetime(2026, 11, 20, 15, 45)},
        delegated(1003) | {AMOUNT: 100.125, "收案日期": datetime(2026, 11, 4)},
        delegated(1004) | {AMOUNT: 500.0, "收案日期": datetime(2026, 12, 1)},
    ]
    report = run(session, write_xlsx(tmp_path, rows, title=TITLE))
    session.commit()

    assert [(e.row, e.field) for e in report.rejected] == [(6, AMOUNT), (7, "收案日期")]
    assert "超过两位小数" in zh(report.rejected[0])
    assert "more than 2 decimal places" in en(report.rejected[0])
    assert "晚于今天" in zh(report.rejected[1])
    assert "is in the future" in en(report.rejected[1])
    got = {c.case_number: (c.amount, c.received_on) for c in fresh.scalars(select(Case))}
    assert got == {
        "(2026)豫0802民诉前调1001号": (Decimal("1234567.89"), date(2026, 11, 2)),
        "(2026)豫0802民诉前调1002号": (Decimal("120000.00"), date(2026, 11, 3)),
        "(2026)豫0802民初567号": (Decimal("86000.50"), date(2026, 11, 20)),
    }


def test_xlsx_text_cells_are_read_like_csv(session: Session, tmp_path: Path) -> None:
    row = delegated() | {AMOUNT: "¥1,234,567.89", "收案日期": "2026年11月27日"}
    report = run(session, write_xlsx(tmp_path, [row]))

    assert report.rejected == []
    case = stored(session, "(2026)豫0802民诉前调1001号")
    assert (case.amount, case.received_on) == (Decimal("1234567.89"), date(2026, 11, 27))


@pytest.mark.parametrize("flag", ["是", "Y", "y", "√", "1"])
def test_yes_forms(session: Session, tmp_path: Path, flag: str) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {"是否需要中立评估": flag}]))

    assert report.rejected == []
    assert stored(session, "(2026)豫0802民诉前调1001号").needs_evaluation is True


@pytest.mark.parametrize("flag", ["否", "N", "×", "0", ""])
def test_no_forms(session: Session, tmp_path: Path, flag: str) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {"是否需要中立评估": flag}]))

    assert report.rejected == []
    assert stored(session, "(2026)豫0802民诉前调1001号").needs_evaluation is False


# ============================================================================ the stored case


def test_stored_delegated_case(session: Session, fresh: Session, tmp_path: Path) -> None:
    row = delegated(1234) | {
        "是否需要中立评估": "是",
        "备注": "借款人已部分还款",
        AMOUNT: "1,234,567.89",
    }
    run(session, write_csv(tmp_path, [row]))
    session.commit()

    case = stored(fresh, "(2026)豫0802民诉前调1234号")
    assert (case.year, case.court_code, case.type_code, case.seq) == (
        2026,
        "豫0802",
        "民诉前调",
        1234,
    )
    assert case.court_id == court_by_code(fresh, "豫0802").id
    assert case.mode == CaseMode.DELEGATED
    assert case.instance is None
    assert case.procedure == Procedure.SIMPLIFIED
    assert case.category == Category.FINANCIAL_LOAN
    assert case.cause_text == "金融借款合同纠纷"
    assert case.amount == Decimal("1234567.89")
    assert case.complexity == Complexity.SIMPLE
    assert case.needs_evaluation is True
    assert case.chosen_mediator_id is None
    assert case.received_on == date(2026, 11, 2)
    assert case.deadline_on == date(2026, 12, 2)
    assert case.status == CaseStatus.RECEIVED
    assert case.notes == "借款人已部分还款"


def test_stored_entrusted_case(session: Session, fresh: Session, tmp_path: Path) -> None:
    row = entrusted(567) | {"程序": "简易程序", "案由": "银行卡纠纷", AMOUNT: "3,000.50"}
    run(session, write_csv(tmp_path, [row]))
    session.commit()

    case = stored(fresh, "(2026)豫0802民初567号")
    assert (case.mode, case.instance) == (CaseMode.ENTRUSTED, 1)
    assert case.procedure == Procedure.SIMPLIFIED
    assert case.category == Category.CREDIT_CARD
    assert case.cause_text == "银行卡纠纷"
    assert case.amount == Decimal("3000.50")
    assert case.complexity == Complexity.SIMPLE
    assert case.received_on == date(2026, 11, 20)
    assert case.deadline_on == date(2026, 11, 27)  # 7 days under simplified procedure


@pytest.mark.parametrize(
    ("cause", "category"),
    [
        ("金融借款合同纠纷", Category.FINANCIAL_LOAN),
        ("借款合同纠纷(金融机构)", Category.FINANCIAL_LOAN),
        ("借款合同纠纷（金融机构）", Category.FINANCIAL_LOAN),
        ("信用卡纠纷", Category.CREDIT_CARD),
        ("财产保险合同纠纷", Category.INSURANCE),
        ("追偿权纠纷", Category.GUARANTEE),
        ("融资租赁合同纠纷", Category.FINANCIAL_LEASING),
        ("金融 借款合同纠纷", Category.FINANCIAL_LOAN),
    ],
)
def test_cause_of_action_maps_to_category(
    session: Session, tmp_path: Path, cause: str, category: Category
) -> None:
    report = run(session, write_csv(tmp_path, [delegated() | {"案由": cause}]))

    assert report.rejected == []
    assert stored(session, "(2026)豫0802民诉前调1001号").category == category


@pytest.mark.parametrize(
    ("row", "procedure", "complexity"),
    [
        pytest.param(
            delegated() | {"是否疑难复杂": "是", AMOUNT: "5,000,000.00"},
            Procedure.SIMPLIFIED,
            Complexity.MAJOR,
            id="complex-at-major-amount",
        ),
        pytest.param(
            delegated() | {"是否疑难复杂": "是", AMOUNT: "8000000"},
            Procedure.SIMPLIFIED,
            Complexity.MAJOR,
            id="complex-above-major-amount",
        ),
        pytest.param(
            delegated() | {"是否疑难复杂": "是", AMOUNT: "4999999.99"},
            Procedure.SIMPLIFIED,
            Complexity.COMPLEX,
            id="complex-below-major-amount",
        ),
        pytest.param(
            entrusted() | {"是否疑难复杂": "是", "程序": "小额", AMOUNT: "20000"},
            Procedure.SMALL_CLAIMS,
            Complexity.COMPLEX,
            id="complex-small-claims",
        ),
        pytest.param(
            entrusted() | {"程序": "小额诉讼程序", AMOUNT: "20000"},
            Procedure.SMALL_CLAIMS,
            Complexity.SIMPLE,
            id="small-claims",
        ),
        pytest.param(
            entrusted() | {"程序": "简易"},
            Procedure.SIMPLIFIED,
            Complexity.SIMPLE,
            id="simplified",
        ),
        pytest.param(
            entrusted() | {"程序": "普通", AMOUNT: "9000000"},
            Procedure.ORDINARY,
            Complexity.ORDINARY,
            id="ordinary-large-not-complex",
        ),
        pytest.param(
            delegated() | {"程序": "", AMOUNT: "50000.00"},
            Procedure.SMALL_CLAIMS,
            Complexity.SIMPLE,
            id="delegated-no-procedure-at-threshold",
        ),
        pytest.param(
            delegated() | {"程序": "", AMOUNT: "50000.01"},
            Procedure.ORDINARY,
            Complexity.ORDINARY,
            id="delegated-no-procedure-above-threshold",
        ),
    ],
)
def test_procedure_and_complexity(
    session: Session, tmp_path: Path, row: Row, procedure: Procedure, complexity: Complexity
) -> None:
    report = run(session, write_csv(tmp_path, [row]))

    assert report.rejected == []
    case = session.scalars(select(Case)).one()
    assert (case.procedure, case.complexity) == (procedure, complexity)


def test_major_amount_and_small_claims_threshold_come_from_the_options(
    session: Session, tmp_path: Path
) -> None:
    rows = [
        delegated(1001) | {"是否疑难复杂": "是", AMOUNT: "1000000"},
        delegated(1002) | {"程序": "", AMOUNT: "80000"},
    ]
    run(
        session,
        write_csv(tmp_path, rows),
        major_amount=Decimal("1000000"),
        small_claims_threshold=Decimal("100000"),
    )

    assert stored(session, "(2026)豫0802民诉前调1001号").complexity == Complexity.MAJOR
    assert stored(session, "(2026)豫0802民诉前调1002号").procedure == Procedure.SMALL_CLAIMS


@pytest.mark.parametrize(
    ("row", "deadline"),
    [
        pytest.param(delegated(), date(2026, 12, 2), id="delegated-30-days"),
        pytest.param(
            delegated() | {"收案日期": "2026-09-01"},
            date(2026, 10, 8),
            id="delegated-last-day-in-national-day-holiday",
        ),
        pytest.param(
            entrusted() | {"程序": "普通"}, date(2026, 12, 7), id="entrusted-ordinary-saturday"
        ),
        pytest.param(entrusted() | {"程序": "简易"}, date(2026, 11, 27), id="entrusted-simplified"),
        pytest.param(
            entrusted() | {"程序": "小额", AMOUNT: "9000"},
            date(2026, 11, 27),
            id="entrusted-small-claims",
        ),
    ],
)
def test_deadline_is_computed(session: Session, tmp_path: Path, row: Row, deadline: date) -> None:
    report = run(session, write_csv(tmp_path, [row]))

    assert report.warnings == []
    assert session.scalars(select(Case)).one().deadline_on == deadline


def test_deadline_in_an_uncovered_year_imports_without_deadline_and_warns(
    session: Session, tmp_path: Path
) -> None:
    rows = [delegated(1001) | {"收案日期": "2026-12-15"}, delegated(1002)]
    report = run(session, write_csv(tmp_path, rows), today=date(2026, 12, 20))

    assert report.rejected == []
    assert report.imported == ["(2026)豫0802民诉前调1001号", "(2026)豫0802民诉前调1002号"]
    assert stored(session, "(2026)豫0802民诉前调1001号").deadline_on is None  # 2027-01-14
    assert stored(session, "(2026)豫0802民诉前调1002号").deadline_on == date(2026, 12, 2)
    [warning] = report.warnings
    assert (warning.row, warning.field) == (2, "收案日期")
    assert zh(warning).startswith("已导入，但未计算期限")
    assert "without a deadline" in en(warning)
    assert report.exit_code == 0


def test_defendants_separated_by_dunhao_become_parties(session: Session, tmp_path: Path) -> None:
    row = delegated() | {"被告": "张三、李四、焦作市某某商贸有限公司"}
    run(session, write_csv(tmp_path, [row]))

    case = stored(session, "(2026)豫0802民诉前调1001号")
    parties = [(p.role, p.position, p.name) for p in case.parties]
    assert parties == [
        (PartyRole.PLAINTIFF, 0, BANK),
        (PartyRole.DEFENDANT, 0, "张三"),
        (PartyRole.DEFENDANT, 1, "李四"),
        (PartyRole.DEFENDANT, 2, "焦作市某某商贸有限公司"),
    ]
    by_name = {p.name: p for p in case.parties}
    assert by_name["张三"].institution_id is None
    assert by_name["张三"].is_natural_person
    assert by_name["李四"].institution_id is None
    company = by_name["焦作市某某商贸有限公司"].institution
    assert company is not None
    assert company.kind == InstitutionKind.OTHER
    assert company.is_financial is False
    assert by_name[BANK].institution is not None


@pytest.mark.parametrize("written", ["张三；李四", "张三;李四", "张三 、 李四、"])
def test_other_defendant_separators(session: Session, tmp_path: Path, written: str) -> None:
    run(session, write_csv(tmp_path, [delegated() | {"被告": written}]))

    case = stored(session, "(2026)豫0802民诉前调1001号")
    assert [p.name for p in case.defendants] == ["张三", "李四"]


def test_institutional_plaintiff_gets_a_batch_key(session: Session, tmp_path: Path) -> None:
    rows = [
        delegated(1001),
        delegated(1002) | {"被告": "李四"},
        delegated(1003) | {"案由": "信用卡纠纷"},
        delegated(1004) | {"原告": "王五"},
    ]
    report = run(session, write_csv(tmp_path, rows))

    assert report.rejected == []
    bank = session.scalars(select(Institution).where(Institution.name == BANK)).one()
    keys = {c.case_number: c.batch_key for c in session.scalars(select(Case).order_by(Case.seq))}
    assert keys == {
        "(2026)豫0802民诉前调1001号": f"financial_loan@{bank.id}",
        "(2026)豫0802民诉前调1002号": f"financial_loan@{bank.id}",
        "(2026)豫0802民诉前调1003号": f"credit_card@{bank.id}",
        "(2026)豫0802民诉前调1004号": None,
    }
    person_plaintiff = stored(session, "(2026)豫0802民诉前调1004号").plaintiffs[0]
    assert person_plaintiff.institution_id is None


def test_unknown_institutions_are_created_once_and_listed(session: Session, tmp_path: Path) -> None:
    insurer = "中国人民财产保险股份有限公司焦作市分公司"
    rows = [
        delegated(1001) | {"原告": RURAL_BANK},
        delegated(1002) | {"原告": RURAL_BANK, "被告": "赵六、焦作市某某商贸有限公司"},
        delegated(1003) | {"原告": insurer, "案由": "保险合同纠纷"},
    ]
    report = run(session, write_csv(tmp_path, rows))

    assert report.institutions_created == [RURAL_BANK, "焦作市某某商贸有限公司", insurer]
    kinds = {i.name: (i.kind, i.is_financial) for i in session.scalars(select(Institution))}
    assert kinds == {
        RURAL_BANK: (InstitutionKind.RURAL_BANK, True),
        "焦作市某某商贸有限公司": (InstitutionKind.OTHER, False),
        insurer: (InstitutionKind.INSURER, True),
    }


def test_known_institution_is_reused_not_created(session: Session, tmp_path: Path) -> None:
    bank = Institution(name=BANK, kind=InstitutionKind.STATE_BANK)
    session.add(bank)
    session.flush()

    report = run(session, write_csv(tmp_path, [delegated()]))

    assert report.institutions_created == []
    assert institution_count(session) == 1
    case = stored(session, "(2026)豫0802民诉前调1001号")
    assert case.plaintiffs[0].institution_id == bank.id
    assert case.batch_key == f"financial_loan@{bank.id}"


# ============================================================================ partial imports


def test_valid_rows_are_imported_and_invalid_ones_reported(
    session: Session, fresh: Session, tmp_path: Path
) -> None:
    rows = [
        delegated(1001),
        delegated(1002) | {AMOUNT: "-1"},
        entrusted(567),
        delegated(1003) | {"案由": "离婚纠纷"},
        delegated(1004),
    ]
    report = run(session, write_csv(tmp_path, rows))
    session.commit()

    assert report.rows == 5
    assert report.imported == [
        "(2026)豫0802民诉前调1001号",
        "(2026)豫0802民初567号",
        "(2026)豫0802民诉前调1004号",
    ]
    assert report.rejected_rows == [3, 5]
    assert report.exit_code == 1
    assert sorted(fresh.scalars(select(Case.case_number))) == sorted(report.imported)


def test_reimporting_the_same_file_adds_nothing(
    session: Session, fresh: Session, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [delegated(1001), entrusted(567)], encoding="gbk")
    first = run(session, path)
    session.commit()

    again = run(fresh, path)
    fresh.commit()

    assert first.imported == ["(2026)豫0802民诉前调1001号", "(2026)豫0802民初567号"]
    assert again.imported == []
    assert again.rejected == []
    assert again.unchanged == first.imported
    assert again.institutions_created == []
    assert again.exit_code == 0
    assert case_count(fresh) == 2


def test_reimport_recognises_the_same_data_written_differently(
    session: Session, fresh: Session, tmp_path: Path
) -> None:
    run(session, write_csv(tmp_path, [delegated(1001)], name="first.csv"))
    session.commit()
    rewritten = delegated(1001) | {
        "案号": "（2026）豫0802民诉前调1001号",
        "移送法院": "豫0802",
        AMOUNT: "¥120,000",
        "收案日期": "2026年11月2日",
        "被告": " 张三 ",
    }

    again = run(fresh, write_xlsx(tmp_path, [rewritten], title=TITLE))

    assert again.rejected == []
    assert again.unchanged == ["(2026)豫0802民诉前调1001号"]
    assert case_count(fresh) == 1


def test_strict_with_one_bad_row_imports_nothing(session: Session, tmp_path: Path) -> None:
    rows = [delegated(1001), delegated(1002) | {"收案日期": "2026-02-30"}, entrusted(567)]
    report = run(session, write_csv(tmp_path, rows), strict=True)

    assert report.strict is True
    assert report.imported == []
    assert report.rejected_rows == [3]
    assert report.exit_code == 1
    assert case_count(session) == 0
    assert institution_count(session) == 0


def test_strict_with_every_row_valid_imports_all(session: Session, tmp_path: Path) -> None:
    rows = [delegated(1001), delegated(1002), entrusted(567)]
    report = run(session, write_csv(tmp_path, rows), strict=True)

    assert report.rejected == []
    assert len(report.imported) == 3
    assert case_count(session) == 3


def test_import_writes_an_audit_entry(session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [delegated(1001), delegated(1002) | {AMOUNT: "x"}])
    run(session, path, actor="coordinator")

    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "cases.import")).one()
    assert entry.actor == "coordinator"
    assert (entry.object_type, entry.object_id) == ("transfer_sheet", "sheet.csv")
    assert entry.details["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry.details["rows"] == 2
    assert entry.details["imported"] == 1
    assert entry.details["rejected_rows"] == [3]


# ============================================================================ file-level errors


def _not_text() -> bytes:
    # A GBK header, then 0xFF: invalid in UTF-8 and in GB18030 alike.
    return csv_bytes([], encoding="gbk") + b"\xff\xfe\xff,x\r\n"


FILE_ERRORS = [
    pytest.param(
        "sheet.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        "sheet.xls：不支持旧版 .xls 格式，请另存为 .xlsx",
        "old .xls",
        id="xls",
    ),
    pytest.param(
        "sheet.txt",
        csv_bytes([delegated()]),
        "不支持“.txt”类型的文件",
        "unsupported file type '.txt'",
        id="txt",
    ),
    pytest.param(
        "sheet", csv_bytes([delegated()]), "不支持“”类型", "unsupported file type ''", id="no-ext"
    ),
    pytest.param(
        "sheet.xlsx",
        b"not a zip file",
        "sheet.xlsx：不是可读取的 .xlsx 工作簿",
        "not a readable .xlsx workbook",
        id="junk",
    ),
    pytest.param(
        "sheet.xlsx",
        csv_bytes([delegated()]),
        "不是可读取的 .xlsx 工作簿",
        "not a readable .xlsx workbook",
        id="csv-as-xlsx",
    ),
    pytest.param("missing.csv", None, "无法读取", "cannot read", id="nonexistent"),
    pytest.param(
        "sheet.csv",
        _not_text(),
        "sheet.csv：文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本",
        "neither UTF-8 nor GBK/GB18030",
        id="undecodable",
    ),
    pytest.param(
        "sheet.csv",
        csv_bytes([delegated()], encoding="utf-16"),  # Excel's "Unicode text" export
        "既不是 UTF-8 也不是 GBK/GB18030",
        "neither UTF-8 nor GBK/GB18030",
        id="utf-16",
    ),
    pytest.param(
        "sheet.csv",
        b"\xef\xbb\xbf" + csv_bytes([delegated()], encoding="gbk"),
        "文件开头有 UTF-8 字节顺序标记（BOM），但内容不是 UTF-8 文本",
        "starts with a UTF-8 byte-order mark but is not UTF-8 text",
        id="bom-then-gbk",
    ),
    pytest.param(
        "sheet.csv", b"", "没有含“案号”栏目的表头行", "no header row with a 案号 column", id="empty"
    ),
    pytest.param(
        "sheet.csv",
        "\r\n".join([TITLE, "", "", "", "", "案号,移送法院"]).encode(),
        "sheet.csv：前 5 行中没有含“案号”栏目的表头行",
        "no header row with a 案号 column in the first 5 rows",
        id="header-too-low",
    ),
]


@pytest.mark.parametrize(("name", "data", "message_zh", "message_en"), FILE_ERRORS)
def test_file_level_errors(
    session: Session,
    tmp_path: Path,
    name: str,
    data: bytes | None,
    message_zh: str,
    message_en: str,
) -> None:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)

    with pytest.raises(SheetError) as exc:
        run(session, path)
    assert message_zh in zh(exc.value)
    assert message_en in en(exc.value)
    assert case_count(session) == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_missing_required_column_is_named(session: Session, tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, [delegated()], fmt, drop=["收案日期"], title=TITLE)

    with pytest.raises(SheetError) as exc:
        run(session, path)
    assert f"sheet.{fmt}：表头行（第 2 行）缺少必需的栏目：收案日期" == str(exc.value)
    assert "header row 2 lacks required column(s): 收案日期" in en(exc.value)


def test_every_missing_required_column_is_named(session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [delegated()], drop=["移送法院", AMOUNT, "原告"])

    with pytest.raises(SheetError) as exc:
        run(session, path)
    assert "缺少必需的栏目：移送法院、标的额（元）、原告" in zh(exc.value)
    assert "lacks required column(s): 移送法院、标的额（元）、原告" in en(exc.value)


# ============================================================================ the CLI


def cli(runner: FlaskCliRunner, path: Path, *extra: str, today: str = "2026-11-28") -> Any:
    return runner.invoke(args=["import-cases", str(path), "--today", today, *extra])


def cli_case_count(app: Flask) -> int:
    with Session(app.extensions["sutiao.engine"]) as s:
        return case_count(s)


def test_cli_all_imported_exits_0(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = cli(runner, write_csv(tmp_path, [delegated(1001), entrusted(567)]))

    assert result.exit_code == 0, result.output
    assert "sheet.csv: 2 rows — 2 imported, 0 already present, 0 rejected" in result.stdout
    assert f"  new institution: {BANK}" in result.stdout
    assert f"  new institution: {RURAL_BANK}" in result.stdout
    assert cli_case_count(app) == 2


def test_cli_some_rows_rejected_exits_1_and_keeps_the_valid_ones(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = [
        delegated(1001),
        delegated(1002) | {AMOUNT: "-5"},
        delegated(1003) | {"案号": "(2026)豫0803民诉前调1003号"},
    ]
    result = cli(runner, write_csv(tmp_path, rows))

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "sheet.csv: 3 rows — 1 imported, 0 already present, 2 rejected" in lines
    assert "  rejected row 3, 标的额（元） [-5]: amount -5 is negative" in lines
    assert "不能为负数" not in result.output  # the command line speaks English
    assert any(
        line.startswith("  rejected row 4, 案号 [(2026)豫0803民诉前调1003号]: ")
        and "does not match 移送法院" in line
        for line in lines
    )
    assert cli_case_count(app) == 1


def test_cli_reimport_exits_0_and_adds_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path, [delegated(1001), entrusted(567)], title=TITLE)
    assert cli(runner, path).exit_code == 0

    result = cli(runner, path)

    assert result.exit_code == 0, result.output
    assert "sheet.xlsx: 2 rows — 0 imported, 2 already present, 0 rejected" in result.stdout
    assert "new institution" not in result.stdout
    assert cli_case_count(app) == 2


def test_cli_strict_with_a_bad_row_imports_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = [delegated(1001), delegated(1002) | {"是否疑难复杂": "不确定"}, entrusted(567)]
    result = cli(runner, write_csv(tmp_path, rows), "--strict")

    assert result.exit_code == 1, result.output
    assert "3 rows — 0 imported, 0 already present, 1 rejected" in result.stdout
    assert "  rejected row 3, 是否疑难复杂 [不确定]: '不确定' is not 是 or 否" in result.stdout
    assert "--strict: nothing was imported because some rows were rejected." in result.stdout
    assert "new institution" not in result.stdout
    assert cli_case_count(app) == 0
    with Session(app.extensions["sutiao.engine"]) as s:
        assert institution_count(s) == 0


def test_cli_strict_with_every_row_valid_imports_all(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = [delegated(1001), delegated(1002), entrusted(567)]
    result = cli(runner, write_csv(tmp_path, rows), "--strict")

    assert result.exit_code == 0, result.output
    assert "3 rows — 3 imported" in result.stdout
    assert cli_case_count(app) == 3


def test_cli_uses_today_for_the_future_check(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [delegated() | {"收案日期": "2026-11-28"}])

    early = cli(runner, path, today="2026-11-27")
    assert early.exit_code == 1
    assert "rejected row 2, 收案日期 [2026-11-28]: date 2026-11-28 is in the future" in (
        early.stdout
    )

    assert cli(runner, path, today="2026-11-28").exit_code == 0
    assert cli_case_count(app) == 1


def test_cli_prints_the_missing_deadline_warning(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [delegated() | {"收案日期": "2026-12-15"}])

    result = cli(runner, path, today="2026-12-20")

    assert result.exit_code == 0, result.output
    assert "  warning row 2, 收案日期: imported without a deadline" in result.stdout


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param("sheet.xls", b"\xd0\xcf\x11\xe0", "error: sheet.xls: the old .xls", id="xls"),
        pytest.param("sheet.pdf", b"%PDF-1.4", "unsupported file type '.pdf'", id="pdf"),
        pytest.param("sheet.xlsx", b"PK\x03\x04junk", "not a readable .xlsx workbook", id="junk"),
        pytest.param("missing.xlsx", None, "error: cannot read", id="nonexistent"),
        pytest.param(
            "sheet.csv",
            csv_bytes([delegated()], drop=["案由"]),
            "lacks required column(s): 案由",
            id="missing-column",
        ),
        pytest.param("sheet.csv", _not_text(), "neither UTF-8 nor GBK/GB18030", id="undecodable"),
        pytest.param(
            "sheet.csv",
            b"\xef\xbb\xbf" + csv_bytes([delegated()], encoding="gbk"),
            "byte-order mark but is not UTF-8 text",
            id="bom-then-gbk",
        ),
    ],
)
def test_cli_file_level_errors_exit_2(
    app: Flask,
    runner: FlaskCliRunner,
    tmp_path: Path,
    name: str,
    data: bytes | None,
    message: str,
) -> None:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)

    result = cli(runner, path)

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert cli_case_count(app) == 0


def test_cli_writes_an_audit_entry(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [delegated(1001), delegated(1002) | {"被告": ""}])

    assert cli(runner, path).exit_code == 1

    with Session(app.extensions["sutiao.engine"]) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "cases.import")).one()
    assert entry.actor == "cli"
    assert entry.object_id == "sheet.csv"
    assert entry.details["imported"] == 1
    assert entry.details["rejected_rows"] == [3]
    assert entry.details["strict"] is False
    assert entry.details["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
