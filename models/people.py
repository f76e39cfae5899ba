"""The roster: mediators, experts, liaison judges and leaders, with what the optimizers need."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_check, utcnow
from .reference import Court, Institution
from .vocabulary import Seniority


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("max_concurrent_cases >= 0", name="capacity_nonnegative"),
        CheckConstraint(enum_check("seniority", Seniority), name="seniority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_no: Mapped[str] = mapped_column(String(32), unique=True)  # 名册编号
    name: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str | None] = mapped_column(String(64))  # 职务/职称, shown on the team
    email: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_mediator: Mapped[bool] = mapped_column(default=False)
    is_expert: Mapped[bool] = mapped_column(default=False)
    is_liaison_judge: Mapped[bool] = mapped_column(default=False)
    is_leader: Mapped[bool] = mapped_column(default=False)
    seniority: Mapped[str] = mapped_column(String(16), default=Seniority.REGULAR)
    max_concurrent_cases: Mapped[int] = mapped_column(default=10)
    base_court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)  # False: suspended from the roster
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    base_court: Mapped[Court | None] = relationship()
    specialties: Mapped[list[Specialty]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    roster_courts: Mapped[list[Court]] = relationship(secondary="person_roster_courts")
    affiliations: Mapped[list[Affiliation]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    availability: Mapped[list[WeeklyAvailability]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    leaves: Mapped[list[Leave]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> list[str]:
        flags = {
            "mediator": self.is_mediator,
            "expert": self.is_expert,
            "liaison_judge": self.is_liaison_judge,
            "leader": self.is_leader,
        }
        return [role for role, on in flags.items() if on]

    def _repr_label(self) -> str:
        return f"{self.roster_no} {self.name}"


class Specialty(Base):
    """Level 1–5 in one category; ``has_evaluation`` qualifies for neutral evaluation in it."""

    __tablename__ = "specialties"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(
        ForeignKey("case_categories.code"), primary_key=True, index=True
    )
    level: Mapped[int]
    has_evaluation: Mapped[bool] = mapped_column(default=False)

    person: Mapped[Person] = relationship(back_populates="specialties")

    def __repr__(self) -> str:
        return f"<Specialty person={self.person_id} {self.category} L{self.level}>"


class PersonRosterCourt(Base):
    """A court whose cases the person may take (the intermediate court's roster serves its
    basic courts; that expansion is the matcher's business, the table stores what was granted)."""

    __tablename__ = "person_roster_courts"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), primary_key=True, index=True)


class Affiliation(Base):
    """Employment or other tie to an institution; the main recusal ground in financial cases."""

    __tablename__ = "affiliations"
    __table_args__ = (CheckConstraint("to_on IS NULL OR to_on >= from_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    position: Mapped[str | None] = mapped_column(String(64))
    from_on: Mapped[date]
    to_on: Mapped[date | None]  # None: current

    person: Mapped[Person] = relationship(back_populates="affiliations")
    institution: Mapped[Institution] = relationship()

    def _repr_label(self) -> str:
        return f"person={self.person_id} inst={self.institution_id} {self.from_on}–{self.to_on}"


class DeclaredConflict(Base):
    """A conflict the person declared, against one case or against an institution."""

    __tablename__ = "declared_conflicts"
    __table_args__ = (
        CheckConstraint("case_id IS NOT NULL OR institution_id IS NOT NULL", name="has_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    reason: Mapped[str] = mapped_column(String(255))
    declared_on: Mapped[date]


class Waiver(Base):
    """Both parties' recorded consent that lifts a recusal ground for one person on one case."""

    __tablename__ = "waivers"
    __table_args__ = (
        UniqueConstraint("case_id", "person_id", "ground", name="uq_waivers_case_person_ground"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    ground: Mapped[str] = mapped_column(String(64))  # the recusal rule name that is waived
    plaintiff_consent_on: Mapped[date]
    defendant_consent_on: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class WeeklyAvailability(Base):
    """A weekly window (minutes after local midnight, Asia/Shanghai) the person can work."""

    __tablename__ = "weekly_availability"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="minutes_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 0 = Monday
    start_minute: Mapped[int]
    end_minute: Mapped[int]

    person: Mapped[Person] = relationship(back_populates="availability")


class Leave(Base):
    __tablename__ = "leaves"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str | None] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="leaves")
