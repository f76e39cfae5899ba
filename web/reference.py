"""Reference data: the Jiaozuo courts, the financial case categories and their 案由 wording,
and the institutions named in the center's founding notice (../shared/domain/reference.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CaseCategory, Court, Institution
from models.vocabulary import CATEGORY_NAMES_ZH, Category, CourtLevel, InstitutionKind


@dataclass(frozen=True)
class CourtRow:
    code: str | None
    name: str
    short_name: str
    level: CourtLevel
    parent_code: str | None


INTERMEDIATE = "豫08"
COURTS: tuple[CourtRow, ...] = (
    CourtRow("豫08", "焦作市中级人民法院", "焦作中院", CourtLevel.INTERMEDIATE, None),
    CourtRow("豫0802", "焦作市解放区人民法院", "解放区人民法院", CourtLevel.BASIC, INTERMEDIATE),
    CourtRow("豫0803", "焦作市中站区人民法院", "中站区人民法院", CourtLevel.BASIC, INTERMEDIATE),
    CourtRow("豫0804", "焦作市马村区人民法院", "马村区人民法院", CourtLevel.BASIC, INTERMEDIATE),
    CourtRow("豫0811", "焦作市山阳区人民法院", "山阳区人民法院", CourtLevel.BASIC, INTERMEDIATE),
    CourtRow("豫0821", "修武县人民法院", "修武县人民法院", CourtLevel.BASIC, INTERMEDIATE),
    CourtRow("豫0822", "博爱县人民法院", "博爱县人民法院", CourtLevel.BASIC, INTERMEDIATE),
    CourtRow("豫0823", "武陟县人民法院", "武陟县人民法院", CourtLevel.BASIC, INTERMEDIATE),
    CourtRow("豫0825", "温县人民法院", "温县人民法院", CourtLevel.BASIC, INTERMEDIATE),
    CourtRow("豫0882", "沁阳市人民法院", "沁阳市人民法院", CourtLevel.BASIC, INTERMEDIATE),
    CourtRow("豫0883", "孟州市人民法院", "孟州市人民法院", CourtLevel.BASIC, INTERMEDIATE),
    # The founding notice names the tribunal but not the court it sits under; it has no 案号 code.
    CourtRow(None, "焦作高新技术产业开发区法庭", "高新法庭", CourtLevel.TRIBUNAL, None),
)

# 案由 wordings seen on transfer sheets -> category. Anything else is not a financial dispute.
CAUSE_ALIASES: dict[str, Category] = {
    **{name: cat for cat, name in CATEGORY_NAMES_ZH.items()},
    "借款合同纠纷(金融机构)": Category.FINANCIAL_LOAN,
    "小额借款合同纠纷": Category.FINANCIAL_LOAN,
    "银行卡纠纷": Category.CREDIT_CARD,
    "信用卡合同纠纷": Category.CREDIT_CARD,
    "借记卡纠纷": Category.CREDIT_CARD,
    "保险纠纷": Category.INSURANCE,
    "财产保险合同纠纷": Category.INSURANCE,
    "人身保险合同纠纷": Category.INSURANCE,
    "保险人代位求偿权纠纷": Category.INSURANCE,
    "追偿权纠纷": Category.GUARANTEE,
    "担保合同纠纷": Category.GUARANTEE,
    "融资租赁纠纷": Category.FINANCIAL_LEASING,
    "证券纠纷": Category.SECURITIES_FUTURES,
    "期货交易纠纷": Category.SECURITIES_FUTURES,
    "证券虚假陈述责任纠纷": Category.SECURITIES_FUTURES,
    "储蓄存款纠纷": Category.DEPOSIT,
    "金融委托理财合同纠纷": Category.OTHER_FINANCIAL,
    "典当纠纷": Category.OTHER_FINANCIAL,
    "保理合同纠纷": Category.OTHER_FINANCIAL,
    "金融不良债权追偿纠纷": Category.OTHER_FINANCIAL,
}

# Financial institutions named in the founding notice, with their kind.
FOUNDING_INSTITUTIONS: tuple[tuple[str, InstitutionKind], ...] = (
    ("中国农业发展银行焦作市分行", InstitutionKind.POLICY_BANK),
    ("中国工商银行股份有限公司焦作分行", InstitutionKind.STATE_BANK),
    ("中国农业银行股份有限公司焦作分行", InstitutionKind.STATE_BANK),
    ("中国银行股份有限公司焦作分行", InstitutionKind.STATE_BANK),
    ("中国建设银行股份有限公司焦作分行", InstitutionKind.STATE_BANK),
    ("交通银行股份有限公司焦作分行", InstitutionKind.STATE_BANK),
    ("中国邮政储蓄银行股份有限公司焦作市分行", InstitutionKind.STATE_BANK),
    ("中信银行股份有限公司焦作分行", InstitutionKind.JOINT_STOCK_BANK),
    ("中国光大银行股份有限公司焦作分行", InstitutionKind.JOINT_STOCK_BANK),
    ("招商银行股份有限公司焦作分行", InstitutionKind.JOINT_STOCK_BANK),
    ("浦发银行股份有限公司焦作分行", InstitutionKind.JOINT_STOCK_BANK),
    ("民生银行股份有限公司焦作分行", InstitutionKind.JOINT_STOCK_BANK),
    ("焦作中旅银行股份有限公司", InstitutionKind.CITY_BANK),
    ("中原银行股份有限公司焦作分行", InstitutionKind.CITY_BANK),
    ("洛阳银行股份有限公司焦作分行", InstitutionKind.CITY_BANK),
    ("河南省农村信用社联合社焦作市办公室", InstitutionKind.RURAL_BANK),
    ("焦作解放农村商业银行股份有限公司", InstitutionKind.RURAL_BANK),
    ("焦作山阳农村商业银行股份有限公司", InstitutionKind.RURAL_BANK),
    ("修武县农村信用合作联社", InstitutionKind.RURAL_BANK),
    ("博爱农村商业银行股份有限公司", InstitutionKind.RURAL_BANK),
    ("武陟县农村信用合作联社", InstitutionKind.RURAL_BANK),
    ("温县农村商业银行股份有限公司", InstitutionKind.RURAL_BANK),
    ("沁阳市农村信用合作联社", InstitutionKind.RURAL_BANK),
    ("孟州市农村信用合作联社", InstitutionKind.RURAL_BANK),
    ("修武村镇银行股份有限公司", InstitutionKind.VILLAGE_BANK),
    ("博爱新开元村镇银行股份有限公司", InstitutionKind.VILLAGE_BANK),
    ("温县村镇银行股份有限公司", InstitutionKind.VILLAGE_BANK),
    ("中国人民财产保险股份有限公司焦作市分公司", InstitutionKind.INSURER),
    ("中国人寿保险股份有限公司焦作分公司", InstitutionKind.INSURER),
    ("中国平安财产保险股份有限公司焦作中心支公司", InstitutionKind.INSURER),
    ("中国太平洋财产保险股份有限公司焦作中心支公司", InstitutionKind.INSURER),
    ("焦作市银行业协会", InstitutionKind.ASSOCIATION),
    ("焦作市保险行业协会", InstitutionKind.ASSOCIATION),
)

# Name endings that mark an organisation rather than a natural person.
ORGANISATION_MARKERS = (
    "银行", "分行", "支行", "公司", "分公司", "合作社", "联社", "协会", "办公室", "中心",
    "集团", "营业部", "事务所", "委员会", "厂", "店", "学校", "医院",
)  # fmt: skip


def looks_like_organisation(name: str) -> bool:
    return any(marker in name for marker in ORGANISATION_MARKERS)


def classify_institution(name: str) -> InstitutionKind:
    """A best guess at an unknown institution's kind from its name."""
    if "保险" in name:
        return InstitutionKind.INSURER
    if "村镇银行" in name:
        return InstitutionKind.VILLAGE_BANK
    if "农村商业银行" in name or "农村信用" in name or "农商" in name:
        return InstitutionKind.RURAL_BANK
    if "协会" in name:
        return InstitutionKind.ASSOCIATION
    return InstitutionKind.OTHER


def load_reference(session: Session) -> dict[str, int]:
    """Insert missing courts and categories; existing rows are left as they are. Idempotent."""
    added = {"courts": 0, "categories": 0}
    by_name = {c.name: c for c in session.scalars(select(Court))}
    for row in COURTS:
        if row.name in by_name:
            continue
        court = Court(code=row.code, name=row.name, short_name=row.short_name, level=row.level)
        session.add(court)
        by_name[row.name] = court
        added["courts"] += 1
    session.flush()
    by_code = {c.code: c for c in by_name.values() if c.code}
    for row in COURTS:
        court = by_name[row.name]
        if row.parent_code and court.parent_id is None:
            court.parent = by_code[row.parent_code]
    existing = set(session.scalars(select(CaseCategory.code)))
    for category, name in CATEGORY_NAMES_ZH.items():
        if category.value not in existing:
            session.add(CaseCategory(code=category.value, name=name))
            added["categories"] += 1
    session.flush()
    return added


def load_founding_institutions(session: Session) -> list[Institution]:
    existing = {i.name: i for i in session.scalars(select(Institution))}
    result = []
    for name, kind in FOUNDING_INSTITUTIONS:
        inst = existing.get(name)
        if inst is None:
            inst = Institution(name=name, kind=kind, is_financial=kind != InstitutionKind.OTHER)
            session.add(inst)
        result.append(inst)
    session.flush()
    return result
