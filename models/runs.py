"""Weight profiles, optimizer runs with their proposals, and published team assignments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_check, utcnow
from .cases import Case
from .people import Person
from .vocabulary import RunKind, RunStatus, TeamRole


class WeightProfile(Base):
    """One version of leadership's matching weights; the highest version is current."""

    __tablename__ = "weight_profiles"
    __table_args__ = (CheckConstraint("version > 0", name="version_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    weights: Mapped[dict[str, int]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    def _repr_label(self) -> str:
        return f"v{self.version}"


class AssignmentRun(Base):
    __tablename__ = "assignment_runs"
    __table_args__ = (
        CheckConstraint(enum_check("kind", RunKind), name="kind"),
        CheckConstraint(enum_check("status", RunStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=RunKind.ASSIGN)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED, index=True)
    run_on: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    weight_profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("weight_profiles.id"), index=True
    )
    weights_snapshot: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Objective, bound and gap over time: [{"t": seconds, "objective": .., "bound": ..}, ...]
    progress: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    parent_run_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_runs.id"), index=True)
    # Background execution: what the run was asked to do (today, time limit, ...), where it runs
    # ("inline" thread or "rq"), the queue's job id, the worker's last sign of life, and when
    # someone asked it to stop.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    executor: Mapped[str | None] = mapped_column(String(16))
    job_id: Mapped[str | None] = mapped_column(String(64))
    heartbeat_at: Mapped[datetime | None]
    cancel_requested_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )

    def _repr_label(self) -> str:
        return f"{self.kind} {self.status}"


class Proposal(Base):
    """One team member the optimizer (or the coordinator's pin or override) proposes."""

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(enum_check("role", TeamRole), name="role"),
        UniqueConstraint("run_id", "case_id", "person_id", name="uq_proposals_run_case_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("assignment_runs.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    is_presiding: Mapped[bool] = mapped_column(default=False)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    override_reason: Mapped[str | None] = mapped_column(String(255))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    run: Mapped[AssignmentRun] = relationship(back_populates="proposals")
    case: Mapped[Case] = relationship()
    person: Mapped[Person] = relationship()


class Assignment(Base):
    """A published team member. The database keeps a person to one role per case."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(enum_check("role", TeamRole), name="role"),
        UniqueConstraint("case_id", "person_id", name="uq_assignments_case_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    is_presiding: Mapped[bool] = mapped_column(default=False)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_runs.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
    person: Mapped[Person] = relationship()

    def _repr_label(self) -> str:
        return f"case={self.case_id} person={self.person_id} {self.role}"
