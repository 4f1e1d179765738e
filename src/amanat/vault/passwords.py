"""Password hashing: argon2id through argon2-cffi, at OWASP's parameters or stronger.

OWASP's Password Storage Cheat Sheet asks for argon2id with at least m = 19 MiB, t = 2,
p = 1; Settings refuses anything lower and lets an operator go higher. A hash made
under older (lower) parameters still verifies, and ``needs_rehash`` says so, so that the
sign-in that just proved the password can store a fresh hash.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# Verified against when the account does not exist, so that "no such account" and "wrong
# password" cost the same time. Its password is random and never used anywhere else.
_DUMMY_PASSWORD = "amanat dummy password, never valid"  # noqa: S105 -- not a credential


class Passwords:
    """Hash, verify and upgrade passwords. Callers: the accounts and staff domains."""

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._dummy_hash: str | None = None
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        """A PHC-format argon2id hash with a fresh random salt."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """True when ``password`` matches; False on a mismatch or an unreadable hash."""
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except (InvalidHashError, ValueError):
            return True

    def dummy_verify(self, password: str) -> bool:
        """Spend the time of one verification and return False, for unknown accounts."""
        with self._lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(_DUMMY_PASSWORD)
            dummy = self._dummy_hash
        self.verify(dummy, password)
        return False
