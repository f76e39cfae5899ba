"""The domain vocabulary (code names from DESIGN.md) shared by the schema, import and web layers.

The solver packages keep their own string constants so that they never import this package.
"""

from __future__ import annotations

from enum import StrEnum


class CourtLevel(StrEnum):
    INTERMEDIATE = "intermediate"
    BASIC = "basic"
    TRIBUNAL = "tribunal"


class CaseMode(StrEnum):
    DELEGATED = "delegated"  # 委派, before filing
    ENTRUSTED = "entrusted"  # 委托, after filing, instance 1 or 2


class Procedure(StrEnum):
    ORDINARY = "ordinary"
    SIMPLIFIED = "simplified"
    SMALL_CLAIMS = "small_claims"


class Category(StrEnum):
    FINANCIAL_LOAN = "financial_loan"
    CREDIT_CARD = "credit_card"
    INSURANCE = "insurance"
    GUARANTEE = "guarantee"
    FINANCIAL_LEASING = "financial_leasing"
    SECURITIES_FUTURES = "securities_futures"
    DEPOSIT = "deposit"
    FINANCIAL_TORT = "financial_tort"
    OTHER_FINANCIAL = "other_financial"


CATEGORY_NAMES_ZH: dict[Category, str] = {
    Category.FINANCIAL_LOAN: "金融借款合同纠纷",
    Category.CREDIT_CARD: "信用卡纠纷",
    Category.INSURANCE: "保险合同纠纷",
    Category.GUARANTEE: "保证合同纠纷",
    Category.FINANCIAL_LEASING: "融资租赁合同纠纷",
    Category.SECURITIES_FUTURES: "证券期货纠纷",
    Category.DEPOSIT: "储蓄存款合同纠纷",
    Category.FINANCIAL_TORT: "金融业务侵权责任纠纷",
    Category.OTHER_FINANCIAL: "其他金融纠纷",
}


class Complexity(StrEnum):
    SIMPLE = "simple"
    ORDINARY = "ordinary"
    COMPLEX = "complex"  # 疑难: joint mediation
    MAJOR = "major"  # 重大: joint mediation and a case conference


class CaseStatus(StrEnum):
    RECEIVED = "received"  # signed for, waiting for a team
    ASSIGNED = "assigned"  # team published
    SCHEDULED = "scheduled"  # sessions published
    PAUSED = "paused"  # neutral evaluation or appraisal running
    SETTLED = "settled"  # 调解成功
    FAILED = "failed"  # 调解不成, returned to the court
    WITHDRAWN = "withdrawn"


OPEN_CASE_STATUSES = (
    CaseStatus.RECEIVED,
    CaseStatus.ASSIGNED,
    CaseStatus.SCHEDULED,
    CaseStatus.PAUSED,
)


class PartyRole(StrEnum):
    PLAINTIFF = "plaintiff"
    DEFENDANT = "defendant"


class InstitutionKind(StrEnum):
    POLICY_BANK = "policy_bank"
    STATE_BANK = "state_bank"
    JOINT_STOCK_BANK = "joint_stock_bank"
    CITY_BANK = "city_bank"
    RURAL_BANK = "rural_bank"
    VILLAGE_BANK = "village_bank"
    INSURER = "insurer"
    ASSOCIATION = "association"
    REGULATOR = "regulator"
    OTHER = "other"


class Seniority(StrEnum):
    JUNIOR = "junior"
    REGULAR = "regular"
    SENIOR = "senior"


class TeamRole(StrEnum):
    MEDIATOR = "mediator"
    EXPERT = "expert"


class SessionKind(StrEnum):
    MEDIATION = "mediation"
    JOINT_MEDIATION = "joint_mediation"
    EVALUATION = "evaluation"
    CASE_CONFERENCE = "case_conference"
    REGULAR_MEETING = "regular_meeting"
    TRAINING = "training"


class SessionStatus(StrEnum):
    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    HELD = "held"


class RunKind(StrEnum):
    ASSIGN = "assign"
    SCHEDULE = "schedule"
    REPAIR = "repair"
    PREVIEW = "preview"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PUBLISHED = "published"


class UserRole(StrEnum):
    COORDINATOR = "coordinator"
    LEADER = "leader"
    MEDIATOR = "mediator"
    COURT = "court"
    ADMIN = "admin"


class HolidayKind(StrEnum):
    HOLIDAY = "holiday"  # 法定节假日 / 放假
    WORKDAY = "workday"  # 调休上班: a weekend day that is worked
