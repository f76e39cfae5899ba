"""feed secrets and the feed version: feed URLs can be shown again, unchanged feeds are not rendered

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 09:00:00

``feed_tokens.secret``: each feed token row gets 256 random bits from which the URL token is
derived (HMAC-SHA256, as Indico does with a per-user secret), so the owner's page can show the
feed's URL again instead of only once. ``token_hash`` stays: the SHA-256 of the derived URL token,
the unique index a request is looked up by. The tokens issued before this revision were random
strings of which only the digest was kept; they cannot be derived from a secret, so this
revision gives those rows a random secret and revokes every one still live (there are no
production subscriptions yet: their URLs answer 404 and the owners get a new URL from their page,
the API or ``sutiao feed-url``). A downgrade keeps working URLs working: the old code looks up the
same ``token_hash``.

``feed_version``: one row whose ``version`` rises in every committed transaction that writes a
table a feed shows (whatever writes it: an audited operation, the demo, a script, psql). On
PostgreSQL a deferred constraint trigger raises it once per transaction at commit time, so the
row is locked only while a writer commits, never for a whole transaction; on SQLite, whose
writers are serialised anyway, plain AFTER triggers raise it per row. The feeds' cache compares
it before serving a feed again without rendering it (web/feeds.py).

SQLite drops a table's triggers when Alembic's batch mode recreates the table: a later migration
that batch-alters one of ``FEED_TABLES`` must create its ``tr_feed_version_*`` triggers again
(tests/test_feeds.py checks every table at head on both backends).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables a feed shows, as of this revision (models.calendar.FEED_TABLES).
FEED_TABLES = (
    "assignments",
    "case_parties",
    "cases",
    "institutions",
    "people",
    "recurring_meeting_members",
    "recurring_meetings",
    "rooms",
    "session_cases",
    "session_participants",
    "sessions",
)
EVENTS = ("insert", "update", "delete")

# Once per transaction: the transaction-local setting says it was already raised.
_PG_FUNCTION = """
CREATE FUNCTION feed_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sutiao.feed_version_bumped', true) IS DISTINCT FROM 'on' THEN
        UPDATE feed_version SET version = version + 1 WHERE id = 1;
        PERFORM set_config('sutiao.feed_version_bumped', 'on', true);
    END IF;
    RETURN NULL;
END
$$
"""


def _create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in FEED_TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER tr_feed_version AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"EXECUTE FUNCTION feed_version_bump()"
            )
            op.execute(
                f"CREATE TRIGGER tr_feed_version_truncate AFTER TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION feed_version_bump()"
            )
        return
    for table in FEED_TABLES:
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER tr_feed_version_{table}_{event} AFTER {event.upper()} ON {table} "
                f"BEGIN UPDATE feed_version SET version = version + 1 WHERE id = 1; END"
            )


def _drop_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        for table in FEED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS tr_feed_version_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS tr_feed_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS feed_version_bump()")
        return
    for table in FEED_TABLES:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS tr_feed_version_{table}_{event}")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("feed_tokens") as batch:
        batch.add_column(sa.Column("secret", sa.LargeBinary(length=32), nullable=True))
    tokens = sa.table(
        "feed_tokens",
        sa.column("id", sa.Integer()),
        sa.column("secret", sa.LargeBinary()),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    for row_id in bind.execute(sa.select(tokens.c.id)).scalars().all():
        bind.execute(
            tokens.update().where(tokens.c.id == row_id).values(secret=secrets.token_bytes(32))
        )
    bind.execute(
        tokens.update().where(tokens.c.revoked_at.is_(None)).values(revoked_at=datetime.now(UTC))
    )
    with op.batch_alter_table("feed_tokens") as batch:
        batch.alter_column("secret", existing_type=sa.LargeBinary(length=32), nullable=False)

    op.create_table(
        "feed_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_version")),
    )
    op.execute("INSERT INTO feed_version (id, version) VALUES (1, 0)")
    _create_triggers(bind.dialect.name)


def downgrade() -> None:
    _drop_triggers(op.get_bind().dialect.name)
    op.drop_table("feed_version")
    with op.batch_alter_table("feed_tokens") as batch:
        batch.drop_column("secret")
