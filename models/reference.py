"""Reference data: courts, case categories, institutions and loaded holiday calendars."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_check, utcnow
from .vocabulary import CourtLevel, HolidayKind, InstitutionKind


class Court(Base):
    __tablename__ = "courts"
    __table_args__ = (CheckConstraint(enum_check("level", CourtLevel), name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # 案号 court code such as 豫0802; a tribunal (派出法庭) has none of its own.
    code: Mapped[str | None] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    short_name: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), index=True)

    parent: Mapped[Court | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Court]] = relationship(back_populates="parent")

    def _repr_label(self) -> str:
        return f"{self.code or '-'} {self.short_name}"


class CaseCategory(Base):
    __tablename__ = "case_categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)

    def __repr__(self) -> str:
        return f"<CaseCategory {self.code} {self.name}>"


class Institution(Base):
    """A financial institution or other organisation that can be a party."""

    __tablename__ = "institutions"
    __table_args__ = (CheckConstraint(enum_check("kind", InstitutionKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default=InstitutionKind.OTHER)
    is_financial: Mapped[bool] = mapped_column(default=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Institution | None] = relationship(remote_side=[id])

    def _repr_label(self) -> str:
        return self.name


class HolidayCalendar(Base):
    """An official holiday schedule for one year, loaded by an administrator."""

    __tablename__ = "holiday_calendars"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(255))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str | None] = mapped_column(String(64))

    days: Mapped[list[HolidayDay]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", order_by="HolidayDay.day"
    )

    def __repr__(self) -> str:
        return f"<HolidayCalendar {self.year} {len(self.days)} days>"


class HolidayDay(Base):
    __tablename__ = "holiday_days"
    __table_args__ = (
        UniqueConstraint("day", name="uq_holiday_days_day"),
        CheckConstraint(enum_check("kind", HolidayKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("holiday_calendars.year", ondelete="CASCADE"), index=True
    )
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(32))

    calendar: Mapped[HolidayCalendar] = relationship(back_populates="days")

    def __repr__(self) -> str:
        return f"<HolidayDay {self.day} {self.kind}>"
