"""bookings: the database refuses double booking

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 08:00:00

A published session holds its people and its physical room through rows in ``bookings``. Two
overlapping holds on one person or one room are refused by the database itself: an exclusion
constraint on PostgreSQL (btree_gist), BEFORE INSERT/UPDATE triggers on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLDERS = ("person_id", "room_id")


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(person_id IS NOT NULL) <> (room_id IS NOT NULL)",
            name=op.f("ck_bookings_one_holder"),
        ),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_bookings_ordered")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_bookings_person_id_people")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_bookings_room_id_rooms")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_bookings_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    for column in ("person_id", "room_id", "session_id"):
        op.create_index(op.f(f"ix_bookings_{column}"), "bookings", [column], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for holder in HOLDERS:
            op.execute(
                f"ALTER TABLE bookings ADD CONSTRAINT ex_bookings_{holder} EXCLUDE USING gist "
                f"({holder} WITH =, tstzrange(starts_at, ends_at) WITH &&) "
                f"WHERE ({holder} IS NOT NULL)"
            )
    else:
        for holder in HOLDERS:
            for event in ("INSERT", "UPDATE"):
                op.execute(
                    f"""
                    CREATE TRIGGER tr_bookings_{holder}_{event.lower()}
                    BEFORE {event} ON bookings
                    WHEN NEW.{holder} IS NOT NULL AND EXISTS (
                        SELECT 1 FROM bookings AS b
                        WHERE b.{holder} = NEW.{holder} AND b.id IS NOT NEW.id
                        AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at
                    )
                    BEGIN
                        SELECT RAISE(ABORT, 'double booking: {holder} already held then');
                    END
                    """
                )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for holder in HOLDERS:
            for event in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS tr_bookings_{holder}_{event}")
    for column in ("session_id", "room_id", "person_id"):
        op.drop_index(op.f(f"ix_bookings_{column}"), table_name="bookings")
    op.drop_table("bookings")
