"""Field encryption: round trips, and every kind of tampering is a specific error."""

from __future__ import annotations

from pathlib import Path

import pytest

from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.install import initialise
from amanat.runtime import Runtime
from amanat.vault.api import FieldTampered, KeyDestroyed, UnknownKey
from amanat.vault.cipher import Vault
from amanat.vault.models import ErasureLedger

ALICE, BOB = "a" * 32, "b" * 32


def _enc(
    vault: Vault,
    value: str = "Canary Testname",
    *,
    customer: str = ALICE,
    table: str = "customers",
    column: str = "name_ct",
    row: str = ALICE,
) -> bytes:
    return vault.encrypt(customer, table, column, row, value)


def test_a_field_round_trips_and_is_never_the_same_ciphertext_twice(runtime: Runtime) -> None:
    vault = runtime.vault
    first, second = _enc(vault), _enc(vault)
    assert first != second  # fresh nonce each time
    assert first[0] == 1 and len(first) == 1 + 4 + 12 + len("Canary Testname") + 16
    assert first[1:5] == second[1:5]  # same customer, same data key id
    assert vault.decrypt(ALICE, "customers", "name_ct", ALICE, first) == "Canary Testname"
    assert vault.decrypt(ALICE, "customers", "name_ct", ALICE, _enc(vault, "")) == ""
    assert vault.decrypt(ALICE, "customers", "name_ct", ALICE, _enc(vault, "ﷺ نام")) == "ﷺ نام"


def test_each_customer_has_their_own_data_key(runtime: Runtime) -> None:
    vault = runtime.vault
    assert _enc(vault)[1:5] != _enc(vault, customer=BOB, row=BOB)[1:5]


def test_a_key_made_in_one_process_opens_in_another(runtime: Runtime) -> None:
    ciphertext = _enc(runtime.vault)
    other = Vault.from_settings(runtime.settings, runtime.clock)
    try:
        assert other.decrypt(ALICE, "customers", "name_ct", ALICE, ciphertext) == "Canary Testname"
    finally:
        other.close()


@pytest.mark.parametrize(
    ("customer", "table", "column", "row"),
    [
        (ALICE, "customers", "name_ct", "c" * 32),  # moved to another row
        (ALICE, "customers", "address_ct", ALICE),  # moved to another column
        (ALICE, "tickets", "name_ct", ALICE),  # moved to another table
    ],
)
def test_a_ciphertext_moved_elsewhere_is_tampered(
    runtime: Runtime, customer: str, table: str, column: str, row: str
) -> None:
    ciphertext = _enc(runtime.vault)
    with pytest.raises(FieldTampered, match="altered, or moved"):
        runtime.vault.decrypt(customer, table, column, row, ciphertext)


def test_a_ciphertext_moved_to_another_customer_is_tampered(runtime: Runtime) -> None:
    ciphertext = _enc(runtime.vault)
    _enc(runtime.vault, customer=BOB, row=BOB)
    with pytest.raises(FieldTampered, match="another customer"):
        runtime.vault.decrypt(BOB, "customers", "name_ct", ALICE, ciphertext)
    runtime.vault.clear_cache()  # the same answer when the key comes from the key store
    with pytest.raises(FieldTampered, match="another customer"):
        runtime.vault.decrypt(BOB, "customers", "name_ct", ALICE, ciphertext)


@pytest.mark.parametrize("position", [0, 1, 4, 5, 16, 17, -1])
def test_a_flipped_bit_anywhere_is_tampered_or_unknown(runtime: Runtime, position: int) -> None:
    ciphertext = bytearray(_enc(runtime.vault))
    ciphertext[position] ^= 0x01
    expected: type[Exception] = UnknownKey if 1 <= position <= 4 else FieldTampered
    with pytest.raises(expected):
        runtime.vault.decrypt(ALICE, "customers", "name_ct", ALICE, bytes(ciphertext))


@pytest.mark.parametrize("length", [0, 1, 5, 17, 32, -1])
def test_a_truncated_value_is_tampered(runtime: Runtime, length: int) -> None:
    ciphertext = _enc(runtime.vault)
    with pytest.raises(FieldTampered):
        runtime.vault.decrypt(ALICE, "customers", "name_ct", ALICE, ciphertext[:length])


def test_an_unknown_key_id_is_named_and_restoring_the_key_store_is_the_advice(
    runtime: Runtime,
) -> None:
    ciphertext = bytearray(_enc(runtime.vault))
    ciphertext[1:5] = (0x7FFFFFFF).to_bytes(4, "big")
    with pytest.raises(UnknownKey, match="restore the key store"):
        runtime.vault.decrypt(ALICE, "customers", "name_ct", ALICE, bytes(ciphertext))


def test_a_destroyed_data_key_makes_every_field_unreadable_and_is_recorded(
    runtime: Runtime,
) -> None:
    vault = runtime.vault
    ciphertext = _enc(vault)
    other_process = Vault.from_settings(runtime.settings, runtime.clock)
    try:
        assert other_process.decrypt(ALICE, "customers", "name_ct", ALICE, ciphertext)
        with runtime.uow() as uow:
            assert vault.destroy_customer_key(ALICE, uow) == 1
            uow.commit()
        with pytest.raises(KeyDestroyed, match="erased customer"):
            vault.decrypt(ALICE, "customers", "name_ct", ALICE, ciphertext)
        with pytest.raises(KeyDestroyed):
            vault.encrypt(ALICE, "customers", "name_ct", ALICE, "again")
        # Another process still holding the key in its cache loses it within the cache age;
        # a fresh cache there (age passed) finds it gone.
        other_process.clear_cache()
        with pytest.raises(KeyDestroyed):
            other_process.decrypt(ALICE, "customers", "name_ct", ALICE, ciphertext)
    finally:
        other_process.close()
    assert vault.destroy_customer_key(ALICE) == 0  # idempotent
    assert ALICE in vault.keystore.ledger()
    with runtime.uow() as uow:
        assert uow.session.get(ErasureLedger, ALICE) is not None
    # Bob is untouched.
    assert vault.decrypt(BOB, "customers", "name_ct", BOB, _enc(vault, customer=BOB, row=BOB))


def test_blind_indexes_are_keyed_per_category_and_stable(runtime: Runtime) -> None:
    vault = runtime.vault
    email = vault.blind_index("contact.email", "canary@example.pk")
    assert len(email) == 32
    assert email == vault.blind_index("contact.email", "canary@example.pk")
    assert email != vault.blind_index("account.username", "canary@example.pk")
    other = Vault.from_settings(runtime.settings, runtime.clock)
    try:
        assert other.blind_index("contact.email", "canary@example.pk") == email
    finally:
        other.close()


def test_token_hashes_are_keyed_and_verify_in_constant_time(runtime: Runtime) -> None:
    vault = runtime.vault
    token = vault.random_token()
    assert len(token) >= 43 and token != vault.random_token()
    stored = vault.hash_token(token)
    assert token not in stored and len(stored) == 64
    assert vault.verify_token(token, stored)
    assert not vault.verify_token(token + "x", stored)


def test_a_token_hash_depends_on_the_installation_key(runtime: Runtime, tmp_path: Path) -> None:
    # Same key store, another process: the same hash, so stored tokens keep verifying.
    token = "recovery-code-1234"
    stored = runtime.vault.hash_token(token)
    same_keys = Vault.from_settings(runtime.settings, runtime.clock)
    try:
        assert same_keys.hash_token(token) == stored
    finally:
        same_keys.close()
    # Another installation, with keys of its own: another hash, so a copy of the database
    # alone cannot test guesses of short tokens (an unkeyed hash would be the same here).
    other = build_runtime(Settings(environment="test", data_dir=tmp_path / "other"))
    try:
        initialise(other)
        assert other.vault.hash_token(token) != stored
        assert not other.vault.verify_token(token, stored)
        assert other.vault.hash_token(token) == other.vault.hash_token(token)
    finally:
        other.close()
