"""The master key (key-encryption key): versioned, behind a small provider interface.

A provider wraps and unwraps data keys under a numbered master version. Three ways to
hold it:

* ``FileMasterKeys`` (the default): ``<key_dir>/master.key``, mode 0600, made by
  ``amanat init``; a JSON document listing every version with its creation time.
* ``EnvMasterKeys``: ``AMANAT_MASTER_KEY`` holds one base64 key (version 1) or several as
  ``1:<base64>,2:<base64>``; it overrides the file.
* a KMS adapter: any object with the methods of ``MasterKeyProvider``, so that the
  master key never leaves the KMS (wrap and unwrap are then calls to it).

Data keys are unwrapped once and cached (see amanat.vault.cipher), which is why even a
remote KMS costs nothing on the read path.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from amanat.core.clock import Clock
from amanat.core.errors import ConfigError
from amanat.vault.api import FieldTampered, UnknownKey

FILE_FORMAT = "amanat-master-key/1"
_KEY_BYTES = 32
_NONCE = 12


@dataclass(frozen=True)
class MasterVersion:
    version: int
    created_at: datetime | None


class MasterKeyProvider(Protocol):
    """What the vault needs from wherever the master key lives."""

    name: str

    def current_version(self) -> int:
        """The version new data keys are wrapped under."""
        ...

    def versions(self) -> list[MasterVersion]:
        """Every version this provider can unwrap, oldest first."""
        ...

    def wrap(self, plaintext: bytes, aad: bytes) -> tuple[int, bytes]:
        """Wrap under the current version; returns (version, wrapped)."""
        ...

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        """Unwrap, or raise UnknownKey (no such version) or FieldTampered."""
        ...

    def add_version(self) -> int:
        """Make a new current version (rotation); raise ConfigError if the operator must."""
        ...


class _LocalKeys:
    """Wrapping with AES-256-GCM under locally held master versions."""

    name = "local"

    def __init__(self) -> None:
        self._keys: dict[int, AESGCM] = {}
        self._created: dict[int, datetime | None] = {}

    def _load(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _ensure(self) -> None:
        if not self._keys:
            self._load()

    def current_version(self) -> int:
        self._ensure()
        return max(self._keys)

    def versions(self) -> list[MasterVersion]:
        self._ensure()
        return [MasterVersion(v, self._created[v]) for v in sorted(self._keys)]

    def wrap(self, plaintext: bytes, aad: bytes) -> tuple[int, bytes]:
        self._ensure()
        version = max(self._keys)
        nonce = os.urandom(_NONCE)
        return version, nonce + self._keys[version].encrypt(nonce, plaintext, aad)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        self._ensure()
        key = self._keys.get(version)
        if key is None:
            self._load()  # another process may have rotated since we read the keys
            key = self._keys.get(version)
        if key is None:
            raise UnknownKey(
                f"Master key version {version} is not available; restore it to the master "
                "key file or AMANAT_MASTER_KEY."
            )
        try:
            return key.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], aad)
        except InvalidTag as exc:
            raise FieldTampered(
                f"A wrapped key does not open under master version {version}: the key store "
                "was altered or belongs to another installation."
            ) from exc


def _decode_key(text: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"{where} is not valid base64; it must hold 32 random bytes.") from exc
    if len(raw) != _KEY_BYTES:
        raise ConfigError(f"{where} must hold exactly 32 bytes (base64), not {len(raw)}.")
    return raw


def new_key_text() -> str:
    """A fresh random master key, base64 (for `amanat keys generate` and the key file)."""
    return base64.b64encode(os.urandom(_KEY_BYTES)).decode("ascii")


class EnvMasterKeys(_LocalKeys):
    """Master versions from AMANAT_MASTER_KEY; rotation means the operator adds one there."""

    name = "environment (AMANAT_MASTER_KEY)"

    def __init__(self, value: str) -> None:
        super().__init__()
        self._value = value

    def _load(self) -> None:
        keys: dict[int, AESGCM] = {}
        for part in self._value.split(","):
            version_text, sep, key_text = part.strip().rpartition(":")
            if not sep:
                version_text, key_text = "1", part
            if not version_text.isdigit() or int(version_text) < 1:
                raise ConfigError(
                    "AMANAT_MASTER_KEY must be one base64 key or a list like 1:<base64>,2:<base64>."
                )
            keys[int(version_text)] = AESGCM(_decode_key(key_text, "AMANAT_MASTER_KEY"))
        self._keys = keys
        self._created = dict.fromkeys(keys)

    def add_version(self) -> int:
        nxt = self.current_version() + 1
        raise ConfigError(
            f"The master key comes from AMANAT_MASTER_KEY: add version {nxt} to it "
            f"(…,{nxt}:<base64 of 32 random bytes>), restart, and run the rotation again."
        )


class FileMasterKeys(_LocalKeys):
    """Master versions in a JSON key file (mode 0600) made by `amanat init`."""

    name = "key file"

    def __init__(self, path: Path, clock: Clock) -> None:
        super().__init__()
        self.path = path
        self._clock = clock
        self._mtime_ns: int | None = None
        self._stat_at = 0.0
        self._lock = threading.Lock()

    def exists(self) -> bool:
        return self.path.exists()

    def create(self) -> bool:
        """Write a first version unless the file exists; True if it was created."""
        with self._lock:
            if self.path.exists():
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._write([{"version": 1, "created_at": self._now(), "key": new_key_text()}])
            return True

    def _now(self) -> str:
        return self._clock.now().isoformat()

    def _write(self, versions: list[dict[str, object]]) -> None:
        document = json.dumps({"format": FILE_FORMAT, "versions": versions}, indent=1)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(document)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self.path)  # atomic: a crash leaves the old file or the new one

    def _read(self) -> list[dict[str, object]]:
        if not self.path.exists():
            raise ConfigError(
                f"The master key file {self.path} is missing; run `amanat init`, restore it "
                "from your key backup, or set AMANAT_MASTER_KEY."
            )
        if self.path.stat().st_mode & 0o077:
            raise ConfigError(
                f"The master key file {self.path} is readable by other users; "
                f"run `chmod 600 {self.path}`."
            )
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            assert document["format"] == FILE_FORMAT
            versions: list[dict[str, object]] = document["versions"]
            assert versions
        except (ValueError, KeyError, TypeError, AssertionError) as exc:
            raise ConfigError(
                f"The master key file {self.path} is not an Amanat key file; restore it from "
                "your key backup."
            ) from exc
        return versions

    def _load(self) -> None:
        with self._lock:
            mtime = self.path.stat().st_mtime_ns if self.path.exists() else None
            versions = self._read()
            keys: dict[int, AESGCM] = {}
            created: dict[int, datetime | None] = {}
            for entry in versions:
                version = int(str(entry["version"]))
                keys[version] = AESGCM(_decode_key(str(entry["key"]), str(self.path)))
                created[version] = datetime.fromisoformat(str(entry["created_at"]))
            self._keys, self._created, self._mtime_ns = keys, created, mtime

    def wrap(self, plaintext: bytes, aad: bytes) -> tuple[int, bytes]:
        # A rotation in another process adds a version to the file: wrap under it within a
        # second (checked at most once a second, so bulk wrapping does not stat each time).
        now = time.monotonic()
        if now - self._stat_at > 1.0:
            self._stat_at = now
            if self.path.exists() and self.path.stat().st_mtime_ns != self._mtime_ns:
                self._load()
        return super().wrap(plaintext, aad)

    def add_version(self) -> int:
        with self._lock:
            versions = self._read()
            version = max(int(str(v["version"])) for v in versions) + 1
            versions.append({"version": version, "created_at": self._now(), "key": new_key_text()})
            self._write(versions)
        self._load()
        return version
