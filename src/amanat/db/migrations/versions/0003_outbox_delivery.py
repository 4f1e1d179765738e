"""The outbox becomes a delivery queue: retry time, claim lease, last error, status index.

Revision ID: 0003
Revises: 0002

Messages written before this revision keep their status (`queued`); a `failed` one (a
status nothing wrote) would be `dead`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import amanat.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(
            sa.Column("next_attempt_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("claim", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("claimed_until", amanat.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("last_error", sa.String(length=64), nullable=True))
        batch.create_index(batch.f("ix_outbox_messages_status"), ["status"], unique=False)
    op.execute("UPDATE outbox_messages SET status = 'dead' WHERE status = 'failed'")


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_index(batch.f("ix_outbox_messages_status"))
        batch.drop_column("last_error")
        batch.drop_column("claimed_until")
        batch.drop_column("claim")
        batch.drop_column("next_attempt_at")
