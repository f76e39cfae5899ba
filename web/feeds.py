"""iCal feeds: one per person and one per room, at ``/calendar/<token>.ics``.

A feed lists the published sessions from 30 days back to 180 days ahead, and each published
regular meeting (例会) as one recurring event: an RRULE in the meeting's own time zone, an EXDATE
for each cancelled occurrence and a RECURRENCE-ID override for each moved one. Nothing in it
changes unless the database does (or a day passes and the window moves), so an unchanged feed is
byte-identical and a client's conditional GET gets 304.

The URL token is derived, as Indico does, from a random secret of 256 bits kept per owner in
its ``feed_tokens`` row: HMAC-SHA256 of the owner under that secret. So the owner's page (and
``GET /api/v1/me/feed``, ``sutiao feed-url``) can show the same URL again; nothing app-wide such
as SECRET_KEY goes into it. A request is looked up by the token's SHA-256 (an index), then the
row's live state and the HMAC are checked. A reset revokes the row and adds one with a fresh
secret: the old URL then answers the same 404 as a URL that never existed.

A rendered feed is kept in the process (:class:`FeedCache`) with the feed version it was
rendered at: a counter the database raises in every transaction that writes a table a feed shows
(models.FeedVersion, the triggers of migration 0004). While the version, the local day and the
feed's own expiry hold, the feed is answered (200 or 304) from the cache with one query and no
rendering.

The calendar is written line by line here rather than through icalendar's component model, which
costs about half a millisecond per event (a 500-event feed would take a quarter of a second); the
tests parse every kind of feed with icalendar and with Mozilla's ical.js.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import string
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import click
from dateutil.rrule import rrulestr
from flask import Blueprint, Flask, Response, abort, current_app, g, request
from flask.cli import with_appcontext
from sqlalchemy import (
    Connection,
    Integer,
    Row,
    bindparam,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from models import (
    Assignment,
    Case,
    CaseParty,
    FeedToken,
    FeedVersion,
    Institution,
    Person,
    RecurringMeeting,
    RecurringMeetingMember,
    Room,
    SessionCase,
    SessionParticipant,
)
from models import Session as SessionRow
from models.auth import new_feed_secret
from models.base import UTCDateTime, utcnow
from models.vocabulary import SessionKind, SessionStatus

from . import audit
from .auth import MEDIATOR, allow
from .db import autocommit_connection, core, get_session, transaction

# --- tokens ---------------------------------------------------------------------------------

# A presented token longer than this, or with other characters, is not one of ours.
TOKEN_MAX = 128
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-_")
_TOKEN_CONTEXT = b"sutiao-feed:"  # what the HMAC signs: this and the owner


class FeedError(ValueError):
    """A feed operation that cannot be done; the message says why."""


def token_digest(token: str) -> str:
    """The SHA-256 hex of a URL token: the unique index a request is looked up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def derive_token(secret: bytes, *, person_id: int | None, room_id: int | None) -> str:
    """The URL token of a feed token row: HMAC-SHA256 of the owner under the row's own random
    secret (Indico's scheme), base64url without padding (43 characters, 256 bits). Nothing
    app-wide goes into it: rotating SECRET_KEY leaves every subscription working."""
    owner = f"person:{person_id}" if person_id is not None else f"room:{room_id}"
    mac = hmac.new(secret, _TOKEN_CONTEXT + owner.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def token_of(row: FeedToken) -> str:
    """The URL token of ``row``, which can be derived again at any time."""
    return derive_token(row.secret, person_id=row.person_id, room_id=row.room_id)


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


def _calendar_name(connection: Connection, person_id: int | None, room_id: int | None) -> str:
    """The calendar's NAME: the owner's name (one column, not the ORM object: every render
    reads it)."""
    if (person_id is None) == (room_id is None):
        raise FeedError("a feed belongs to exactly one person or one room")
    if person_id is not None:
        name = connection.execute(_PERSON_NAME, {"id": person_id}).scalar()
        if name is None:
            raise FeedError(f"person: no person with id {person_id}")
        return f"{name}的调解日程"
    name = connection.execute(_ROOM_NAME, {"id": room_id}).scalar()
    if name is None:
        raise FeedError(f"room: no room with id {room_id}")
    return f"{name}日程"


_PERSON_NAME = select(Person.name).where(Person.id == bindparam("id"))
_ROOM_NAME = select(Room.name).where(Room.id == bindparam("id"))


def _owner_clause(person_id: int | None, room_id: int | None) -> Any:
    if person_id is not None:
        return FeedToken.person_id == person_id
    return FeedToken.room_id == room_id


def _actor(actor: str | None, user_id: int | None) -> str:
    if actor:
        return actor
    return f"user:{user_id}" if user_id is not None else "cli"


def _live(session: Session, person_id: int | None, room_id: int | None) -> FeedToken | None:
    return session.scalars(
        select(FeedToken)
        .where(_owner_clause(person_id, room_id), FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.id.desc())
        .limit(1)
    ).first()


def issue_token(
    session: Session,
    *,
    person_id: int | None = None,
    room_id: int | None = None,
    user_id: int | None = None,
    actor: str | None = None,
) -> str:
    """A new feed token for the person or the room, with a fresh secret; every earlier live
    token of that owner is revoked (this is the reset). Returns the URL token. Flushes and
    audits; the caller commits."""
    # The owner's row lock (PostgreSQL) keeps two concurrent resets from leaving two live URLs.
    owner = _owner(session, person_id, room_id, lock=True)
    return _issue(session, owner, person_id, room_id, _actor(actor, user_id), user_id)


def _issue(
    session: Session,
    owner: Person | Room,
    person_id: int | None,
    room_id: int | None,
    actor: str,
    user_id: int | None,
) -> str:
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
    secret = new_feed_secret()
    token = derive_token(secret, person_id=person_id, room_id=room_id)
    row = FeedToken(
        token_hash=token_digest(token),
        secret=secret,
        person_id=person_id,
        room_id=room_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "feed_token.issue",
        actor=actor,
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


def _well_formed(token: str | None) -> bool:
    return bool(token) and len(token or "") <= TOKEN_MAX and _TOKEN_CHARS.issuperset(token or "")


def _genuine(token: str, secret: bytes, person_id: int | None, room_id: int | None) -> bool:
    expected = derive_token(secret, person_id=person_id, room_id=room_id)
    return hmac.compare_digest(expected, token)


def find_token(session: Session, token: str | None) -> FeedToken | None:
    """The live token row for this URL token, or None (unknown, malformed, forged or revoked)."""
    if token is None or not _well_formed(token):
        return None
    row = session.scalars(
        select(FeedToken).where(FeedToken.token_hash == token_digest(token))
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return row if _genuine(token, row.secret, row.person_id, row.room_id) else None


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


def current_links(
    session: Session,
    *,
    person_id: int | None = None,
    room_id: int | None = None,
    user_id: int | None = None,
) -> FeedLinks:
    """The links of the person's (or room's) live feed URL, the same on every call; the first
    call issues one (audited). Commits when it issued, so the links it returns work at once.
    Needs the app (``SUTIAO_BASE_URL``)."""
    _owner(session, person_id, room_id)
    row = _live(session, person_id, room_id)
    if row is not None:
        return feed_url(token_of(row))
    owner = _owner(session, person_id, room_id, lock=True)
    row = _live(session, person_id, room_id)  # issued meanwhile, behind the lock
    if row is not None:
        return feed_url(token_of(row))
    token = _issue(session, owner, person_id, room_id, _actor(None, user_id), user_id)
    session.commit()
    return feed_url(token)


def reset_links(
    session: Session,
    *,
    person_id: int | None = None,
    room_id: int | None = None,
    user_id: int | None = None,
) -> FeedLinks:
    """A new feed URL for the person (or room): the old one answers 404 from now on. Audited;
    commits. Needs the app (``SUTIAO_BASE_URL``)."""
    token = issue_token(session, person_id=person_id, room_id=room_id, user_id=user_id)
    session.commit()
    return feed_url(token)


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
    # The body and Last-Modified stay the same from ``rendered_at`` until ``valid_until``
    # unless the database changes: the next local midnight (the window moves), or earlier, the
    # moment a cancelled session is dropped.
    rendered_at: datetime
    valid_until: datetime


class _Event(NamedTuple):
    """One VEVENT as written (a tuple: cheap to make, hash and compare, which the memo of
    written events does for every event of every feed)."""

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


def _location(room: Room | Row[Any] | None) -> str | None:
    """The LOCATION of a room (a row of ``_ROOMS`` or the model)."""
    if room is None:
        return None
    if room.is_online:
        return f"线上：{room.address or room.name}"
    return f"{room.name}，{room.address or room.location}"


def _names(items: Iterable[str]) -> str:
    return "、".join(items)


class _Team(NamedTuple):
    """The people of one session, as the feed shows them (names of center staff only)."""

    team: tuple[tuple[str, str, bool], ...]  # name, role, presiding
    others: tuple[tuple[str, str], ...]

    def lines(self) -> tuple[str, ...]:
        return _team_lines(self)


@lru_cache(maxsize=4096)  # a team takes part in many sessions
def _team_lines(team: _Team) -> tuple[str, ...]:
    lines = []
    if team.team:
        shown = [
            f"{name}（主持调解员）" if presiding else f"{name}（{ROLE_NAMES.get(role, role)}）"
            for name, role, presiding in team.team
        ]
        lines.append(f"调解团队：{_names(shown)}")
        presiding_names = [name for name, _, presiding in team.team if presiding]
        if presiding_names:
            lines.append(f"主持调解员：{_names(presiding_names)}")
    if team.others:
        shown = [f"{name}（{ROLE_NAMES.get(role, role)}）" for name, role in team.others]
        lines.append(f"其他参加人员：{_names(shown)}")
    return tuple(lines)


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


@dataclass(slots=True)
class _Meeting:
    """A published regular meeting as the feed needs it: plain columns, and its members as
    (roster number, name)."""

    id: int
    uid: str
    title: str
    rrule: str
    starts_at: datetime
    duration_minutes: int
    timezone: str
    room_id: int | None
    sequence: int
    members: list[tuple[str, str]] = field(default_factory=list)


_MEETING_COLUMNS = (
    RecurringMeeting.id,
    RecurringMeeting.uid,
    RecurringMeeting.title,
    RecurringMeeting.rrule,
    RecurringMeeting.starts_at,
    RecurringMeeting.duration_minutes,
    RecurringMeeting.timezone,
    RecurringMeeting.room_id,
    RecurringMeeting.sequence,
)


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


def _owned(query: Any, kind: str) -> Any:
    """``query`` (of sessions) narrowed to the owner, the bound parameter ``owner``."""
    owner = bindparam("owner", type_=Integer())
    if kind == "person":
        # Meeting occurrences reach a person through the meeting's membership instead.
        return query.where(
            SessionRow.recurring_meeting_id.is_(None),
            SessionRow.id.in_(
                select(SessionParticipant.session_id).where(SessionParticipant.person_id == owner)
            ),
        )
    # A room shows its own sessions, and a meeting occurrence moved here from another room
    # (as a plain event: the series itself lives in the meeting's room).
    foreign = select(RecurringMeeting.id).where(
        RecurringMeeting.is_published.is_(True),
        or_(RecurringMeeting.room_id.is_(None), RecurringMeeting.room_id != owner),
    )
    return query.where(
        SessionRow.room_id == owner,
        or_(
            SessionRow.recurring_meeting_id.is_(None),
            SessionRow.recurring_meeting_id.in_(foreign),
        ),
    )


@dataclass(frozen=True)
class _Queries:
    """The statements of one kind of feed, built once (building and caching a statement per
    request costs more than running it); parameters ``owner``, ``start`` and ``end``."""

    items: Any
    left_window: Any
    details: Any


# Kinds of rows of the details statement.
_CASE, _PARTICIPANT, _TEAM, _PARTY = range(4)


@lru_cache(maxsize=2)
def _queries(kind: str) -> _Queries:
    start = bindparam("start", type_=UTCDateTime())
    end = bindparam("end", type_=UTCDateTime())
    in_window = (
        SessionRow.is_published.is_(True),
        SessionRow.starts_at < end,
        SessionRow.ends_at > start,
    )
    # The feed's sessions and their cases, found once for all the details (MATERIALIZED: each
    # is read by several parts, and finding the owner's sessions is most of the work).
    ids = (
        _owned(select(SessionRow.id).where(*in_window), kind)
        .cte("feed_sessions")
        .prefix_with("MATERIALIZED")
    )
    cases = (
        select(SessionCase.session_id, SessionCase.case_id)
        .where(SessionCase.session_id.in_(select(ids.c.id)))
        .cte("feed_cases")
        .prefix_with("MATERIALIZED")
    )
    case_ids = select(cases.c.case_id)
    # One statement, one row shape: (kind, session or case, case or person, role, text, more
    # text, presiding, moment, position); the texts are 案号 and 案由, a name and a roster
    # number, or an institution's name. The first part gives the columns their types.
    details = union_all(
        select(
            literal_column(str(_CASE), Integer()).label("kind"),
            cases.c.session_id,
            Case.id,
            null().label("role"),
            Case.case_number,
            Case.cause_text,
            false().label("presiding"),
            Case.updated_at,
            literal_column("0", Integer()).label("position"),
        ).join(Case, Case.id == cases.c.case_id),
        select(
            literal_column(str(_PARTICIPANT), Integer()),
            SessionParticipant.session_id,
            SessionParticipant.person_id,
            SessionParticipant.role,
            Person.name,
            Person.roster_no,
            false(),
            null(),
            literal_column("0", Integer()),
        )
        .join(Person, Person.id == SessionParticipant.person_id)
        .where(SessionParticipant.session_id.in_(select(ids.c.id))),
        select(
            literal_column(str(_TEAM), Integer()),
            Assignment.case_id,
            Assignment.person_id,
            Assignment.role,
            Person.name,
            Person.roster_no,
            Assignment.is_presiding,
            Assignment.assigned_at,
            literal_column("0", Integer()),
        )
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.case_id.in_(case_ids)),
        # Party institutions only: natural persons never leave the center, not even their
        # names are read here.
        select(
            literal_column(str(_PARTY), Integer()),
            CaseParty.case_id,
            null(),
            CaseParty.role,
            Institution.name,
            null(),
            false(),
            null(),
            CaseParty.position,
        )
        .join(Institution, Institution.id == CaseParty.institution_id)
        .where(CaseParty.case_id.in_(case_ids)),
    )
    return _Queries(
        items=_owned(select(*_ITEM_COLUMNS).where(*in_window), kind),
        left_window=_owned(
            select(func.max(SessionRow.ends_at)).where(
                SessionRow.is_published.is_(True), SessionRow.ends_at <= start
            ),
            kind,
        ),
        details=details,
    )


class _Loader:
    """Reads what one feed shows; every query is bounded by the owner and the window."""

    def __init__(self, connection: Connection, window: Window, now: datetime) -> None:
        self.connection = connection
        self.window = window
        self.now = now
        self.stamps: list[datetime] = []  # moments the body changed: Last-Modified is the max
        self.expiries: list[datetime] = []  # moments ahead at which the body will change
        self.rooms: dict[int, Row[Any]] = {}
        self.locations: dict[int | None, str | None] = {}
        self.latest: datetime | None = None  # the latest start of a session shown
        # Read with the sessions: case -> its team (person, role, presiding, name, roster
        # number, assigned at), and case -> its party institutions' names, in the order the
        # court listed them, plaintiffs first.
        self.assigned: dict[int, list[tuple[int, str, bool, str, str, datetime]]] = defaultdict(
            list
        )
        self.parties: dict[int, list[str]] = {}
        self.queries = _queries("person")
        self.params: dict[str, Any] = {}

    def _rows(self, statement: Any) -> Sequence[Any]:
        # Plain columns straight from the connection, fetched at once: no ORM machinery (and
        # no fetch) per row.
        return self.connection.execute(statement, self.params).all()

    # sessions -------------------------------------------------------------------------------

    def sessions(self, person_id: int | None, room_id: int | None) -> list[_Item]:
        self.queries = _queries("person" if person_id is not None else "room")
        owner = person_id if person_id is not None else room_id
        self.params = {"owner": owner, "start": self.window.start, "end": self.window.end}
        items = [_Item(*row) for row in self._rows(self.queries.items)]
        items = [item for item in items if self.shown(item)]
        self._left_window()
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
            self.expiries.append(gone)
        self.stamps.append(item.updated_at)
        if self.latest is None or item.starts_at > self.latest:
            self.latest = item.starts_at  # see entered()
        return True

    def entered(self) -> datetime | None:
        """When the latest session shown entered the window: the midnight 180 days before its
        day (the latest of those moments over all the sessions shown)."""
        if self.latest is None:
            return None
        return _midnight(self.latest.astimezone(TZ).date() - timedelta(days=DAYS_AHEAD))

    def _left_window(self) -> None:
        """The last session that slid out of the window's back changed the body then."""
        last_end = self._rows(self.queries.left_window)[0][0]
        if last_end is not None:
            local = last_end.astimezone(TZ)
            day = local.date() if local.time() == time() else local.date() + timedelta(days=1)
            self.stamps.append(_midnight(day + timedelta(days=DAYS_BACK)))

    def _details(self, items: Sequence[_Item]) -> None:
        """Cases, participants, teams and party institutions of the items: one statement."""
        by_id = {item.id: item for item in items}
        if not by_id:
            return
        assigned = self.assigned
        parties: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
        sorting: list[_Item] = []
        for kind, of, who, role, text, extra, presiding, at, position in self._rows(
            self.queries.details
        ):
            if kind == _TEAM:
                assigned[of].append((who, role, presiding, text, extra, at))
            elif kind == _PARTICIPANT:
                if of in by_id:  # not a cancelled session already dropped
                    by_id[of].people.append((who, role, text, extra))
            elif kind == _PARTY:
                parties[of].append((role, position, text))
            elif of in by_id:
                item = by_id[of]
                item.cases.append((who, text, extra))
                if len(item.cases) == 2:
                    sorting.append(item)
                self.stamps.append(at)
        for item in sorting:
            item.cases.sort(key=lambda case: case[1])  # in 案号 order
        for case_id, rows in parties.items():
            if len(rows) > 1:
                rows.sort(key=lambda row: row[1])
                rows.sort(key=lambda row: row[0], reverse=True)  # stable: then by position
            self.parties[case_id] = list(dict.fromkeys(name for _, _, name in rows))

    def location(self, room_id: int | None) -> str | None:
        """The LOCATION of a room (None: no room), written once per feed."""
        if room_id not in self.locations:
            self.locations[room_id] = _location(self.room(room_id))
        return self.locations[room_id]

    def room(self, room_id: int | None) -> Row[Any] | None:
        if room_id is None:
            return None
        if not self.rooms:  # a center has a handful of rooms: read them all at once
            self.rooms = {r.id: r for r in self.connection.execute(_ROOMS)}
        return self.rooms.get(room_id)

    def teams(self, items: Sequence[_Item]) -> dict[int, _Team]:
        """Each session's team: the published team of its cases (mediators and experts, who
        presides), or else its mediators and experts; then everyone else taking part."""
        assigned = self.assigned
        stamps = self.stamps
        teams = {}
        for item in items:
            members: dict[int, tuple[str, str, bool, str]] = {}  # name, role, presiding, no.
            for case in item.cases:
                for person_id, role, presiding, name, roster_no, at in assigned.get(case[0], ()):
                    stamps.append(at)
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
                tuple((name, role, presiding) for name, role, presiding, _ in ranked),
                tuple((name, role) for _, role, name, _ in others),
            )
        return teams

    # meetings -------------------------------------------------------------------------------

    def meetings(self, person_id: int | None, room_id: int | None) -> list[_Meeting]:
        """The owner's published regular meetings with their members, as plain rows (two
        prebuilt Core queries; loading ORM objects with their room and members cost several
        times more)."""
        connection = self.connection
        if person_id is not None:
            rows = connection.execute(_MEETINGS_OF_PERSON, {"owner": person_id})
        else:
            rows = connection.execute(_MEETINGS_IN_ROOM, {"owner": room_id})
        meetings = [_Meeting(*row) for row in rows]
        if meetings:
            by_id = {m.id: m for m in meetings}
            for meeting_id, name, roster_no in connection.execute(
                _MEETING_MEMBERS, {"meetings": list(by_id)}
            ):
                by_id[meeting_id].members.append((roster_no, name))
        return meetings

    def exceptions(self, meetings: Sequence[_Meeting]) -> dict[int, list[_Item]]:
        """Published occurrence rows of the meetings, whatever their date: a moved or cancelled
        occurrence outside the window must still not reappear at its old time."""
        found: dict[int, list[_Item]] = defaultdict(list)
        if meetings:
            ids = {"meetings": [m.id for m in meetings]}
            for row in self.connection.execute(_OCCURRENCES, ids):
                item = _Item(*row)
                assert item.recurring_meeting_id is not None
                found[item.recurring_meeting_id].append(item)
        return found


# The rooms as plain rows, and the meeting statements, built once like _queries (parameters
# ``owner`` and ``meetings``): building a statement per render cost more than running it.
_ROOMS = select(Room.id, Room.name, Room.address, Room.location, Room.is_online)
_PUBLISHED_MEETINGS = (
    select(*_MEETING_COLUMNS)
    .where(RecurringMeeting.is_published.is_(True))
    .order_by(RecurringMeeting.id)
)
_MEETINGS_OF_PERSON = _PUBLISHED_MEETINGS.where(
    RecurringMeeting.id.in_(
        select(RecurringMeetingMember.meeting_id).where(
            RecurringMeetingMember.person_id == bindparam("owner", type_=Integer())
        )
    )
)
_MEETINGS_IN_ROOM = _PUBLISHED_MEETINGS.where(
    RecurringMeeting.room_id == bindparam("owner", type_=Integer())
)
_MEETING_MEMBERS = (
    select(RecurringMeetingMember.meeting_id, Person.name, Person.roster_no)
    .join(Person, Person.id == RecurringMeetingMember.person_id)
    .where(RecurringMeetingMember.meeting_id.in_(bindparam("meetings", expanding=True)))
)
_OCCURRENCES = (
    select(*_ITEM_COLUMNS)
    .where(
        SessionRow.recurring_meeting_id.in_(bindparam("meetings", expanding=True)),
        SessionRow.is_published.is_(True),
    )
    .order_by(SessionRow.id)
)


def _rrule_text(meeting: _Meeting) -> str:
    text = meeting.rrule.strip()
    return text[len("RRULE:") :] if text.upper().startswith("RRULE:") else text


def _rule(meeting: _Meeting) -> tuple[ZoneInfo, Any]:
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
    meeting: _Meeting,
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
    members = sorted(meeting.members)  # by roster number
    base = [f"类型：{KIND_NAMES[SessionKind.REGULAR_MEETING]}"]
    if members:
        base.append(f"参加人员：{_names(name for _, name in members)}")
    meeting_room = loader.room(meeting.room_id)

    exdates: list[datetime] = []
    overrides: list[_Event] = []
    strays: list[_Item] = []
    in_window = bool(rule.between(window.start - length, window.end))
    for row in exceptions:
        original = (row.recurrence_of or row.starts_at).astimezone(zone)
        room = loader.room(row.room_id) or meeting_room
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
    location = _location(meeting_room)
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
    item: _Item, location: str | None, team: _Team | None, institutions: dict[int, list[str]]
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
    db: Session | Connection,
    *,
    person_id: int | None = None,
    room_id: int | None = None,
    now: datetime | None = None,
) -> Feed:
    """The feed of a person or a room as of ``now`` (default: the real time), read through a
    session (in its transaction) or a connection (the route's: see ``render``)."""
    now = now or utcnow()
    connection = core(db)
    name = _calendar_name(connection, person_id, room_id)
    loader = _Loader(connection, Window.around(now), now)
    items = loader.sessions(person_id, room_id)
    teams = loader.teams(items)
    institutions = loader.parties
    events = [
        [_session_event(item, loader.location(item.room_id), teams.get(item.id), institutions)]
        for item in items
    ]
    meetings = loader.meetings(person_id, room_id)
    exceptions = loader.exceptions(meetings)
    for meeting in meetings:
        series, strays = _meeting_events(loader, meeting, exceptions[meeting.id], room_id)
        if series:
            events.append(series)
        events.extend(
            [_session_event(item, loader.location(item.room_id), None, institutions)]
            for item in strays
        )
    # A series stays together, master first; series and sessions in time order.
    # (Aware datetimes compare by instant, whatever their zones.)
    events.sort(key=lambda group: (group[0].start, group[0].uid))
    flat = [event for group in events for event in group]
    body = render_calendar(name, flat)
    # Every moment the body changed, capped at now (a writer's clock may run a little ahead).
    entered = loader.entered()
    changed = max([*loader.stamps, entered] if entered else loader.stamps, default=_NEVER)
    tomorrow = _midnight(now.astimezone(TZ).date() + timedelta(days=1))
    ahead = [moment for moment in (*loader.expiries, changed) if moment > now]
    return Feed(
        name=name,
        body=body,
        etag=hashlib.sha256(body).hexdigest(),
        last_modified=min(changed, now),
        events=len(flat),
        rendered_at=now,
        valid_until=min([tomorrow, *ahead]),
    )


# --- writing iCalendar -------------------------------------------------------------------------


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")  # TEXT allows no control but tab and newline
_SPECIAL = re.compile("[\x00-\x08\x0a-\x1f\x7f\\\\;,]")  # what _text changes


def _text(value: str) -> str:
    """TEXT escaping (RFC 5545 3.3.11); other control characters are dropped."""
    if _SPECIAL.search(value) is None:  # most summaries, locations and UIDs
        return value
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _local(m: datetime) -> str:
    """20261204T090000: the wall-clock time as it stands, without a zone."""
    return "%04d%02d%02dT%02d%02d%02d" % (m.year, m.month, m.day, m.hour, m.minute, m.second)  # noqa: UP031


def _in_zone(moment: datetime, zone: Any) -> datetime:
    # astimezone() costs some 1-2 us even when there is nothing to convert (twice per event)
    return moment if moment.tzinfo is zone else moment.astimezone(zone)


def _utc(moment: datetime) -> str:
    return _local(_in_zone(moment, UTC)) + "Z"


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
    head = [_fold(line.encode("utf-8")) for line in lines]
    return b"\r\n".join([*head, *map(_event_block, events), b"END:VCALENDAR"]) + b"\r\n"


def clear_memos() -> None:
    """Forget the written events and teams (benchmarks: a first render in a process)."""
    _written.cache_clear()
    _team_lines.cache_clear()


def _event_block(event: _Event) -> bytes:
    """One VEVENT, its lines folded and joined with CRLF (none after the last)."""
    # Aware datetimes compare by instant: the zone they are written in is part of the key.
    return _written(event, _tzid(event.start))


_SHORT_TZID = 40  # IANA names are shorter: RECURRENCE-ID;TZID=<name>:<time> stays under 75


# An event is written the same way whichever feed shows it and whenever: a feed rendered again
# after a change (to one session, or to anything elsewhere) writes most of its events from here.
@lru_cache(maxsize=8192)
def _written(event: _Event, tzid: str) -> bytes:
    # The lines of a bounded length (under 75 octets in any zone) are written as runs; the
    # others go through _line, folded where they pass 75 octets.
    tz = f";TZID={tzid}"
    times = f"DTSTAMP:{_utc(event.stamp)}\r\nSEQUENCE:{event.sequence}\r\n"
    if event.recurrence_id is not None:
        times += f"RECURRENCE-ID{tz}:{_local(event.recurrence_id)}\r\n"
    times += (
        f"DTSTART{tz}:{_local(event.start)}\r\n"
        f"DTEND{tz}:{_local(_in_zone(event.end, event.start.tzinfo))}"
    )
    if len(tzid) > _SHORT_TZID:  # not an IANA name: the lines may be long after all
        times = "\r\n".join(fold(line) for line in times.split("\r\n"))
    out = [b"BEGIN:VEVENT", _line(f"UID:{_text(event.uid)}"), times.encode("utf-8")]
    if event.rrule:
        out.append(_line(f"RRULE:{event.rrule}"))
    if event.exdates:
        out.append(_line(f"EXDATE{tz}:{','.join(_local(d) for d in event.exdates)}"))
    out += [
        _line(f"SUMMARY:{_text(event.summary)}"),
        _line(f"DESCRIPTION:{_text(event.description)}"),
    ]
    if event.location:
        out.append(_line(f"LOCATION:{_text(event.location)}"))
    transp = "TRANSPARENT" if event.status == "CANCELLED" else "OPAQUE"
    out.append(f"STATUS:{event.status}\r\nTRANSP:{transp}\r\nEND:VEVENT".encode("ascii"))
    return b"\r\n".join(out)


def _line(line: str) -> bytes:
    data = line.encode("utf-8")
    return data if len(data) <= 75 else _fold(data)


# --- the cache ----------------------------------------------------------------------------------

CACHE_EXTENSION = "sutiao.feed_cache"
CACHE_MAX_BYTES = 64 * 1024 * 1024  # per process; the least recently served feeds go first


class FeedCache:
    """Rendered feeds of one app in one process, by owner, each with the feed version it was
    rendered at (models.FeedVersion: the database raises it in every transaction that writes
    anything a feed shows). A feed is served again without rendering while the version is the
    same and its own ``valid_until`` (the next local midnight, or a cancelled session's drop)
    has not come; otherwise it is rendered afresh, and if the body is byte-identical, it has
    the same ETag as before."""

    def __init__(self, max_bytes: int = CACHE_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._feeds: OrderedDict[tuple[str, int], tuple[int, Feed]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, owner: tuple[str, int], version: int, now: datetime) -> Feed | None:
        with self._lock:
            entry = self._feeds.get(owner)
            if entry is None:
                return None
            seen, feed = entry
            if seen != version or not feed.rendered_at <= now < feed.valid_until:
                return None
            self._feeds.move_to_end(owner)
            return feed

    def put(self, owner: tuple[str, int], version: int, feed: Feed) -> None:
        with self._lock:
            old = self._feeds.pop(owner, None)
            if old is not None:
                self._bytes -= len(old[1].body)
            if len(feed.body) > self.max_bytes:
                return
            self._feeds[owner] = (version, feed)
            self._bytes += len(feed.body)
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._feeds.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._feeds.clear()
            self._bytes = 0


# The live owner of a token and the feed version, in one query prepared once.
_LOOKUP = select(
    FeedToken.person_id,
    FeedToken.room_id,
    FeedToken.secret,
    FeedToken.revoked_at,
    select(FeedVersion.version).where(FeedVersion.id == 1).scalar_subquery(),
).where(FeedToken.token_hash == bindparam("digest"))


def _lookup(token: str) -> tuple[int | None, int | None, int | None] | None:
    """The live owner of a URL token, and the feed version, in one autocommit query (no
    transaction: this is all a 304 costs); None for a token that is unknown, malformed, forged
    or revoked."""
    if not _well_formed(token):
        return None
    with autocommit_connection() as connection:
        row = connection.execute(_LOOKUP, {"digest": token_digest(token)}).one_or_none()
    if row is None:
        return None
    person_id, room_id, secret, revoked_at, version = row
    if revoked_at is not None or not _genuine(token, secret, person_id, room_id):
        return None
    return person_id, room_id, version


def render(person_id: int | None, room_id: int | None, now: datetime | None = None) -> Feed:
    """The feed, as the route renders it: on a pooled connection in autocommit mode.

    Not in the request's session, which ends with a ROLLBACK: psycopg forgets its prepared
    statements at every ROLLBACK, so PostgreSQL would plan the feed's statements afresh at every
    render (some 4 ms of a 500-event feed's 10-15 ms in the server). Nothing is lost by it:
    under READ COMMITTED, PostgreSQL's default and this app's, every statement is its own
    snapshot inside a transaction too. (On SQLite a transaction would keep one snapshot; a feed
    rendered while a write commits may then show part of it, but the write raised the feed
    version, so the next request renders the feed again.)"""
    with autocommit_connection() as connection:
        return build_feed(connection, person_id=person_id, room_id=room_id, now=now)


# --- HTTP ---------------------------------------------------------------------------------------

bp = Blueprint("feeds", __name__)


@bp.get("/calendar/<token>.ics")
def calendar(token: str) -> Response:
    """The feed. No content negotiation and no compression: calendar clients send all kinds of
    Accept headers and some mishandle gzip. A wrong or revoked token gets Flask's own 404, the
    same as a path that does not exist. An unchanged feed comes from the cache: one query (the
    token and the feed version) and no rendering, for a 304 as for a full answer."""
    found = _lookup(token)
    if found is None:
        abort(404)
    person_id, room_id, version = found
    owner = ("person", person_id) if person_id is not None else ("room", room_id or 0)
    cache: FeedCache | None = current_app.extensions.get(CACHE_EXTENSION)
    if version is None:
        cache = None  # no feed_version row: nothing to compare, render every time
    now = utcnow()
    feed = cache.get(owner, version, now) if cache is not None and version is not None else None
    if feed is None:
        feed = render(person_id, room_id, now)
        if cache is not None and version is not None:
            cache.put(owner, version, feed)
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


# --- the API: a mediator's own feed -------------------------------------------------------------

API_ENDPOINTS = {"my_feed": "GET", "reset_my_feed": "POST"}  # api.<name> in web/auth.py


def _my_person_id() -> int:
    from .api import ApiError

    user = g.get("user")
    person_id = None if user is None else user.person_id
    if person_id is None:
        raise ApiError(
            404,
            "not_found",
            "this login is not linked to a person on the roster, so it has no calendar feed; "
            "an administrator links it (sutiao create-user --person ROSTER_NO)",
            {"person_id": "missing"},
        )
    return int(person_id)


def _links_response(links: FeedLinks) -> Response:
    from .api import json_response

    # The links are the feed's secret: not for any cache.
    return json_response(
        {"https": links.https, "webcal": links.webcal}, headers={"Cache-Control": "no-store"}
    )


def my_feed() -> Response:
    """GET /api/v1/me/feed: the logged-in mediator's feed links (issued on first use)."""
    person_id = _my_person_id()
    session = get_session()
    with transaction(session):
        links = current_links(session, person_id=person_id, user_id=int(g.user.id))
    return _links_response(links)


def reset_my_feed() -> Response:
    """POST /api/v1/me/feed/reset: new feed links; the old URL answers 404 from now on."""
    person_id = _my_person_id()
    session = get_session()
    with transaction(session):
        links = reset_links(session, person_id=person_id, user_id=int(g.user.id))
    return _links_response(links)


def register_api(bp: Blueprint) -> None:
    """Add ``GET /me/feed`` and ``POST /me/feed/reset`` to the API blueprint (before it is
    registered), for mediators."""
    bp.add_url_rule("/me/feed", endpoint="my_feed", view_func=my_feed, methods=["GET"])
    bp.add_url_rule(
        "/me/feed/reset", endpoint="reset_my_feed", view_func=reset_my_feed, methods=["POST"]
    )
    for endpoint in API_ENDPOINTS:
        allow(f"{bp.name}.{endpoint}", MEDIATOR)


_LINKS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["https", "webcal"],
    "additionalProperties": False,
    "properties": {
        "https": {
            "type": "string",
            "format": "uri",
            "example": "https://tiao.example.cn/calendar/3q2-7w….ics",
        },
        "webcal": {
            "type": "string",
            "description": "the same URL for calendar apps to subscribe to",
            "example": "webcal://tiao.example.cn/calendar/3q2-7w….ics",
        },
    },
}
_NO_PERSON = {
    "description": "this login is linked to no person on the roster, so it has no feed",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_ERRORS: dict[str, Any] = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": _NO_PERSON,
    "405": {"$ref": "#/components/responses/MethodNotAllowed"},
    "429": {"$ref": "#/components/responses/RateLimited"},
    "500": {"$ref": "#/components/responses/InternalError"},
}
OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/me/feed": {
        "get": {
            "operationId": "getMyFeed",
            "summary": "The logged-in mediator's iCal feed links",
            "description": (
                "The https:// and webcal:// links of the mediator's personal feed "
                "(/calendar/<token>.ics), the same on every call until a reset; the first call "
                "issues the feed. The links are secret: whoever has one can read the calendar."
            ),
            "security": [{"session": []}],
            "responses": {
                "200": {
                    "description": "the feed links",
                    "content": {"application/json": {"schema": _LINKS_SCHEMA}},
                },
                **_ERRORS,
            },
        }
    },
    "/api/v1/me/feed/reset": {
        "post": {
            "operationId": "resetMyFeed",
            "summary": "A new feed URL; the old one answers 404 from now on",
            "description": (
                "Revokes the mediator's feed URL and issues a new one (audited). Calendars "
                "subscribed to the old URL stop updating and must subscribe to the new one. "
                "No body; a logged-in browser sends the page's CSRF token in X-CSRFToken."
            ),
            "security": [{"session": []}],
            "responses": {
                "200": {
                    "description": "the new feed links",
                    "content": {"application/json": {"schema": _LINKS_SCHEMA}},
                },
                "400": {
                    "description": "the CSRF token is missing or invalid",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                **_ERRORS,
            },
        }
    },
}


# --- CLI ------------------------------------------------------------------------------------------


@click.command("feed-url")
@click.argument("person_id", type=int, required=False)
@click.option(
    "--room", "room_id", type=int, metavar="ROOM_ID", help="The feed of this room instead."
)
@click.option("--webcal", is_flag=True, help="Print the webcal:// link instead of https.")
@click.option("--reset", is_flag=True, help="Issue a new URL; the old one answers 404 from now on.")
@with_appcontext
def feed_url_command(person_id: int | None, room_id: int | None, webcal: bool, reset: bool) -> None:
    """Print the iCal feed URL of a person (or a room), issuing it on first use.

    The URL stays the same until it is reset (--reset, the person's page or the API).
    """
    if (person_id is None) == (room_id is None):
        raise click.UsageError("give either PERSON_ID or --room ROOM_ID")
    session = get_session()
    operation = reset_links if reset else current_links
    try:
        with transaction(session):
            links = operation(session, person_id=person_id, room_id=room_id)
    except FeedError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(links.webcal if webcal else links.https)


def _cache_enabled(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def init_app(app: Flask) -> None:
    """The feed blueprint and its cache (``SUTIAO_FEED_CACHE``; the feed-url command is in
    web/cli.py's COMMANDS, the API views in web/api.py's ``_register_routes``)."""
    app.register_blueprint(bp)
    if _cache_enabled(app.config.get("SUTIAO_FEED_CACHE", True)):
        app.extensions[CACHE_EXTENSION] = FeedCache()
