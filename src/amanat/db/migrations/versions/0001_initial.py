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
        sa.Column("authenticated_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ip_ct", sa.LargeBinary(), nullable=True),
        sa.Column("browser_ct", sa.LargeBinary(), nullable=True),
        sa.Column("os_ct", sa.LargeBinary(), nullable=True),
        sa.Column("device_ct", sa.LargeBinary(), nullable=True),
        sa.Column("device_key", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_auth_sessions_device_key"), "auth_sessions", ["device_key"], unique=False
    )
    op.create_index(
        op.f("ix_auth_sessions_principal_id"), "auth_sessions", ["principal_id"], unique=False
    )
    op.create_table(
        "billing_cards",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("card_ct", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_cards")),
    )
    op.create_index(
        op.f("ix_billing_cards_customer_id"), "billing_cards", ["customer_id"], unique=False
    )
    op.create_table(
        "billing_certificates",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("fiscal_year", sa.String(length=7), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("verification_code", sa.String(length=20), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("billed_paisa", sa.BigInteger(), nullable=False),
        sa.Column("advance_tax_paisa", sa.BigInteger(), nullable=False),
        sa.Column("duplicate_of", sa.String(length=32), nullable=True),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("document_ct", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_certificates")),
        sa.UniqueConstraint("number", name=op.f("uq_billing_certificates_number")),
        sa.UniqueConstraint(
            "verification_code", name=op.f("uq_billing_certificates_verification_code")
        ),
    )
    op.create_index(
        op.f("ix_billing_certificates_customer_id"),
        "billing_certificates",
        ["customer_id"],
        unique=False,
    )
    op.create_table(
        "billing_counters",
        sa.Column("series", sa.String(length=8), nullable=False),
        sa.Column("fiscal_year", sa.String(length=7), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "fiscal_year", name=op.f("pk_billing_counters")),
    )
    op.create_table(
        "billing_invoices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("fiscal_year", sa.String(length=7), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("run_key", sa.String(length=48), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("net_paisa", sa.BigInteger(), nullable=False),
        sa.Column("sales_tax_paisa", sa.BigInteger(), nullable=False),
        sa.Column("advance_tax_paisa", sa.BigInteger(), nullable=False),
        sa.Column("total_paisa", sa.BigInteger(), nullable=False),
        sa.Column("paid_paisa", sa.BigInteger(), nullable=False),
        sa.Column("credited_paisa", sa.BigInteger(), nullable=False),
        sa.Column("payment_reference", sa.String(length=20), nullable=False),
        sa.Column("credits_invoice_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("snapshot_ct", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_billing_invoices_number")),
        sa.UniqueConstraint(
            "payment_reference", name=op.f("uq_billing_invoices_payment_reference")
        ),
        sa.UniqueConstraint("run_key", name=op.f("uq_billing_invoices_run_key")),
    )
    op.create_index(
        op.f("ix_billing_invoices_customer_id"), "billing_invoices", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_billing_invoices_fiscal_year"), "billing_invoices", ["fiscal_year"], unique=False
    )
    op.create_index(
        op.f("ix_billing_invoices_issue_date"), "billing_invoices", ["issue_date"], unique=False
    )
    op.create_index(
        op.f("ix_billing_invoices_status"), "billing_invoices", ["status"], unique=False
    )
    op.create_table(
        "billing_plans",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("monthly_paisa", sa.BigInteger(), nullable=False),
        sa.Column("one_time_paisa", sa.BigInteger(), nullable=False),
        sa.Column("metered", sa.Boolean(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("unit_paisa", sa.BigInteger(), nullable=False),
        sa.Column("included_units", sa.BigInteger(), nullable=False),
        sa.Column("max_quantity", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_billing_plans_code")),
    )
    op.create_table(
        "billing_provisioning_actions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("service_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("provisioner", sa.String(length=40), nullable=False),
        sa.Column("plan_code", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_provisioning_actions")),
    )
    op.create_index(
        op.f("ix_billing_provisioning_actions_service_id"),
        "billing_provisioning_actions",
        ["service_id"],
        unique=False,
    )
    op.create_table(
        "billing_statement_lines",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount_paisa", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payment_id", sa.String(length=32), nullable=True),
        sa.Column("imported_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_statement_lines")),
        sa.UniqueConstraint(
            "source", "transaction_id", name=op.f("uq_billing_statement_lines_source")
        ),
    )
    op.create_index(
        op.f("ix_billing_statement_lines_status"),
        "billing_statement_lines",
        ["status"],
        unique=False,
    )
    op.create_table(
        "billing_tax_profiles",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("updated_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("profile_ct", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_billing_tax_profiles")),
    )
    op.create_table(
        "billing_usage",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("service_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_usage")),
    )
    op.create_index(
        op.f("ix_billing_usage_customer_id"), "billing_usage", ["customer_id"], unique=False
    )
    op.create_index(op.f("ix_billing_usage_period"), "billing_usage", ["period"], unique=False)
    op.create_index(
        op.f("ix_billing_usage_service_id"), "billing_usage", ["service_id"], unique=False
    )
    op.create_table(
        "billing_verify_windows",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_billing_verify_windows")),
    )
    op.create_table(
        "billing_webhook_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("received_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_billing_webhook_events")),
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
        sa.Column("customer_id", sa.String(length=64), nullable=False),
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
        "support_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_support_counters")),
    )
    op.create_table(
        "support_tickets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("collection_point", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("assignee_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "first_response_due_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("resolution_due_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("subject_ct", sa.LargeBinary(), nullable=False),
        sa.Column("sender_ct", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_support_tickets_number")),
    )
    op.create_index(
        op.f("ix_support_tickets_assignee_id"), "support_tickets", ["assignee_id"], unique=False
    )
    op.create_index(
        op.f("ix_support_tickets_category"), "support_tickets", ["category"], unique=False
    )
    op.create_index(
        op.f("ix_support_tickets_created_at"), "support_tickets", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_support_tickets_customer_id"), "support_tickets", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_support_tickets_priority"), "support_tickets", ["priority"], unique=False
    )
    op.create_index(op.f("ix_support_tickets_status"), "support_tickets", ["status"], unique=False)
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
    op.create_table(
        "billing_invoice_lines",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=32), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("net_paisa", sa.BigInteger(), nullable=False),
        sa.Column("sales_tax_row", sa.String(length=48), nullable=False),
        sa.Column("sales_tax_rate", sa.String(length=12), nullable=False),
        sa.Column("sales_tax_paisa", sa.BigInteger(), nullable=False),
        sa.Column("advance_tax_row", sa.String(length=48), nullable=True),
        sa.Column("advance_tax_rate", sa.String(length=12), nullable=False),
        sa.Column("advance_tax_base", sa.String(length=8), nullable=False),
        sa.Column("advance_tax_base_paisa", sa.BigInteger(), nullable=False),
        sa.Column("advance_tax_paisa", sa.BigInteger(), nullable=False),
        sa.Column("total_paisa", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["billing_invoices.id"],
            name=op.f("fk_billing_invoice_lines_invoice_id_billing_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_invoice_lines")),
    )
    op.create_index(
        op.f("ix_billing_invoice_lines_invoice_id"),
        "billing_invoice_lines",
        ["invoice_id"],
        unique=False,
    )
    op.create_table(
        "billing_orders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("service_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["billing_plans.id"], name=op.f("fk_billing_orders_plan_id_billing_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_billing_orders_number")),
    )
    op.create_index(
        op.f("ix_billing_orders_customer_id"), "billing_orders", ["customer_id"], unique=False
    )
    op.create_table(
        "billing_payments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount_paisa", sa.BigInteger(), nullable=False),
        sa.Column("refunded_paisa", sa.BigInteger(), nullable=False),
        sa.Column("processor_session", sa.String(length=64), nullable=True),
        sa.Column("processor_payment", sa.String(length=64), nullable=True),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("details_ct", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["billing_invoices.id"],
            name=op.f("fk_billing_payments_invoice_id_billing_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_payments")),
        sa.UniqueConstraint(
            "processor_session", name=op.f("uq_billing_payments_processor_session")
        ),
    )
    op.create_index(
        op.f("ix_billing_payments_customer_id"), "billing_payments", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_billing_payments_invoice_id"), "billing_payments", ["invoice_id"], unique=False
    )
    op.create_table(
        "billing_services",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("suspended_at", amanat.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("one_time_billed", sa.Boolean(), nullable=False),
        sa.Column("site_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["billing_plans.id"],
            name=op.f("fk_billing_services_plan_id_billing_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_services")),
    )
    op.create_index(
        op.f("ix_billing_services_customer_id"), "billing_services", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_billing_services_status"), "billing_services", ["status"], unique=False
    )
    op.create_table(
        "support_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("collection_point", sa.String(length=32), nullable=False),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("cards_redacted", sa.Integer(), nullable=False),
        sa.Column("codes_redacted", sa.Integer(), nullable=False),
        sa.Column("body_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_messages_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_messages")),
    )
    op.create_index(
        op.f("ix_support_messages_created_at"), "support_messages", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_support_messages_customer_id"), "support_messages", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_support_messages_ticket_id"), "support_messages", ["ticket_id"], unique=False
    )
    op.create_table(
        "billing_refunds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("payment_id", sa.String(length=32), nullable=False),
        sa.Column("amount_paisa", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("processor_refund", sa.String(length=64), nullable=True),
        sa.Column("created_at", amanat.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["billing_payments.id"],
            name=op.f("fk_billing_refunds_payment_id_billing_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_refunds")),
    )
    op.create_index(
        op.f("ix_billing_refunds_customer_id"), "billing_refunds", ["customer_id"], unique=False
    )
    op.create_table(
        "support_attachments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename_ct", sa.LargeBinary(), nullable=False),
        sa.Column("content_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["support_messages.id"],
            name=op.f("fk_support_attachments_message_id_support_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_attachments")),
    )
    op.create_index(
        op.f("ix_support_attachments_customer_id"),
        "support_attachments",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_support_attachments_message_id"),
        "support_attachments",
        ["message_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_support_attachments_message_id"), table_name="support_attachments")
    op.drop_index(op.f("ix_support_attachments_customer_id"), table_name="support_attachments")
    op.drop_table("support_attachments")
    op.drop_index(op.f("ix_billing_refunds_customer_id"), table_name="billing_refunds")
    op.drop_table("billing_refunds")
    op.drop_index(op.f("ix_support_messages_ticket_id"), table_name="support_messages")
    op.drop_index(op.f("ix_support_messages_customer_id"), table_name="support_messages")
    op.drop_index(op.f("ix_support_messages_created_at"), table_name="support_messages")
    op.drop_table("support_messages")
    op.drop_index(op.f("ix_billing_services_status"), table_name="billing_services")
    op.drop_index(op.f("ix_billing_services_customer_id"), table_name="billing_services")
    op.drop_table("billing_services")
    op.drop_index(op.f("ix_billing_payments_invoice_id"), table_name="billing_payments")
    op.drop_index(op.f("ix_billing_payments_customer_id"), table_name="billing_payments")
    op.drop_table("billing_payments")
    op.drop_index(op.f("ix_billing_orders_customer_id"), table_name="billing_orders")
    op.drop_table("billing_orders")
    op.drop_index(op.f("ix_billing_invoice_lines_invoice_id"), table_name="billing_invoice_lines")
    op.drop_table("billing_invoice_lines")
    op.drop_table("throttle_counters")
    op.drop_index(op.f("ix_support_tickets_status"), table_name="support_tickets")
    op.drop_index(op.f("ix_support_tickets_priority"), table_name="support_tickets")
    op.drop_index(op.f("ix_support_tickets_customer_id"), table_name="support_tickets")
    op.drop_index(op.f("ix_support_tickets_created_at"), table_name="support_tickets")
    op.drop_index(op.f("ix_support_tickets_category"), table_name="support_tickets")
    op.drop_index(op.f("ix_support_tickets_assignee_id"), table_name="support_tickets")
    op.drop_table("support_tickets")
    op.drop_table("support_counters")
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
    op.drop_table("billing_webhook_events")
    op.drop_table("billing_verify_windows")
    op.drop_index(op.f("ix_billing_usage_service_id"), table_name="billing_usage")
    op.drop_index(op.f("ix_billing_usage_period"), table_name="billing_usage")
    op.drop_index(op.f("ix_billing_usage_customer_id"), table_name="billing_usage")
    op.drop_table("billing_usage")
    op.drop_table("billing_tax_profiles")
    op.drop_index(op.f("ix_billing_statement_lines_status"), table_name="billing_statement_lines")
    op.drop_table("billing_statement_lines")
    op.drop_index(
        op.f("ix_billing_provisioning_actions_service_id"),
        table_name="billing_provisioning_actions",
    )
    op.drop_table("billing_provisioning_actions")
    op.drop_table("billing_plans")
    op.drop_index(op.f("ix_billing_invoices_status"), table_name="billing_invoices")
    op.drop_index(op.f("ix_billing_invoices_issue_date"), table_name="billing_invoices")
    op.drop_index(op.f("ix_billing_invoices_fiscal_year"), table_name="billing_invoices")
    op.drop_index(op.f("ix_billing_invoices_customer_id"), table_name="billing_invoices")
    op.drop_table("billing_invoices")
    op.drop_table("billing_counters")
    op.drop_index(op.f("ix_billing_certificates_customer_id"), table_name="billing_certificates")
    op.drop_table("billing_certificates")
    op.drop_index(op.f("ix_billing_cards_customer_id"), table_name="billing_cards")
    op.drop_table("billing_cards")
    op.drop_index(op.f("ix_auth_sessions_principal_id"), table_name="auth_sessions")
    op.drop_index(op.f("ix_auth_sessions_device_key"), table_name="auth_sessions")
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
