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
        "audit_checkpoints",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    op.create_table(
        "audit_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_actor_id"), "audit_events", ["actor_id"], unique=False)
    op.create_index(op.f("ix_audit_events_code"), "audit_events", ["code"], unique=False)
    op.create_index(
        op.f("ix_audit_events_customer_id"), "audit_events", ["customer_id"], unique=False
    )
    op.create_table(
        "audit_notes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("note_ct", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_notes")),
    )
    op.create_index(
        op.f("ix_audit_notes_customer_id"), "audit_notes", ["customer_id"], unique=False
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
    op.create_table(
        "staff_training",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("staff_id", sa.String(length=32), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_training")),
    )
    op.create_index(
        op.f("ix_staff_training_staff_id"), "staff_training", ["staff_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_training_staff_id"), table_name="staff_training")
    op.drop_table("staff_training")
    op.drop_table("installation")
    op.drop_table("erasure_ledger")
    op.drop_index(op.f("ix_audit_notes_customer_id"), table_name="audit_notes")
    op.drop_table("audit_notes")
    op.drop_index(op.f("ix_audit_events_customer_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_code"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_actor_id"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("audit_checkpoints")
