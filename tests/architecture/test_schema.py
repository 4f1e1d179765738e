"""Every column says what it holds, in the policy's words, and the migrations match.

Generic: these walk whatever models are registered in amanat.composition, so tables that
later domains add are held to the same rules without editing this file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, LargeBinary, Table

from amanat.composition import load_models
from amanat.db import migrate
from amanat.db.base import Base
from amanat.policy.loader import load_policy
from amanat.runtime import Runtime

MODEL_MODULES = {module.__name__ for module in load_models()}
POLICY = load_policy().policy
TABLES: list[Table] = list(Base.metadata.sorted_tables)
COLUMNS: list[tuple[Table, Column[object]]] = [(t, c) for t in TABLES for c in t.columns]


def label(column: Column[object]) -> str:
    return f"{column.table.name}.{column.name}"


def test_every_model_module_is_registered() -> None:
    """A models.py missing from amanat.composition would escape every check here and the
    migration; find them all on disk."""
    import amanat

    root = Path(amanat.__file__).parent
    on_disk = {
        "amanat." + ".".join(p.relative_to(root).with_suffix("").parts)
        for p in root.rglob("models.py")
    }
    assert on_disk <= set(MODEL_MODULES), sorted(on_disk - set(MODEL_MODULES))


@pytest.mark.parametrize("column", [c for _, c in COLUMNS], ids=label)
def test_every_column_names_its_data_category(column: Column[object]) -> None:
    assert "category" in column.info, (
        f"{label(column)} has no data category: give it info=personal('<category id>') "
        "or info=NOT_PERSONAL (amanat.db.base)"
    )
    category = column.info["category"]
    if category is not None:
        assert category in POLICY.category_ids, (
            f"{label(column)} names category '{category}', which the policy does not declare"
        )


ENCRYPTED = [c for _, c in COLUMNS if c.name.endswith("_ct")]


@pytest.mark.parametrize("column", ENCRYPTED, ids=label)
def test_ciphertext_columns_are_binary_and_their_category_is_encrypted(
    column: Column[object],
) -> None:
    assert isinstance(column.type, LargeBinary), f"{label(column)} must be LargeBinary"
    category = column.info.get("category")
    assert category is not None, f"{label(column)} holds ciphertext of personal data"
    assert POLICY.category(category).encrypted, (
        f"{label(column)} is encrypted but the policy says '{category}' is not"
    )


@pytest.mark.parametrize("column", [c for _, c in COLUMNS if c.name.endswith("_bidx")], ids=label)
def test_blind_indexes_are_binary_indexed_and_their_category_is_searchable(
    column: Column[object],
) -> None:
    assert isinstance(column.type, LargeBinary), f"{label(column)} must be LargeBinary"
    indexed = (
        column.index
        or column.unique
        or any(column in index.columns.values() for index in column.table.indexes)
        or any(
            column in constraint.columns.values()
            for constraint in column.table.constraints
            if type(constraint).__name__ == "UniqueConstraint"
        )
    )
    assert indexed, f"{label(column)} is a blind index without an index"
    category = column.info.get("category")
    assert category is not None
    assert POLICY.category(category).searchable, (
        f"{label(column)} indexes '{category}', which the policy does not mark searchable"
    )


def key_owner_column(table: Table) -> str:
    """The column naming whose data key encrypts the table's fields: ``customer_id`` by
    convention, the customers table's own ``id``, or a model's ``__key_owner__``."""
    for mapper in Base.registry.mappers:
        if mapper.local_table is table and hasattr(mapper.class_, "__key_owner__"):
            return str(mapper.class_.__key_owner__)
    return "id" if table.name == "customers" else "customer_id"


@pytest.mark.parametrize(
    "table", [t for t in TABLES if any(c.name.endswith("_ct") for c in t.columns)], ids=str
)
def test_tables_with_ciphertext_name_whose_key_encrypts_it(table: Table) -> None:
    owner = key_owner_column(table)
    assert owner in table.columns, (
        f"{table.name} holds encrypted columns but no {owner} column naming whose data key "
        "encrypts them (add customer_id, or set __key_owner__ on the model)"
    )
    assert table.columns[owner].info.get("category") is None, "a key owner is an id"


def test_migrations_are_in_sync_with_the_models(runtime: Runtime) -> None:
    assert migrate.current_revision(runtime.engine) == migrate.head_revision()
    assert migrate.pending_model_changes(runtime.engine) == []
