"""Sutiao's database schema (SQLAlchemy 2 ORM) and its Alembic migrations. State only."""

from .auth import ApiKey, AuditEntry, FeedToken, User
from .base import Base, UTCDateTime, utcnow
from .calendar import (
    FEED_TABLES,
    Booking,
    FeedVersion,
    RecurringMeeting,
    RecurringMeetingMember,
    Room,
    Session,
    SessionCase,
    SessionParticipant,
)
from .cases import Case, CaseExtension, CaseParty, CasePause
from .people import (
    Affiliation,
    DeclaredConflict,
    Leave,
    Person,
    PersonRosterCourt,
    Specialty,
    Waiver,
    WeeklyAvailability,
)
from .reference import CaseCategory, Court, HolidayCalendar, HolidayDay, Institution
from .runs import Assignment, AssignmentRun, Proposal, WeightProfile

__all__ = [
    "FEED_TABLES",
    "Affiliation",
    "ApiKey",
    "Assignment",
    "AssignmentRun",
    "AuditEntry",
    "Base",
    "Booking",
    "Case",
    "CaseCategory",
    "CaseExtension",
    "CaseParty",
    "CasePause",
    "Court",
    "DeclaredConflict",
    "FeedToken",
    "FeedVersion",
    "HolidayCalendar",
    "HolidayDay",
    "Institution",
    "Leave",
    "Person",
    "PersonRosterCourt",
    "Proposal",
    "RecurringMeeting",
    "RecurringMeetingMember",
    "Room",
    "Session",
    "SessionCase",
    "SessionParticipant",
    "Specialty",
    "UTCDateTime",
    "User",
    "Waiver",
    "WeeklyAvailability",
    "WeightProfile",
    "utcnow",
]
