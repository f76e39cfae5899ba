"""Cases sent by the courts, their parties, consented extensions and evaluation pauses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_check, utcnow
from .people import Person
from .reference import Court, Institution
from .vocabulary import CaseMode, CaseStatus, Complexity, PartyRole, Procedure


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
        CheckConstraint(enum_check("mode", CaseMode), name="mode"),
        CheckConstraint(enum_check("procedure", Procedure), name="procedure"),
        CheckConstraint(enum_check("complexity", Complexity), name="complexity"),
        CheckConstraint(enum_check("status", CaseStatus), name="status"),
        # 委派 cases are not filed yet, so they have no instance; 委托 cases are at 1 or 2.
        CheckConstraint(
            "(mode = 'delegated' AND instance IS NULL) OR "
            "(mode = 'entrusted' AND instance IS NOT NULL AND instance IN (1, 2))",
            name="mode_instance",
        ),
        CheckConstraint("seq > 0", name="seq_positive"),
        UniqueConstraint("case_number", name="uq_cases_case_number"),
        UniqueConstraint("year", "court_code", "type_code", "seq", name="uq_cases_number_parts"),
        Index("ix_cases_status_received_on", "status", "received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64))  # normalised 案号
    year: Mapped[int]
    court_code: Mapped[str] = mapped_column(String(16))
    type_code: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int]
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    instance: Mapped[int | None]
    procedure: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(ForeignKey("case_categories.code"), index=True)
    cause_text: Mapped[str] = mapped_column(String(64))  # 案由 as the court wrote it
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    complexity: Mapped[str] = mapped_column(String(16))
    batch_key: Mapped[str | None] = mapped_column(String(64), index=True)
    needs_evaluation: Mapped[bool] = mapped_column(default=False)
    chosen_mediator_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    received_on: Mapped[date]
    deadline_on: Mapped[date | None]  # None until the holiday calendar covers it
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.RECEIVED)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    court: Mapped[Court] = relationship()
    chosen_mediator: Mapped[Person | None] = relationship()
    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseParty.position"
    )
    extensions: Mapped[list[CaseExtension]] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )
    pauses: Mapped[list[CasePause]] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )

    @property
    def plaintiffs(self) -> list[CaseParty]:
        return [p for p in self.parties if p.role == PartyRole.PLAINTIFF]

    @property
    def defendants(self) -> list[CaseParty]:
        return [p for p in self.parties if p.role == PartyRole.DEFENDANT]

    def _repr_label(self) -> str:
        return self.case_number


class CaseParty(Base):
    """A party. Natural persons keep their name for the center only; nothing outside shows it."""

    __tablename__ = "case_parties"
    __table_args__ = (
        CheckConstraint(enum_check("role", PartyRole), name="role"),
        UniqueConstraint("case_id", "role", "position", name="uq_case_parties_case_role_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))

    case: Mapped[Case] = relationship(back_populates="parties")
    institution: Mapped[Institution | None] = relationship()

    @property
    def is_natural_person(self) -> bool:
        return self.institution_id is None

    def _repr_label(self) -> str:
        return f"{self.role} {self.name}"


class CaseExtension(Base):
    """An extension of the mediation period; it counts only once both parties consented."""

    __tablename__ = "case_extensions"
    __table_args__ = (CheckConstraint("days > 0", name="days_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    days: Mapped[int]
    plaintiff_consent_on: Mapped[date | None]
    defendant_consent_on: Mapped[date | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="extensions")

    @property
    def is_consented(self) -> bool:
        return self.plaintiff_consent_on is not None and self.defendant_consent_on is not None


class CasePause(Base):
    """Appraisal or neutral evaluation time, which does not count towards the deadline."""

    __tablename__ = "case_pauses"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # evaluation | appraisal
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]  # None: still running

    case: Mapped[Case] = relationship(back_populates="pauses")
