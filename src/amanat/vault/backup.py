"""The key store's half of a backup: everything that decrypts, sealed under a passphrase.

``export_keys`` reads every row of the key store (wrapped data keys, root keys, the
erasure ledger, running jobs) and every file of the key directory (the master key file,
the DKIM key) into one document; ``seal`` encrypts it with AES-256-GCM under a key derived
from the operator's passphrase with scrypt (N=2^15, r=8, p=1: about 32 MiB and a tenth
of a second, per RFC 7914's interactive guidance), a fresh salt and nonce each time.
The sealed file names nothing: no key, no customer id is readable without the passphrase.
A database backup and this file are kept apart, so that one alone decrypts nothing.

``import_keys`` writes a document back: the key directory's files (mode 0600, directory
0700) and the key store's rows, replacing what the store held, in one transaction.
Callers: amanat.backup (`amanat backup` / `amanat restore`), nobody else.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import delete, insert, select

from amanat.core.errors import ConfigError
from amanat.vault import keystore as ks

FORMAT = "amanat-keys/1"
_MAGIC = b"AMANAT-KEYS-1\n"
_SALT, _NONCE = 16, 12
MIN_PASSPHRASE = 12
# The key store's own SQLite file is exported as rows, not copied as a file.
_STORE_FILES = ("keystore.db", "keystore.db-wal", "keystore.db-shm", "keystore.db-journal")


class BackupRefused(ConfigError):
    """A sealed key file that does not open (wrong passphrase, damaged, not one of ours)."""


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ConfigError(
            f"The backup passphrase must be at least {MIN_PASSPHRASE} characters; choose a "
            "longer one (AMANAT_BACKUP_PASSPHRASE, or type it when asked)."
        )


def seal(document: dict[str, Any], passphrase: str) -> bytes:
    check_passphrase(passphrase)
    salt, nonce = os.urandom(_SALT), os.urandom(_NONCE)
    plain = json.dumps(document, sort_keys=True).encode()
    return _MAGIC + salt + nonce + AESGCM(_key(passphrase, salt)).encrypt(nonce, plain, _MAGIC)


def unseal(sealed: bytes, passphrase: str, where: Path) -> dict[str, Any]:
    """The document, or BackupRefused naming the file (never the passphrase)."""
    if not sealed.startswith(_MAGIC) or len(sealed) < len(_MAGIC) + _SALT + _NONCE + 16:
        raise BackupRefused(f"{where} is not an Amanat key backup.")
    body = sealed[len(_MAGIC) :]
    salt, nonce, ciphertext = body[:_SALT], body[_SALT : _SALT + _NONCE], body[_SALT + _NONCE :]
    try:
        plain = AESGCM(_key(passphrase, salt)).decrypt(nonce, ciphertext, _MAGIC)
    except InvalidTag:
        raise BackupRefused(
            f"The passphrase does not open {where}; give the one the backup was made with."
        ) from None
    document: dict[str, Any] = json.loads(plain)
    if document.get("format") != FORMAT:
        raise BackupRefused(f"{where} holds keys in a format this Amanat cannot read.")
    return document


def _encode(value: object) -> object:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"at": value.isoformat()}
    return value


def _decode(value: object) -> object:
    if isinstance(value, dict) and "b64" in value:
        return base64.b64decode(value["b64"])
    if isinstance(value, dict) and "at" in value:
        return datetime.fromisoformat(value["at"])
    return value


def export_keys(store: ks.KeyStore, key_dir: Path) -> dict[str, Any]:
    """Every row of the key store and every file of the key directory (a read)."""
    tables: dict[str, list[dict[str, object]]] = {}
    with store.reading() as conn:
        for table in ks.metadata.sorted_tables:
            rows = conn.execute(select(table)).mappings().all()
            tables[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    files = {
        path.name: base64.b64encode(path.read_bytes()).decode("ascii")
        for path in sorted(key_dir.iterdir())
        if path.is_file() and path.name not in _STORE_FILES and not path.name.endswith(".tmp")
    } if key_dir.is_dir() else {}  # fmt: skip
    return {"format": FORMAT, "tables": tables, "files": files}


def counts(document: dict[str, Any]) -> dict[str, int]:
    """Rows per key-store table and files, for the manifest and the operator's summary."""
    found = {name: len(rows) for name, rows in document["tables"].items()}
    found["files"] = len(document["files"])
    return found


def import_keys(store: ks.KeyStore, key_dir: Path, document: dict[str, Any]) -> None:
    """Write the key directory's files, then replace every row of the key store."""
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, content in document["files"].items():
        if Path(name).name != name:  # a document naming ../ is not one we wrote
            raise BackupRefused(f"The key backup names a file outside the key directory: {name}")
        temporary = key_dir / f"{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.b64decode(content))
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(key_dir / name)
    store.create_schema()
    with store.writing() as conn:
        for table in reversed(ks.metadata.sorted_tables):
            conn.execute(delete(table))
        for table in ks.metadata.sorted_tables:
            rows = [
                {k: _decode(v) for k, v in row.items()}
                for row in document["tables"].get(table.name, [])
            ]
            if rows:
                conn.execute(insert(table), rows)
