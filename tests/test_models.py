"""The database itself enforces the rules that matter, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from factories import make_case, make_person
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from models import (
    Assignment,
    AuditEntry,
    Case,
    CaseCategory,
    Court,
    FeedToken,
    Room,
    Specialty,
    User,
)
from models.base import UTCDateTime
from web.db import make_engine


def assert_rejected(session: Session, action: Callable[[], object], constraint: str) -> None:
    """The database refuses the change, naming the constraint where the backend names it."""
    with pytest.raises(IntegrityError) as info:
        action()
        session.flush()
    session.rollback()
    # PostgreSQL names every constraint; SQLite names CHECKs but reports UNIQUE by column.
    if session.get_bind().dialect.name == "postgresql" or constraint.startswith("ck_"):
        assert constraint in str(info.value.orig)


def test_reference_data_is_loaded(session: Session) -> None:
    courts = {c.code: c for c in session.scalars(select(Court))}
    assert courts["豫0802"].parent is courts["豫08"]
    assert courts["豫08"].level == "intermediate"
    assert len(courts) == 12  # 11 coded courts and the 高新 tribunal
    assert session.scalar(select(CaseCategory.name).where(CaseCategory.code == "credit_card")) == (
        "信用卡纠纷"
    )


def test_case_round_trip_keeps_decimal_and_dates(session: Session) -> None:
    case = make_case(session)
    session.commit()
    session.expire_all()
    stored = session.get(Case, case.id)
    assert stored is not None
    assert stored.amount == Decimal("120000.50")
    assert isinstance(stored.amount, Decimal)
    assert stored.received_on == date(2026, 11, 20)
    assert stored.created_at.tzinfo is not None
    assert repr(stored) == f"<Case {case.id} (2026)豫0802民初567号>"


def test_one_case_per_normalised_case_number(session: Session) -> None:
    make_case(session)
    session.commit()
    assert_rejected(session, lambda: make_case(session), "uq_cases_case_number")


def test_amount_must_not_be_negative(session: Session) -> None:
    assert_rejected(
        session, lambda: make_case(session, amount=Decimal("-1")), "ck_cases_amount_nonnegative"
    )


@pytest.mark.parametrize(
    ("mode", "instance"), [("delegated", 1), ("entrusted", None), ("entrusted", 3)]
)
def test_mode_and_instance_must_agree(session: Session, mode: str, instance: int | None) -> None:
    assert_rejected(
        session,
        lambda: make_case(session, mode=mode, instance=instance),
        "ck_cases_mode_instance",
    )


def test_unknown_vocabulary_is_rejected(session: Session) -> None:
    assert_rejected(
        session, lambda: make_case(session, complexity="trivial"), "ck_cases_complexity"
    )


@pytest.mark.parametrize("level", [0, 6])
def test_specialty_level_is_1_to_5(session: Session, level: int) -> None:
    person = make_person(session)
    session.commit()

    def add() -> None:
        session.add(Specialty(person_id=person.id, category="insurance", level=level))

    assert_rejected(session, add, "ck_specialties_level_range")


def test_capacity_must_not_be_negative(session: Session) -> None:
    assert_rejected(
        session,
        lambda: make_person(session, max_concurrent_cases=-1),
        "ck_people_capacity_nonnegative",
    )


def test_no_person_twice_on_a_case(session: Session) -> None:
    person = make_person(session)
    case = make_case(session)
    session.add(Assignment(case_id=case.id, person_id=person.id, role="mediator"))
    session.commit()

    def again() -> None:
        session.add(Assignment(case_id=case.id, person_id=person.id, role="expert"))

    assert_rejected(session, again, "uq_assignments_case_person")


def test_court_user_needs_a_court(session: Session) -> None:
    def add() -> None:
        session.add(User(username="clerk", display_name="书记员", password_hash="x", role="court"))

    assert_rejected(session, add, "ck_users_court_user_has_court")


def test_feed_token_has_exactly_one_owner(session: Session) -> None:
    person = make_person(session)
    room = Room(name="第一调解室", location="中院", capacity=8)
    session.add(room)
    session.commit()

    def add() -> None:
        session.add(FeedToken(token_hash="a" * 64, person_id=person.id, room_id=room.id))

    assert_rejected(session, add, "ck_feed_tokens_one_owner")


def test_foreign_keys_are_enforced(session: Session) -> None:
    def add() -> None:
        session.add(Assignment(case_id=999_999, person_id=999_999, role="mediator"))

    with pytest.raises(IntegrityError):
        add()
        session.flush()
    session.rollback()


def test_datetimes_are_stored_as_utc(session: Session) -> None:
    shanghai = timezone(timedelta(hours=8))
    entry = AuditEntry(actor="t", action="x", at=datetime(2026, 11, 28, 9, 0, tzinfo=shanghai))
    session.add(entry)
    session.commit()
    session.expire_all()
    stored = session.get(AuditEntry, entry.id)
    assert stored is not None
    assert stored.at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    assert stored.at.utcoffset() == timedelta(0)


def test_datetimes_read_back_in_utc_with_their_microseconds(session: Session) -> None:
    # Read back on either backend (naive text on SQLite, a UTC zone from PostgreSQL), a value
    # is the same instant, in datetime.UTC itself, to the microsecond.
    moment = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=8)))
    entry = AuditEntry(actor="t", action="x", at=moment)
    session.add(entry)
    session.commit()
    session.expire_all()
    stored = session.get(AuditEntry, entry.id)
    assert stored is not None
    assert stored.at == moment and stored.at.tzinfo is UTC
    assert stored.at.isoformat() == "2026-12-31T15:59:59.999999+00:00"


def test_sessions_in_any_zone_read_the_same_instants(engine: Engine, database_url: str) -> None:
    """make_engine runs PostgreSQL sessions in UTC, so values come back in datetime.UTC itself;
    an engine whose sessions run in another zone still reads the same instants."""
    moment = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    with Session(engine) as session:
        session.add(AuditEntry(actor="t", action="zone", at=moment))
        session.commit()
    at = select(AuditEntry.at).where(AuditEntry.action == "zone")
    with engine.connect() as connection:
        read = connection.execute(at).scalar_one()
        if engine.dialect.name == "postgresql":
            assert connection.exec_driver_sql("SHOW timezone").scalar_one() == "UTC"
    assert read == moment and read.tzinfo is UTC
    if engine.dialect.name != "postgresql":
        return
    elsewhere = make_engine(
        database_url, connect_args={"options": "-c timezone=Asia/Shanghai -c work_mem=8MB"}
    )  # make_engine's UTC wins over a zone passed in; other options are kept
    shanghai = create_engine(
        database_url, connect_args={"options": "-c timezone=Asia/Shanghai"}
    )  # a plain engine: the server hands back +08:00 values
    try:
        for other in (elsewhere, shanghai):
            with other.connect() as connection:
                read = connection.execute(at).scalar_one()
                zone = connection.exec_driver_sql("SHOW timezone").scalar_one()
                work_mem = connection.exec_driver_sql("SHOW work_mem").scalar_one()
            assert zone == ("UTC" if other is elsewhere else "Asia/Shanghai")
            assert other is shanghai or work_mem == "8MB"
            assert read == moment and read.tzinfo is UTC
            assert read.isoformat() == "2026-12-31T23:59:59.999999+00:00"
    finally:
        elsewhere.dispose()
        shanghai.dispose()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 1, 9, 30, 0, 5),
        datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=ZoneInfo("Etc/UTC")),
        datetime(2026, 3, 1, 17, 30, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2026, 3, 1, 4, 30, 0, 5, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_utc_datetime_puts_every_value_into_utc(value: datetime) -> None:
    read = UTCDateTime().process_result_value(value, sqlite.dialect())
    assert read is not None and read.tzinfo is UTC
    assert read == datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01 09:30:00.000005", datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=UTC)),
        ("2026-03-01 09:30:00", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),  # CURRENT_TIMESTAMP
        ("2026-03-01T09:30:00.000005", datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=UTC)),
        ("2026-03-01 17:30:00.000005+08:00", datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=UTC)),
        (None, None),
    ],
)
def test_sqlite_text_is_read_as_utc(text: str | None, expected: datetime | None) -> None:
    """SQLite's text straight to aware UTC values, whoever wrote it."""
    read = UTCDateTime()._cached_result_processor(sqlite.dialect(), None)(text)
    assert read == expected
    assert read is None or read.tzinfo is UTC


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(AuditEntry(actor="t", action="x", at=datetime(2026, 11, 28, 9, 0)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()
    session.rollback()
