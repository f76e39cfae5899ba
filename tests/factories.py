"""Factories for test data (Indico's create_x style): small, explicit, flushed not committed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AssignmentRun, Case, Court, Person, Proposal, User
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


def make_user(
    session: Session,
    username: str,
    role: str,
    password: str = "correct horse 12",
    **kw: object,
) -> User:
    """A login of ``role`` (a court user gets 豫0802, a mediator a fresh roster entry)."""
    from web.users import create_user

    court_code = kw.pop("court_code", "豫0802" if role == "court" else None)
    roster_no = kw.pop("roster_no", None)
    if role == "mediator" and roster_no is None:
        roster_no = make_person(session, f"U-{username}").roster_no
    user = create_user(
        session,
        username,
        role,
        password,
        court_code=court_code,  # type: ignore[arg-type]
        person_roster_no=roster_no,  # type: ignore[arg-type]
        actor="test",
    )
    session.commit()
    return user


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of a page's form (the session cookie stays in ``client``)."""
    import re

    body = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', body
    )
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: FlaskClient, username: str, password: str = "correct horse 12") -> str:
    """Log ``client`` in through the real form; returns the CSRF token for later requests."""
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return token


def recused_replacement(
    session: Session, run: AssignmentRun, today: date
) -> tuple[Proposal, Person] | None:
    """A proposed mediator of ``run`` and a mediator who could replace them but for an
    affiliation with a party (their only recusal ground, so one waiver lifts it); None when the
    data has no such pair."""
    from dataclasses import replace

    from matcher.rules import pair_violation, recusal_grounds
    from web.assignment import build_day_problem

    day = build_day_problem(session, today=today).problem
    proposals = session.scalars(
        select(Proposal).where(Proposal.run_id == run.id).order_by(Proposal.id)
    ).all()
    for proposal in proposals:
        if proposal.role != "mediator":
            continue
        case = day.cases[day.case_index[str(proposal.case_id)]]
        team = {p.person_id for p in proposals if p.case_id == proposal.case_id}
        for person in day.people:
            if int(person.id) in team or "mediator" not in person.roles:
                continue
            if recusal_grounds(day.settings, case, person) != ("affiliation",):
                continue
            waived = replace(case, waivers=frozenset({person.id}))
            if pair_violation(day, waived, person, "mediator") is None and not (
                proposal.is_presiding and case.needs_senior_presiding and not person.is_senior
            ):
                return proposal, session.get_one(Person, int(person.id))
    return None
