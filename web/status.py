"""Counts for ``sutiao status`` and the front page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from models import (
    Assignment,
    AssignmentRun,
    Case,
    Court,
    HolidayCalendar,
    Institution,
    Person,
    Room,
    Session,
    User,
)
from models.vocabulary import CaseStatus

STATUS_ZH = {
    CaseStatus.RECEIVED: "待分派",
    CaseStatus.ASSIGNED: "已分派",
    CaseStatus.SCHEDULED: "已排期",
    CaseStatus.PAUSED: "中立评估中",
    CaseStatus.SETTLED: "调解成功",
    CaseStatus.FAILED: "调解不成",
    CaseStatus.WITHDRAWN: "撤回",
}


@dataclass
class Status:
    cases_by_status: dict[str, int]
    counts: dict[str, int]
    cases_without_deadline: int
    holiday_years_loaded: list[int] = field(default_factory=list)

    @property
    def cases_total(self) -> int:
        return sum(self.cases_by_status.values())

    @property
    def cases_by_status_zh(self) -> list[tuple[str, int]]:
        return [(STATUS_ZH[CaseStatus(s)], self.cases_by_status.get(s, 0)) for s in CaseStatus]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["cases_total"] = self.cases_total
        return data


def collect_status(session: DbSession) -> Status:
    by_status = dict(
        session.execute(select(Case.status, func.count()).group_by(Case.status)).tuples().all()
    )

    def count(*where: Any, model: Any = Person) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    active = Person.is_active.is_(True)
    counts = {
        "mediators": count(Person.is_mediator.is_(True), active),
        "experts": count(Person.is_expert.is_(True), active),
        "liaison_judges": count(Person.is_liaison_judge.is_(True)),
        "leaders": count(Person.is_leader.is_(True)),
        "people_suspended": count(Person.is_active.is_(False)),
        "courts": count(model=Court),
        "institutions": count(model=Institution),
        "rooms": count(Room.is_active.is_(True), model=Room),
        "sessions": count(model=Session),
        "sessions_published": count(Session.is_published.is_(True), model=Session),
        "assignments": count(model=Assignment),
        "runs": count(model=AssignmentRun),
        "users": count(model=User),
    }
    return Status(
        cases_by_status={s.value: int(by_status.get(s.value, 0)) for s in CaseStatus},
        counts=counts,
        cases_without_deadline=count(Case.deadline_on.is_(None), model=Case),
        holiday_years_loaded=list(session.scalars(select(HolidayCalendar.year))),
    )
