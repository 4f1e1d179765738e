"""The disclosure register (issue 14): requests, their scope, decisions and a counter.

Revision ID: 0006_disclosure
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import amanat.db.base

revision = "0006_disclosure"
down_revision = "0003"
branch_labels = None
depends_on = None


def _at(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, amanat.db.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "disclosure_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_disclosure_counters")),
    )
    op.create_table(
        "disclosure_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("authority", sa.String(length=32), nullable=False),
        sa.Column("statutory_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("nondisclosure_until", sa.Date(), nullable=True),
        sa.Column("registered_by", sa.String(length=32), nullable=False),
        _at("registered_at", nullable=False),
        _at("decided_at", nullable=True),
        sa.Column("disclosed_by", sa.String(length=32), nullable=True),
        _at("disclosed_at", nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("cards_redacted", sa.Integer(), nullable=False),
        sa.Column("instrument_ct", sa.LargeBinary(), nullable=False),
        sa.Column("legal_reference_ct", sa.LargeBinary(), nullable=False),
        sa.Column("subjects_ct", sa.LargeBinary(), nullable=False),
        sa.Column("notes_ct", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_disclosure_requests_number")),
    )
    with op.batch_alter_table("disclosure_requests") as batch:
        for column in ("authority", "received_on", "status", "statutory_key"):
            batch.create_index(batch.f(f"ix_disclosure_requests_{column}"), [column], unique=False)
    op.create_table(
        "disclosure_decisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("staff_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        _at("decided_at", nullable=False),
        sa.Column("reason_ct", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_decisions_request_id_disclosure_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_decisions")),
        sa.UniqueConstraint(
            "request_id", "staff_id", name=op.f("uq_disclosure_decisions_request_id")
        ),
    )
    with op.batch_alter_table("disclosure_decisions") as batch:
        batch.create_index(
            batch.f("ix_disclosure_decisions_request_id"), ["request_id"], unique=False
        )
    op.create_table(
        "disclosure_scope",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        _at("notified_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_scope_request_id_disclosure_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_scope")),
        sa.UniqueConstraint(
            "request_id", "customer_id", name=op.f("uq_disclosure_scope_request_id")
        ),
    )
    with op.batch_alter_table("disclosure_scope") as batch:
        for column in ("customer_id", "request_id"):
            batch.create_index(batch.f(f"ix_disclosure_scope_{column}"), [column], unique=False)


def downgrade() -> None:
    op.drop_table("disclosure_scope")
    op.drop_table("disclosure_decisions")
    op.drop_table("disclosure_requests")
    op.drop_table("disclosure_counters")
