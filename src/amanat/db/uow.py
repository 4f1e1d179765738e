"""The unit of work: the only place in Amanat that commits.

A service receives a ``UnitOfWork``, does its reads and writes through ``uow.session``
(and records its audit event there), and the caller commits once. Leaving the block
without ``commit()`` rolls everything back. Work that must happen only once the change is
durable (sending mail, evicting caches) is registered with ``after_commit``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._after_commit: list[Callable[[], None]] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        self._session = self._session_factory()
        self._after_commit = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self.session.rollback()
        self._after_commit = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)


class DriverUnitOfWork:
    """A unit of work on one pooled driver connection, without a Session.

    For the rare hot path whose few statements cost less than SQLAlchemy's work around
    each of them (the guard's ``read_row``). ``dbapi`` is the driver's own connection
    (sqlite3 or psycopg) in a transaction begun as every Amanat transaction begins
    (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: implicitly, at the first statement).
    Leaving the block without ``commit()`` rolls back; the connection goes back to the
    engine's pool either way.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: PoolProxiedConnection | None = None
        self._committed = False

    @property
    def dbapi(self) -> Any:
        if self._connection is None:
            raise RuntimeError("DriverUnitOfWork used outside its `with` block")
        return self._connection.driver_connection

    def __enter__(self) -> Self:
        connection = self._engine.raw_connection()
        try:
            driver: Any = connection.driver_connection
            if self._engine.dialect.name == "sqlite":
                driver.execute("BEGIN IMMEDIATE")
        except BaseException:
            connection.close()
            raise
        self._connection, self._committed = connection, False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        try:
            if not self._committed:
                self._connection.rollback()
        finally:
            self._connection.close()  # back to the pool, which resets it once more
            self._connection = None

    def commit(self) -> None:
        if self._connection is None:
            raise RuntimeError("DriverUnitOfWork used outside its `with` block")
        self._connection.commit()
        self._committed = True
