"""The guard's lean read of one row: the grant appended and the row selected in one
transaction on a pooled connection with driver-level statements, then decrypted.

This is the hot path of a guarded read (docs/performance.md): SQL text is built once per
(table, columns) and kept by the guard; the canonical texts of a grant are cached.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session, sessionmaker

from amanat.audit import canonical
from amanat.audit.append import append_event, config_of
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.clock import Clock
from amanat.db.uow import DriverUnitOfWork

if TYPE_CHECKING:
    from amanat.access.guard import Access


def read_row_lean(
    engine: Engine,
    session_factory: sessionmaker[Session],
    clock: Clock,
    sql_cache: dict[tuple[str, tuple[str, ...]], str],
    actor: Actor,
    customer_id: str,
    purpose: str,
    table: Table,
    row_id: str,
    columns: Mapping[str, str],
    reference: str | None,
) -> tuple[Any, ...] | None:
    """Append the grant and select the row in one transaction on a pooled connection."""
    dialect = engine.dialect
    sql = sql_cache.get((table.name, tuple(columns)))
    if sql is None:
        sql = sql_cache[(table.name, tuple(columns))] = row_sql(table, columns, dialect)
    categories_text, details_text = read_texts(frozenset(columns.values()))
    with DriverUnitOfWork(engine) as uow:
        append_event(
            uow.dbapi, dialect, config_of(session_factory), clock,
            Event.ACCESS_GRANTED, actor, customer_id=customer_id, purpose=purpose,
            categories_text=categories_text, reference=reference, outcome="allowed",
            details_text=details_text,
        )  # fmt: skip
        row: tuple[Any, ...] | None = uow.dbapi.execute(sql, (row_id, customer_id)).fetchone()
        if row is not None:
            uow.commit()  # else the block rolls back: nothing was read, nothing stands
    return row


def decrypt_row(
    access: Access,
    table: Table,
    row_id: str,
    columns: Mapping[str, str],
    row: tuple[Any, ...],
) -> tuple[Access, dict[str, str | None]]:
    return access, {
        column: access.read(table.name, column, row_id, category, row[i])
        for i, (column, category) in enumerate(columns.items())
    }


def owner_column(table: Table) -> str:
    # Convention (docs/architecture.md): a table holding ciphertext names the customer
    # whose key encrypts it in ``customer_id``; the customers table uses its own id.
    return "id" if table.name == "customers" else "customer_id"


def row_select(table: Table, columns: Mapping[str, str], row_id: str, customer_id: str) -> Any:
    (key,) = table.primary_key.columns
    return select(*(table.c[name] for name in columns)).where(
        key == row_id, table.c[owner_column(table)] == customer_id
    )


def row_sql(table: Table, columns: Mapping[str, str], dialect: Any) -> str:
    """The driver-level text of ``row_select`` (ids bound positionally: row id, owner)."""
    (key,) = table.primary_key.columns
    quote = dialect.identifier_preparer.quote
    mark = "%s" if dialect.paramstyle in ("format", "pyformat") else "?"
    names = ", ".join(quote(table.c[name].name) for name in columns)
    return (
        f"SELECT {names} FROM {quote(table.name)} "  # noqa: S608 -- names from the model
        f"WHERE {quote(key.name)} = {mark} AND {quote(owner_column(table))} = {mark}"
    )


@functools.lru_cache(maxsize=512)
def read_texts(reads: frozenset[str]) -> tuple[str, str]:
    """The canonical categories and details of a grant to read ``reads`` (as ``open``'s)."""
    ordered = sorted(reads)
    return (
        canonical.categories_json(ordered),
        canonical.details_json({"reads": ordered, "writes": []}),
    )
