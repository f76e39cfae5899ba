"""Court API keys: created with the plaintext shown once, stored as a SHA-256 digest, told apart
by a short prefix, revocable, and scoped to the court's own cases (an intermediate court also
sees the cases of the courts under it)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, Integer, bindparam, select, true, update
from sqlalchemy.orm import Session

from models import ApiKey, Court
from models.base import utcnow

from . import audit
from .db import core

KEY_SCHEME = "stk_"
PREFIX_LENGTH = 8
LABEL_MAX = 64
# How long a process may answer court lookups from a key it authenticated before without
# reading the key again (KeyMemo). The lookup's own read still confirms the key is live.
MEMO_SECONDS = 30.0
MEMO_SIZE = 1024
# A key presented longer than this is not one of ours; don't bother hashing megabytes.
PLAINTEXT_MAX = 128
# last_used_at is a hint for administrators; writing it on every request would serialise all
# requests of one key on its row (PostgreSQL row lock), so it moves at this resolution.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """An API key operation that cannot be done; the message says why."""


class UnknownCourt(ApiKeyError):
    pass


class UnknownApiKey(ApiKeyError):
    pass


class AlreadyRevoked(ApiKeyError):
    pass


class KeyNoLongerLive(Exception):
    """A read found that the key it was asked for under has been revoked meanwhile (see
    :class:`KeyMemo`); the request must be refused like one with an unknown key."""


def digest(plaintext: str) -> str:
    """The stored form of a key: SHA-256 hex. Keys carry 256 random bits, so no salt or slow
    hash is needed, and lookup by digest is a single indexed equality."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def find_court(session: Session, court_code: str) -> Court:
    code = unicodedata.normalize("NFKC", court_code or "").strip()
    if not code:
        raise UnknownCourt("court: a court code is required (e.g. 豫0802)")
    court = session.scalars(select(Court).where(Court.code == code)).one_or_none()
    if court is None:
        known = "、".join(
            c for c in session.scalars(select(Court.code).where(Court.code.is_not(None))) if c
        )
        raise UnknownCourt(f"court: no court with code {code!r} (known: {known})")
    return court


def _new_prefix(session: Session) -> str:
    # The prefix is for people to tell keys apart, so keep it unique even though the digest
    # alone identifies a key.
    while True:
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        if session.scalars(select(ApiKey.id).where(ApiKey.prefix == prefix)).first() is None:
            return prefix


def create_api_key(
    session: Session, court_code: str, label: str | None = None, *, actor: str = "cli"
) -> tuple[ApiKey, str]:
    """Create a key for the court; returns the row and the plaintext, which is never stored."""
    court = find_court(session, court_code)
    label = (label or "").strip() or None
    if label is not None and len(label) > LABEL_MAX:
        raise ApiKeyError(f"label: at most {LABEL_MAX} characters, got {len(label)}")
    prefix = _new_prefix(session)
    plaintext = f"{KEY_SCHEME}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(prefix=prefix, key_hash=digest(plaintext), court_id=court.id, label=label)
    key.court = court
    session.add(key)
    session.flush()
    audit.record(
        session,
        "api_key.create",
        actor=actor,
        object_type="api_key",
        object_id=key.id,
        new={"prefix": prefix, "court": court.code, "label": label},
    )
    return key, plaintext


def find_api_key(session: Session, prefix: str) -> ApiKey:
    prefix = (prefix or "").strip()
    if prefix.startswith(KEY_SCHEME):
        # Someone pasted the whole key: its prefix is the part after the scheme.
        prefix = prefix[len(KEY_SCHEME) :].split("_", 1)[0]
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if key is None:
        raise UnknownApiKey(f"prefix: no API key with prefix {prefix!r}")
    return key


def revoke_api_key(session: Session, prefix: str, *, actor: str = "cli") -> ApiKey:
    """Revoke the key with this prefix; it stops working at once."""
    key = find_api_key(session, prefix)
    if key.revoked_at is not None:
        raise AlreadyRevoked(
            f"prefix: API key {key.prefix} was already revoked ({key.revoked_at.isoformat()})"
        )
    key.revoked_at = utcnow()
    audit.record(
        session,
        "api_key.revoke",
        actor=actor,
        object_type="api_key",
        object_id=key.id,
        old={"revoked_at": None},
        new={"revoked_at": key.revoked_at.isoformat()},
        prefix=key.prefix,
    )
    return key


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


@dataclass(frozen=True)
class KeyCaller:
    """A live key as a request sees it: who (``prefix`` for the audit), its court, and every
    court it may read (its own and those under it)."""

    id: int
    prefix: str
    court_id: int
    courts: frozenset[int]


# The key and the courts it sees, in one recursive statement built once: this is the first
# thing every API request with a key does (python -m benchmarks.web measures it). UNION, not
# UNION ALL, so that even a cycle in the court tree would end.
_live = (ApiKey.key_hash == bindparam("digest")) & ApiKey.revoked_at.is_(None)
_seen = select(ApiKey.court_id.label("id")).where(_live).cte("key_courts", recursive=True)
_seen = _seen.union(select(Court.id).join(_seen, Court.parent_id == _seen.c.id))
_KEY_AND_COURTS = (
    select(ApiKey.id, ApiKey.prefix, ApiKey.court_id, ApiKey.key_hash, ApiKey.last_used_at)
    .add_columns(_seen.c.id.label("visible"))
    .join(_seen, true())
    .where(_live)
)


def authenticate(
    db: Session | Connection, plaintext: str | None, memo: KeyMemo | None = None
) -> KeyCaller | None:
    """The live key this plaintext belongs to, with the courts it sees, or None (unknown,
    malformed or revoked). Only the digest reaches the database, so the lookup time says
    nothing about the key; ``last_used_at`` moves at most once per LAST_USED_RESOLUTION.
    With ``memo``, a key this process authenticated lately is not read again: only for callers
    whose read confirms the key is still live (see :class:`KeyMemo`)."""
    if not plaintext or len(plaintext) > PLAINTEXT_MAX or not plaintext.startswith(KEY_SCHEME):
        return None
    presented = digest(plaintext)
    if memo is not None:
        remembered = memo.get(presented)
        if remembered is not None:
            return remembered
    connection = core(db)  # Core rows: no ORM objects on the hot path
    rows = connection.execute(_KEY_AND_COURTS, {"digest": presented}).all()
    if not rows or not hmac.compare_digest(rows[0].key_hash, presented):
        return None
    key = rows[0]
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        connection.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    caller = KeyCaller(
        id=key.id,
        prefix=key.prefix,
        court_id=key.court_id,
        courts=frozenset(row.visible for row in rows),
    )
    if memo is not None:
        memo.put(presented, caller)
    return caller


def visible_court_ids(session: Session | Connection, key: ApiKey | KeyCaller) -> set[int]:
    """The key's court and every court under it (an intermediate court's basic courts)."""
    if isinstance(key, KeyCaller):
        return set(key.courts)  # read with the key itself
    return courts_under(session, key.court_id)


# The court and its descendants in one recursive query, built once: every API request asks
# (python -m benchmarks.web). UNION, not UNION ALL, so that even a cycle would end.
_tree = select(bindparam("court_id", type_=Integer).label("id")).cte("court_tree", recursive=True)
_tree = _tree.union(select(Court.id).join(_tree, Court.parent_id == _tree.c.id))
_COURTS_UNDER = select(_tree.c.id)


def courts_under(session: Session | Connection, court_id: int) -> set[int]:
    """``court_id`` and every court below it."""
    return set(session.scalars(_COURTS_UNDER, {"court_id": court_id}))


class KeyMemo:
    """The keys this process authenticated in the last ``seconds``, by digest: a court's
    system sends lookup after lookup with the same key, and reading the key and its courts
    again is a database round trip each time.

    Only for reads that confirm, inside their own statement, that the key is still live (the
    court lookup: web/api.py ``read_cases`` with ``live_key``): a key revoked a moment ago then
    reads nothing and gets a 401, memo or not. What the memo can serve stale is the court tree
    under the key, for at most ``seconds``; ``last_used_at`` moves when the key is read again.
    Thread-safe: single dict operations under the GIL, and a stale read is harmless."""

    def __init__(self, seconds: float = MEMO_SECONDS, size: int = MEMO_SIZE) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: dict[str, tuple[float, KeyCaller]] = {}

    def get(self, key_digest: str) -> KeyCaller | None:
        found = self._entries.get(key_digest)
        if found is None:
            return None
        if time.monotonic() - found[0] > self.seconds:
            self._entries.pop(key_digest, None)
            return None
        return found[1]

    def put(self, key_digest: str, caller: KeyCaller) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()  # many keys at once is rare; start over rather than track age
        self._entries[key_digest] = (time.monotonic(), caller)

    def forget(self, key_digest: str) -> None:
        self._entries.pop(key_digest, None)
