"""The audit log: every write operation records who did what to which object."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from models import AuditEntry
from models.base import utcnow

from .db import core


def record(
    session: Session,
    action: str,
    *,
    actor: str,
    user_id: int | None = None,
    object_type: str | None = None,
    object_id: object = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    **details: Any,
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        actor=actor,
        user_id=user_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        old=old,
        new=new,
        details=details,
    )
    session.add(entry)
    return entry


def entry(
    action: str,
    *,
    actor: str,
    user_id: int | None = None,
    object_type: str | None = None,
    object_id: object = None,
    **details: Any,
) -> dict[str, Any]:
    """An audit row as plain values, for :func:`record_many`."""
    return {
        "at": utcnow(),
        "action": action,
        "actor": actor,
        "user_id": user_id,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "old": None,
        "new": None,
        "details": details,
    }


def record_many(db: Session | Connection, entries: list[dict[str, Any]]) -> None:
    """Insert many audit rows in one statement, in the session's transaction, without building
    ORM objects: the court lookup audits every case it reads (python -m benchmarks.web)."""
    if entries:
        core(db).execute(insert(AuditEntry), entries)
