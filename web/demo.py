"""Deterministic demo data for a Jiaozuo financial dispute litigation–mediation center.

``load_demo`` fills a fresh database (reference data already loaded) with a roster of mediators
and experts, liaison judges, leaders, rooms, the incoming cases of the last ten working days,
ongoing and closed cases with their published teams and sessions, the weekly 例会, the first
weight profile and one login per role. Every draw comes from ``random.Random(seed)``, so the same
seed and the same ``today`` give the same data. The caller commits.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from models import (
    Affiliation,
    Assignment,
    AssignmentRun,
    Case,
    CaseExtension,
    CaseParty,
    CasePause,
    Court,
    DeclaredConflict,
    Institution,
    Leave,
    Person,
    Proposal,
    RecurringMeeting,
    Room,
    SessionParticipant,
    Specialty,
    User,
    WeeklyAvailability,
    WeightProfile,
)
from models import Session as CalendarSession
from models.case_number import CaseNumber
from models.vocabulary import (
    CATEGORY_NAMES_ZH,
    CaseMode,
    CaseStatus,
    Category,
    Complexity,
    InstitutionKind,
    PartyRole,
    Procedure,
    RunKind,
    RunStatus,
    Seniority,
    SessionKind,
    SessionStatus,
    TeamRole,
    UserRole,
)
from scheduler.problem import Settings as SchedulingSettings

from . import audit
from .config import DEFAULTS
from .holidays import calendar_from_db, refresh_deadline
from .reference import INTERMEDIATE, load_founding_institutions

T = TypeVar("T")

TZ = ZoneInfo("Asia/Shanghai")
MIN_CASES = 150
MIN_PEOPLE = 80  # the fewest people that can hold 80 experts and 40 mediators
SMALL_CLAIMS_LIMIT = Decimal(DEFAULTS["SUTIAO_SMALL_CLAIMS_THRESHOLD"])
# Import calls a 疑难复杂 case at or above this amount major, so demo major cases respect it too.
MAJOR_AMOUNT = int(DEFAULTS["SUTIAO_MAJOR_AMOUNT"])
RECENT_AFFILIATION_DAYS = 730  # a tie that ended within two years still grounds recusal
MORNING = (510, 720)  # 08:30–12:00
AFTERNOON = (870, 1050)  # 14:30–17:30
# Session slots inside the court blocks, in minutes after local midnight.
SLOTS: tuple[tuple[int, int], ...] = ((540, 630), (630, 720), (870, 960), (960, 1050))
MEETING_START = time(9, 0)
MEETING_MINUTES = 60
# Between sessions at two sites on one day, as schedule runs require (scheduler.problem.Settings).
TRAVEL_MINUTES = SchedulingSettings.travel_minutes
DEMO_WEIGHTS: dict[str, int] = {
    "specialty": 10,
    "workload": 8,
    "rotation": 4,
    "batch": 6,
    "locality": 3,
    "urgency": 5,
    "stability": 2,
}
# The demo passwords are printed by `make demo`, so a slow hash would protect nothing and cost
# about a second per load; real accounts get the auth layer's own settings.
DEMO_PASSWORD_METHOD = "pbkdf2:sha256:20000"


class DemoError(RuntimeError):
    """The demo cannot go into this database (it holds data already, or lacks reference data)."""


class DemoSizeError(DemoError, ValueError):
    """A size knob below what the demo promises (at least 150 cases, 40 mediators, 80 experts)."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    description: str


@dataclass(frozen=True)
class DemoSummary:
    institutions: int
    mediators: int
    experts: int
    liaison_judges: int
    leaders: int
    rooms: int
    incoming_cases: int
    ongoing_cases: int
    closed_cases: int
    cases_without_deadline: int
    logins: tuple[DemoLogin, ...]


def _words(text: str) -> tuple[str, ...]:
    """A pool of words written as one space-separated string (keeps long pools compact)."""
    return tuple(text.split())


# --- name pools ------------------------------------------------------------------------------

# Common surnames; the most frequent ones in Henan are repeated so they come up more often.
SURNAMES = (
    "王王王王李李李李张张张张刘刘刘陈陈杨杨赵赵郭郭孙孙马马黄周吴徐胡朱高林何罗宋郑梁谢韩唐"
    "冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆"
    "郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹常武乔贺牛申楚靳焦岳翟党"
)
GIVEN_TWO = _words(
    "建国 建华 国强 志强 志刚 海涛 海燕 丽娟 丽华 秀兰 红霞 晓东 晓燕 晓明 文博 文静 俊杰 子涵 "
    "浩然 雨欣 欣怡 思远 明轩 宇航 佳怡 婷婷 鹏飞 振华 卫东 爱民 春梅 玉兰 金凤 淑珍 永强 新民 "
    "保国 天佑 雪梅 慧敏 立新 学军 红旗 世杰 广平 长青 瑞峰 怀远 云飞 太平 书华 素芳 桂珍 占伟 "
    "新华 东升 宏伟 利民 国庆 玉梅 秋菊 朝阳 向东 卫国 丽萍 晓丽 怀山 嘉怡 梓涵 一鸣 若曦"
)
GIVEN_ONE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚斌辉鑫波宁琳颖峰凯旭亮婷倩蕾晨昊楠帆璐欢瑶"
COMPANY_PLACES = _words("焦作市 焦作 河南 武陟县 温县 沁阳市 孟州市 修武县 博爱县")
COMPANY_BRANDS = _words(
    "鑫源 宏达 恒信 瑞丰 华泰 永盛 金汇 兴隆 中基 德润 山阳 太行 怀川 云台 万方 丰泽 "
    "博远 昌盛 嘉禾 隆基 豫丰 天河 新宇 众诚 聚鑫 安泰 怀庆 龙源 锦程 沁园"
)
COMPANY_TRADES = _words(
    "商贸 建材 机械制造 铝业 化工 物流 食品 农业科技 汽车销售 房地产开发 煤业 纺织 建筑工程 "
    "怀药种植 旅游开发"
)
PHONE_PREFIXES = _words("138 139 137 135 136 158 159 186 187")

# --- institutions ----------------------------------------------------------------------------

CONSUMER_FINANCE = ("中原消费金融股份有限公司", "招联消费金融有限公司")
LESSORS = ("河南九鼎金融租赁股份有限公司", "平安国际融资租赁有限公司")
GUARANTORS = ("焦作市中小企业融资担保有限公司", "河南省中豫融资担保有限公司")
SECURITIES = ("中原证券股份有限公司焦作塔南路证券营业部",)
AMC = "河南资产管理有限公司"
REGULATOR = "国家金融监督管理总局焦作监管分局"
EXTRA_INSTITUTIONS: tuple[tuple[str, InstitutionKind], ...] = (
    *((name, InstitutionKind.OTHER) for name in CONSUMER_FINANCE + LESSORS + GUARANTORS),
    *((name, InstitutionKind.OTHER) for name in SECURITIES),
    (AMC, InstitutionKind.OTHER),
    ("中华联合财产保险股份有限公司焦作中心支公司", InstitutionKind.INSURER),
    (REGULATOR, InstitutionKind.REGULATOR),
)
BANK_WEIGHTS: dict[str, int] = {
    InstitutionKind.STATE_BANK: 4,
    InstitutionKind.JOINT_STOCK_BANK: 2,
    InstitutionKind.CITY_BANK: 3,
    InstitutionKind.RURAL_BANK: 2,
    InstitutionKind.VILLAGE_BANK: 1,
}
CARD_ISSUERS = (
    InstitutionKind.STATE_BANK,
    InstitutionKind.JOINT_STOCK_BANK,
    InstitutionKind.CITY_BANK,
)

# --- courts, rooms ---------------------------------------------------------------------------

# Relative case volume of each basic court; the two urban districts are the busiest.
BASIC_COURT_WEIGHTS: dict[str, int] = {
    "豫0802": 5,
    "豫0811": 5,
    "豫0803": 2,
    "豫0804": 2,
    "豫0821": 2,
    "豫0822": 2,
    "豫0823": 3,
    "豫0825": 2,
    "豫0882": 3,
    "豫0883": 2,
}
# Cases a day that a court of weight 3 registers under each type code, so sequence numbers look
# like the ones a court really hands out by that day of the year.
DAILY_RATE: dict[str, float] = {"民诉前调": 9.0, "民初": 14.0, "民终": 12.0}
TYPE_CODE: dict[tuple[CaseMode, int | None], str] = {
    (CaseMode.DELEGATED, None): "民诉前调",
    (CaseMode.ENTRUSTED, 1): "民初",
    (CaseMode.ENTRUSTED, 2): "民终",
}

CENTER = "金融纠纷诉调对接中心"
INTERMEDIATE_SITE = "焦作中院"
WUZHI = "武陟县人民法院"
ONLINE = "线上"
MEETING_ROOM = "诉调中心会议室"


@dataclass(frozen=True)
class _RoomRow:
    name: str
    location: str
    address: str
    capacity: int
    equipment: tuple[str, ...]
    is_online: bool = False


_COURT_HALL = "焦作市山阳区人民路焦作市中级人民法院诉讼服务中心二楼"
_CENTER_HALL = "焦作市解放区民主南路焦作市金融纠纷诉调对接中心"
ROOMS: tuple[_RoomRow, ...] = (
    _RoomRow("中院诉调第一调解室", INTERMEDIATE_SITE, _COURT_HALL, 8,
             ("video_conference", "recording")),
    _RoomRow("中院诉调第二调解室", INTERMEDIATE_SITE, _COURT_HALL, 6, ("recording",)),
    _RoomRow("诉调中心大调解室", CENTER, _CENTER_HALL + "一楼", 12,
             ("projector", "video_conference", "recording")),
    _RoomRow("诉调中心小调解室", CENTER, _CENTER_HALL + "一楼", 4, ("recording",)),
    _RoomRow(MEETING_ROOM, CENTER, _CENTER_HALL + "三楼", 20, ("projector", "video_conference")),
    _RoomRow("武陟法院诉前调解室", WUZHI, "武陟县木栾街道兴华路武陟县人民法院诉讼服务中心", 6,
             ("recording",)),
    _RoomRow("线上调解室", ONLINE, "人民法院在线服务平台", 200,
             ("video_conference", "recording", "e_signature"), is_online=True),
)  # fmt: skip

# --- roster profiles -------------------------------------------------------------------------

C = Category


@dataclass(frozen=True)
class _Profile:
    """What one kind of roster member looks like: fields, hours, seniority and ties."""

    categories: tuple[tuple[Category, int], ...]
    part_time: float  # chance that such a person only comes in a few half-days a week
    senior: float
    junior: float
    levels: tuple[int, int]
    evaluator: float  # chance, per strong specialty of an expert, to qualify for evaluation
    tie: str | None = None  # "bank" | "insurer": where such people often work


PROFILES: dict[str, _Profile] = {
    "退休法官": _Profile(
        ((C.FINANCIAL_LOAN, 5), (C.CREDIT_CARD, 4), (C.GUARANTEE, 4), (C.FINANCIAL_LEASING, 2),
         (C.OTHER_FINANCIAL, 2), (C.FINANCIAL_TORT, 1), (C.DEPOSIT, 1)),
        part_time=0.0, senior=0.6, junior=0.05, levels=(3, 5), evaluator=0.0),
    "专职调解员": _Profile(
        ((C.CREDIT_CARD, 5), (C.FINANCIAL_LOAN, 4), (C.DEPOSIT, 2), (C.INSURANCE, 2),
         (C.FINANCIAL_TORT, 2)),
        part_time=0.0, senior=0.1, junior=0.35, levels=(2, 4), evaluator=0.0),
    "律师": _Profile(
        ((C.FINANCIAL_LOAN, 4), (C.GUARANTEE, 3), (C.FINANCIAL_LEASING, 2),
         (C.SECURITIES_FUTURES, 2), (C.INSURANCE, 2), (C.FINANCIAL_TORT, 2),
         (C.OTHER_FINANCIAL, 2), (C.CREDIT_CARD, 2)),
        part_time=0.85, senior=0.25, junior=0.15, levels=(2, 5), evaluator=0.1, tie="bank"),
    "银行法务": _Profile(
        ((C.FINANCIAL_LOAN, 5), (C.CREDIT_CARD, 5), (C.GUARANTEE, 3), (C.DEPOSIT, 3),
         (C.FINANCIAL_TORT, 2)),
        part_time=0.3, senior=0.2, junior=0.15, levels=(3, 5), evaluator=0.15, tie="bank"),
    "注册会计师": _Profile(
        ((C.FINANCIAL_LEASING, 3), (C.GUARANTEE, 3), (C.OTHER_FINANCIAL, 3),
         (C.SECURITIES_FUTURES, 2), (C.FINANCIAL_LOAN, 2)),
        part_time=0.6, senior=0.25, junior=0.15, levels=(3, 5), evaluator=0.3),
    "精算师": _Profile(
        ((C.INSURANCE, 5), (C.SECURITIES_FUTURES, 2)),
        part_time=0.6, senior=0.35, junior=0.1, levels=(3, 5), evaluator=0.8, tie="insurer"),
    "保险公估师": _Profile(
        ((C.INSURANCE, 6), (C.FINANCIAL_TORT, 1)),
        part_time=0.0, senior=0.2, junior=0.2, levels=(3, 5), evaluator=0.8, tie="insurer"),
    "高校教师": _Profile(
        ((C.SECURITIES_FUTURES, 3), (C.FINANCIAL_TORT, 3), (C.INSURANCE, 2),
         (C.OTHER_FINANCIAL, 2), (C.FINANCIAL_LOAN, 2), (C.FINANCIAL_LEASING, 1)),
        part_time=0.9, senior=0.3, junior=0.15, levels=(3, 5), evaluator=0.3),
    "证券从业人员": _Profile(
        ((C.SECURITIES_FUTURES, 6), (C.OTHER_FINANCIAL, 2), (C.FINANCIAL_TORT, 1)),
        part_time=0.6, senior=0.2, junior=0.2, levels=(3, 5), evaluator=0.7),
    "资产评估师": _Profile(
        ((C.FINANCIAL_LEASING, 4), (C.OTHER_FINANCIAL, 3), (C.GUARANTEE, 2),
         (C.FINANCIAL_LOAN, 1)),
        part_time=0.4, senior=0.25, junior=0.15, levels=(3, 5), evaluator=0.5),
    "原金融监管干部": _Profile(
        ((C.FINANCIAL_LOAN, 3), (C.CREDIT_CARD, 2), (C.INSURANCE, 2), (C.SECURITIES_FUTURES, 2),
         (C.DEPOSIT, 2), (C.FINANCIAL_TORT, 2), (C.OTHER_FINANCIAL, 2)),
        part_time=0.0, senior=0.6, junior=0.05, levels=(3, 5), evaluator=0.2),
}  # fmt: skip
ROLE_TITLES: dict[str, tuple[tuple[str, int], ...]] = {
    "mediator": (("退休法官", 40), ("专职调解员", 35), ("律师", 20), ("原金融监管干部", 5)),
    "expert": (("银行法务", 18), ("注册会计师", 14), ("精算师", 8), ("保险公估师", 12),
               ("高校教师", 15), ("律师", 10), ("证券从业人员", 10), ("资产评估师", 13)),
    "both": (("退休法官", 30), ("律师", 30), ("原金融监管干部", 15), ("高校教师", 15),
             ("银行法务", 10)),
}  # fmt: skip
TIE_POSITIONS = {
    "bank": _words("法律合规部经理 风险管理部副经理 资产保全部主管 常年法律顾问 信用卡中心主管"),
    "insurer": _words("理赔部经理 核保核赔主管 法律合规岗 常年法律顾问"),
}
LEAVE_REASONS = _words("年休假 病假 外出培训 出差 探亲假")

# --- cases -----------------------------------------------------------------------------------

CATEGORY_WEIGHTS: dict[Category, int] = {
    C.CREDIT_CARD: 28,
    C.FINANCIAL_LOAN: 30,
    C.INSURANCE: 9,
    C.GUARANTEE: 8,
    C.FINANCIAL_LEASING: 5,
    C.SECURITIES_FUTURES: 4,
    C.DEPOSIT: 5,
    C.FINANCIAL_TORT: 5,
    C.OTHER_FINANCIAL: 6,
}
EVALUATION_RATE: dict[Category, float] = {
    C.INSURANCE: 0.25,
    C.SECURITIES_FUTURES: 0.3,
    C.FINANCIAL_LEASING: 0.12,
    C.GUARANTEE: 0.06,
}
DEFAULT_EVALUATION_RATE = 0.04


@dataclass(frozen=True)
class _Claim:
    """Who sues whom in a category, and for how much (yuan)."""

    weight: int
    plaintiff: str  # an institution pool (see _Builder.institution) or "person"
    defendants: str  # "person", "borrower", "company", "guarantors" or an institution pool
    low: int
    high: int


CLAIMS: dict[Category, tuple[_Claim, ...]] = {
    C.CREDIT_CARD: (_Claim(1, "card_issuer", "person", 5_000, 80_000),),
    C.FINANCIAL_LOAN: (
        _Claim(65, "bank", "borrower", 50_000, 5_000_000),
        _Claim(20, "consumer_finance", "person", 5_000, 80_000),
        _Claim(15, "bank", "company", 1_000_000, 30_000_000),  # corporate loans
    ),
    C.INSURANCE: (
        _Claim(55, "person", "insurer", 10_000, 800_000),
        _Claim(45, "insurer", "person", 10_000, 300_000),  # 保险人代位求偿
    ),
    C.GUARANTEE: (
        _Claim(60, "guarantor", "company", 100_000, 8_000_000),  # the guarantor's 追偿
        _Claim(40, "bank", "guarantors", 100_000, 3_000_000),
    ),
    C.FINANCIAL_LEASING: (_Claim(1, "lessor", "company", 200_000, 10_000_000),),
    C.SECURITIES_FUTURES: (_Claim(1, "person", "securities", 20_000, 2_000_000),),
    C.DEPOSIT: (_Claim(1, "person", "bank", 10_000, 500_000),),
    C.FINANCIAL_TORT: (_Claim(1, "person", "lender", 5_000, 300_000),),
    C.OTHER_FINANCIAL: (
        _Claim(60, "amc", "company", 50_000, 3_000_000),  # 金融不良债权追偿
        _Claim(40, "person", "bank", 50_000, 1_000_000),  # 委托理财 sold by a bank
    ),
}
BATCH_MARK = "串案"


@dataclass
class _Party:
    name: str
    institution: Institution | None = None


@dataclass
class _Spec:
    """One case before it becomes a row; its 案号, deadline and team are filled in later."""

    group: str  # incoming | ongoing | closed
    category: Category
    mode: CaseMode
    instance: int | None
    procedure: Procedure
    complexity: Complexity
    amount: Decimal
    court: Court
    plaintiff: _Party
    defendants: list[_Party]
    needs_evaluation: bool = False
    received_on: date = date.min
    filed_on: date = date.min
    status: CaseStatus = CaseStatus.RECEIVED
    notes: str | None = None
    case: Case | None = None
    team: list[tuple[Person, TeamRole, bool]] = field(default_factory=list)

    @property
    def batch_key(self) -> str | None:
        inst = self.plaintiff.institution
        return None if inst is None else f"{self.category.value}@{inst.id}"

    @property
    def in_batch(self) -> bool:
        return bool(self.notes and self.notes.startswith(BATCH_MARK))

    @property
    def institution_ids(self) -> list[int]:
        parties = [self.plaintiff, *self.defendants]
        return [p.institution.id for p in parties if p.institution is not None]

    @property
    def is_joint(self) -> bool:
        return self.complexity in (Complexity.COMPLEX, Complexity.MAJOR)


def _weighted(rng: random.Random, pairs: Iterable[tuple[T, float]]) -> T:
    items = list(pairs)
    return rng.choices([i for i, _ in items], weights=[w for _, w in items], k=1)[0]


def _weighted_sample(rng: random.Random, pairs: Iterable[tuple[T, float]], k: int) -> list[T]:
    """Up to ``k`` distinct items, each draw weighted."""
    pool = list(pairs)
    out: list[T] = []
    while pool and len(out) < k:
        index = rng.choices(range(len(pool)), weights=[w for _, w in pool], k=1)[0]
        out.append(pool.pop(index)[0])
    return out


def _local(day: date, minute: int) -> datetime:
    """The aware UTC datetime ``minute`` minutes after local midnight in Asia/Shanghai."""
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=TZ).astimezone(UTC)


class _Builder:
    """The generator's state while it builds the demo, one stage per method."""

    def __init__(
        self, session: Session, rng: random.Random, today: date, cases: int, people: int
    ) -> None:
        self.session = session
        self.rng = rng
        self.today = today
        self.n_cases = cases
        self.n_people = people
        self.strict = calendar_from_db(session)
        # Choosing plausible past dates must work in a year nobody loaded; deadlines stay strict.
        self.lenient = calendar_from_db(session, weekend_fallback=True)
        self.institutions: list[Institution] = []
        self.by_name: dict[str, Institution] = {}
        self.banks: list[Institution] = []
        self.courts: dict[str, Court] = {}
        self.used_names: set[str] = set()
        self.roster: list[Person] = []
        self.judges: list[Person] = []
        self.leaders: list[Person] = []
        self.rooms: list[Room] = []
        self.batches: list[tuple[Category, Institution]] = []
        self.sessions: list[CalendarSession] = []
        # Per person id: weekly windows, roster courts, conflicting institutions, leave, load.
        self.windows: dict[int, list[tuple[int, int, int]]] = {}
        self.pending_windows: dict[int, list[tuple[int, int, int]]] = {}  # by id() until flushed
        self.roster_court_ids: dict[int, list[int]] = {}
        self.conflicts: dict[int, list[int]] = {}
        self.case_conflicts: dict[int, list[int]] = {}  # person id -> id() of declared specs
        self.leave: dict[int, list[tuple[date, date]]] = {}
        self.load: dict[int, int] = {}
        self.meeting_member_ids: list[int] = []
        self.person_busy: set[tuple[int, date, int]] = set()
        self.room_busy: set[tuple[int, date, int]] = set()
        # (person, day) -> (start, end, location) of each booking in a physical room
        self.person_sites: dict[tuple[int, date], list[tuple[int, int, str]]] = defaultdict(list)

    # --- reference ---------------------------------------------------------------------------

    def load_institutions(self) -> None:
        courts = list(self.session.scalars(select(Court).order_by(Court.id)))
        self.courts = {c.code: c for c in courts if c.code}
        if INTERMEDIATE not in self.courts or any(
            c not in self.courts for c in BASIC_COURT_WEIGHTS
        ):
            raise DemoError(
                "the Jiaozuo courts are missing: load the reference data "
                "(web.reference.load_reference) before the demo"
            )
        self.intermediate = self.courts[INTERMEDIATE]
        founding = load_founding_institutions(self.session)
        existing = {i.name: i for i in self.session.scalars(select(Institution))}
        extra = []
        for name, kind in EXTRA_INSTITUTIONS:
            inst = existing.get(name) or Institution(name=name, kind=kind, is_financial=True)
            self.session.add(inst)
            extra.append(inst)
        self.session.flush()
        self.institutions = [*founding, *extra]
        self.by_name = {i.name: i for i in self.institutions}
        self.banks = [i for i in founding if i.kind in BANK_WEIGHTS]

    def bank(
        self, kinds: Sequence[str] | None = None, *, avoid: Sequence[Institution] = ()
    ) -> Institution:
        pool = [b for b in self.banks if kinds is None or b.kind in kinds]
        # Each batch comes from another bank, until a very large demo runs out of banks.
        pool = [b for b in pool if b not in avoid] or pool
        return _weighted(self.rng, ((b, BANK_WEIGHTS[b.kind]) for b in pool))

    def institution(self, pool: str) -> Institution:
        """One institution from a named pool of likely parties."""
        rng, named = self.rng, self.by_name
        if pool == "card_issuer":
            return self.bank(CARD_ISSUERS)
        if pool == "bank":
            return self.bank()
        if pool == "insurer":
            return rng.choice([i for i in self.institutions if i.kind == InstitutionKind.INSURER])
        if pool == "lender":
            return rng.choice([*self.banks, *(named[n] for n in CONSUMER_FINANCE + SECURITIES)])
        names = {
            "consumer_finance": CONSUMER_FINANCE,
            "guarantor": GUARANTORS,
            "lessor": LESSORS,
            "securities": SECURITIES,
            "amc": (AMC,),
        }[pool]
        return named[rng.choice(names)]

    def basic_court(self) -> Court:
        return self.courts[_weighted(self.rng, BASIC_COURT_WEIGHTS.items())]

    # --- names -------------------------------------------------------------------------------

    def person_name(self, *, unique: bool = False) -> str:
        while True:
            given = self.rng.choice(GIVEN_TWO if self.rng.random() < 0.62 else GIVEN_ONE)
            name = self.rng.choice(SURNAMES) + given
            if not unique or name not in self.used_names:
                self.used_names.add(name)
                return name

    def company_name(self) -> str:
        rng = self.rng
        return (
            f"{rng.choice(COMPANY_PLACES)}{rng.choice(COMPANY_BRANDS)}"
            f"{rng.choice(COMPANY_TRADES)}有限公司"
        )

    def phone(self) -> str:
        digits = "".join(str(self.rng.randrange(10)) for _ in range(8))
        return self.rng.choice(PHONE_PREFIXES) + digits

    # --- people ------------------------------------------------------------------------------

    def load_people(self) -> None:
        n = self.n_people
        experts = max(80, round(n * 0.7))
        mediators = max(40, round(n * 0.5))
        both = mediators + experts - n  # some people sit on both lists
        roles = ["both"] * both + ["mediator"] * (mediators - both) + ["expert"] * (experts - both)
        self.rng.shuffle(roles)
        numbers = {"M": 0, "E": 0}
        for role in roles:
            letter = "E" if role == "expert" else "M"
            numbers[letter] += 1
            person = self.make_person(
                _weighted(self.rng, ROLE_TITLES[role]),
                f"JZTJ-{letter}-{numbers[letter]:03d}",
                is_mediator=role != "expert",
                is_expert=role != "mediator",
            )
            self.roster.append(person)
        coded = sorted(self.courts.values(), key=lambda c: c.id)
        for i, court in enumerate(coded, start=1):
            judge = self.staff(f"JZTJ-J-{i:02d}", "法官", court, is_liaison_judge=True)
            self.judges.append(judge)
        for i, title in enumerate(("中心主任", "副主任", "副主任"), start=1):
            self.leaders.append(
                self.staff(f"JZTJ-L-{i:02d}", title, self.intermediate, is_leader=True)
            )
        everyone = [*self.roster, *self.judges, *self.leaders]
        self.session.add_all(everyone)
        self.session.flush()
        for person in everyone:
            person.email = f"{person.roster_no.lower()}@sutiao.example"
            self.roster_court_ids[person.id] = [c.id for c in person.roster_courts]
            self.windows[person.id] = self.pending_windows.pop(id(person))
            self.load[person.id] = 0
            self.conflicts[person.id] = []
        # About a thousand rows: one executemany instead of one INSERT ... RETURNING per row.
        self.session.execute(
            insert(WeeklyAvailability),
            [
                {"person_id": pid, "weekday": w, "start_minute": start, "end_minute": end}
                for pid, windows in self.windows.items()
                for w, start, end in windows
            ],
        )
        # A few members are suspended from the roster (failed review, or at their own request).
        for person in self.rng.sample(self.roster, 3):
            person.is_active = False
        self.ensure_evaluators()

    def staff(self, roster_no: str, title: str, court: Court, **role: bool) -> Person:
        """A liaison judge or a leader: full-time, senior enough, no caseload of their own."""
        person = Person(
            roster_no=roster_no,
            name=self.person_name(unique=True),
            title=title,
            phone=self.phone(),
            seniority=Seniority.SENIOR,
            max_concurrent_cases=0,
            base_court=court,
            roster_courts=[court],
            **role,
        )
        self.add_availability(person, part_time=False)
        return person

    def make_person(
        self, title: str, roster_no: str, *, is_mediator: bool, is_expert: bool
    ) -> Person:
        rng = self.rng
        profile = PROFILES[title]
        draw = rng.random()
        if draw < profile.senior:
            seniority = Seniority.SENIOR
        elif draw < profile.senior + profile.junior:
            seniority = Seniority.JUNIOR
        else:
            seniority = Seniority.REGULAR
        part_time = rng.random() < profile.part_time
        if part_time:
            capacity = rng.randint(6, 10)
        else:
            capacity = rng.randint(12, 20) if is_mediator else rng.randint(8, 14)
        if rng.random() < 0.3:
            base, roster_courts = self.intermediate, [self.intermediate]
        else:
            base = self.basic_court()
            others = [self.courts[c] for c in BASIC_COURT_WEIGHTS if self.courts[c] is not base]
            roster_courts = [base, *rng.sample(others, rng.choice((0, 0, 1, 2)))]
        person = Person(
            roster_no=roster_no,
            name=self.person_name(unique=True),
            title=title,
            phone=self.phone(),
            is_mediator=is_mediator,
            is_expert=is_expert,
            seniority=seniority,
            max_concurrent_cases=capacity,
            base_court=base,
            roster_courts=roster_courts,
        )
        count = _weighted(rng, ((1, 2), (2, 4), (3, 3), (4, 1)))
        low, high = profile.levels
        for i, category in enumerate(_weighted_sample(rng, profile.categories, count)):
            # The first specialty is the person's main field, so it tends to be the strongest.
            level = min(5, rng.randint(low, high) + (1 if i == 0 else 0))
            if seniority == Seniority.JUNIOR:
                level = max(1, level - 2)
            evaluates = is_expert and level >= 4 and rng.random() < profile.evaluator
            person.specialties.append(
                Specialty(category=category.value, level=level, has_evaluation=evaluates)
            )
        self.add_availability(person, part_time=part_time)
        return person

    def add_availability(self, person: Person, *, part_time: bool) -> None:
        blocks = [(day, block) for day in range(5) for block in (MORNING, AFTERNOON)]
        if part_time:
            # Lawyers, professors and other part-timers come in two or three half-days a week.
            blocks = sorted(self.rng.sample(blocks, self.rng.choice((2, 3))))
        self.pending_windows[id(person)] = [(day, start, end) for day, (start, end) in blocks]

    def ensure_evaluators(self) -> None:
        """Give every category at least two active experts qualified for neutral evaluation."""
        experts = [p for p in self.roster if p.is_expert and p.is_active]
        for category in Category:
            found = sum(self.evaluates(p, category) for p in experts)
            strongest = sorted(
                (s for p in experts for s in p.specialties if s.category == category),
                key=lambda s: -s.level,
            )
            for specialty in strongest:
                if found >= 2:
                    break
                if not specialty.has_evaluation:
                    specialty.has_evaluation = True
                    found += 1
            while found < 2:
                spare = [
                    p for p in experts if len(p.specialties) < 4 and self.level(p, category) == 0
                ]
                self.rng.choice(spare).specialties.append(
                    Specialty(category=category.value, level=4, has_evaluation=True)
                )
                found += 1

    def level(self, person: Person, category: Category) -> int:
        return max((s.level for s in person.specialties if s.category == category), default=0)

    def evaluates(self, person: Person, category: Category) -> bool:
        return any(s.category == category and s.has_evaluation for s in person.specialties)

    # --- conflicts and leave -----------------------------------------------------------------

    def load_affiliations(self, incoming: list[_Spec]) -> None:
        """About 15% of the roster works, or recently worked, for a plaintiff bank or insurer."""
        rng = self.rng
        # Drawn from today's plaintiffs, frequent ones more often, so conflicts really bite.
        plaintiffs = [s.plaintiff.institution for s in incoming if s.plaintiff.institution]
        banks = [i for i in plaintiffs if i.kind in BANK_WEIGHTS]
        insurers = [i for i in plaintiffs if i.kind == InstitutionKind.INSURER] or banks
        tied = [p for p in self.roster if PROFILES[p.title or ""].tie]
        untied = [p for p in self.roster if not PROFILES[p.title or ""].tie]
        rng.shuffle(tied)
        rng.shuffle(untied)
        ties: list[Affiliation] = []
        for person in (tied + untied)[: round(len(self.roster) * 0.15)]:
            tie = PROFILES[person.title or ""].tie or "bank"
            recent = rng.random() < 0.4
            ties.append(
                Affiliation(
                    person_id=person.id,
                    institution_id=rng.choice(insurers if tie == "insurer" else banks).id,
                    position=rng.choice(TIE_POSITIONS[tie]),
                    from_on=self.today - timedelta(days=rng.randint(3 * 365, 15 * 365)),
                    to_on=self.today - timedelta(days=rng.randint(30, 700)) if recent else None,
                )
            )
        # Former regulators keep an old tie to the regulator, long past the recusal window.
        regulator = self.by_name[REGULATOR]
        for person in self.roster:
            if person.title == "原金融监管干部":
                left = self.today - timedelta(days=rng.randint(3 * 365, 8 * 365))
                ties.append(
                    Affiliation(
                        person_id=person.id,
                        institution_id=regulator.id,
                        position="退休干部",
                        from_on=left - timedelta(days=rng.randint(15 * 365, 30 * 365)),
                        to_on=left,
                    )
                )
        self.session.add_all(ties)
        since = self.today - timedelta(days=RECENT_AFFILIATION_DAYS)
        for affiliation in ties:
            if affiliation.to_on is None or affiliation.to_on >= since:
                self.conflicts[affiliation.person_id].append(affiliation.institution_id)

    def load_declared_conflicts(self, incoming: list[_Spec]) -> None:
        rng = self.rng
        people = rng.sample([p for p in self.roster if p.is_active], 4)
        reasons = ("与被告系近亲属关系", "曾担任本案原告的委托代理人")
        for person, spec, reason in zip(people[:2], rng.sample(incoming, 2), reasons, strict=True):
            assert spec.case is not None
            self.session.add(
                DeclaredConflict(
                    person_id=person.id,
                    case_id=spec.case.id,
                    reason=reason,
                    declared_on=self.today - timedelta(days=rng.randint(0, 3)),
                )
            )
            self.case_conflicts.setdefault(person.id, []).append(id(spec))
        plaintiffs = [s.plaintiff.institution for s in incoming if s.plaintiff.institution]
        for person, reason in zip(
            people[2:], ("配偶在该行任职", "本人持有该公司股份"), strict=True
        ):
            institution = rng.choice(plaintiffs)
            self.session.add(
                DeclaredConflict(
                    person_id=person.id,
                    institution_id=institution.id,
                    reason=reason,
                    declared_on=self.today - timedelta(days=rng.randint(10, 200)),
                )
            )
            self.conflicts[person.id].append(institution.id)

    def load_leaves(self) -> None:
        rng = self.rng
        next_monday = self.today + timedelta(days=7 - self.today.weekday())
        for i, person in enumerate(rng.sample([p for p in self.roster if p.is_active], 8)):
            if i < 3:  # away now
                start = self.today - timedelta(days=rng.randint(1, 5))
                end = self.today + timedelta(days=rng.randint(1, 7))
            elif i < 6:  # away next week
                start = next_monday + timedelta(days=rng.randint(0, 2))
                end = start + timedelta(days=rng.randint(2, 4))
            else:
                start = self.today + timedelta(days=rng.randint(10, 20))
                end = start + timedelta(days=rng.randint(3, 10))
            reason = rng.choice(LEAVE_REASONS)
            self.session.add(
                Leave(person_id=person.id, starts_on=start, ends_on=end, reason=reason)
            )
            self.leave.setdefault(person.id, []).append((start, end))

    def away(self, person: Person, start: date, end: date) -> bool:
        return any(s <= end and start <= e for s, e in self.leave.get(person.id, []))

    def eligible(self, person: Person, spec: _Spec, *, capacity: bool = True) -> bool:
        """Active, on the roster for the case's court, free of conflicts, with room for more."""
        courts = self.roster_court_ids[person.id]
        return (
            person.is_active
            and (spec.court.id in courts or self.intermediate.id in courts)
            and not any(i in self.conflicts[person.id] for i in spec.institution_ids)
            and id(spec) not in self.case_conflicts.get(person.id, [])
            and (not capacity or self.load[person.id] < person.max_concurrent_cases)
        )

    # --- cases -------------------------------------------------------------------------------

    def amount(self, low: int, high: int) -> Decimal:
        """Log-uniform yuan with cents: many small claims and a long tail, as on real dockets."""
        yuan = int(math.exp(self.rng.uniform(math.log(low), math.log(high))))
        yuan = max(low, min(yuan, high - 1))
        return Decimal(yuan) + Decimal(self.rng.randrange(100)) / 100

    def parties(self, claim: _Claim, amount: Decimal) -> tuple[_Party, list[_Party]]:
        if claim.plaintiff == "person":
            plaintiff = _Party(self.person_name())
        else:
            inst = self.institution(claim.plaintiff)
            plaintiff = _Party(inst.name, inst)
        scheme = claim.defendants
        if scheme == "borrower" and amount >= 500_000:
            scheme = "company"  # business loans: the company borrows, its owners guarantee
        if scheme == "company":
            guarantors = self.rng.choice((1, 1, 2))
            return plaintiff, [
                _Party(self.company_name()),
                *(_Party(self.person_name()) for _ in range(guarantors)),
            ]
        if scheme == "guarantors":
            return plaintiff, [_Party(self.person_name()) for _ in range(self.rng.choice((1, 2)))]
        if scheme in ("person", "borrower"):
            defendants = [_Party(self.person_name())]
            if scheme == "borrower" and self.rng.random() < 0.3:
                defendants.append(_Party(self.person_name()))  # the spouse as co-borrower
            return plaintiff, defendants
        inst = self.institution(scheme)
        return plaintiff, [_Party(inst.name, inst)]

    def draw_case(
        self,
        group: str,
        *,
        category: Category | None = None,
        mode: tuple[CaseMode, int | None] | None = None,
        procedure: Procedure | None = None,
        complexity: Complexity | None = None,
        mode_weights: Sequence[int] = (55, 33, 12),
    ) -> _Spec:
        """A random case with the given attributes fixed and the rest drawn to fit them."""
        rng = self.rng
        small = procedure == Procedure.SMALL_CLAIMS
        major = complexity == Complexity.MAJOR
        if category is None:
            if small:
                category = C.CREDIT_CARD
            elif major:
                category = rng.choice((C.FINANCIAL_LOAN, C.FINANCIAL_LEASING, C.GUARANTEE))
            else:
                category = _weighted(rng, CATEGORY_WEIGHTS.items())
        if mode is None:
            options = list(zip(TYPE_CODE, mode_weights, strict=True))
            if small:
                options = [((CaseMode.ENTRUSTED, 1), 1)]
            elif procedure == Procedure.SIMPLIFIED:  # appeals are heard under ordinary procedure
                options = [o for o in options if o[0] != (CaseMode.ENTRUSTED, 2)]
            mode = _weighted(rng, options)
        claims = [
            c
            for c in CLAIMS[category]
            if (not major or c.high > MAJOR_AMOUNT) and (not small or c.low < SMALL_CLAIMS_LIMIT)
        ]
        claim = _weighted(rng, ((c, c.weight) for c in claims))
        low, high = claim.low, claim.high
        if major:
            low = max(low, MAJOR_AMOUNT)
        if small:
            high = min(high, int(SMALL_CLAIMS_LIMIT) + 1)
        amount = self.amount(low, high)
        procedure = procedure or self.draw_procedure(mode, amount, complexity)
        complexity = complexity or self.draw_complexity(amount, procedure)
        rate = EVALUATION_RATE.get(category, DEFAULT_EVALUATION_RATE)
        plaintiff, defendants = self.parties(claim, amount)
        return _Spec(
            group=group,
            category=category,
            mode=mode[0],
            instance=mode[1],
            procedure=procedure,
            complexity=complexity,
            amount=amount,
            court=self.intermediate if mode[1] == 2 else self.basic_court(),
            plaintiff=plaintiff,
            defendants=defendants,
            needs_evaluation=procedure != Procedure.SMALL_CLAIMS and rng.random() < rate,
        )

    def draw_procedure(
        self, mode: tuple[CaseMode, int | None], amount: Decimal, complexity: Complexity | None
    ) -> Procedure:
        P, rng = Procedure, self.rng
        hard = complexity in (Complexity.COMPLEX, Complexity.MAJOR)
        if mode == (CaseMode.ENTRUSTED, 2):
            return P.ORDINARY
        if mode == (CaseMode.ENTRUSTED, 1) and amount <= SMALL_CLAIMS_LIMIT and not hard:
            return _weighted(rng, ((P.SMALL_CLAIMS, 45), (P.SIMPLIFIED, 45), (P.ORDINARY, 10)))
        if amount >= 1_000_000 or hard:
            return _weighted(rng, ((P.ORDINARY, 85), (P.SIMPLIFIED, 15)))
        return _weighted(rng, ((P.SIMPLIFIED, 60), (P.ORDINARY, 40)))

    def draw_complexity(self, amount: Decimal, procedure: Procedure) -> Complexity:
        X, rng = Complexity, self.rng
        if procedure == Procedure.SMALL_CLAIMS:
            return _weighted(rng, ((X.SIMPLE, 85), (X.ORDINARY, 15)))
        if amount >= MAJOR_AMOUNT:
            return _weighted(rng, ((X.MAJOR, 75), (X.ORDINARY, 20), (X.SIMPLE, 5)))
        if amount >= 1_000_000:
            return _weighted(rng, ((X.SIMPLE, 10), (X.ORDINARY, 45), (X.COMPLEX, 45)))
        if amount >= 300_000:
            return _weighted(rng, ((X.SIMPLE, 20), (X.ORDINARY, 50), (X.COMPLEX, 30)))
        return _weighted(rng, ((X.SIMPLE, 46), (X.ORDINARY, 38), (X.COMPLEX, 16)))

    def workdays(self, start: date, end: date) -> list[date]:
        days = (start + timedelta(days=i) for i in range((end - start).days + 1))
        return [d for d in days if self.lenient.is_workday(d)]

    def incoming_days(self) -> list[date]:
        """The last ten working days before today, most recent first."""
        days: list[date] = []
        day = self.today
        while len(days) < 10:
            day -= timedelta(days=1)
            if self.lenient.is_workday(day):
                days.append(day)
        return days

    def received_day(self, spec: _Spec, days: list[date]) -> date:
        """Short 委托 periods arrived recently; a 30-day 委派 case may have waited longer."""
        if spec.mode == CaseMode.DELEGATED:
            return self.rng.choice(days)
        if spec.procedure == Procedure.ORDINARY:
            return self.rng.choice(days[:6])
        return self.rng.choice(days[:3])

    def build_incoming(self) -> list[_Spec]:
        rng = self.rng
        days = self.incoming_days()
        # Forced cases first, so every category, mode, procedure and complexity appears.
        specs = [self.draw_case("incoming", category=c) for c in Category]
        specs[list(Category).index(C.INSURANCE)].needs_evaluation = True
        specs += [self.draw_case("incoming", mode=m) for m in TYPE_CODE]
        specs += [self.draw_case("incoming", procedure=p) for p in Procedure]
        specs += [self.draw_case("incoming", complexity=x) for x in Complexity]
        for spec in specs:
            spec.received_on = self.received_day(spec, days)

        # Batches (串案): one bank sends a stack of card or loan cases on one day.
        for b in range(max(3, self.n_cases // 50)):
            category = C.FINANCIAL_LOAN if b % 3 == 2 else C.CREDIT_CARD
            kinds = CARD_ISSUERS if category == C.CREDIT_CARD else None
            bank = self.bank(kinds, avoid=[inst for _, inst in self.batches])
            self.batches.append((category, bank))
            entrusted = b % 3 == 1  # some courts send their stack after filing (委托, 一审)
            size = rng.randint(8, 20)
            court = self.basic_court()
            day = rng.choice(days[:3] if entrusted else days)
            note = (
                f"{BATCH_MARK}：{bank.name}{CATEGORY_NAMES_ZH[category]}批量"
                f"{'委托' if entrusted else '委派'}，本批共{size}件"
            )
            for _ in range(size):
                if category == C.CREDIT_CARD:
                    amount = self.amount(5_000, 80_000)
                else:
                    amount = self.amount(50_000, 300_000)  # personal consumer loans
                procedure = Procedure.SIMPLIFIED
                if entrusted and amount <= SMALL_CLAIMS_LIMIT:
                    procedure = Procedure.SMALL_CLAIMS
                simple = (Complexity.SIMPLE, 80), (Complexity.ORDINARY, 20)
                specs.append(
                    _Spec(
                        group="incoming",
                        category=category,
                        mode=CaseMode.ENTRUSTED if entrusted else CaseMode.DELEGATED,
                        instance=1 if entrusted else None,
                        procedure=procedure,
                        complexity=_weighted(rng, simple),
                        amount=amount,
                        court=court,
                        plaintiff=_Party(bank.name, bank),
                        defendants=[_Party(self.person_name())],
                        received_on=day,
                        notes=note,
                    )
                )

        while len(specs) < self.n_cases:
            spec = self.draw_case("incoming")
            spec.received_on = self.received_day(spec, days)
            specs.append(spec)
        return specs[: self.n_cases]

    def build_ongoing(self) -> list[_Spec]:
        """Cases received two to five weeks ago, a few with a consented extension or a pause."""
        rng = self.rng
        n = max(8, round(self.n_cases / 4))
        recent = self.workdays(self.today - timedelta(days=28), self.today - timedelta(days=14))
        early = self.workdays(self.today - timedelta(days=35), self.today - timedelta(days=29))
        weights = (88, 8, 4)  # 委派 dominates: its 30 days outlast the 7 or 15 of 委托

        def received(spec: _Spec) -> date:
            # Most 委派 cases are still inside their 30 days; the others needed an extension.
            if spec.mode == CaseMode.DELEGATED and rng.random() < 0.9:
                return rng.choice(recent)
            return rng.choice(recent + early)

        delegated = (CaseMode.DELEGATED, None)
        specs = [
            self.draw_case("ongoing", category=C.INSURANCE, mode=delegated),
            self.draw_case("ongoing", category=C.SECURITIES_FUTURES, mode_weights=weights),
            self.draw_case("ongoing", mode=(CaseMode.ENTRUSTED, 1), procedure=Procedure.SIMPLIFIED),
            self.draw_case("ongoing", complexity=Complexity.MAJOR, mode=delegated),
        ]
        specs[0].needs_evaluation = specs[1].needs_evaluation = True
        # The first incoming batch's bank sent a smaller stack before; one mediator keeps it.
        category, bank = self.batches[0]
        day, court = rng.choice(recent), self.basic_court()
        for _ in range(rng.randint(3, 5)):
            specs.append(
                _Spec(
                    group="ongoing",
                    category=category,
                    mode=CaseMode.DELEGATED,
                    instance=None,
                    procedure=Procedure.SIMPLIFIED,
                    complexity=Complexity.SIMPLE,
                    amount=self.amount(5_000, 80_000),
                    court=court,
                    plaintiff=_Party(bank.name, bank),
                    defendants=[_Party(self.person_name())],
                    received_on=day,
                    notes=f"{BATCH_MARK}：{bank.name}{CATEGORY_NAMES_ZH[category]}批量委派",
                )
            )
        while len(specs) < n:
            specs.append(self.draw_case("ongoing", mode_weights=weights))
        specs = specs[:n]
        for spec in specs:
            if spec.received_on == date.min:
                spec.received_on = received(spec)
            spec.status = _weighted(rng, ((CaseStatus.SCHEDULED, 55), (CaseStatus.ASSIGNED, 45)))
        specs[2].received_on = rng.choice(early)  # its 7 days ran out: the parties extended
        specs[3].status = CaseStatus.SCHEDULED  # the major case, with its case conference
        return specs

    def build_closed(self) -> list[_Spec]:
        rng = self.rng
        window = self.workdays(self.today - timedelta(days=112), self.today - timedelta(days=42))
        specs = []
        for _ in range(max(6, round(self.n_cases * 3 / 16))):
            spec = self.draw_case("closed", mode_weights=(65, 28, 7))
            spec.received_on = rng.choice(window)
            spec.status = _weighted(rng, ((CaseStatus.SETTLED, 65), (CaseStatus.FAILED, 35)))
            delegated = spec.mode == CaseMode.DELEGATED
            if spec.status == CaseStatus.SETTLED:
                spec.notes = "调解成功，已申请司法确认" if delegated else "调解成功，法院出具调解书"
            else:
                spec.notes = "调解不成，已退回法院" if delegated else "调解不成，恢复审理"
            specs.append(spec)
        return specs

    def make_cases(self, specs: list[_Spec]) -> None:
        """Build the rows, with 案号 sequence numbers rising with the filing date per court/type."""
        for spec in specs:
            if spec.mode == CaseMode.DELEGATED:
                spec.filed_on = spec.received_on  # the court registers 民诉前调 as it delegates
            else:
                back = self.rng.randint(3, 30) if spec.instance == 1 else self.rng.randint(5, 25)
                day = spec.received_on - timedelta(days=back)
                while not self.lenient.is_workday(day):
                    day -= timedelta(days=1)
                spec.filed_on = day
        counters: dict[tuple[int, str, str], int] = {}
        for i in sorted(range(len(specs)), key=lambda i: (specs[i].filed_on, i)):
            spec = specs[i]
            code = spec.court.code or ""
            type_code = TYPE_CODE[(spec.mode, spec.instance)]
            key = (spec.filed_on.year, code, type_code)
            weight = BASIC_COURT_WEIGHTS.get(code, 3)
            day_of_year = spec.filed_on.timetuple().tm_yday
            estimate = max(1, int(day_of_year * DAILY_RATE[type_code] * weight / 3))
            seq = max(
                estimate + self.rng.randint(0, 4), counters.get(key, 0) + self.rng.randint(1, 3)
            )
            counters[key] = seq
            number = CaseNumber(year=key[0], court_code=code, type_code=type_code, seq=seq)
            spec.case = Case(
                case_number=number.normalized,
                year=number.year,
                court_code=number.court_code,
                type_code=number.type_code,
                seq=number.seq,
                court=spec.court,
                mode=spec.mode.value,
                instance=spec.instance,
                procedure=spec.procedure.value,
                category=spec.category.value,
                cause_text=CATEGORY_NAMES_ZH[spec.category],
                amount=spec.amount,
                complexity=spec.complexity.value,
                batch_key=spec.batch_key,
                needs_evaluation=spec.needs_evaluation,
                received_on=spec.received_on,
                status=spec.status.value,
                notes=spec.notes,
            )

    def load_parties(self, specs: list[_Spec]) -> None:
        """The parties of flushed cases, in one executemany (some five hundred rows)."""
        rows = []
        for spec in specs:
            assert spec.case is not None
            parties = [(PartyRole.PLAINTIFF, 0, spec.plaintiff)]
            parties += [(PartyRole.DEFENDANT, j, d) for j, d in enumerate(spec.defendants)]
            rows += [
                {
                    "case_id": spec.case.id,
                    "role": role.value,
                    "position": position,
                    "name": party.name,
                    "institution_id": party.institution.id if party.institution else None,
                }
                for role, position, party in parties
            ]
        self.session.execute(insert(CaseParty), rows)

    def set_deadlines(self, specs: list[_Spec]) -> None:
        """Evaluation pauses, consented extensions where a period ran out, then the deadline."""
        rng = self.rng
        for spec in specs:
            case = spec.case
            assert case is not None
            if spec.group != "incoming" and spec.needs_evaluation:
                start = spec.received_on + timedelta(days=rng.randint(3, 7))
                end = min(
                    start + timedelta(days=rng.randint(5, 12)), self.today - timedelta(days=1)
                )
                case.pauses.append(CasePause(reason="evaluation", starts_on=start, ends_on=end))
            refresh_deadline(case, self.strict, as_of=self.today)
            if spec.group != "ongoing" or case.deadline_on is None or case.deadline_on > self.today:
                continue
            # Before the period ran out, both parties agreed to more time.
            short = (self.today - case.deadline_on).days + rng.randint(4, 10)
            days = next((d for d in (10, 15, 20, 30) if d >= short), short)
            consent = max(spec.received_on, case.deadline_on - timedelta(days=rng.randint(1, 3)))
            case.extensions.append(
                CaseExtension(
                    days=days,
                    plaintiff_consent_on=consent,
                    defendant_consent_on=consent + timedelta(days=rng.randint(0, 1)),
                )
            )
            refresh_deadline(case, self.strict, as_of=self.today)

    def choose_mediators(self, incoming: list[_Spec]) -> None:
        """A few incoming cases carry the parties' joint choice of a mediator (Art.12)."""
        rng = self.rng
        singles = [s for s in incoming if not s.in_batch]
        for spec in rng.sample(singles, max(3, self.n_cases // 40)):
            month = (spec.received_on, spec.received_on + timedelta(days=30))
            pool = [
                p
                for p in self.roster
                if p.is_mediator
                and self.eligible(p, spec)
                and not self.away(p, *month)
                and self.level(p, spec.category) >= 3
            ]
            if pool and spec.case is not None:
                spec.case.chosen_mediator = rng.choice(pool)

    # --- teams and sessions ------------------------------------------------------------------

    def pick(self, pool: list[Person], spec: _Spec) -> Person:
        """One of the few best fits: specialty level first, then the lighter workload."""
        ranked = sorted(
            pool,
            key=lambda p: (
                -self.level(p, spec.category),
                self.load[p.id] / max(1, p.max_concurrent_cases),
                p.roster_no,
            ),
        )
        return self.rng.choice(ranked[:4])

    def can_meet(self, team: list[Person], pool: list[Person]) -> list[Person]:
        """Those in ``pool`` who share a weekly half-day with all of ``team`` (else everyone),
        so part-timers with disjoint days do not end up on one team that can never sit."""
        shared = set.intersection(*({(w, s) for w, s, _ in self.windows[p.id]} for p in team))
        fits = [p for p in pool if any((w, s) in shared for w, s, _ in self.windows[p.id])]
        return fits or pool

    def build_team(self, spec: _Spec, batch_owner: dict[str, Person]) -> None:
        """One mediator; two (one presiding) plus an expert for complex and major cases."""
        mediators = [p for p in self.roster if p.is_mediator and self.eligible(p, spec)]
        if not mediators:  # a huge demo: the center overloads people rather than drop a case
            mediators = [
                p for p in self.roster if p.is_mediator and self.eligible(p, spec, capacity=False)
            ]
        owner = batch_owner.get(spec.batch_key or "") if spec.in_batch else None
        first = owner if owner is not None and owner in mediators else self.pick(mediators, spec)
        if spec.in_batch and spec.batch_key:
            batch_owner.setdefault(spec.batch_key, first)
        taken = [first]
        if spec.is_joint:
            second = self.pick(self.can_meet(taken, [p for p in mediators if p is not first]), spec)
            rank = {Seniority.SENIOR: 0, Seniority.REGULAR: 1, Seniority.JUNIOR: 2}
            presiding, other = sorted(
                (first, second), key=lambda p: (rank[Seniority(p.seniority)], p.roster_no)
            )
            spec.team = [(presiding, TeamRole.MEDIATOR, True), (other, TeamRole.MEDIATOR, False)]
            taken.append(second)
        else:
            spec.team = [(first, TeamRole.MEDIATOR, True)]  # the only mediator presides
        if spec.is_joint or spec.needs_evaluation:
            experts = [
                p
                for p in self.roster
                if p.is_expert
                and p not in taken
                and self.eligible(p, spec)
                and (not spec.needs_evaluation or self.evaluates(p, spec.category))
            ]
            if experts:
                expert = self.pick(self.can_meet(taken, experts), spec)
                spec.team.append((expert, TeamRole.EXPERT, False))
        if spec.group == "ongoing":
            for person, _, _ in spec.team:
                self.load[person.id] += 1

    def load_rooms(self) -> None:
        existing = set(self.session.scalars(select(Room.name)))
        clash = [r.name for r in ROOMS if r.name in existing]
        if clash:
            raise DemoError(f"rooms {'、'.join(clash)} already exist; use a fresh database")
        self.rooms = [
            Room(
                name=r.name,
                location=r.location,
                address=r.address,
                capacity=r.capacity,
                is_online=r.is_online,
                equipment=list(r.equipment),
            )
            for r in ROOMS
        ]
        self.session.add_all(self.rooms)
        self.session.flush()
        self.meeting_room = next(r for r in self.rooms if r.name == MEETING_ROOM)

    def load_meeting(self) -> None:
        """The weekly 例会: leadership and some senior mediators, Mondays 09:00 local."""
        monday = self.today - timedelta(days=self.today.weekday(), weeks=12)
        seniors = [
            p
            for p in self.roster
            if p.is_mediator and p.is_active and p.seniority == Seniority.SENIOR
        ]
        members = [*self.leaders, *self.rng.sample(seniors, min(5, len(seniors)))]
        meeting = RecurringMeeting(
            uid="meeting-new@sutiao",
            title="金融纠纷诉调对接中心工作例会",
            rrule="FREQ=WEEKLY;BYDAY=MO",
            starts_at=_local(monday, MEETING_START.hour * 60 + MEETING_START.minute),
            duration_minutes=MEETING_MINUTES,
            timezone="Asia/Shanghai",
            room=self.meeting_room,
            is_published=True,
            members=members,
        )
        self.session.add(meeting)
        self.session.flush()
        meeting.uid = f"meeting-{meeting.id}@sutiao"
        self.meeting_member_ids = [p.id for p in members]

    def free(self, person: Person, day: date, slot: int) -> bool:
        start, end = SLOTS[slot]
        if (person.id, day, slot) in self.person_busy or self.away(person, day, day):
            return False
        if day.weekday() == 0 and slot == 0 and person.id in self.meeting_member_ids:
            return False  # the Monday 例会
        return any(
            w == day.weekday() and s <= start and end <= e for w, s, e in self.windows[person.id]
        )

    def room_free(self, room: Room, day: date, slot: int) -> bool:
        if day.weekday() == 0 and slot == 0 and room is self.meeting_room:
            return False
        return (room.id, day, slot) not in self.room_busy

    def reachable(self, people: list[tuple[Person, str]], day: date, slot: int, room: Room) -> bool:
        """Whether everyone can be in ``room`` at ``slot``: no booking that day at another site
        closer than the scheduler's travel time (a schedule run would find it in the published
        state)."""
        if room.is_online:
            return True
        start, end = SLOTS[slot]
        meeting_start = MEETING_START.hour * 60 + MEETING_START.minute
        meeting = (meeting_start, meeting_start + MEETING_MINUTES, self.meeting_room.location)
        for person, _ in people:
            sites = self.person_sites.get((person.id, day), [])
            if day.weekday() == 0 and person.id in self.meeting_member_ids:
                sites = [*sites, meeting]
            for other_start, other_end, location in sites:
                gap = start - other_end if other_end <= start else other_start - end
                if location != room.location and gap < TRAVEL_MINUTES:
                    return False
        return True

    def room_order(self, spec: _Spec, size: int) -> list[Room]:
        """Rooms near the case's court first; parties far away or in a hurry often go online."""
        code = spec.court.code
        if code == "豫0823":
            sites = [WUZHI, CENTER, INTERMEDIATE_SITE]
        elif code == INTERMEDIATE:
            sites = [INTERMEDIATE_SITE, CENTER]
        else:
            sites = [CENTER, INTERMEDIATE_SITE]
        sites.insert(0 if self.rng.random() < 0.2 else len(sites), ONLINE)
        rooms = [r for r in self.rooms if r.capacity >= size]
        return [r for site in sites for r in rooms if r.location == site]

    def book(
        self,
        spec: _Spec,
        kind: SessionKind,
        people: list[tuple[Person, str]],
        days: list[date],
        status: SessionStatus,
    ) -> bool:
        """Put a session in a random slot where the room and every participant are free."""
        assert spec.case is not None
        candidates = [(day, slot) for day in days for slot in range(len(SLOTS))]
        self.rng.shuffle(candidates)
        rooms = self.room_order(spec, len(people) + 1 + len(spec.defendants))
        for day, slot in candidates:
            if not all(self.free(p, day, slot) for p, _ in people):
                continue
            room = next(
                (
                    r
                    for r in rooms
                    if self.room_free(r, day, slot) and self.reachable(people, day, slot, r)
                ),
                None,
            )
            if room is None:
                continue
            self.person_busy.update((p.id, day, slot) for p, _ in people)
            self.room_busy.add((room.id, day, slot))
            start, end = SLOTS[slot]
            if not room.is_online:
                for person, _ in people:
                    self.person_sites[(person.id, day)].append((start, end, room.location))
            label = {
                SessionKind.MEDIATION: "调解",
                SessionKind.JOINT_MEDIATION: "联合调解",
                SessionKind.CASE_CONFERENCE: "疑难案件研讨会",
            }[kind]
            self.sessions.append(
                CalendarSession(
                    uid=f"session-new-{len(self.sessions)}@sutiao",
                    kind=kind.value,
                    status=status.value,
                    # Titles reach feeds and court lookups: case number and cause, no names.
                    title=f"{spec.case.case_number} {spec.case.cause_text} {label}",
                    starts_at=_local(day, start),
                    ends_at=_local(day, end),
                    room=room,
                    is_published=True,
                    cases=[spec.case],
                    participants=[SessionParticipant(person=p, role=r) for p, r in people],
                )
            )
            return True
        return False

    def load_teams_and_sessions(self, ongoing: list[_Spec], closed: list[_Spec]) -> None:
        batch_owner: dict[str, Person] = {}
        for spec in [*closed, *ongoing]:
            self.build_team(spec, batch_owner)
        horizon = self.today + timedelta(days=10)
        for spec in ongoing:
            assert spec.case is not None
            if spec.status != CaseStatus.SCHEDULED:
                continue
            days = self.workdays(self.today + timedelta(days=1), spec.case.deadline_on or horizon)
            days = [d for d in days if d <= horizon]
            kind = SessionKind.JOINT_MEDIATION if spec.is_joint else SessionKind.MEDIATION
            team = [(p, role.value) for p, role, _ in spec.team]
            if not self.book(spec, kind, team, days, SessionStatus.CONFIRMED):
                spec.status = CaseStatus.ASSIGNED
                spec.case.status = CaseStatus.ASSIGNED.value
            elif spec.complexity == Complexity.MAJOR:
                # A major case also gets a case conference with leadership and the court.
                judge = next(j for j in self.judges if j.base_court is spec.court)
                people = [*team, (self.leaders[0], "leader"), (judge, "liaison_judge")]
                self.book(spec, SessionKind.CASE_CONFERENCE, people, days, SessionStatus.CONFIRMED)
        for spec in closed:
            assert spec.case is not None
            last = min(spec.case.deadline_on or self.today, self.today - timedelta(days=1))
            days = self.workdays(spec.received_on + timedelta(days=2), last)
            kind = SessionKind.JOINT_MEDIATION if spec.is_joint else SessionKind.MEDIATION
            self.book(spec, kind, [(p, r.value) for p, r, _ in spec.team], days, SessionStatus.HELD)
        self.session.add_all(self.sessions)
        self.session.flush()
        for session in self.sessions:
            session.uid = f"session-{session.id}@sutiao"
        # Published sessions hold their people and rooms (the database refuses overlaps).
        from .workflow import bookings_for

        for session in self.sessions:
            self.session.add_all(bookings_for(session))
        self.session.flush()

    # --- users, runs -------------------------------------------------------------------------

    def load_users(self) -> list[tuple[User, DemoLogin]]:
        existing = set(self.session.scalars(select(User.username)))
        clash = [role.value for role in UserRole if role.value in existing]
        if clash:
            raise DemoError(f"users {', '.join(clash)} already exist; use a fresh database")
        # The demo mediator should have something to look at: the busiest active mediator.
        mediator = min(
            (p for p in self.roster if p.is_mediator and p.is_active),
            key=lambda p: (-self.load[p.id], p.roster_no),
        )
        leader, court = self.leaders[0], self.courts["豫0802"]
        rows: list[tuple[UserRole, str, Person | None, Court | None, str]] = [
            (UserRole.COORDINATOR, "诉调中心工作人员", None, None,
             "调解中心工作人员：导入移送清单，运行分案与排期，审核后发布"),
            (UserRole.LEADER, leader.name, leader, None,
             f"{leader.title}：设置匹配权重，查看工作量、期限与调解结果"),
            (UserRole.MEDIATOR, mediator.name, mediator, None,
             f"调解员 {mediator.roster_no}：本人案件与日程，iCal 订阅，登记请假"),
            (UserRole.COURT, f"{court.short_name}立案庭", None, court,
             f"法院（{court.code} {court.short_name}）：按案号查询调解员与调解时间"),
            (UserRole.ADMIN, "系统管理员", None, None, "系统管理员：用户、法院密钥、节假日安排"),
        ]  # fmt: skip
        users = []
        for role, display, person, user_court, description in rows:
            password = f"demo-{role.value}"
            user = User(
                username=role.value,
                display_name=display,
                password_hash=generate_password_hash(password, method=DEMO_PASSWORD_METHOD),
                role=role.value,
                person=person,
                court=user_court,
            )
            users.append((user, DemoLogin(role.value, password, role.value, description)))
        self.session.add_all([u for u, _ in users])
        self.session.flush()
        return users

    def load_runs(self, specs: list[_Spec], profile: WeightProfile, coordinator: User) -> None:
        """One published assignment run per day of receipt, with its proposals and teams."""
        by_day: dict[date, list[_Spec]] = {}
        for spec in sorted(specs, key=lambda s: s.received_on):
            by_day.setdefault(spec.received_on, []).append(spec)
        runs: list[tuple[AssignmentRun, list[_Spec]]] = []
        for day, group in by_day.items():
            started = _local(day, 600)  # the coordinator runs assignment mid-morning
            run = AssignmentRun(
                kind=RunKind.ASSIGN.value,
                status=RunStatus.PUBLISHED.value,
                run_on=started,
                started_at=started,
                finished_at=started + timedelta(seconds=self.rng.randint(2, 9)),
                published_at=started + timedelta(minutes=self.rng.randint(20, 90)),
                weight_profile_id=profile.id,
                weights_snapshot=dict(profile.weights),
                stats={"cases": len(group), "people": len(self.roster)},
                created_by_id=coordinator.id,
                proposals=[
                    Proposal(case=s.case, person=p, role=role.value, is_presiding=presiding)
                    for s in group
                    for p, role, presiding in s.team
                ],
            )
            runs.append((run, group))
        self.session.add_all([run for run, _ in runs])
        self.session.flush()
        self.session.add_all(
            Assignment(
                case=spec.case,
                person=person,
                role=role.value,
                is_presiding=presiding,
                run_id=run.id,
                assigned_at=run.published_at,
            )
            for run, group in runs
            for spec in group
            for person, role, presiding in spec.team
        )


def _refuse_if_loaded(session: Session) -> None:
    """Never merge the demo into existing data (or into an earlier demo)."""
    if session.scalar(select(Person.id).limit(1)) is not None:
        raise DemoError(
            "demo data not loaded: the database already has people on its roster "
            "(demo data loaded before, or real data); use a fresh database"
        )
    if session.scalar(select(Case.id).limit(1)) is not None:
        raise DemoError(
            "demo data not loaded: the database already has cases; use a fresh database"
        )


def load_demo(
    session: Session,
    *,
    seed: int = 2026,
    cases: int = 160,
    people: int = 130,
    today: date | None = None,
) -> DemoSummary:
    """Add the demo data set to ``session`` (flushed, not committed).

    ``cases`` counts the incoming (received) cases; about a quarter as many ongoing and three
    sixteenths as many closed cases come with them. ``people`` counts mediators and experts
    together. Raises DemoError when the database already holds people or cases, and
    DemoSizeError (a DemoError and a ValueError) when a knob is below the minimum.
    """
    if cases < MIN_CASES:
        raise DemoSizeError(f"the demo needs at least {MIN_CASES} incoming cases, got {cases}")
    if people < MIN_PEOPLE:
        raise DemoSizeError(
            f"the demo needs at least {MIN_PEOPLE} mediators and experts, got {people}"
        )
    _refuse_if_loaded(session)
    today = today or date.today()
    b = _Builder(session, random.Random(seed), today, cases, people)

    b.load_institutions()
    b.load_people()
    b.load_rooms()
    incoming = b.build_incoming()
    ongoing = b.build_ongoing()
    closed = b.build_closed()
    specs = [*incoming, *ongoing, *closed]
    b.load_affiliations(incoming)
    b.load_leaves()
    b.make_cases(specs)
    b.set_deadlines(specs)
    session.add_all([s.case for s in specs if s.case is not None])
    session.flush()
    b.load_parties(specs)
    b.load_declared_conflicts(incoming)
    b.choose_mediators(incoming)
    b.load_meeting()
    b.load_teams_and_sessions(ongoing, closed)

    users = b.load_users()
    user = {u.role: u for u, _ in users}
    profile = session.scalars(select(WeightProfile).order_by(WeightProfile.version.desc())).first()
    if profile is None:
        profile = WeightProfile(
            version=1,
            weights=dict(DEMO_WEIGHTS),
            note="初始权重（演示数据）",
            created_by_id=user[UserRole.LEADER].id,
        )
        session.add(profile)
        session.flush()
    b.load_runs([*closed, *ongoing], profile, user[UserRole.COORDINATOR])

    summary = DemoSummary(
        institutions=len(b.institutions),
        mediators=sum(p.is_mediator for p in b.roster),
        experts=sum(p.is_expert for p in b.roster),
        liaison_judges=len(b.judges),
        leaders=len(b.leaders),
        rooms=len(b.rooms),
        incoming_cases=len(incoming),
        ongoing_cases=len(ongoing),
        closed_cases=len(closed),
        cases_without_deadline=sum(
            s.case is not None and s.case.deadline_on is None for s in specs
        ),
        logins=tuple(login for _, login in users),
    )
    audit.record(
        session,
        "demo.load",
        actor="demo",
        object_type="demo",
        new={k: v for k, v in vars(summary).items() if k != "logins"},
        seed=seed,
        today=today.isoformat(),
    )
    session.flush()
    return summary
