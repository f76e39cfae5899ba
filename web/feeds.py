"""iCal feeds: one per person and one per room, at ``/calendar/<token>.ics``.

A feed lists the published sessions from 30 days back to 180 days ahead, and each published
regular meeting (例会) as one recurring event: an RRULE in the meeting's own time zone, an EXDATE
for each cancelled occurrence and a RECURRENCE-ID override for each moved one. Nothing in it
changes unless the database does (or a day passes and the window moves), so an unchanged feed is
byte-identical and a client's conditional GET gets 304.

The token in the URL carries 256 random bits. Only its SHA-256 digest is stored, so the URL can
be shown once, when it is issued; issuing a new one for the same owner is the reset, and the old
URL then answers the same 404 as a URL that never existed.

The calendar is written line by line here rather than through icalendar's component model, which
costs about half a millisecond per event (a 500-event feed would take a quarter of a second); the
tests parse every kind of feed with icalendar and with Mozilla's ical.js.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import click
from dateutil.rrule import rrulestr
from flask import Blueprint, Flask, Response, abort, current_app, request
from flask.cli import with_appcontext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import (
    Assignment,
    Case,
    CaseParty,
    FeedToken,
    Institution,
    Person,
    RecurringMeeting,
    RecurringMeetingMember,
    Room,
    SessionCase,
    SessionParticipant,
)
from models import Session as SessionRow
from models.base import utcnow
from models.vocabulary import SessionKind, SessionStatus

from . import audit
from .auth import allow
from .db import get_session, transaction

# --- tokens ---------------------------------------------------------------------------------

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 random bits
# A presented token longer than this, or with other characters, is not one of ours.
TOKEN_MAX = 128
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-_")


class FeedError(ValueError):
    """A feed operation that cannot be done; the message says why."""


def token_digest(token: str) -> str:
    """The stored form of a token: SHA-256 hex. Tokens carry 256 random bits, so neither a salt
    nor a slow hash adds anything, and the lookup is one indexed equality."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _owner(
    session: Session, person_id: int | None, room_id: int | None, *, lock: bool = False
) -> Person | Room:
    if (person_id is None) == (room_id is None):
        raise FeedError("a feed belongs to exactly one person or one room")
    if person_id is not None:
        person = session.get(Person, person_id, with_for_update=lock)
        if person is None:
            raise FeedError(f"person: no person with id {person_id}")
        return person
    room = session.get(Room, room_id, with_for_update=lock)
    if room is None:
        raise FeedError(f"room: no room with id {room_id}")
    return room


def _owner_clause(person_id: int | None, room_id: int | None) -> Any:
    if person_id is not None:
        return FeedToken.person_id == person_id
    return FeedToken.room_id == room_id


def _actor(actor: str | None, user_id: int | None) -> str:
    if actor:
        return actor
    return f"user:{user_id}" if user_id is not None else "cli"


def issue_token(
    session: Session,
    *,
    person_id: int | None = None,
    room_id: int | None = None,
    user_id: int | None = None,
    actor: str | None = None,
) -> str:
    """A new feed token for the person or the room; every earlier live token of that owner is
    revoked (this is the reset). Returns the token, which is never stored."""
    # The owner's row lock (PostgreSQL) keeps two concurrent resets from leaving two live URLs.
    owner = _owner(session, person_id, room_id, lock=True)
    now = utcnow()
    earlier = list(
        session.scalars(
            select(FeedToken)
            .where(_owner_clause(person_id, room_id), FeedToken.revoked_at.is_(None))
            .order_by(FeedToken.id)
        )
    )
    for old in earlier:
        old.revoked_at = now
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = FeedToken(
        token_hash=token_digest(token), person_id=person_id, room_id=room_id, created_at=now
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "feed_token.issue",
        actor=_actor(actor, user_id),
        user_id=user_id,
        object_type="feed_token",
        object_id=row.id,
        new={"person_id": person_id, "room_id": room_id},
        owner=owner.name,
        revoked=[old.id for old in earlier],
    )
    return token


def revoke_tokens(
    session: Session,
    *,
    person_id: int | None = None,
    room_id: int | None = None,
    user_id: int | None = None,
    actor: str | None = None,
) -> int:
    """Revoke every live token of the person or the room (stop sharing the feed)."""
    _owner(session, person_id, room_id)
    now = utcnow()
    live = list(
        session.scalars(
            select(FeedToken).where(
                _owner_clause(person_id, room_id), FeedToken.revoked_at.is_(None)
            )
        )
    )
    for row in live:
        row.revoked_at = now
        audit.record(
            session,
            "feed_token.revoke",
            actor=_actor(actor, user_id),
            user_id=user_id,
            object_type="feed_token",
            object_id=row.id,
            old={"revoked_at": None},
            new={"revoked_at": now.isoformat()},
        )
    return len(live)


def find_token(session: Session, token: str | None) -> FeedToken | None:
    """The live token row for this URL token, or None (unknown, malformed or revoked)."""
    if not token or len(token) > TOKEN_MAX or not _TOKEN_CHARS.issuperset(token):
        return None
    presented = token_digest(token)
    row = session.scalars(select(FeedToken).where(FeedToken.token_hash == presented)).one_or_none()
    if row is None or not hmac.compare_digest(row.token_hash, presented):
        return None
    return row if row.revoked_at is None else None


@dataclass(frozen=True)
class FeedLinks:
    https: str
    webcal: str


def feed_url(token: str, base_url: str | None = None) -> FeedLinks:
    """The feed's URL under ``SUTIAO_BASE_URL``, and its ``webcal://`` twin, which calendar
    apps open as a subscription."""
    base = (base_url or str(current_app.config["SUTIAO_BASE_URL"])).rstrip("/")
    url = f"{base}/calendar/{token}.ics"
    _scheme, _, rest = url.partition("://")
    return FeedLinks(https=url, webcal=f"webcal://{rest}")


# --- the calendar ----------------------------------------------------------------------------

TZID = "Asia/Shanghai"
TZ = ZoneInfo(TZID)
PRODID = "-//Sutiao//Sutiao Calendar Feed 1.0//ZH-CN"
DAYS_BACK = 30
DAYS_AHEAD = 180
CANCELLED_SHOWN = timedelta(days=7)
REFRESH = "PT1H"
# Appended to a session UID that has no domain part, so every UID looks like id@host.
UID_DOMAIN = "sutiao"

KIND_NAMES: dict[str, str] = {
    SessionKind.MEDIATION: "调解",
    SessionKind.JOINT_MEDIATION: "联合调解",
    SessionKind.EVALUATION: "中立评估",
    SessionKind.CASE_CONFERENCE: "疑难案件研讨会",
    SessionKind.REGULAR_MEETING: "工作例会",
    SessionKind.TRAINING: "培训",
}
ROLE_NAMES: dict[str, str] = {
    "mediator": "调解员",
    "expert": "专家",
    "liaison_judge": "联络法官",
    "leader": "中心领导",
    "member": "参会人员",
}
_ROLE_ORDER: dict[str, int] = {"mediator": 0, "expert": 1, "liaison_judge": 2, "leader": 3}
_STATUS: dict[str, str] = {
    SessionStatus.TENTATIVE: "TENTATIVE",
    SessionStatus.CONFIRMED: "CONFIRMED",
    SessionStatus.HELD: "CONFIRMED",
    SessionStatus.CANCELLED: "CANCELLED",
}

_NEVER = datetime(2000, 1, 1, tzinfo=UTC)  # Last-Modified of a feed that never held anything

# Asia/Shanghai has been +08:00 since 1991; the daylight-saving rules of 1986–91 would only
# confuse clients that read VTIMEZONE instead of their own zone database.
_SHANGHAI_VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    f"X-LIC-LOCATION:{TZID}",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0800",
    "TZOFFSETTO:+0800",
    "TZNAME:CST",
    "DTSTART:19700101T000000",
    "END:STANDARD",
    "END:VTIMEZONE",
)


@dataclass(frozen=True)
class Window:
    """Whole local days, so that the feed moves at midnight and not with every request."""

    start: datetime
    end: datetime

    @classmethod
    def around(cls, now: datetime) -> Window:
        today = now.astimezone(TZ).date()
        return cls(
            _midnight(today - timedelta(days=DAYS_BACK)),
            _midnight(today + timedelta(days=DAYS_AHEAD + 1)),
        )


@dataclass(frozen=True)
class Feed:
    name: str
    body: bytes
    etag: str  # SHA-256 of the body, unquoted
    last_modified: datetime
    events: int


@dataclass(frozen=True)
class _Event:
    uid: str
    sequence: int
    stamp: datetime
    start: datetime  # aware, in the zone written as its TZID
    end: datetime
    summary: str
    description: str
    location: str | None
    status: str
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    recurrence_id: datetime | None = None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), TZ).astimezone(UTC)


def _tzid(moment: datetime) -> str:
    zone = moment.tzinfo
    return zone.key if isinstance(zone, ZoneInfo) else TZID


def _uid(uid: str) -> str:
    return uid if "@" in uid else f"{uid}@{UID_DOMAIN}"


def _location(room: Room | None) -> str | None:
    if room is None:
        return None
    if room.is_online:
        return f"线上：{room.address or room.name}"
    return f"{room.name}，{room.address or room.location}"


def _names(items: Iterable[str]) -> str:
    return "、".join(items)


@dataclass
class _Team:
    """The people of one session, as the feed shows them (names of center staff only)."""

    team: list[tuple[str, str, bool]]  # name, role, presiding
    others: list[tuple[str, str]]

    def lines(self) -> list[str]:
        lines = []
        if self.team:
            shown = [
                f"{name}（主持调解员）" if presiding else f"{name}（{ROLE_NAMES.get(role, role)}）"
                for name, role, presiding in self.team
            ]
            lines.append(f"调解团队：{_names(shown)}")
            presiding_names = [name for name, _, presiding in self.team if presiding]
            if presiding_names:
                lines.append(f"主持调解员：{_names(presiding_names)}")
        if self.others:
            shown = [f"{name}（{ROLE_NAMES.get(role, role)}）" for name, role in self.others]
            lines.append(f"其他参加人员：{_names(shown)}")
        return lines


@dataclass(slots=True)
class _Item:
    """A session as the feed needs it: plain columns (ORM objects cost too much per event)."""

    id: int
    uid: str
    kind: str
    status: str
    title: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None
    sequence: int
    updated_at: datetime
    recurring_meeting_id: int | None
    recurrence_of: datetime | None
    cases: list[tuple[int, str, str]] = field(default_factory=list)  # id, 案号, 案由
    people: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, role, name, no.


_ITEM_COLUMNS = (
    SessionRow.id,
    SessionRow.uid,
    SessionRow.kind,
    SessionRow.status,
    SessionRow.title,
    SessionRow.starts_at,
    SessionRow.ends_at,
    SessionRow.room_id,
    SessionRow.sequence,
    SessionRow.updated_at,
    SessionRow.recurring_meeting_id,
    SessionRow.recurrence_of,
)


class _Loader:
    """Reads what one feed shows; every query is bounded by the owner and the window."""

    def __init__(self, session: Session, window: Window, now: datetime) -> None:
        self.session = session
        self.window = window
        self.now = now
        self.stamps: list[datetime] = []  # moments the body changed: Last-Modified is the max
        self.rooms: dict[int, Room] = {}
        self.ids: Any = None  # subqueries of the feed's sessions and their cases
        self.case_ids: Any = None

    # sessions -------------------------------------------------------------------------------

    def sessions(self, person_id: int | None, room_id: int | None) -> list[_Item]:
        in_window = (
            SessionRow.is_published.is_(True),
            SessionRow.starts_at < self.window.end,
            SessionRow.ends_at > self.window.start,
        )
        query = self._owned(select(*_ITEM_COLUMNS).where(*in_window), person_id, room_id)
        # The same sessions as a subquery for the details: no long list of ids to bind.
        self.ids = self._owned(select(SessionRow.id).where(*in_window), person_id, room_id)
        self.case_ids = select(SessionCase.case_id).where(SessionCase.session_id.in_(self.ids))
        items = [_Item(*row) for row in self.session.execute(query)]
        items = [item for item in items if self.shown(item)]
        self._left_window(person_id, room_id)
        self._details(items)
        return items

    def shown(self, item: _Item) -> bool:
        """Whether a published session in the window is shown: a cancelled one only for a
        week after its cancellation. Notes when its showing or dropping changed the body."""
        if item.starts_at >= self.window.end or item.ends_at <= self.window.start:
            return False
        if item.status == SessionStatus.CANCELLED:
            gone = item.updated_at + CANCELLED_SHOWN
            if gone <= self.now:
                self.stamps.append(gone)
                return False
        self.stamps.append(item.updated_at)
        # A session enters the window at the midnight 180 days before its day.
        day = item.starts_at.astimezone(TZ).date()
        self.stamps.append(_midnight(day - timedelta(days=DAYS_AHEAD)))
        return True

    def _owned(self, query: Any, person_id: int | None, room_id: int | None) -> Any:
        if person_id is not None:
            # Meeting occurrences reach a person through the meeting's membership instead.
            return query.where(
                SessionRow.recurring_meeting_id.is_(None),
                SessionRow.id.in_(
                    select(SessionParticipant.session_id).where(
                        SessionParticipant.person_id == person_id
                    )
                ),
            )
        # A room shows its own sessions, and a meeting occurrence moved here from another room
        # (as a plain event: the series itself lives in the meeting's room).
        foreign = select(RecurringMeeting.id).where(
            RecurringMeeting.is_published.is_(True),
            or_(RecurringMeeting.room_id.is_(None), RecurringMeeting.room_id != room_id),
        )
        return query.where(
            SessionRow.room_id == room_id,
            or_(
                SessionRow.recurring_meeting_id.is_(None),
                SessionRow.recurring_meeting_id.in_(foreign),
            ),
        )

    def _left_window(self, person_id: int | None, room_id: int | None) -> None:
        """The last session that slid out of the window's back changed the body then."""
        query = select(func.max(SessionRow.ends_at)).where(
            SessionRow.is_published.is_(True), SessionRow.ends_at <= self.window.start
        )
        last_end = self.session.scalar(self._owned(query, person_id, room_id))
        if last_end is not None:
            local = last_end.astimezone(TZ)
            day = local.date() if local.time() == time() else local.date() + timedelta(days=1)
            self.stamps.append(_midnight(day + timedelta(days=DAYS_BACK)))

    def _details(self, items: Sequence[_Item]) -> None:
        """Cases and participants of the items, one query each."""
        by_id = {item.id: item for item in items}
        if not by_id:
            return
        for session_id, case_id, number, cause, updated_at in self.session.execute(
            select(
                SessionCase.session_id, Case.id, Case.case_number, Case.cause_text, Case.updated_at
            )
            .join(Case, Case.id == SessionCase.case_id)
            .where(SessionCase.session_id.in_(self.ids))
            .order_by(Case.case_number)
        ).tuples():
            if session_id in by_id:  # not a cancelled session already dropped
                by_id[session_id].cases.append((case_id, number, cause))
                self.stamps.append(updated_at)
        for session_id, person_id, role, name, roster_no in self.session.execute(
            select(
                SessionParticipant.session_id,
                SessionParticipant.person_id,
                SessionParticipant.role,
                Person.name,
                Person.roster_no,
            )
            .join(Person, Person.id == SessionParticipant.person_id)
            .where(SessionParticipant.session_id.in_(self.ids))
        ).tuples():
            if session_id in by_id:
                by_id[session_id].people.append((person_id, role, name, roster_no))

    def room(self, room_id: int | None) -> Room | None:
        if room_id is None:
            return None
        if not self.rooms:  # a center has a handful of rooms: read them all at once
            self.rooms = {r.id: r for r in self.session.scalars(select(Room))}
        return self.rooms.get(room_id)

    def teams(self, items: Sequence[_Item]) -> dict[int, _Team]:
        """Each session's team: the published team of its cases (mediators and experts, who
        presides), or else its mediators and experts; then everyone else taking part."""
        case_ids = {case[0] for item in items for case in item.cases}
        assigned: dict[int, list[tuple[int, str, bool, str, str]]] = defaultdict(list)
        if case_ids:
            for case_id, person_id, role, presiding, at, name, roster_no in self.session.execute(
                select(
                    Assignment.case_id,
                    Assignment.person_id,
                    Assignment.role,
                    Assignment.is_presiding,
                    Assignment.assigned_at,
                    Person.name,
                    Person.roster_no,
                )
                .join(Person, Person.id == Assignment.person_id)
                .where(Assignment.case_id.in_(self.case_ids))
            ).tuples():
                if case_id in case_ids:
                    assigned[case_id].append((person_id, role, presiding, name, roster_no))
                    self.stamps.append(at)
        teams = {}
        for item in items:
            members: dict[int, tuple[str, str, bool, str]] = {}  # name, role, presiding, no.
            for case in item.cases:
                for person_id, role, presiding, name, roster_no in assigned[case[0]]:
                    was = members.get(person_id)
                    members[person_id] = (
                        name,
                        was[1] if was else role,
                        presiding or (was is not None and was[2]),
                        roster_no,
                    )
            if not members:
                for person_id, role, name, roster_no in item.people:
                    if role in ("mediator", "expert"):
                        members[person_id] = (name, role, False, roster_no)
            ranked = sorted(
                members.values(), key=lambda m: (not m[2], _ROLE_ORDER.get(m[1], 9), m[3])
            )
            others = sorted(
                (p for p in item.people if p[0] not in members),
                key=lambda p: (_ROLE_ORDER.get(p[1], 9), p[3]),
            )
            teams[item.id] = _Team(
                [(name, role, presiding) for name, role, presiding, _ in ranked],
                [(name, role) for _, role, name, _ in others],
            )
        return teams

    def institutions(self, items: Sequence[_Item]) -> dict[int, list[str]]:
        """Party institutions per case. Natural persons never leave the center: not even their
        names are read here."""
        names: dict[int, list[str]] = defaultdict(list)
        if any(item.cases for item in items):
            for case_id, name in self.session.execute(
                select(CaseParty.case_id, Institution.name)
                .join(Institution, Institution.id == CaseParty.institution_id)
                .where(CaseParty.case_id.in_(self.case_ids))
                .order_by(CaseParty.case_id, CaseParty.role.desc(), CaseParty.position)
            ).tuples():
                if name not in names[case_id]:
                    names[case_id].append(name)
        return names

    # meetings -------------------------------------------------------------------------------

    def meetings(self, person_id: int | None, room_id: int | None) -> list[RecurringMeeting]:
        query = (
            select(RecurringMeeting)
            .where(RecurringMeeting.is_published.is_(True))
            .options(selectinload(RecurringMeeting.room), selectinload(RecurringMeeting.members))
            .order_by(RecurringMeeting.id)
        )
        if person_id is not None:
            query = query.where(
                RecurringMeeting.id.in_(
                    select(RecurringMeetingMember.meeting_id).where(
                        RecurringMeetingMember.person_id == person_id
                    )
                )
            )
        else:
            query = query.where(RecurringMeeting.room_id == room_id)
        return list(self.session.scalars(query))

    def exceptions(self, meetings: Sequence[RecurringMeeting]) -> dict[int, list[_Item]]:
        """Published occurrence rows of the meetings, whatever their date: a moved or cancelled
        occurrence outside the window must still not reappear at its old time."""
        found: dict[int, list[_Item]] = defaultdict(list)
        if meetings:
            for row in self.session.execute(
                select(*_ITEM_COLUMNS)
                .where(
                    SessionRow.recurring_meeting_id.in_([m.id for m in meetings]),
                    SessionRow.is_published.is_(True),
                )
                .order_by(SessionRow.id)
            ):
                item = _Item(*row)
                assert item.recurring_meeting_id is not None
                found[item.recurring_meeting_id].append(item)
        return found


def _rrule_text(meeting: RecurringMeeting) -> str:
    text = meeting.rrule.strip()
    return text[len("RRULE:") :] if text.upper().startswith("RRULE:") else text


def _rule(meeting: RecurringMeeting) -> tuple[ZoneInfo, Any]:
    """The meeting's recurrence, expanded in wall-clock time of its own zone."""
    zone = ZoneInfo(meeting.timezone)
    text = _rrule_text(meeting)
    start = meeting.starts_at.astimezone(zone)
    try:
        return zone, rrulestr(text, dtstart=start)
    except ValueError:
        # An UNTIL in local time: expand naively and put the zone back.
        naive = rrulestr(text, dtstart=start.replace(tzinfo=None))
        return zone, _Localised(naive, zone)


class _Localised:
    def __init__(self, rule: Any, zone: ZoneInfo) -> None:
        self.rule = rule
        self.zone = zone

    def between(self, after: datetime, before: datetime, inc: bool = False) -> list[datetime]:
        naive = self.rule.between(
            after.astimezone(self.zone).replace(tzinfo=None),
            before.astimezone(self.zone).replace(tzinfo=None),
            inc=inc,
        )
        return [d.replace(tzinfo=self.zone) for d in naive]


def _is_occurrence(rule: Any, moment: datetime) -> bool:
    second = timedelta(seconds=1)
    return any(o == moment for o in rule.between(moment - second, moment + second, inc=True))


def _meeting_events(
    loader: _Loader,
    meeting: RecurringMeeting,
    exceptions: Sequence[_Item],
    room_id: int | None,
) -> tuple[list[_Event], list[_Item]]:
    """The series, its EXDATEs and overrides, as this owner sees it (nothing if none of it
    falls in the window), and the meeting's sessions that are no occurrence of its rule: those
    are shown as plain events."""
    zone, rule = _rule(meeting)
    length = timedelta(minutes=meeting.duration_minutes)
    window = loader.window
    start = meeting.starts_at.astimezone(zone)
    members = sorted(meeting.members, key=lambda p: p.roster_no)
    base = [f"类型：{KIND_NAMES[SessionKind.REGULAR_MEETING]}"]
    if members:
        base.append(f"参加人员：{_names(p.name for p in members)}")

    exdates: list[datetime] = []
    overrides: list[_Event] = []
    strays: list[_Item] = []
    in_window = bool(rule.between(window.start - length, window.end))
    for row in exceptions:
        original = (row.recurrence_of or row.starts_at).astimezone(zone)
        room = loader.room(row.room_id) or meeting.room
        elsewhere = room_id is not None and room is not None and room.id != room_id
        if not _is_occurrence(rule, original):
            if not elsewhere and loader.shown(row):
                strays.append(row)
            continue
        loader.stamps.append(row.updated_at)
        if row.status == SessionStatus.CANCELLED or elsewhere:
            # A room whose occurrence moved to another room shows it there as a plain event.
            exdates.append(original)
            continue
        in_window = in_window or (row.starts_at < window.end and row.ends_at > window.start)
        location = _location(room)
        lines = [*base, "本次例会时间或地点已调整"]
        if location:
            lines.append(f"地点：{location}")
        overrides.append(
            _Event(
                uid=_uid(meeting.uid),
                sequence=max(meeting.sequence, row.sequence),
                stamp=row.updated_at,
                start=row.starts_at.astimezone(zone),
                end=row.ends_at.astimezone(zone),
                summary=meeting.title,
                description="\n".join(lines),
                location=location,
                status=_STATUS.get(row.status, "CONFIRMED"),
                recurrence_id=original,
            )
        )
    if not in_window:
        return [], strays
    loader.stamps.append(_midnight(start.astimezone(TZ).date() - timedelta(days=DAYS_AHEAD)))
    location = _location(meeting.room)
    lines = list(base)
    if location:
        lines.append(f"地点：{location}")
    # The meeting row keeps no update time; its latest occurrence change, or else its start,
    # is a stable DTSTAMP.
    stamps = [row.updated_at for row in exceptions]
    master = _Event(
        uid=_uid(meeting.uid),
        sequence=meeting.sequence,
        stamp=max(stamps) if stamps else meeting.starts_at,
        start=start,
        end=start + length,
        summary=meeting.title,
        description="\n".join(lines),
        location=location,
        status="CONFIRMED",
        rrule=_rrule_text(meeting),
        exdates=tuple(sorted(set(exdates))),
    )
    return [master, *sorted(overrides, key=lambda e: e.recurrence_id or e.start)], strays


def _session_event(
    item: _Item, room: Room | None, team: _Team | None, institutions: dict[int, list[str]]
) -> _Event:
    kind = KIND_NAMES.get(item.kind, item.kind)
    numbers = [number for _, number, _ in item.cases]  # in 案号 order
    if numbers:
        subject = numbers[0] if len(numbers) == 1 else f"{numbers[0]}等{len(numbers)}件"
        summary = f"{kind}：{subject}"
    else:
        summary = item.title  # trainings and meeting occurrences: titles the center wrote
    cancelled = item.status == SessionStatus.CANCELLED
    if cancelled:
        summary = f"【已取消】{summary}"
    lines = []
    if numbers:
        lines.append(f"案号：{_names(numbers)}")
    lines.append(f"类型：{kind}")
    causes = sorted({cause for _, _, cause in item.cases})
    if causes:
        lines.append(f"案由：{_names(causes)}")
    parties = [name for case_id, _, _ in item.cases for name in institutions.get(case_id, ())]
    if parties:
        lines.append(f"当事机构：{_names(dict.fromkeys(parties))}")
    if team is not None:
        lines.extend(team.lines())
    location = _location(room)
    if location:
        lines.append(f"地点：{location}")
    if cancelled:
        lines.append("状态：已取消")
    return _Event(
        uid=_uid(item.uid),
        sequence=item.sequence,
        stamp=item.updated_at,
        start=item.starts_at.astimezone(TZ),
        end=item.ends_at.astimezone(TZ),
        summary=summary,
        description="\n".join(lines),
        location=location,
        status=_STATUS.get(item.status, "CONFIRMED"),
    )


def build_feed(
    session: Session,
    *,
    person_id: int | None = None,
    room_id: int | None = None,
    now: datetime | None = None,
) -> Feed:
    """The feed of a person or a room as of ``now`` (default: the real time)."""
    owner = _owner(session, person_id, room_id)
    now = now or utcnow()
    name = f"{owner.name}的调解日程" if isinstance(owner, Person) else f"{owner.name}日程"
    loader = _Loader(session, Window.around(now), now)
    items = loader.sessions(person_id, room_id)
    teams = loader.teams(items)
    institutions = loader.institutions(items)
    events = [
        [_session_event(item, loader.room(item.room_id), teams.get(item.id), institutions)]
        for item in items
    ]
    meetings = loader.meetings(person_id, room_id)
    exceptions = loader.exceptions(meetings)
    for meeting in meetings:
        series, strays = _meeting_events(loader, meeting, exceptions[meeting.id], room_id)
        if series:
            events.append(series)
        events.extend(
            [_session_event(item, loader.room(item.room_id), None, institutions)] for item in strays
        )
    # A series stays together, master first; series and sessions in time order.
    events.sort(key=lambda group: (group[0].start.astimezone(UTC), group[0].uid))
    flat = [event for group in events for event in group]
    body = render_calendar(name, flat)
    # Every moment the body changed, capped at now (a writer's clock may run a little ahead).
    changed = max(loader.stamps, default=_NEVER)
    return Feed(
        name=name,
        body=body,
        etag=hashlib.sha256(body).hexdigest(),
        last_modified=min(changed, now),
        events=len(flat),
    )


# --- writing iCalendar -------------------------------------------------------------------------


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")  # TEXT allows no control but tab and newline


def _text(value: str) -> str:
    """TEXT escaping (RFC 5545 3.3.11); other control characters are dropped."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _local(m: datetime) -> str:
    return f"{m.year:04}{m.month:02}{m.day:02}T{m.hour:02}{m.minute:02}{m.second:02}"


def _utc(moment: datetime) -> str:
    return _local(moment.astimezone(UTC)) + "Z"


def _fold(data: bytes) -> bytes:
    """Fold a content line at 75 octets (RFC 5545 3.1) without splitting a UTF-8 character,
    and without separating a backslash from the character it escapes (some clients mind)."""
    if len(data) <= 75:
        return data
    pieces = []
    start, limit = 0, 75
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: back up to the character
            cut -= 1
        run = 0
        while data[cut - 1 - run] == 0x5C and cut - 1 - run > start:  # backslashes
            run += 1
        if run % 2:
            cut -= 1
        pieces.append(data[start:cut])
        start, limit = cut, 74  # continuation lines begin with a space
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def fold(line: str) -> str:
    return _fold(line.encode("utf-8")).decode("utf-8")


def _vtimezone(tzid: str, first_year: int, last_year: int) -> tuple[str, ...]:
    if tzid == TZID:
        return _SHANGHAI_VTIMEZONE
    return _other_vtimezone(tzid, first_year, last_year)


@lru_cache(maxsize=32)
def _other_vtimezone(tzid: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """A meeting in another zone: its transitions over whole years around the feed, so the
    component is the same all year (icalendar would otherwise reach back to 1970)."""
    from icalendar import Timezone

    component = Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    raw = component.to_ical().decode("utf-8")
    return tuple(raw.replace("\r\n ", "").rstrip("\r\n").split("\r\n"))


def render_calendar(name: str, events: Sequence[_Event]) -> bytes:
    """The VCALENDAR: CRLF line ends, folded at 75 octets, the same bytes for the same input."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"NAME:{_text(name)}",
        f"X-WR-CALNAME:{_text(name)}",
        f"X-WR-TIMEZONE:{TZID}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
        f"X-PUBLISHED-TTL:{REFRESH}",
    ]
    zones = sorted({_tzid(e.start) for e in events} | {TZID})
    years = [e.start.year for e in events] or [2000]
    for tzid in zones:
        lines.extend(_vtimezone(tzid, min(years), max(years) + 1))
    for event in events:
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return b"\r\n".join(_fold(line.encode("utf-8")) for line in lines) + b"\r\n"


def _event_lines(event: _Event) -> list[str]:
    tz = f";TZID={_tzid(event.start)}"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(event.uid)}",
        f"DTSTAMP:{_utc(event.stamp)}",
        f"SEQUENCE:{event.sequence}",
    ]
    if event.recurrence_id is not None:
        lines.append(f"RECURRENCE-ID{tz}:{_local(event.recurrence_id)}")
    lines += [
        f"DTSTART{tz}:{_local(event.start)}",
        f"DTEND{tz}:{_local(event.end.astimezone(event.start.tzinfo))}",
    ]
    if event.rrule:
        lines.append(f"RRULE:{event.rrule}")
    if event.exdates:
        lines.append(f"EXDATE{tz}:{','.join(_local(d) for d in event.exdates)}")
    lines += [f"SUMMARY:{_text(event.summary)}", f"DESCRIPTION:{_text(event.description)}"]
    if event.location:
        lines.append(f"LOCATION:{_text(event.location)}")
    lines += [
        f"STATUS:{event.status}",
        f"TRANSP:{'TRANSPARENT' if event.status == 'CANCELLED' else 'OPAQUE'}",
        "END:VEVENT",
    ]
    return lines


# --- HTTP ---------------------------------------------------------------------------------------

bp = Blueprint("feeds", __name__)


@bp.get("/calendar/<token>.ics")
def calendar(token: str) -> Response:
    """The feed. No content negotiation and no compression: calendar clients send all kinds of
    Accept headers and some mishandle gzip. A wrong or revoked token gets Flask's own 404, the
    same as a path that does not exist."""
    session = get_session()
    row = find_token(session, token)
    if row is None:
        abort(404)
    feed = build_feed(session, person_id=row.person_id, room_id=row.room_id)
    response = Response(feed.body, status=200)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.set_etag(feed.etag)
    response.last_modified = feed.last_modified
    # A secret URL: no shared caches; clients revalidate every time (a 304 saves the transfer).
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.make_conditional(request)
    return response


# The token is the feed's own secret: no login in front of it (calendar apps have none).
allow("feeds.calendar", "public")


@click.command("feed-url")
@click.argument("person_id", type=int, required=False)
@click.option(
    "--room", "room_id", type=int, metavar="ROOM_ID", help="Issue the feed of this room instead."
)
@click.option("--webcal", is_flag=True, help="Print the webcal:// link instead of https.")
@with_appcontext
def feed_url_command(person_id: int | None, room_id: int | None, webcal: bool) -> None:
    """Issue a new iCal feed URL for a person (or a room) and print it.

    The person's (or room's) earlier feed URL stops working: this is also the reset.
    """
    if (person_id is None) == (room_id is None):
        raise click.UsageError("give either PERSON_ID or --room ROOM_ID")
    session = get_session()
    try:
        with transaction(session):
            token = issue_token(session, person_id=person_id, room_id=room_id, actor="cli")
    except FeedError as exc:
        raise click.ClickException(str(exc)) from None
    links = feed_url(token)
    click.echo(links.webcal if webcal else links.https)


def init_app(app: Flask) -> None:
    """The feed blueprint (the feed-url command is in web/cli.py's COMMANDS)."""
    app.register_blueprint(bp)
