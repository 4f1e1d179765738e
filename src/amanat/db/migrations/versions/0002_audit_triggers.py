"""The audit tables are append-only: triggers refuse UPDATE and DELETE.

Revision ID: 0002
Revises: 0001

audit_events and audit_checkpoints refuse both; audit_notes (encrypted free text outside
the hash chain) refuses UPDATE but allows DELETE, so that its retention can end it.
TRUNCATE is not a row operation and is not refused (tests reset tables with it; an
attacker able to truncate is caught by `amanat audit verify` against signed checkpoints).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (table, operations refused)
APPEND_ONLY = (
    ("audit_events", ("UPDATE", "DELETE")),
    ("audit_checkpoints", ("UPDATE", "DELETE")),
    ("audit_notes", ("UPDATE",)),
)
MESSAGE = "the audit log is append-only"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION amanat_audit_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        for table, operations in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE {' OR '.join(operations)} "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION amanat_audit_append_only()"
            )
        return
    for table, operations in APPEND_ONLY:
        for operation in operations:
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} on {table} refused'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, operations in APPEND_ONLY:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            for operation in operations:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation.lower()}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS amanat_audit_append_only()")
