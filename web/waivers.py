"""Recusal waivers (回避豁免): both parties' recorded consent that lifts one recusal ground of
one person on one case, so that a coordinator may then put that person on the case's team.

DESIGN (Recusal, 《人民调解法》Art. 15–16): a recusal ground may be waived only by the recorded
consent of both parties; a person who had another role in the same case is excluded, which no
consent changes. The grounds are the matcher's (matcher.rules.RECUSAL_GROUNDS), computed the way
an override computes them: from the day's problem (web/assignment.py), which also carries the
waivers to the matcher.

:func:`record_waiver` and :func:`revoke_waiver` validate, write and audit in one transaction,
like the operations in web/workflow.py, and raise its errors: :class:`~web.workflow.NotFound`
for an unknown case or person, :class:`~web.workflow.WorkflowError` with ``field`` set for an
input that does not hold, :class:`~web.workflow.Conflict` for a waiver already recorded or a
case no longer waiting for a team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.rules import OTHER_ROLE, WAIVABLE_GROUNDS, recusal_grounds
from models import Case, Person, User, Waiver
from models.case_number import CaseNumberError, parse_case_number

from .assignment import build_day_problem
from .audit import record
from .workflow import Conflict, NotFound, WorkflowError, actor_label

MAX_NOTE = 255
CONSENTS = ("plaintiff_consent_on", "defendant_consent_on")
_PARTY = {"plaintiff_consent_on": "plaintiff", "defendant_consent_on": "defendant"}


@dataclass(frozen=True)
class WaiverView:
    """A recorded waiver with the names the pages, the CLI and the API show."""

    id: int
    case_id: int
    case_number: str
    person_id: int
    person_name: str
    roster_no: str
    ground: str
    plaintiff_consent_on: date
    defendant_consent_on: date
    recorded_at: Any
    recorded_by: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case": self.case_id,
            "case_number": self.case_number,
            "person": self.person_id,
            "name": self.person_name,
            "roster_no": self.roster_no,
            "ground": self.ground,
            "plaintiff_consent_on": self.plaintiff_consent_on.isoformat(),
            "defendant_consent_on": self.defendant_consent_on.isoformat(),
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
            "recorded_by": self.recorded_by,
        }


def _invalid(field: str, message: str) -> WorkflowError:
    return WorkflowError(f"{field}: {message}", field=field)


def _person_label(person: Person) -> str:
    return f"{person.roster_no} {person.name}"


def _check_consent(field: str, value: date | None, case: Case, today: date) -> date:
    party = _PARTY[field]
    if value is None:
        raise _invalid(field, f"required: the date the {party} consented")
    if value > today:
        raise _invalid(field, f"{value.isoformat()} is in the future (today is {today})")
    if value < case.received_on:
        raise _invalid(
            field,
            f"{value.isoformat()} is before case {case.case_number} was received "
            f"({case.received_on.isoformat()})",
        )
    return value


def _note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise _invalid("note", f"at most {MAX_NOTE} characters, got {len(text)}")
    if "\x00" in text:
        raise _invalid("note", "must not contain NUL characters")
    return text or None


def current_grounds(session: Session, case: Case, person: Person, *, today: date) -> list[str]:
    """The person's recusal grounds on the case today, waived or not, as an override sees
    them (the day's problem). Conflict if the case is not waiting for a team; a WorkflowError
    on ``person`` if the person is not on the active roster of mediators and experts."""
    day = build_day_problem(session, today=today)
    problem = day.problem
    at = problem.case_index.get(str(case.id))
    if at is None:
        why = day.skipped.get(case.case_number) or f"it is {case.status}, not received"
        raise Conflict(
            f"case {case.case_number} is not waiting for a team ({why}): a waiver lifts a "
            f"recusal ground only for a case still to be assigned",
            field="case",
        )
    index = problem.person_index.get(str(person.id))
    if index is None:
        raise _invalid(
            "person",
            f"{_person_label(person)} is not on the active roster of mediators and experts",
        )
    return list(recusal_grounds(problem.settings, problem.cases[at], problem.people[index]))


def record_waiver(
    session: Session,
    *,
    case_id: int,
    person_id: int,
    ground: str,
    plaintiff_consent_on: date | None,
    defendant_consent_on: date | None,
    today: date,
    note: str | None = None,
    user_id: int | None = None,
) -> Waiver:
    """Record both parties' consent that lifts ``ground`` for the person on the case.

    Checked first, in this order, and nothing is written when a check fails: the case and the
    person exist; the ground is a waivable one (another role in the same case is not); both
    consent dates are given, not in the future and not before the case was received; the case
    is waiting for a team and the person is on the active roster; the ground applies to them
    today; no waiver of it is recorded yet."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case: no case {case_id}", field="case")
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person: no person {person_id}", field="person")
    if ground == OTHER_ROLE:
        raise _invalid(
            "ground",
            "another role in the same case cannot be waived (Art. 16): a person cannot be, "
            "say, a party's agent and the mediator of one case",
        )
    if ground not in WAIVABLE_GROUNDS:
        raise _invalid(
            "ground", f"must be one of {', '.join(WAIVABLE_GROUNDS)}, got {ground[:64]!r}"
        )
    consents = {
        "plaintiff_consent_on": _check_consent(
            "plaintiff_consent_on", plaintiff_consent_on, case, today
        ),
        "defendant_consent_on": _check_consent(
            "defendant_consent_on", defendant_consent_on, case, today
        ),
    }
    why = _note(note)
    grounds = current_grounds(session, case, person, today=today)
    if OTHER_ROLE in grounds:
        raise _invalid(
            "ground",
            f"{_person_label(person)} has another role in case {case.case_number}, which no "
            f"waiver lifts (Art. 16)",
        )
    if ground not in grounds:
        if not grounds:
            detail = "no recusal ground applies today: there is nothing to waive"
        else:
            detail = f"the ground that applies today is {' and '.join(grounds)}"
        raise _invalid(
            "ground",
            f"{ground} does not apply to {_person_label(person)} on case "
            f"{case.case_number}; {detail}",
        )
    existing = session.scalars(
        select(Waiver).where(
            Waiver.case_id == case.id, Waiver.person_id == person.id, Waiver.ground == ground
        )
    ).first()
    if existing is not None:
        raise _duplicate(existing, case, person)
    waiver = Waiver(
        case_id=case.id,
        person_id=person.id,
        ground=ground,
        plaintiff_consent_on=consents["plaintiff_consent_on"],
        defendant_consent_on=consents["defendant_consent_on"],
        recorded_by_id=user_id,
    )
    session.add(waiver)
    try:
        session.flush()
    except IntegrityError:
        # Recorded by someone else since the check above.
        session.rollback()
        again = session.scalars(
            select(Waiver).where(
                Waiver.case_id == case_id, Waiver.person_id == person_id, Waiver.ground == ground
            )
        ).first()
        if again is None:
            raise
        raise _duplicate(
            again, session.get_one(Case, case_id), session.get_one(Person, person_id)
        ) from None
    record(
        session,
        "waiver.record",
        actor=actor_label(user_id),
        user_id=user_id,
        object_type="waiver",
        object_id=waiver.id,
        new=_audit_values(waiver, case, person) | {"note": why},
    )
    session.commit()
    return waiver


def _duplicate(existing: Waiver, case: Case, person: Person) -> Conflict:
    return Conflict(
        f"waiver {existing.id} already records both parties' consent on {existing.ground} for "
        f"{_person_label(person)} on case {case.case_number} (plaintiff "
        f"{existing.plaintiff_consent_on}, defendant {existing.defendant_consent_on})",
        field="ground",
    )


def _audit_values(waiver: Waiver, case: Case, person: Person) -> dict[str, Any]:
    return {
        "case": case.id,
        "case_number": case.case_number,
        "person": person.id,
        "roster_no": person.roster_no,
        "ground": waiver.ground,
        "plaintiff_consent_on": waiver.plaintiff_consent_on.isoformat(),
        "defendant_consent_on": waiver.defendant_consent_on.isoformat(),
    }


def revoke_waiver(
    session: Session, waiver_id: int, *, reason: str | None = None, user_id: int | None = None
) -> Waiver:
    """Delete a waiver (a party withdrew its consent, or it was recorded by mistake), audited
    with what it said. An override it allowed stays as it is; a re-run then finds the pinned
    person recused again and says so."""
    waiver = session.get(Waiver, waiver_id)
    if waiver is None:
        raise NotFound(f"waiver: no waiver {waiver_id}", field="waiver")
    why = _note(reason)
    case = session.get_one(Case, waiver.case_id)
    person = session.get_one(Person, waiver.person_id)
    record(
        session,
        "waiver.revoke",
        actor=actor_label(user_id),
        user_id=user_id,
        object_type="waiver",
        object_id=waiver.id,
        old=_audit_values(waiver, case, person),
        new={"reason": why},
    )
    session.delete(waiver)
    session.commit()
    return waiver


def list_waivers(session: Session, *, case_ids: list[int] | None = None) -> list[WaiverView]:
    """Recorded waivers, of the given cases or of all, newest first."""
    query = (
        select(Waiver, Case.case_number, Person.name, Person.roster_no, User.username)
        .join(Case, Case.id == Waiver.case_id)
        .join(Person, Person.id == Waiver.person_id)
        .outerjoin(User, User.id == Waiver.recorded_by_id)
        .order_by(Waiver.recorded_at.desc(), Waiver.id.desc())
    )
    if case_ids is not None:
        if not case_ids:
            return []
        query = query.where(Waiver.case_id.in_(case_ids))
    return [
        WaiverView(
            id=w.id,
            case_id=w.case_id,
            case_number=number,
            person_id=w.person_id,
            person_name=name,
            roster_no=roster_no,
            ground=w.ground,
            plaintiff_consent_on=w.plaintiff_consent_on,
            defendant_consent_on=w.defendant_consent_on,
            recorded_at=w.recorded_at,
            recorded_by=username,
        )
        for w, number, name, roster_no, username in session.execute(query).tuples()
    ]


def find_case(session: Session, text: str) -> Case | None:
    """A case by its 案号 (any spelling the parser accepts) or by its id."""
    text = text.strip()
    if text.isdigit():
        return session.get(Case, int(text)) if len(text) < 10 else None
    try:
        number = parse_case_number(text).normalized
    except CaseNumberError:
        return None
    return session.scalars(select(Case).where(Case.case_number == number)).first()


def find_person(session: Session, text: str) -> Person | None:
    """A person by roster number, else (all digits) by id."""
    text = text.strip()
    person = session.scalars(select(Person).where(Person.roster_no == text)).first()
    if person is None and text.isdigit() and len(text) < 10:
        person = session.get(Person, int(text))
    return person


__all__ = [
    "CONSENTS",
    "WaiverView",
    "current_grounds",
    "find_case",
    "find_person",
    "list_waivers",
    "record_waiver",
    "revoke_waiver",
]
