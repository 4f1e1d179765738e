"""Initial schema, generated from the models by scripts/regen_initial_migration.py.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import amanat.db.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_code"), "audit_events", ["code"], unique=False)
    op.create_index(
        op.f("ix_audit_events_customer_id"), "audit_events", ["customer_id"], unique=False
    )
    op.create_table(
        "erasure_ledger",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("erased_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_erasure_ledger")),
    )
    op.create_table(
        "installation",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("amanat_version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )


def downgrade() -> None:
    op.drop_table("installation")
    op.drop_table("erasure_ledger")
    op.drop_index(op.f("ix_audit_events_customer_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_code"), table_name="audit_events")
    op.drop_table("audit_events")
