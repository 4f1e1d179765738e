"""Where encrypted fields live, discovered from the models rather than listed by hand.

A column holds ciphertext when it is named ``<field>_ct`` and its ``info["category"]`` is
a category the policy marks ``encrypted``. Its key owner is the table's ``customer_id`` column, the ``id`` of the
``customers`` table, or whatever column the mapped class names in ``__key_owner__``.
Rotation and the erasure replay use this, so a domain that adds an encrypted column is
covered without touching the vault.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Table

from amanat.db.base import Base
from amanat.policy.model import Policy


@dataclass(frozen=True)
class EncryptedTable:
    table: Table
    owner: Column[str]
    primary_key: Column[str]
    encrypted: tuple[Column[bytes], ...]
    blind_indexes: tuple[Column[bytes], ...]


def _owner_overrides() -> dict[str, str]:
    overrides: dict[str, str] = {}
    for mapper in Base.registry.mappers:
        owner = getattr(mapper.class_, "__key_owner__", None)
        if isinstance(owner, str) and mapper.local_table is not None:
            overrides[str(getattr(mapper.local_table, "name", ""))] = owner
    return overrides


def encrypted_tables(policy: Policy) -> list[EncryptedTable]:
    """Every table holding ciphertext, with its key owner and primary key columns.

    Walks the models imported so far: all of them once amanat.composition is imported
    (the runtime is built there).

    Raises ValueError (a programming error, caught by the architecture tests) when a table
    with encrypted columns has no key owner column or no single-column primary key.
    """
    encrypted_categories = {c.id for c in policy.categories if c.encrypted}
    overrides = _owner_overrides()
    found: list[EncryptedTable] = []
    for table in Base.metadata.sorted_tables:
        columns = tuple(
            c
            for c in table.columns
            if c.name.endswith("_ct") and (c.info or {}).get("category") in encrypted_categories
        )
        if not columns:
            continue
        owner_name = overrides.get(table.name) or (
            "id" if table.name == "customers" else "customer_id"
        )
        if owner_name not in table.columns:
            raise ValueError(
                f"Table {table.name} holds encrypted columns but has no key owner column "
                f"{owner_name!r}; add customer_id or set __key_owner__ on its model."
            )
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            raise ValueError(f"Table {table.name} needs a single-column primary key.")
        found.append(
            EncryptedTable(
                table=table,
                owner=table.columns[owner_name],
                primary_key=keys[0],
                encrypted=columns,
                blind_indexes=tuple(c for c in table.columns if c.name.endswith("_bidx")),
            )
        )
    return found
