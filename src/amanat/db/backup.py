"""The database's half of a backup: a consistent snapshot, and putting one back.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent image
while the server keeps running; the copy is a plain SQLite file. PostgreSQL: ``pg_dump``
in its custom format (one consistent snapshot, taken without blocking writers), restored
with ``pg_restore --clean --if-exists --single-transaction``: all of it or none. The
connection's password travels in the child's environment (PGPASSWORD), never on its
command line. The snapshot holds the main database only: encrypted values, blind
indexes, the audit chain; never a key (amanat.vault.backup seals those apart).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from amanat.core.errors import ConfigError

SQLITE_FILE = "amanat.db"
POSTGRES_FILE = "amanat.pgdump"
_PG_BIN = Path("/usr/lib/postgresql")


def kind(engine: Engine) -> str:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database:
        raise ConfigError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def has_data(engine: Engine) -> bool:
    """Whether the database holds tables (an installation a restore would overwrite)."""
    if kind(engine) == "sqlite" and not _sqlite_path(engine).exists():
        return False
    try:
        return bool(inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"The database at {engine.url.render_as_string(hide_password=True)} does not "
            "answer; check AMANAT_DATABASE_URL and that the server is running."
        ) from exc


def _tool(name: str) -> str:
    """A PostgreSQL client tool: on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found is None:
        candidates = sorted(_PG_BIN.glob(f"*/bin/{name}"))
        found = str(candidates[-1]) if candidates else None
    if found is None:
        raise ConfigError(
            f"{name} is not installed; install PostgreSQL's client tools (postgresql-client)."
        )
    return found


def _pg_env(engine: Engine) -> dict[str, str]:
    url = engine.url
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
        ("PGPASSWORD", url.password), ("PGDATABASE", url.database),
    ):  # fmt: skip
        if value is not None:
            env[variable] = str(value)
    return env


def _run(command: list[str], engine: Engine, what: str) -> None:
    done = subprocess.run(  # noqa: S603 -- our own tool paths and a file name, no shell
        command, env=_pg_env(engine), capture_output=True, text=True, check=False
    )
    if done.returncode:
        # The tool's last line names what went wrong (a connection, a version); it never
        # holds row data.
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1][:300]
        raise ConfigError(f"{what} failed: {reason}")


def snapshot(engine: Engine, directory: Path) -> str:
    """Write a consistent snapshot into ``directory``; returns its file name."""
    if kind(engine) == "sqlite":
        target = directory / SQLITE_FILE
        source = sqlite3.connect(_sqlite_path(engine))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return SQLITE_FILE
    _run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
         f"--file={directory / POSTGRES_FILE}"],
        engine, "pg_dump",
    )  # fmt: skip
    return POSTGRES_FILE


def restore(engine: Engine, snapshot_file: Path) -> None:
    """Replace the database's content with ``snapshot_file``'s. The engine's pool is
    emptied first; no server may be running on the database (stop `amanat serve`)."""
    engine.dispose()
    if kind(engine) == "sqlite":
        target = _sqlite_path(engine)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        source = sqlite3.connect(snapshot_file)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    _run(
        [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", f"--dbname={engine.url.database}",
         str(snapshot_file)],
        engine, "pg_restore",
    )  # fmt: skip
