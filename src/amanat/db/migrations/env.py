"""Alembic environment. Amanat runs migrations programmatically (amanat.db.migrate)."""

from __future__ import annotations

from alembic import context

from amanat.composition import load_models
from amanat.db.base import Base

load_models()
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
