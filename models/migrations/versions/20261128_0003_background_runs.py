"""background runs: parameters, job, heartbeat and cancellation of an optimizer run

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00

A run is queued with its parameters and executed by a background worker (a thread of the web
process, or an RQ worker elsewhere). The worker beats a heartbeat while it runs; a run whose
heartbeat stops is marked failed. A cancellation request is a timestamp the worker watches.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assignment_runs") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("executor", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("job_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index(op.f("ix_assignment_runs_status"), "assignment_runs", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_assignment_runs_status"), table_name="assignment_runs")
    with op.batch_alter_table("assignment_runs") as batch:
        batch.drop_column("cancel_requested_at")
        batch.drop_column("heartbeat_at")
        batch.drop_column("job_id")
        batch.drop_column("executor")
        batch.drop_column("params")
