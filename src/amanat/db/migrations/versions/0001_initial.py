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
        "action_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("principal_kind", sa.String(length=16), nullable=False),
        sa.Column("principal_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("payload_ct", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_action_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_action_tokens_principal_id"), "action_tokens", ["principal_id"], unique=False
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("principal_kind", sa.String(length=16), nullable=False),
        sa.Column("principal_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("label_ct", sa.LargeBinary(), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_api_tokens_principal_id"), "api_tokens", ["principal_id"], unique=False
    )
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
        "auth_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("principal_kind", sa.String(length=16), nullable=False),
        sa.Column("principal_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("mfa_done", sa.Boolean(), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("ip_ct", sa.LargeBinary(), nullable=True),
        sa.Column("browser_ct", sa.LargeBinary(), nullable=True),
        sa.Column("os_ct", sa.LargeBinary(), nullable=True),
        sa.Column("device_ct", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_auth_sessions_principal_id"), "auth_sessions", ["principal_id"], unique=False
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("principal_kind", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_changed_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("password_reminded_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("totp_secret_ct", sa.LargeBinary(), nullable=True),
        sa.Column("totp_pending_ct", sa.LargeBinary(), nullable=True),
        sa.Column("mfa_enabled_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("email_verified_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("erased_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("name_ct", sa.LargeBinary(), nullable=True),
        sa.Column("email_ct", sa.LargeBinary(), nullable=True),
        sa.Column("email_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("phone_ct", sa.LargeBinary(), nullable=True),
        sa.Column("phone_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("cnic_ct", sa.LargeBinary(), nullable=True),
        sa.Column("cnic_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("address_ct", sa.LargeBinary(), nullable=True),
        sa.Column("company_ct", sa.LargeBinary(), nullable=True),
        sa.Column("ntn_ct", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("cnic_bidx", name=op.f("uq_customers_cnic_bidx")),
        sa.UniqueConstraint("email_bidx", name=op.f("uq_customers_email_bidx")),
        sa.UniqueConstraint("phone_bidx", name=op.f("uq_customers_phone_bidx")),
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
        "outbox_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("recipient_ct", sa.LargeBinary(), nullable=False),
        sa.Column("subject_ct", sa.LargeBinary(), nullable=False),
        sa.Column("body_ct", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(
        op.f("ix_outbox_messages_created_at"), "outbox_messages", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_outbox_messages_customer_id"), "outbox_messages", ["customer_id"], unique=False
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("principal_id", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    op.create_index(
        op.f("ix_recovery_codes_principal_id"), "recovery_codes", ["principal_id"], unique=False
    )
    op.create_table(
        "security_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("principal_kind", sa.String(length=16), nullable=True),
        sa.Column("principal_id", sa.String(length=32), nullable=True),
        sa.Column("subject_key", sa.String(length=128), nullable=True),
        sa.Column("network_key", sa.String(length=128), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    op.create_index(op.f("ix_security_events_at"), "security_events", ["at"], unique=False)
    op.create_index(op.f("ix_security_events_kind"), "security_events", ["kind"], unique=False)
    op.create_index(
        op.f("ix_security_events_network_key"), "security_events", ["network_key"], unique=False
    )
    op.create_index(
        op.f("ix_security_events_principal_id"), "security_events", ["principal_id"], unique=False
    )
    op.create_table(
        "staff_members",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("enrolled_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("username_ct", sa.LargeBinary(), nullable=True),
        sa.Column("username_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
        sa.UniqueConstraint("number", name=op.f("uq_staff_members_number")),
        sa.UniqueConstraint("username_bidx", name=op.f("uq_staff_members_username_bidx")),
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
    op.create_table(
        "throttle_counters",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("consecutive", sa.Integer(), nullable=False),
        sa.Column("window_failures", sa.Integer(), nullable=False),
        sa.Column("window_start", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_failure_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_counters")),
    )


def downgrade() -> None:
    op.drop_table("throttle_counters")
    op.drop_index(op.f("ix_staff_training_staff_id"), table_name="staff_training")
    op.drop_table("staff_training")
    op.drop_table("staff_members")
    op.drop_index(op.f("ix_security_events_principal_id"), table_name="security_events")
    op.drop_index(op.f("ix_security_events_network_key"), table_name="security_events")
    op.drop_index(op.f("ix_security_events_kind"), table_name="security_events")
    op.drop_index(op.f("ix_security_events_at"), table_name="security_events")
    op.drop_table("security_events")
    op.drop_index(op.f("ix_recovery_codes_principal_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_index(op.f("ix_outbox_messages_customer_id"), table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_created_at"), table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_table("installation")
    op.drop_table("erasure_ledger")
    op.drop_table("customers")
    op.drop_table("credentials")
    op.drop_index(op.f("ix_auth_sessions_principal_id"), table_name="auth_sessions")
    op.drop_table("auth_sessions")
    op.drop_index(op.f("ix_audit_notes_customer_id"), table_name="audit_notes")
    op.drop_table("audit_notes")
    op.drop_index(op.f("ix_audit_events_customer_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_code"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_actor_id"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("audit_checkpoints")
    op.drop_index(op.f("ix_api_tokens_principal_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_action_tokens_principal_id"), table_name="action_tokens")
    op.drop_table("action_tokens")
