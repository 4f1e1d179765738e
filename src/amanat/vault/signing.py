"""Ed25519 signing of the audit chain's checkpoints, with the key kept in the key store.

The private key is a root key of the key store (``root_keys``, named ``audit-ed25519-1``),
wrapped by the master key like every other key, so a copy of the main database alone can
neither forge nor read it, and master-key rotation rewraps it with the rest. The key id
written beside each checkpoint is that name; a later key (``-2``) can be added without
invalidating checkpoints signed by the first.

Callers: amanat.audit (checkpoints on append, ``amanat audit verify``) and the init step.
"""

from __future__ import annotations

import threading

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from amanat.vault.cipher import Vault, root_aad

AUDIT_KEY_ID = "audit-ed25519-1"


class AuditSigner:
    """Signs with the installation's audit key; verifies with any audit key it names."""

    def __init__(self, vault: Vault, key_id: str = AUDIT_KEY_ID) -> None:
        self._vault = vault
        self._key_id = key_id
        self._private: Ed25519PrivateKey | None = None
        self._public: dict[str, Ed25519PublicKey] = {}
        self._lock = threading.Lock()

    @property
    def key_id(self) -> str:
        return self._key_id

    def ensure_key(self) -> bool:
        """Create the signing key if the key store lacks it (init); True if created."""
        keystore = self._vault.keystore
        if keystore.root_key(self._key_id) is not None:
            return False
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        version, wrapped = self._vault.master.wrap(seed, root_aad(self._key_id))
        # False when another process made it first: theirs stands, ours is discarded.
        return keystore.insert_root_key(self._key_id, version, wrapped, self._vault.clock.now())

    def sign(self, message: bytes) -> bytes:
        return self._private_key().sign(message)

    def public_key_hex(self, key_id: str | None = None) -> str | None:
        key = self._public_key(key_id or self._key_id)
        return None if key is None else key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool:
        """True only if the key store's key ``key_id`` signed ``message``."""
        key = self._public_key(key_id)
        if key is None:
            return False
        try:
            key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def _private_key(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._private is None:
                self._private = self._load(self._key_id)
                if self._private is None:
                    self.ensure_key()
                    self._private = self._load(self._key_id)
                assert self._private is not None
            return self._private

    def _public_key(self, key_id: str) -> Ed25519PublicKey | None:
        if key_id not in self._public:
            private = self._load(key_id)
            if private is None:
                return None
            self._public[key_id] = private.public_key()
        return self._public[key_id]

    def _load(self, key_id: str) -> Ed25519PrivateKey | None:
        stored = self._vault.keystore.root_key(key_id)
        if stored is None:
            return None
        seed = self._vault.master.unwrap(stored[0], stored[1], root_aad(key_id))
        return Ed25519PrivateKey.from_private_bytes(seed)
