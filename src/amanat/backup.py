"""`amanat backup DIR` and `amanat restore DIR`: an installation copied out and put back.

A backup directory holds three files:

* ``amanat.db`` (SQLite, the online backup API) or ``amanat.pgdump`` (``pg_dump``): the
  main database, a consistent snapshot taken while Amanat runs (amanat.db.backup);
* ``keys.sealed``: the key store's rows and the key directory's files, sealed under a
  passphrase (amanat.vault.backup), so that the database copy alone decrypts nothing;
* ``manifest.json``: format, time, Amanat version, schema revision, database kind and
  each file's SHA-256; no personal data.

A restore checks the manifest, the checksums and the passphrase before it writes
anything, asks before overwriting an installation that holds data (unless ``--yes``),
then puts back the key store and the database, migrates the schema to this version,
and replays the erasure ledger: every erasure recorded in the backup, in the key store
being replaced, or in the database being replaced is applied to the restored copy, so
a restore never brings an erased customer back (amanat.vault.erasure). Stop `amanat
serve` and `amanat worker` before restoring.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from amanat import __version__, composition
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.errors import ConfigError
from amanat.db import backup as db_backup
from amanat.db import migrate
from amanat.governance.service import replay_erasures
from amanat.runtime import Runtime
from amanat.vault import backup as key_backup
from amanat.vault.api import KeyStoreUnavailable
from amanat.vault.keystore import data_keys
from amanat.vault.models import ErasureLedger

FORMAT = "amanat-backup/1"
MANIFEST = "manifest.json"
KEYS = "keys.sealed"
ACTOR = Actor.system("backup")


@dataclass
class BackupReport:
    directory: Path
    database: str
    revision: str | None
    keys: dict[str, int]


@dataclass
class RestoreReport:
    database: str
    revision: str | None
    erasures_reapplied: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_backup(runtime: Runtime, directory: Path, passphrase: str) -> BackupReport:
    """Write a backup of the running installation into ``directory`` (new or empty).

    Caller: `amanat backup`. Records backup.made (database kind, schema revision, file
    checksums; no personal data) in the live database after the snapshot. Raises
    ConfigError for a short passphrase, a directory that holds files, a database or key
    store that does not answer, or a failing pg_dump.
    """
    key_backup.check_passphrase(passphrase)
    if directory.exists() and any(directory.iterdir()):
        raise ConfigError(
            f"{directory} is not empty; give a new or empty directory for the backup."
        )
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys = key_backup.export_keys(runtime.vault.keystore, runtime.settings.resolved_key_dir)
    sealed = directory / KEYS
    sealed.write_bytes(key_backup.seal(keys, passphrase))
    sealed.chmod(0o600)
    revision = migrate.current_revision(runtime.engine)
    database = db_backup.snapshot(runtime.engine, directory)
    (directory / database).chmod(0o600)
    manifest = {
        "format": FORMAT,
        "created_at": runtime.clock.now().isoformat(),
        "amanat_version": __version__,
        "schema_revision": revision,
        "database": db_backup.kind(runtime.engine),
        "files": {name: _sha256(directory / name) for name in (database, KEYS)},
        "keys": key_backup.counts(keys),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    with runtime.uow() as uow:
        audit.record(
            uow, runtime.clock, Event.BACKUP_MADE, ACTOR,
            details={"database": manifest["database"], "revision": revision,
                     "files": manifest["files"]},
        )  # fmt: skip
        uow.commit()
    return BackupReport(directory, str(manifest["database"]), revision, key_backup.counts(keys))


@dataclass(frozen=True)
class Backup:
    """A backup directory read and checked: its manifest and its opened key document."""

    directory: Path
    manifest: dict[str, object]
    keys: dict[str, Any]

    @property
    def database_file(self) -> Path:
        files = self.manifest["files"]
        assert isinstance(files, dict)
        name = next(str(name) for name in files if name != KEYS)
        return self.directory / Path(name).name


def open_backup(directory: Path, passphrase: str) -> Backup:
    """Read and check a backup before anything is written: ConfigError when the
    directory is not a backup, a file is missing or altered, or the passphrase is wrong."""
    manifest_path = directory / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{directory} is not an Amanat backup (no readable {MANIFEST}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ConfigError(f"{manifest_path} is not an Amanat backup manifest.")
    for name, expected in dict(manifest.get("files") or {}).items():
        path = directory / Path(str(name)).name
        if not path.is_file():
            raise ConfigError(f"The backup's {name} is missing from {directory}.")
        if _sha256(path) != expected:
            raise ConfigError(f"The backup's {name} does not match its checksum: it was altered.")
    keys = key_backup.unseal((directory / KEYS).read_bytes(), passphrase, directory / KEYS)
    return Backup(directory, manifest, keys)


def _known_erasures(runtime: Runtime) -> dict[str, datetime]:
    """The erasure ledgers of the installation about to be replaced, where they answer."""
    known: dict[str, datetime] = {}
    try:
        runtime.vault.keystore.check_schema()
        known.update(runtime.vault.keystore.ledger())
    except (ConfigError, KeyStoreUnavailable):
        pass  # no key store here yet (an empty machine), or none that answers
    try:
        if db_backup.has_data(runtime.engine):
            with runtime.uow() as uow:
                for row in uow.session.scalars(select(ErasureLedger)):
                    known.setdefault(row.customer_id, row.erased_at)
    except (ConfigError, SQLAlchemyError):
        pass  # a database without the ledger's table: nothing to carry over
    return known


def installation_holds_data(runtime: Runtime) -> bool:
    """Whether restoring would overwrite data: a database with tables, or a key store
    with keys (replacing either loses what is not in the backup)."""
    if db_backup.has_data(runtime.engine):
        return True
    try:
        runtime.vault.keystore.check_schema()
        with runtime.vault.keystore.reading() as conn:
            return bool(conn.execute(select(func.count()).select_from(data_keys)).scalar())
    except (ConfigError, KeyStoreUnavailable):
        return False


def restore_backup(
    settings: Settings, backup: Backup, confirm: Callable[[str], bool]
) -> RestoreReport:
    """Put ``backup`` (checked by ``open_backup``) in place of this installation.

    Caller: `amanat restore` (which then runs `amanat init`'s steps for what a machine
    needs beyond the data: the TLS certificate), with ``confirm`` asked only when data
    would be overwritten. The database is put back first (pg_restore is all or nothing),
    then the key store; a failure in between leaves the old key store, and running the
    restore again finishes it. Records backup.restored in the restored database, and
    vault.erasures_replayed when an erasure was re-applied. Raises ConfigError when the
    backup's database kind is not this installation's, when ``confirm`` says no, or when
    the database or pg_restore fails.
    """
    runtime = composition.build_runtime(settings)
    try:
        if db_backup.kind(runtime.engine) != backup.manifest["database"]:
            raise ConfigError(
                f"The backup holds a {backup.manifest['database']} database and "
                f"AMANAT_DATABASE_URL names a {db_backup.kind(runtime.engine)} one; restore "
                "it into the same kind of database."
            )
        if installation_holds_data(runtime) and not confirm(
            "This installation holds data; replace it with the backup?"
        ):
            raise ConfigError("Nothing was restored.")
        known = _known_erasures(runtime)
        db_backup.restore(runtime.engine, backup.database_file)
        key_backup.import_keys(runtime.vault.keystore, settings.resolved_key_dir, backup.keys)
    finally:
        runtime.close()
    runtime = composition.build_runtime(settings)
    try:
        restored_ledger = runtime.vault.keystore.ledger()
        again = {k: v for k, v in known.items() if k not in restored_ledger}
        for owner, erased_at in sorted(again.items()):
            runtime.vault.keystore.destroy(owner, erased_at)
        migrate.upgrade(runtime.engine)  # a backup of an older version: this schema
        replay_erasures(runtime)  # both ledgers to their union (amanat.vault.erasure)
        revision = migrate.current_revision(runtime.engine)
        with runtime.uow() as uow:
            audit.record(
                uow, runtime.clock, Event.BACKUP_RESTORED, ACTOR,
                details={"database": backup.manifest["database"],
                         "backup_created_at": backup.manifest.get("created_at"),
                         "revision": revision, "erasures_reapplied": len(again)},
            )  # fmt: skip
            uow.commit()
    finally:
        runtime.close()
    return RestoreReport(str(backup.manifest["database"]), revision, len(again))
