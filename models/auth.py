"""Users and their roles, court API keys, feed tokens and the audit log."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_check, utcnow
from .people import Person
from .reference import Court
from .vocabulary import UserRole


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(enum_check("role", UserRole), name="role"),
        CheckConstraint("role <> 'court' OR court_id IS NOT NULL", name="court_user_has_court"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    court: Mapped[Court | None] = relationship()
    person: Mapped[Person | None] = relationship()

    def _repr_label(self) -> str:
        return f"{self.username} {self.role}"


class ApiKey(Base):
    """A court's API key. Only a SHA-256 digest is stored; the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    court: Mapped[Court] = relationship()

    def _repr_label(self) -> str:
        return f"{self.prefix}… court={self.court_id}"


def new_feed_secret() -> bytes:
    """A feed token's secret: 256 random bits."""
    return secrets.token_bytes(32)


class FeedToken(Base):
    """A person's or a room's iCal feed, as Indico keeps it: a random secret per owner, from
    which the URL token is derived (HMAC-SHA256, web/feeds.py), so that the owner's page can
    show the URL again. ``token_hash`` is the SHA-256 of that URL token, the unique index a
    request is looked up by. A reset revokes the row and adds one with a fresh secret."""

    __tablename__ = "feed_tokens"
    __table_args__ = (
        CheckConstraint("(person_id IS NOT NULL) <> (room_id IS NOT NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary(32), default=new_feed_secret)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))  # username, "cli", "apikey:<prefix>"
    action: Mapped[str] = mapped_column(String(64))  # e.g. cases.import, weights.update
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def _repr_label(self) -> str:
        return f"{self.action} by {self.actor}"
