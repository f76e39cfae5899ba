"""The dashboard's tables, once: the page shows them and the .xlsx export writes the same rows
with the same Chinese headers (translated at request time, like the page)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..dashboard import Dashboard
from . import display
from .display import N_

Cell = str | int | float | date | None


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    numeric: frozenset[int] = field(default_factory=frozenset)  # right-aligned columns
    percent: frozenset[int] = field(default_factory=frozenset)  # 0–1 fractions shown as %
    nowrap: frozenset[int] = field(default_factory=frozenset)  # 案号 and dates stay on one line


def _t(msgid: str) -> str:
    return str(gettext(msgid))


def _label(table: dict[str, str], key: str | None) -> str:
    return _t(display.label(table, key))


def _roles(roles: Sequence[str]) -> str:
    return "、".join(_label(display.ROLE, r) for r in roles)


def meeting(d: Dashboard) -> Table:
    m = d.meeting
    rate = m.success_rate
    rows: list[list[Cell]] = [
        [_t("本周新收案件"), m.received],
        [_t("本周分派案件"), m.assigned],
        [_t("本周排期案件"), m.scheduled],
        [_t("本周调解场次"), m.sessions],
        [_t("本周结案"), m.closed],
        [_t("其中调解成功"), m.settled],
        [_t("在办案件"), m.open_cases],
        [_t("未分派案件"), len(m.unassigned)],
        [_t("期限风险案件"), len(m.at_risk)],
        [_t("调解成功率（累计）"), "—" if rate is None else f"{rate:.1%}"],
    ]
    title = _t("例会数据（%(start)s 至 %(end)s）") % {
        "start": display.fmt_date(m.week_start),
        "end": display.fmt_date(m.week_end),
    }
    return Table("meeting", title, [_t("项目"), _t("数值")], rows, frozenset({1}))


def unassigned(d: Dashboard) -> Table:
    rows: list[list[Cell]] = [
        [
            u.case_number,
            u.court,
            u.received_on,
            u.deadline_on,
            _label(display.UNASSIGNED_REASON, u.reason),
        ]
        for u in d.meeting.unassigned
    ]
    headers = [_t("案号"), _t("法院"), _t("收案日期"), _t("期限"), _t("原因")]
    return Table("unassigned", _t("未分派案件及原因"), headers, rows, nowrap=frozenset({0, 2, 3}))


RISK_REASON = {
    "overdue": N_("已超过期限"),
    "session_after_deadline": N_("排期晚于期限"),
    "no_session": N_("临近期限尚未排期"),
}


def at_risk(d: Dashboard) -> Table:
    rows: list[list[Cell]] = [
        [
            r.case_number,
            r.court,
            _label(display.STATUS, r.status),
            r.deadline_on,
            r.workdays_left,
            display.fmt_datetime(r.next_session) if r.next_session else "—",
            _label(RISK_REASON, r.reason),
        ]
        for r in d.meeting.at_risk
    ]
    headers = [
        _t("案号"),
        _t("法院"),
        _t("状态"),
        _t("期限"),
        _t("剩余工作日"),
        _t("下次调解"),
        _t("风险"),
    ]
    return Table(
        "at_risk", _t("期限风险案件"), headers, rows, frozenset({4}), nowrap=frozenset({0, 3, 5})
    )


def utilisation(d: Dashboard) -> Table:
    rows: list[list[Cell]] = [
        [
            x.roster_no,
            x.name,
            _roles(x.roles),
            x.active,
            x.new,
            x.capacity,
            None if x.percent is None else round(x.percent / 100, 3),
        ]
        for x in d.loads
    ]
    headers = [
        _t("名册编号"),
        _t("姓名"),
        _t("角色"),
        _t("在办案件"),
        _t("待发布新案"),
        _t("容量"),
        _t("利用率"),
    ]
    return Table(
        "utilisation",
        _t("人员利用率"),
        headers,
        rows,
        frozenset({3, 4, 5, 6}),
        frozenset({6}),
    )


def slack(d: Dashboard) -> Table:
    rows: list[list[Cell]] = [
        [
            s.case_number,
            s.court,
            _label(display.SESSION_KIND, s.kind),
            display.fmt_datetime(s.starts_at),
            s.deadline_on,
            s.workdays,
        ]
        for s in d.slack
    ]
    headers = [
        _t("案号"),
        _t("法院"),
        _t("类型"),
        _t("调解时间"),
        _t("期限"),
        _t("期限余量（工作日）"),
    ]
    return Table(
        "slack",
        _t("已发布调解的期限余量"),
        headers,
        rows,
        frozenset({5}),
        nowrap=frozenset({0, 3, 4}),
    )


def by_status(d: Dashboard) -> Table:
    rows: list[list[Cell]] = [[_label(display.STATUS, s), n] for s, n in d.by_status]
    return Table("status", _t("案件状态分布"), [_t("状态"), _t("件数")], rows, frozenset({1}))


def by_court(d: Dashboard) -> Table:
    rows: list[list[Cell]] = [[s.label, s.open, s.closed, s.total] for s in d.by_court]
    headers = [_t("法院"), _t("在办"), _t("已结"), _t("合计")]
    return Table("court", _t("各法院案件"), headers, rows, frozenset({1, 2, 3}))


def by_category(d: Dashboard) -> Table:
    rows: list[list[Cell]] = [
        [_label(display.CATEGORY, s.key), s.open, s.closed, s.total] for s in d.by_category
    ]
    headers = [_t("案由"), _t("在办"), _t("已结"), _t("合计")]
    return Table("category", _t("各案由案件"), headers, rows, frozenset({1, 2, 3}))


def outcomes(d: Dashboard) -> Table:
    rows: list[list[Cell]] = [
        [m.month, m.settled, m.failed, m.withdrawn, m.closed, m.success_rate] for m in d.outcomes
    ]
    headers = [
        _t("月份"),
        _t("调解成功"),
        _t("调解不成"),
        _t("撤回"),
        _t("结案合计"),
        _t("成功率"),
    ]
    return Table(
        "outcomes",
        _t("各月调解结果"),
        headers,
        rows,
        frozenset({1, 2, 3, 4, 5}),
        frozenset({5}),
    )


# url name -> builder, in the order of the page and of the workbook's sheets
BUILDERS: dict[str, Callable[[Dashboard], Table]] = {
    "meeting": meeting,
    "unassigned": unassigned,
    "at_risk": at_risk,
    "utilisation": utilisation,
    "slack": slack,
    "status": by_status,
    "court": by_court,
    "category": by_category,
    "outcomes": outcomes,
}
ALL = "dashboard"  # every table, one sheet each


def cell_text(table: Table, index: int, value: Cell) -> str:
    """A cell as the page shows it."""
    if value is None:
        return "—"
    if index in table.percent and isinstance(value, int | float):
        return f"{value:.1%}"
    if isinstance(value, date):
        return display.fmt_date(value)
    return str(value)


_SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def workbook(tables: Sequence[Table]) -> bytes:
    """An .xlsx with one sheet per table: a bold header row, frozen, dates as dates."""
    book = Workbook()
    book.remove(book.active)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    for table in tables:
        sheet = book.create_sheet(table.title.translate(_SHEET_FORBIDDEN)[:31])
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="center")
        for row in table.rows:
            sheet.append([display.fmt_datetime(v) if isinstance(v, datetime) else v for v in row])
        for index in range(len(table.headers)):
            column = get_column_letter(index + 1)
            values = [table.headers[index]] + [
                cell_text(table, index, r[index]) for r in table.rows
            ]
            sheet.column_dimensions[column].width = min(
                48, 2 + max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) for v in values)
            )
            for cell in sheet[column][1:]:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
                elif index in table.percent:
                    cell.number_format = "0.0%"
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
