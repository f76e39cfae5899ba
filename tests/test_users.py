"""User creation: hashed passwords, the role's needs, clear errors naming the field, the CLI."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from models import AuditEntry, User
from tests.factories import make_person
from web.users import DuplicateUser, UserError, create_user


def test_create_user_hashes_the_password_and_audits(session: Session) -> None:
    user = create_user(session, "coord", "coordinator", "s3cret-pass", display_name="调解中心")
    session.commit()
    assert user.password_hash != "s3cret-pass" and "s3cret-pass" not in user.password_hash
    assert check_password_hash(user.password_hash, "s3cret-pass")
    assert not check_password_hash(user.password_hash, "wrong-pass")
    assert user.display_name == "调解中心" and user.role == "coordinator"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert entry.object_id == str(user.id) and entry.new is not None
    assert entry.new["username"] == "coord" and "s3cret-pass" not in repr(entry.new)


def test_court_user_gets_its_court_and_mediator_its_person(session: Session) -> None:
    clerk = create_user(session, "jfq", "court", "password1", court_code="豫0802")
    assert clerk.court is not None and clerk.court.code == "豫0802"
    assert clerk.display_name == clerk.court.short_name
    person = make_person(session, "JZTJ-M-900")
    mediator = create_user(
        session, "zhangming", "mediator", "password1", person_roster_no="JZTJ-M-900"
    )
    assert mediator.person is person and mediator.display_name == person.name


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"username": ""}, "username", "is required"),
        ({"username": "has space"}, "username", "no spaces"),
        ({"username": "x" * 65}, "username", "at most 64"),
        ({"role": "judge"}, "role", "'judge' is not a role"),
        ({"password": "short"}, "password", "at least 8"),
        ({"password": "        "}, "password", "is required"),
        ({"role": "court"}, "court", "needs a court code"),
        ({"role": "court", "court_code": "豫9999"}, "court", "no court with code '豫9999'"),
        ({"court_code": "豫0802"}, "court", "only a court user has a court"),
        ({"role": "mediator"}, "person", "needs the person's roster number"),
        ({"role": "mediator", "person_roster_no": "NOPE"}, "person", "no person with roster"),
        ({"display_name": "名" * 65}, "display_name", "at most 64"),
    ],
)
def test_validation_errors_name_the_field(
    session: Session, kwargs: dict[str, Any], field: str, message: str
) -> None:
    args: dict[str, Any] = {"username": "someone", "role": "coordinator", "password": "password1"}
    args.update(kwargs)
    with pytest.raises(UserError, match=message) as caught:
        create_user(session, **args)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert isinstance(caught.value, ValueError)


def test_duplicate_username_is_refused_case_insensitively(session: Session) -> None:
    create_user(session, "Admin2", "admin", "password1")
    with pytest.raises(DuplicateUser, match="username: 'admin2' is already taken"):
        create_user(session, "admin2", "admin", "password1")


# --- CLI -----------------------------------------------------------------------------------


def test_cli_create_user_with_password_option(runner: FlaskCliRunner, engine: Engine) -> None:
    result = runner.invoke(
        args=[
            "create-user",
            "jfq",
            "--role",
            "court",
            "--court",
            "豫0802",
            "--password",
            "pw123456",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "User jfq" in result.output and "court 豫0802" in result.output
    assert "pw123456" not in result.output
    with Session(engine) as s:
        user = s.scalars(select(User).where(User.username == "jfq")).one()
        assert check_password_hash(user.password_hash, "pw123456")


def test_cli_prompts_for_the_password_twice_hidden(runner: FlaskCliRunner, engine: Engine) -> None:
    result = runner.invoke(
        args=["create-user", "lead", "--role", "leader"], input="longpassword\nlongpassword\n"
    )
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    assert "longpassword" not in result.output  # hidden input is not echoed
    with Session(engine) as s:
        user = s.scalars(select(User).where(User.username == "lead")).one()
        assert check_password_hash(user.password_hash, "longpassword")

    mismatch = runner.invoke(
        args=["create-user", "other", "--role", "leader"],
        input="longpassword\ndifferent1\nlongpassword\nlongpassword\n",
    )
    assert "do not match" in mismatch.output.lower() or "don't match" in mismatch.output.lower()


def test_cli_reports_validation_errors(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-user", "clerk", "--role", "court", "--password", "pw123456"]
    )
    assert result.exit_code == 1
    assert "court: a court user needs a court code" in result.output
    bad_role = runner.invoke(args=["create-user", "x", "--role", "judge", "--password", "pw123456"])
    assert bad_role.exit_code == 2 and "--role" in bad_role.output
    short = runner.invoke(args=["create-user", "y", "--role", "admin", "--password", "short"])
    assert short.exit_code == 1 and "password: at least 8 characters" in short.output
