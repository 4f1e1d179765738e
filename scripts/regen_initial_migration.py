"""Regenerate migration 0001 from the models (development only, before the first release).

Until Amanat's first release its schema is one initial migration, rewritten from the
models whenever they change, so that parallel work on several domains does not fork the
revision chain. Hand-written migrations (triggers and the like) follow it as 0002 onwards.
After the first release this script is retired and every change is a new revision.

    .venv/bin/python scripts/regen_initial_migration.py
"""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from amanat.composition import load_models
from amanat.db.base import Base

TARGET = Path(__file__).resolve().parents[1] / "src/amanat/db/migrations/versions/0001_initial.py"

HEADER = '''"""Initial schema, generated from the models by scripts/regen_initial_migration.py.

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


'''


def main() -> None:
    load_models()
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": False})
        script = produce_migrations(context, Base.metadata)
    opts = {
        "render_as_batch": False,
        "alembic_module_prefix": "op.",
        "sqlalchemy_module_prefix": "sa.",
    }
    upgrade = render_python_code(script.upgrade_ops, **opts)  # type: ignore[arg-type]
    downgrade = render_python_code(script.downgrade_ops, **opts)  # type: ignore[arg-type]
    body = (
        HEADER
        + "def upgrade() -> None:\n"
        + _indent(upgrade)
        + "\n\ndef downgrade() -> None:\n"
        + _indent(downgrade)
    )
    TARGET.write_text(body)
    print(f"wrote {TARGET}")


def _indent(code: str) -> str:
    lines = [line for line in code.splitlines() if not line.strip().startswith("# ###")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
