"""Every table holding ciphertext names its key owner, so rotation and erasure find it."""

from __future__ import annotations

from amanat.composition import load_models
from amanat.db.base import Base
from amanat.policy.loader import load_policy
from amanat.vault.discovery import encrypted_tables


def test_every_encrypted_column_is_found_with_a_key_owner_and_a_primary_key() -> None:
    load_models()
    policy = load_policy(None).policy
    encrypted = {c.id for c in policy.categories if c.encrypted}
    expected = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_ct") and (column.info or {}).get("category") in encrypted
    }
    found = encrypted_tables(policy)  # raises naming the table when an owner is missing
    assert {(t.table.name, c.name) for t in found for c in t.encrypted} == expected
    assert ("customers", "email_ct") in expected
    for item in found:
        assert item.owner.table is item.table and item.primary_key.table is item.table
