"""What the rest of Amanat may ask of the vault. Only the guard calls the field methods.

A ciphertext is bound to (table, column, row id) through AES-GCM associated data, so a
value copied to another row, column or customer fails to decrypt with FieldTampered.
"""

from __future__ import annotations

from typing import Protocol

from amanat.core.errors import AmanatError, Unavailable


class VaultError(AmanatError):
    """A stored value cannot be decrypted; the message says why, never what."""

    status = 500
    code = "vault"


class FieldTampered(VaultError):
    """The ciphertext was altered, truncated or moved to another row, column or customer."""


class UnknownKey(VaultError):
    """The ciphertext names a key id the key store does not have."""


class KeyDestroyed(VaultError):
    """The customer was erased: their data key is gone and their fields are unreadable."""


class KeyStoreUnavailable(Unavailable):
    """The key store does not answer: nothing protected can be read or stored until it does.

    Not a VaultError: no stored value is at fault, and a job that skips unreadable values
    (the customer-key rotation) must stop instead of skipping everything."""

    def __init__(self) -> None:
        super().__init__(
            "The key store is not answering, so protected data cannot be read or stored "
            "right now; nothing was changed. Try again in a minute."
        )


class FieldCipher(Protocol):
    def encrypt(
        self, customer_id: str, table: str, column: str, row_id: str, plaintext: str
    ) -> bytes:
        """Encrypt under the customer's data key (made on first use)."""
        ...

    def decrypt(
        self, customer_id: str, table: str, column: str, row_id: str, ciphertext: bytes
    ) -> str:
        """Decrypt, or raise FieldTampered, UnknownKey or KeyDestroyed."""
        ...

    def blind_index(self, category: str, normalised_value: str) -> bytes:
        """Keyed index of an already normalised value (see amanat.vault.normalise)."""
        ...
