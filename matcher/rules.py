"""Hard rules for one (case, person, role) pair, in plain Python.

The validator and the explanations use these; the encoder applies the same rules vectorised, and
a test checks that both agree. Team-level rules (composition, distinct people, presiding,
capacity over the whole result, locks) are checked in ``validate.py``.
"""

from __future__ import annotations

from datetime import timedelta

from .problem import EXPERT, MEDIATOR, Case, MatchingProblem, Person, Settings
from .result import AVAILABILITY, CAPACITY, ELIGIBILITY, RECUSAL, ROSTER_SCOPE

# The recusal grounds, in the order they are checked.
OTHER_ROLE = "other_role"  # another role in the same case (Art. 16): no waiver lifts it
AFFILIATION = "affiliation"  # a current or recent tie to an institution that is a party
DECLARED_CONFLICT = "declared_conflict"  # a conflict the person declared
RECUSAL_GROUNDS = (OTHER_ROLE, AFFILIATION, DECLARED_CONFLICT)
WAIVABLE_GROUNDS = (AFFILIATION, DECLARED_CONFLICT)  # by the recorded consent of both parties


def served_courts(problem: MatchingProblem, person: Person) -> frozenset[str]:
    """The courts a person's roster serves: an intermediate court's roster serves its children."""
    kids = problem.court_children
    out: set[str] = set()
    for court in person.roster_courts:
        out.add(court)
        out |= kids.get(court, frozenset())
    return frozenset(out)


def recusal_grounds(settings: Settings, case: Case, person: Person) -> tuple[str, ...]:
    """Every recusal ground between the person and the case, waived or not, in the order of
    :data:`RECUSAL_GROUNDS`."""
    grounds: list[str] = []
    if person.id in case.other_roles:
        grounds.append(OTHER_ROLE)
    cutoff = settings.today - timedelta(days=settings.lookback_days)
    if any(
        aff.institution in case.parties and (aff.until is None or aff.until >= cutoff)
        for aff in person.affiliations
    ):
        grounds.append(AFFILIATION)
    if case.id in person.conflict_cases or person.conflict_institutions & case.parties:
        grounds.append(DECLARED_CONFLICT)
    return tuple(grounds)


def recusal_ground(problem: MatchingProblem, case: Case, person: Person) -> str | None:
    """Why the person must step aside from the case, or None. Waivers lift affiliation and
    declared-conflict grounds; another role in the same case cannot be waived (Art. 16)."""
    if person.id in case.other_roles:
        return OTHER_ROLE
    if person.id in case.waivers:
        return None
    grounds = recusal_grounds(problem.settings, case, person)
    return grounds[0] if grounds else None


def free_minutes_before(problem: MatchingProblem, case: Case, person: Person) -> int:
    """Free minutes from today up to and including the deadline day."""
    days = (case.deadline - problem.settings.today).days
    if days < 0:
        return 0
    return sum(person.free_minutes[: days + 1])


def pair_violation(problem: MatchingProblem, case: Case, person: Person, role: str) -> str | None:
    """The first hard rule that forbids ``person`` in ``role`` on ``case``, or None."""
    if role not in person.roles or case.category not in person.specialties:
        return ELIGIBILITY
    if role == EXPERT and case.needs_evaluation and case.category not in person.evaluation:
        return ELIGIBILITY
    if role not in (MEDIATOR, EXPERT):
        return ELIGIBILITY
    if case.court not in served_courts(problem, person):
        return ROSTER_SCOPE
    if recusal_ground(problem, case, person) is not None:
        return RECUSAL
    if person.capacity - person.active_cases < 1:
        return CAPACITY
    if (
        free_minutes_before(problem, case, person)
        < problem.settings.minutes_needed[case.complexity]
    ):
        return AVAILABILITY
    return None
