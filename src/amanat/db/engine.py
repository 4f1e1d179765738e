"""Engines and session factories for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from amanat.core.errors import ConfigError


def make_engine(url: str, setting: str = "AMANAT_DATABASE_URL", **kwargs: Any) -> Engine:
    """An engine with Amanat's connection settings.

    SQLite runs in WAL mode with foreign keys on and a busy timeout, so that the web
    server, the worker and the CLI can share one file. ``synchronous=NORMAL`` in WAL mode
    keeps every committed transaction across a process crash; an OS crash or power loss
    can lose the last transactions, never corrupt the file (see docs/operations.md).
    A URL of another kind raises ConfigError naming ``setting``, the variable to fix.
    """
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}:
        # Name the scheme only: the rest of the URL may hold a password.
        raise ConfigError(
            f"{setting} must be a PostgreSQL URL (postgresql://user@host/db) or "
            f"a SQLite one (sqlite:////path/amanat.db), not '{scheme or 'no scheme'}'; fix it."
        )
    try:
        make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(
            f"{setting} is not a valid URL (a '{scheme}' URL whose host, port or "
            "database cannot be read); fix it."
        ) from exc
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN; take control so that
            # SAVEPOINT and BEGIN IMMEDIATE behave (SQLAlchemy docs, "Serializable
            # isolation / Savepoints / Transactional DDL").
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock at the start, so two writers queue on the
            # busy timeout instead of failing with "database is locked" at upgrade time.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def check_reachable(engine: Engine) -> None:
    """Raise ConfigError with a sentence naming the database if it does not answer."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        if engine.url.get_backend_name() == "sqlite":
            raise ConfigError(
                f"The SQLite database {engine.url.database} cannot be opened "
                f"({type(exc).__name__}); check AMANAT_DATA_DIR and its permissions."
            ) from exc
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigError(
            f"The database at {where} does not answer ({type(exc).__name__}); "
            "check AMANAT_DATABASE_URL and that the server is running."
        ) from exc


def is_reachable(engine: Engine) -> bool:
    try:
        check_reachable(engine)
    except ConfigError:
        return False
    return True
