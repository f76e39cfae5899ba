"""Factories for test data (Indico's create_x style): small, explicit, flushed not committed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Case, Court, Person
from models.case_number import parse_case_number


def make_person(session: Session, roster_no: str = "M-001", **kw: object) -> Person:
    person = Person(roster_no=roster_no, name="张明", is_mediator=True, **kw)
    session.add(person)
    session.flush()
    return person


def make_case(session: Session, number: str = "(2026)豫0802民初567号", **kw: object) -> Case:
    parsed = parse_case_number(number)
    court = session.scalars(select(Court).where(Court.code == parsed.court_code)).one()
    values: dict[str, object] = dict(
        case_number=parsed.normalized,
        year=parsed.year,
        court_code=parsed.court_code,
        type_code=parsed.type_code,
        seq=parsed.seq,
        court=court,
        mode="entrusted",
        instance=1,
        procedure="ordinary",
        category="financial_loan",
        cause_text="金融借款合同纠纷",
        amount=Decimal("120000.50"),
        complexity="ordinary",
        received_on=date(2026, 11, 20),
    )
    values.update(kw)
    case = Case(**values)
    session.add(case)
    session.flush()
    return case
