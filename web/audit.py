"""The audit log: every write operation records who did what to which object."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import AuditEntry


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
