"""Rooms, sessions with their participants, and recurring meetings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_check, utcnow
from .cases import Case
from .people import Person
from .vocabulary import SessionKind, SessionStatus


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    location: Mapped[str] = mapped_column(String(64))  # travel buffers apply between locations
    address: Mapped[str | None] = mapped_column(String(255))
    capacity: Mapped[int]
    is_online: Mapped[bool] = mapped_column(default=False)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)

    def _repr_label(self) -> str:
        return self.name


class Session(Base):
    """A mediation session, joint session, conference, meeting occurrence or training."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint(enum_check("kind", SessionKind), name="kind"),
        CheckConstraint(enum_check("status", SessionStatus), name="status"),
        CheckConstraint("ends_at > starts_at", name="times_ordered"),
        CheckConstraint("sequence >= 0", name="sequence_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(128), unique=True)  # iCal UID, stable for life
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.TENTATIVE)
    title: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), index=True)
    sequence: Mapped[int] = mapped_column(default=0)  # iCal SEQUENCE, bumped on every move
    is_published: Mapped[bool] = mapped_column(default=False)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    recurring_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("recurring_meetings.id", ondelete="CASCADE"), index=True
    )
    # For a moved occurrence of a recurring meeting: the original start (iCal RECURRENCE-ID).
    recurrence_of: Mapped[datetime | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_runs.id"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    room: Mapped[Room | None] = relationship()
    cases: Mapped[list[Case]] = relationship(secondary="session_cases")
    participants: Mapped[list[SessionParticipant]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )

    def _repr_label(self) -> str:
        return f"{self.kind} {self.starts_at:%Y-%m-%d %H:%M}"


class SessionCase(Base):
    """The cases a session covers: one for a mediation, several for a case conference."""

    __tablename__ = "session_cases"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, index=True)


class SessionParticipant(Base):
    __tablename__ = "session_participants"
    __table_args__ = (
        UniqueConstraint("session_id", "person_id", name="uq_session_participants_session_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))  # mediator, expert, liaison_judge, leader, member

    session: Mapped[Session] = relationship(back_populates="participants")
    person: Mapped[Person] = relationship()


class RecurringMeeting(Base):
    """A regular meeting (例会): an RFC 5545 RRULE from a local start in ``timezone``."""

    __tablename__ = "recurring_meetings"
    __table_args__ = (CheckConstraint("duration_minutes > 0", name="duration_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    rrule: Mapped[str] = mapped_column(String(255))  # e.g. FREQ=WEEKLY;BYDAY=MO
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int]
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), index=True)
    sequence: Mapped[int] = mapped_column(default=0)
    is_published: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    room: Mapped[Room | None] = relationship()
    members: Mapped[list[Person]] = relationship(secondary="recurring_meeting_members")

    def _repr_label(self) -> str:
        return f"{self.title} {self.rrule}"


class RecurringMeetingMember(Base):
    __tablename__ = "recurring_meeting_members"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("recurring_meetings.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)


class Booking(Base):
    """A published session's hold on a person or a physical room.

    The database itself refuses two overlapping holds on one person or one room, whichever
    process writes them: an exclusion constraint on PostgreSQL (btree_gist), triggers on SQLite
    (both in migration 0002). Online rooms hold any number of sessions and get no booking."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("(person_id IS NOT NULL) <> (room_id IS NOT NULL)", name="one_holder"),
        CheckConstraint("starts_at < ends_at", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    session: Mapped[Session] = relationship()


# The tables whose rows a calendar feed shows (web/feeds.py reads nothing else). A write to any
# of them raises FeedVersion.version (the triggers of migration 0004).
FEED_TABLES = (
    "assignments",
    "case_parties",
    "cases",
    "institutions",
    "people",
    "recurring_meeting_members",
    "recurring_meetings",
    "rooms",
    "session_cases",
    "session_participants",
    "sessions",
)


class FeedVersion(Base):
    """One row (id 1) whose ``version`` the database raises in every committed transaction that
    writes one of :data:`FEED_TABLES`, however it writes (an audited operation, the demo, a
    script, psql): triggers of migration 0004, deferred to commit on PostgreSQL. The feeds'
    cache (web/feeds.py) serves a feed again without rendering it while this is unchanged."""

    __tablename__ = "feed_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
