"""The vault: field encryption under per-customer data keys, blind indexes, token hashes.

Ciphertext format (version 1)::

    0x01 ‖ key id (4 bytes, big-endian) ‖ nonce (12 random bytes) ‖ AES-256-GCM ciphertext+tag

The associated data is ``0x01 ‖ key id ‖ 0x00 ‖ table 0x00 column 0x00 row id 0x00 customer
id`` (UTF-8). The header is covered, so the key id cannot be swapped; table, column, row
and customer are covered, so a value copied anywhere else fails with FieldTampered. NUL
separates the parts: PostgreSQL text cannot hold it and Amanat's ids and names never do.

Callers: only the guard (``amanat.access.guard``) calls ``encrypt`` and ``decrypt``; an
architecture test holds everyone else to that.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from os import urandom
from time import monotonic
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag

from amanat.config import Settings
from amanat.core.clock import Clock
from amanat.core.errors import ConfigError
from amanat.vault.api import FieldTampered
from amanat.vault.datakeys import (
    _HEADER,
    _MIN_LENGTH,
    FORMAT_VERSION,
    ROOT_NAME,
    DataKeys,
    _prefix,
    _where,
    dek_aad,
    root_aad,
)
from amanat.vault.holds import HOLD_PREFIX
from amanat.vault.keystore import KeyStore
from amanat.vault.master import EnvMasterKeys, FileMasterKeys, MasterKeyProvider
from amanat.vault.passwords import Passwords

if TYPE_CHECKING:
    from amanat.db.uow import UnitOfWork
    from amanat.policy.model import Policy

__all__ = ["FORMAT_VERSION", "ROOT_NAME", "Vault", "dek_aad", "root_aad"]


class Vault(DataKeys):
    """Keys, field encryption, blind indexes, password and token hashing.

    Built once per process by ``build_runtime``; thread-safe. Nothing touches the key
    store or the master key until first use, so building a runtime creates nothing.
    """

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock, policy: Policy | None = None) -> Vault:
        """The vault of an installation; ``policy`` (else the settings' policy file, read on
        first use) decides which columns are under a legal hold."""
        url = (
            settings.keys.store_url
            or f"sqlite:///{(settings.resolved_key_dir / 'keystore.db').resolve()}"
        )
        if url in (settings.database_url, settings.resolved_database_url):
            raise ConfigError(
                "AMANAT_KEYSTORE_URL names the main database; give the key store a database of "
                "its own so that a copy of the main database decrypts nothing."
            )
        master: MasterKeyProvider
        if settings.keys.master_key is not None:
            master = EnvMasterKeys(settings.keys.master_key.get_secret_value())
        else:
            master = FileMasterKeys(settings.resolved_key_dir / "master.key", clock)
        return cls(
            KeyStore(url),
            master,
            clock,
            Passwords(
                settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
            ),
            cache_seconds=settings.keys.cache_seconds,
            policy=(lambda: policy) if policy is not None else _policy_loader(settings),
        )

    def close(self) -> None:
        self.keystore.dispose()

    # -- fields -------------------------------------------------------------------------

    def encrypt(
        self, customer_id: str, table: str, column: str, row_id: str, plaintext: str
    ) -> bytes:
        """Encrypt under the customer's active data key (made on first use): their hold key
        when the column's category is under a legal hold in the policy, else their ordinary
        key. The associated data names the customer either way.

        Raises KeyDestroyed for an erased customer.
        """
        held = self._held if self._held is not None else self._held_columns()
        owner = HOLD_PREFIX + customer_id if (table, column) in held else customer_id
        cached = self._by_owner.get(owner)
        _, aead, prefix = (
            self._load_active(owner) if cached is None or cached[0] < monotonic() else cached[1]
        )
        nonce = urandom(12)
        aad = prefix + f"\x00{table}\x00{column}\x00{row_id}\x00{customer_id}".encode()
        return prefix + nonce + aead.encrypt(nonce, plaintext.encode(), aad)

    def decrypt(
        self, customer_id: str, table: str, column: str, row_id: str, ciphertext: bytes
    ) -> str:
        """Decrypt, or raise FieldTampered, UnknownKey or KeyDestroyed (never garbage)."""
        # Hot path: the cache is keyed by the 5-byte header itself (version and key id), so
        # a hit costs one slice and one look-up. A value too short to hold nonce and tag
        # fails in AES-GCM (InvalidTag) like any other alteration.
        cached = self._by_header.get(ciphertext[:5])  # _HEADER, inlined on the hot path
        if cached is None or cached[0] < monotonic():
            cached = (0.0, self._load_for(ciphertext, customer_id, table, column, row_id))
        owner, aead, prefix = cached[1]
        if owner != customer_id and owner != HOLD_PREFIX + customer_id:
            raise FieldTampered(
                f"The stored value of {_where(table, column, row_id)} is encrypted for another "
                "customer: it was copied."
            )
        aad = prefix + f"\x00{table}\x00{column}\x00{row_id}\x00{customer_id}".encode()
        try:
            plaintext = aead.decrypt(ciphertext[5:17], ciphertext[17:], aad)
        except (InvalidTag, ValueError) as exc:  # ValueError: too short to hold a nonce
            raise FieldTampered(
                f"The stored value of {_where(table, column, row_id)} does not decrypt: it was "
                "altered, or moved from another row or column."
            ) from exc
        return plaintext.decode()

    def key_id_of(self, ciphertext: bytes) -> int | None:
        """The key id in a ciphertext's header (None if it is not one); decrypts nothing."""
        if len(ciphertext) < _MIN_LENGTH or ciphertext[0] != FORMAT_VERSION:
            return None
        return int.from_bytes(ciphertext[1:_HEADER], "big")

    # -- blind indexes and tokens -------------------------------------------------------

    def blind_index(self, category: str, normalised_value: str) -> bytes:
        """HMAC-SHA256 of the normalised value under the category's own derived key.

        Full length (32 bytes), so that uniqueness is a database constraint and a lookup
        is one indexed query; docs/security.md records the leakage this accepts.
        """
        key = self._derived.get(category.encode())
        if key is None:
            key = self._derive(b"amanat blind index v1\x00" + category.encode())
            self._derived[category.encode()] = key
        return hmac.digest(key, normalised_value.encode(), hashlib.sha256)

    def random_token(self, nbytes: int = 32) -> str:
        """A URL-safe random secret (API tokens, verification links, recovery codes)."""
        return secrets.token_urlsafe(nbytes)

    def hash_token(self, token: str) -> str:
        """What to store for a token: hex HMAC-SHA256 under a key from the key store.

        Keyed, so that a copy of the database alone cannot test guesses of short secrets
        such as recovery codes.
        """
        key = self._derived.get(b"\x00token")
        if key is None:
            key = self._derive(b"amanat token hash v1")
            self._derived[b"\x00token"] = key
        return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()

    def verify_token(self, token: str, stored_hash: str) -> bool:
        """Constant-time comparison of a presented token with a stored ``hash_token``."""
        return hmac.compare_digest(self.hash_token(token), stored_hash)

    # -- crypto-shredding ---------------------------------------------------------------

    def destroy_customer_key(self, customer_id: str, uow: UnitOfWork | None = None) -> int:
        """Crypto-shred: record the erasure and destroy every data key of the customer.

        Callers: the customers domain's ``erase_customer`` (which records the audit event
        and clears blind indexes, password hash and second-factor secrets itself). The
        key store's ledger entry and the key deletion are durable when this returns; with
        ``uow`` the main database's copy of the ledger is written in that transaction
        (``amanat keys replay-erasures`` reconciles the two after any restore). Evicts the
        keys from this process's cache; other processes stop using them within the cache's
        maximum age. Idempotent. Returns how many data keys were destroyed.
        """
        self._check()
        destroyed = self.keystore.destroy(customer_id, self.clock.now())
        self.evict_customer(customer_id)
        if uow is not None:
            from amanat.vault.models import ErasureLedger

            if uow.session.get(ErasureLedger, customer_id) is None:
                uow.session.add(ErasureLedger(customer_id=customer_id, erased_at=self.clock.now()))
                uow.session.flush()
        return destroyed

    def evict_customer(self, customer_id: str) -> None:
        self._active.discard(customer_id)
        self._by_id.discard_where(lambda entry: entry[0] == customer_id)

    def evict_key(self, key_id: int) -> None:
        self._by_id.discard(_prefix(key_id))
        self._active.discard_where(lambda entry: entry[2] == _prefix(key_id))

    def clear_cache(self) -> None:
        self._active.clear()
        self._by_id.clear()


def _policy_loader(settings: Settings) -> Callable[[], Policy]:
    def load() -> Policy:
        from amanat.policy.loader import load_policy

        return load_policy(settings.policy).policy

    return load
