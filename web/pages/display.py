"""What the leader, mediator and court pages share: the clock, date and time formats, and the
Chinese labels of the vocabulary.

Labels are msgids (marked with ``N_`` so that ``pybabel extract`` finds them) and are translated
where they are shown: ``{{ _(label) }}`` in templates, ``gettext(label)`` in Python.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from matcher.problem import MAX_WEIGHT, WEIGHT_NAMES
from models.vocabulary import CaseStatus, Category, SessionKind

TZ = ZoneInfo("Asia/Shanghai")


def N_(msgid: str) -> str:
    """Mark a msgid for extraction; it is translated where it is shown."""
    return msgid


# --- the clock (tests replace these to look at a fixed day) -----------------------------------


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().astimezone(TZ).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- formats ------------------------------------------------------------------------------------


def local(moment: datetime) -> datetime:
    """``moment`` in Asia/Shanghai (a naive value is taken as UTC, as SQLite returns it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TZ)


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = local(value).date()
    return value.isoformat()


def fmt_time(value: datetime | None) -> str:
    return "—" if value is None else local(value).strftime("%H:%M")


def fmt_datetime(value: datetime | None) -> str:
    return "—" if value is None else local(value).strftime("%Y-%m-%d %H:%M")


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(raw: str) -> date:
    """A date typed as 2026-12-01, 2026/12/1, 2026.12.01 or 2026年12月1日 (full-width digits
    too); ValueError otherwise."""
    found = _DATE.match(unicodedata.normalize("NFKC", raw).strip())
    if found is None:
        raise ValueError(f"not a date: {raw!r}")
    return date(int(found[1]), int(found[2]), int(found[3]))


WEEKDAYS = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))


# --- vocabulary ---------------------------------------------------------------------------------

STATUS = {
    CaseStatus.RECEIVED.value: N_("待分派"),
    CaseStatus.ASSIGNED.value: N_("已分派"),
    CaseStatus.SCHEDULED.value: N_("已排期"),
    CaseStatus.PAUSED.value: N_("评估暂停中"),
    CaseStatus.SETTLED.value: N_("调解成功"),
    CaseStatus.FAILED.value: N_("调解不成"),
    CaseStatus.WITHDRAWN.value: N_("撤回"),
}

CATEGORY = {
    Category.FINANCIAL_LOAN.value: N_("金融借款合同纠纷"),
    Category.CREDIT_CARD.value: N_("信用卡纠纷"),
    Category.INSURANCE.value: N_("保险合同纠纷"),
    Category.GUARANTEE.value: N_("保证合同纠纷"),
    Category.FINANCIAL_LEASING.value: N_("融资租赁合同纠纷"),
    Category.SECURITIES_FUTURES.value: N_("证券期货纠纷"),
    Category.DEPOSIT.value: N_("储蓄存款合同纠纷"),
    Category.FINANCIAL_TORT.value: N_("金融业务侵权责任纠纷"),
    Category.OTHER_FINANCIAL.value: N_("其他金融纠纷"),
}

SESSION_KIND = {
    SessionKind.MEDIATION.value: N_("调解"),
    SessionKind.JOINT_MEDIATION.value: N_("联合调解"),
    SessionKind.EVALUATION.value: N_("中立评估"),
    SessionKind.CASE_CONFERENCE.value: N_("疑难案件研讨会"),
    SessionKind.REGULAR_MEETING.value: N_("工作例会"),
    SessionKind.TRAINING.value: N_("培训"),
}

SESSION_STATUS = {
    "tentative": N_("待确认"),
    "confirmed": N_("已确认"),
    "cancelled": N_("已取消"),
    "held": N_("已举行"),
}

ROLE = {
    "mediator": N_("调解员"),
    "expert": N_("专家"),
    "liaison_judge": N_("联络法官"),
    "leader": N_("中心领导"),
    "member": N_("参会人员"),
}

# Why a case has no team (matcher reason codes, README "The matcher").
UNASSIGNED_REASON = {
    "no_eligible_specialist": N_("无具备该案由专长的调解员或专家"),
    "all_conflicted": N_("合格人员均须回避"),
    "capacity_exhausted": N_("合格人员的在办案件已满"),
    "no_availability_before_deadline": N_("期限内合格人员没有空闲时间"),
    "team_incomplete": N_("无法组成完整的调解团队"),
    "not_run": N_("尚未运行分派"),
    "no_deadline": N_("期限未定（缺节假日安排）"),
}

# Leadership's weights: a label and a one-line explanation each (matcher/score.py).
WEIGHT_LABEL = {
    "specialty": N_("专业匹配"),
    "workload": N_("工作量均衡"),
    "rotation": N_("轮换分案"),
    "batch": N_("串案延续"),
    "locality": N_("就近调解"),
    "urgency": N_("期限紧迫"),
    "stability": N_("方案稳定"),
}
WEIGHT_HELP = {
    "specialty": N_("调解员或专家在该案由上的专长等级越高，得分越高。"),
    "workload": N_("在办案件接近或超过容量时扣分，使各人的工作量更均衡。"),
    "rotation": N_("近期分到案件较少的人优先，避免案件集中在少数人手中。"),
    "batch": N_("同一原告、同一案由的串案，尽量由已办理该批案件的调解员继续主持。"),
    "locality": N_("优先安排驻在案件所属法院的调解员。"),
    "urgency": N_("期限临近的案件，优先交给近期有空闲时间的人。"),
    "stability": N_("重新分派时，尽量保留上一版方案中的人选。"),
}
assert set(WEIGHT_LABEL) == set(WEIGHT_HELP) == set(WEIGHT_NAMES)
WEIGHT_RANGE = (0, MAX_WEIGHT)

# The matcher's KPIs (matcher/solve.py ``_kpis``): a name, and whether a higher value is better.
# Shown through the templates' gettext, which %-formats every msgid: a literal % is written %%.
KPI_LABEL = {
    "cases_assigned": N_("已分派案件数"),
    "cases_unassigned": N_("未分派案件数"),
    "mean_specialty_level": N_("平均专长等级（1–5）"),
    "max_utilisation_pct": N_("最高利用率（%%）"),
    "utilisation_spread_pct": N_("利用率离散度（百分点）"),
    "rotation_spread": N_("近期分案数离散度"),
    "batch_cohesion": N_("串案集中度"),
    "batch_splits": N_("串案拆分次数"),
    "local_share": N_("就近调解比例"),
}
KPI_HIGHER_IS_BETTER = {
    "cases_assigned": True,
    "cases_unassigned": False,
    "mean_specialty_level": True,
    "max_utilisation_pct": False,
    "utilisation_spread_pct": False,
    "rotation_spread": False,
    "batch_cohesion": True,
    "batch_splits": False,
    "local_share": True,
}


def label(table: dict[str, str], key: str | None) -> str:
    """The msgid for ``key``, or the key itself when the table does not know it."""
    if key is None:
        return "—"
    return table.get(key, key)
