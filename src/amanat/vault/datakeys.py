"""The vault's data keys: loading them from the key store (unwrapped under the master
key and cached), making new ones, and the derivation root key behind blind indexes and
token hashes.

``DataKeys`` is the base of ``amanat.vault.cipher.Vault``; the decrypt and encrypt hot
paths (a cache hit) stay in cipher.py and come here only on a miss.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.exc import IntegrityError

from amanat.core.clock import Clock
from amanat.vault.api import FieldTampered, KeyDestroyed, UnknownKey, VaultError
from amanat.vault.cache import ExpiringCache
from amanat.vault.holds import is_hold_owner, legal_hold_columns, subject_of
from amanat.vault.keystore import KeyStore
from amanat.vault.master import MasterKeyProvider
from amanat.vault.passwords import Passwords

if TYPE_CHECKING:
    from amanat.policy.model import Policy

FORMAT_VERSION = 1
_VERSION_BYTE = bytes([FORMAT_VERSION])
_HEADER = 5  # version byte + key id
_NONCE_END = _HEADER + 12
_MIN_LENGTH = _NONCE_END + 16  # an empty plaintext still carries the 16-byte tag
_MAX_KEY_ID = 2**31 - 1  # fits PostgreSQL's integer; still 4 bytes in the header
ROOT_NAME = "derivation"

# (owner customer id, AEAD under the data key, the 5-byte header prefix)
_KeyEntry = tuple[str, AESGCM, bytes]


def dek_aad(customer_id: str, key_id: int) -> bytes:
    """Binds a wrapped data key to its owner and id, so rows of the key store cannot swap."""
    return b"amanat data key\x00%s\x00%d" % (customer_id.encode(), key_id)


def _prefix(key_id: int) -> bytes:
    """The ciphertext header for a key: format version byte and 4-byte key id."""
    return _VERSION_BYTE + key_id.to_bytes(4, "big")


def _where(table: str, column: str, row_id: str) -> str:
    """Names a stored value in an error message: ids and names only, never the value."""
    return f"{table}.{column} of row {row_id}"


def root_aad(name: str) -> bytes:
    return b"amanat root key\x00" + name.encode()


class DataKeys:
    """Data keys and the root key of one vault: the key store, the master key, the caches."""

    def __init__(
        self,
        keystore: KeyStore,
        master: MasterKeyProvider,
        clock: Clock,
        passwords: Passwords,
        *,
        cache_entries: int = 100_000,
        cache_seconds: float = 60.0,
        policy: Callable[[], Policy] | None = None,
    ) -> None:
        """``policy`` gives the policy whose legal holds pick the hold key (amanat.vault.holds);
        without one every value is encrypted under the customer's ordinary key."""
        self.keystore = keystore
        self.master = master
        self.clock = clock
        self.passwords = passwords
        self.cache_seconds = cache_seconds
        # Both keyed for the hot paths: by ciphertext header (version byte and key id) for
        # decrypt, by key owner for encrypt.
        self._by_id: ExpiringCache[bytes, _KeyEntry] = ExpiringCache(cache_entries, cache_seconds)
        self._active: ExpiringCache[str, _KeyEntry] = ExpiringCache(cache_entries, cache_seconds)
        self._by_header = self._by_id.entries  # the same dicts, one attribute look-up closer
        self._by_owner = self._active.entries
        self._derived: dict[bytes, bytes] = {}
        self._root: bytes | None = None
        self._lock = threading.RLock()
        self._checked = False
        self._policy = policy
        self._held: frozenset[tuple[str, str]] | None = None

    # -- key loading --------------------------------------------------------------------

    def _check(self) -> None:
        if self._checked:
            return
        self.keystore.check_schema()
        self._checked = True

    def _entry(self, customer_id: str, key_id: int, dek: bytes) -> _KeyEntry:
        entry = (customer_id, AESGCM(dek), _prefix(key_id))
        self._by_id.put(entry[2], entry)
        return entry

    def _load_for(
        self, ciphertext: bytes, customer_id: str, table: str, column: str, row_id: str
    ) -> _KeyEntry:
        if len(ciphertext) < _MIN_LENGTH or ciphertext[0] != FORMAT_VERSION:
            raise FieldTampered(
                f"The stored value of {_where(table, column, row_id)} is truncated or not an "
                "Amanat ciphertext."
            )
        key_id = int.from_bytes(ciphertext[1:_HEADER], "big")
        return self._load_by_id(key_id, customer_id, _where(table, column, row_id))

    def _load_by_id(self, key_id: int, customer_id: str, where: str) -> _KeyEntry:
        self._check()
        row = self.keystore.key_by_id(key_id)
        if row is None:
            if self.keystore.is_erased(customer_id):
                raise KeyDestroyed(
                    f"The value of {where} belongs to an erased customer; it is unreadable "
                    "for good."
                )
            raise UnknownKey(
                f"The value of {where} names data key {key_id}, which the key store does not "
                "have; restore the key store that belongs to this database."
            )
        if subject_of(row.customer_id) != customer_id:
            raise FieldTampered(
                f"The stored value of {where} is encrypted for another customer: it was copied."
            )
        owner = row.customer_id  # the customer's ordinary key or their legal-hold key
        dek = self.master.unwrap(row.master_version, row.wrapped, dek_aad(owner, key_id))
        entry = self._entry(owner, key_id, dek)
        if not row.retired and self._active.get(owner) is None:
            # A read of a value under the owner's current key usually precedes a write for
            # the same owner (a billing run decrypts, then encrypts the snapshot): keep it as
            # the active key too, so that the write needs no second key-store query.
            self._active.put(owner, entry)
        return entry

    def _held_columns(self) -> frozenset[tuple[str, str]]:
        if self._held is None:
            self._held = frozenset() if self._policy is None else legal_hold_columns(self._policy())
        return self._held

    def is_held(self, table: str, column: str) -> bool:
        """Whether values of this column are encrypted under the owner's legal-hold key."""
        return (table, column) in self._held_columns()

    def _load_active(self, customer_id: str) -> _KeyEntry:
        self._check()
        with self._lock:  # one thread makes a new customer's key; the others wait for it
            cached = self._active.get(customer_id)
            if cached is not None:
                return cached
            for _ in range(8):
                row = self.keystore.active_key(customer_id)
                if row is not None:
                    entry = self._by_id.get(_prefix(row.key_id))
                    if entry is None:
                        dek = self.master.unwrap(
                            row.master_version, row.wrapped, dek_aad(customer_id, row.key_id)
                        )
                        entry = self._entry(customer_id, row.key_id, dek)
                    self._active.put(customer_id, entry)
                    return entry
                if self.keystore.is_erased(customer_id) or (
                    is_hold_owner(customer_id) and self.keystore.is_erased(subject_of(customer_id))
                ):
                    raise KeyDestroyed(
                        "This customer was erased; nothing more can be stored for them."
                    )
                self.new_data_key(customer_id)
        raise VaultError("A data key could not be made; try again.")  # pragma: no cover

    def warm(self, owners: Iterable[str]) -> int:
        """Load the active data keys of many owners with one key-store query; returns how
        many were loaded. For batch jobs (the billing run) that will read and write the
        fields of a known set of customers: it changes what is cached, never what is
        allowed, and makes no key for an owner that has none."""
        self._check()
        missing = [owner for owner in set(owners) if self._active.get(owner) is None]
        if not missing:
            return 0
        rows = self.keystore.active_keys(missing)
        for owner, row in rows.items():
            dek = self.master.unwrap(row.master_version, row.wrapped, dek_aad(owner, row.key_id))
            self._active.put(owner, self._entry(owner, row.key_id, dek))
        return len(rows)

    def active_key_id(self, customer_id: str) -> int:
        """The id of the key new values of this owner are encrypted under (made if none)."""
        entry = self._active.get(customer_id) or self._load_active(customer_id)
        return int.from_bytes(entry[2][1:], "big")

    def create_keys(self, customer_ids: Sequence[str]) -> None:
        """Make first data keys for many new owners in one key-store transaction.

        For bulk onboarding and imports; owners that already have a key, or were erased,
        are left alone (they are made one at a time, which skips them).
        """
        self._check()
        now = self.clock.now()
        rows: list[dict[str, object]] = []
        deks: list[tuple[str, int, bytes]] = []
        for customer_id in customer_ids:
            dek = os.urandom(32)
            key_id = secrets.randbelow(_MAX_KEY_ID) + 1
            version, wrapped = self.master.wrap(dek, dek_aad(customer_id, key_id))
            rows.append(
                {
                    "key_id": key_id,
                    "customer_id": customer_id,
                    "generation": 1,
                    "master_version": version,
                    "wrapped": wrapped,
                    "created_at": now,
                    "retired_at": None,
                }
            )
            deks.append((customer_id, key_id, dek))
        try:
            self.keystore.insert_keys_bulk(rows)
        except IntegrityError:
            for customer_id in customer_ids:
                self.active_key_id(customer_id)
            return
        for customer_id, key_id, dek in deks:
            self._active.put(customer_id, self._entry(customer_id, key_id, dek))

    def new_data_key(self, customer_id: str, *, generation: int | None = None) -> int | None:
        """Make and store a data key; with ``generation`` retire the older ones (rotation).

        Returns the key id, or None if another process won the race (re-read then).
        """
        if generation is None:
            existing = self.keystore.keys_of(customer_id)
            generation = 1 + max((k.generation for k in existing), default=0)
            retire = False
        else:
            retire = True
        dek = os.urandom(32)
        key_id = secrets.randbelow(_MAX_KEY_ID) + 1
        version, wrapped = self.master.wrap(dek, dek_aad(customer_id, key_id))
        if not self.keystore.insert_key(
            key_id, customer_id, generation, version, wrapped, self.clock.now(),
            retire_older=retire,
        ):  # fmt: skip
            return None
        self._entry(customer_id, key_id, dek)
        if retire:
            self._active.discard(customer_id)
        return key_id

    def _derive(self, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            self._root_key()
        )

    def _root_key(self) -> bytes:
        if self._root is not None:
            return self._root
        self._check()
        with self._lock:
            stored = self.keystore.root_key(ROOT_NAME)
            if stored is None:
                version, wrapped = self.master.wrap(os.urandom(32), root_aad(ROOT_NAME))
                self.keystore.insert_root_key(ROOT_NAME, version, wrapped, self.clock.now())
                stored = self.keystore.root_key(ROOT_NAME)
                assert stored is not None
            self._root = self.master.unwrap(stored[0], stored[1], root_aad(ROOT_NAME))
        return self._root

    def ensure_root_key(self) -> bool:
        """Create the derivation root key if missing (init); True if it was created."""
        self._check()
        existed = self.keystore.root_key(ROOT_NAME) is not None
        self._root_key()
        return not existed
