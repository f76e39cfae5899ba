"""User accounts: creation with a hashed password, checked against the role's needs."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from models import Person, User
from models.vocabulary import UserRole

from . import audit
from .apikeys import UnknownCourt, find_court

USERNAME_MAX = 64
DISPLAY_NAME_MAX = 64
PASSWORD_MIN = 8
# Letters (any script), digits and . _ - ; no spaces, so a username reads the same everywhere.
_USERNAME = re.compile(r"^[\w.\-]+$")


class UserError(ValueError):
    """A user that cannot be created; ``field`` names the bad input."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class DuplicateUser(UserError):
    pass


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    court_code: str | None = None,
    person_roster_no: str | None = None,
    *,
    actor: str = "cli",
) -> User:
    """Create a login. A court user needs a court; a mediator login needs its roster entry."""
    username = (username or "").strip()
    if not username:
        raise UserError("username", "is required")
    if len(username) > USERNAME_MAX:
        raise UserError("username", f"at most {USERNAME_MAX} characters, got {len(username)}")
    if not _USERNAME.match(username):
        raise UserError("username", "letters, digits, '.', '_' and '-' only, no spaces")
    taken = session.scalars(
        select(User.id).where(func.lower(User.username) == username.lower())
    ).first()
    if taken is not None:
        raise DuplicateUser("username", f"{username!r} is already taken")

    roles = [r.value for r in UserRole]
    if role not in roles:
        raise UserError("role", f"{role!r} is not a role; one of {', '.join(roles)}")

    if not password or not password.strip():
        raise UserError("password", "is required")
    if len(password) < PASSWORD_MIN:
        raise UserError("password", f"at least {PASSWORD_MIN} characters, got {len(password)}")

    court = None
    if court_code is not None and court_code.strip():
        if role != UserRole.COURT:
            raise UserError("court", f"only a court user has a court, not a {role}")
        try:
            court = find_court(session, court_code)
        except UnknownCourt as exc:
            raise UserError("court", str(exc).removeprefix("court: ")) from None
    elif role == UserRole.COURT:
        raise UserError("court", "a court user needs a court code (e.g. 豫0802)")

    person = None
    if person_roster_no is not None and person_roster_no.strip():
        if role == UserRole.COURT:
            raise UserError("person", "a court user is not a roster person")
        roster_no = person_roster_no.strip()
        person = session.scalars(select(Person).where(Person.roster_no == roster_no)).first()
        if person is None:
            raise UserError("person", f"no person with roster number {roster_no!r}")
    elif role == UserRole.MEDIATOR:
        raise UserError("person", "a mediator login needs the person's roster number")

    display = (display_name or "").strip()
    if not display:
        display = person.name if person else (court.short_name if court else username)
    if len(display) > DISPLAY_NAME_MAX:
        raise UserError(
            "display_name", f"at most {DISPLAY_NAME_MAX} characters, got {len(display)}"
        )

    user = User(
        username=username,
        display_name=display,
        password_hash=generate_password_hash(password),
        role=role,
        court=court,
        person=person,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.create",
        actor=actor,
        object_type="user",
        object_id=user.id,
        new={
            "username": username,
            "role": role,
            "court": court.code if court else None,
            "person": person.roster_no if person else None,
        },
    )
    return user
