"""The key store: wrapped data keys, wrapped root keys and the erasure ledger.

It lives apart from the main database (default: ``<key_dir>/keystore.db``, a SQLite file
in WAL mode that several processes on one machine share; ``AMANAT_KEYSTORE_URL`` may name
a PostgreSQL database of its own for deployments across machines). A copy of the main
database alone therefore holds nothing that decrypts it, and the key store is kept out
of long-lived backups so that a destroyed key stays destroyed.

Its schema is small and created by ``amanat init`` (``create_all``); it is not part of
the main database's migrations because it is not part of the main database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from amanat.core.errors import ConfigError
from amanat.db.base import UTCDateTime
from amanat.db.engine import make_engine
from amanat.vault.api import KeyStoreUnavailable
from amanat.vault.holds import HOLD_PREFIX, subject_of

# The store's server went away or is too busy: fail closed with KeyStoreUnavailable.
_AWAY = (OperationalError, InterfaceError, PoolTimeout)

metadata = MetaData()

data_keys = Table(
    "data_keys",
    metadata,
    # The 4-byte id written into every ciphertext's header; random, so it reveals no order.
    Column("key_id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", String(64), nullable=False, index=True),
    # 1 for a customer's first key; each `rotate --customer-keys` adds one.
    Column("generation", Integer, nullable=False),
    Column("master_version", Integer, nullable=False, index=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Set when a newer generation replaces it: still opens old fields, never encrypts.
    Column("retired_at", UTCDateTime, nullable=True),
    UniqueConstraint("customer_id", "generation", name="uq_data_keys_customer_generation"),
)  # fmt: skip

root_keys = Table(
    "root_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("master_version", Integer, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

erasures = Table(
    "erasures",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("erased_at", UTCDateTime, nullable=False),
)

# A running rotation that must finish before another starts (resumable after a crash).
jobs = Table(
    "jobs",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
)

TABLES = ("data_keys", "root_keys", "erasures", "jobs")


@dataclass(frozen=True)
class DataKeyRow:
    key_id: int
    customer_id: str
    generation: int
    master_version: int
    wrapped: bytes
    retired: bool


class KeyStore:
    """Reads and writes of the key store; each method is its own short transaction."""

    def __init__(self, url: str) -> None:
        # Writes take SQLite's write lock at BEGIN (no upgrade deadlocks); reads run in
        # WAL snapshots without a lock, so a long rotation never starves a server's reads.
        self.engine = make_engine(url)
        self.reader = _make_reader(url) if url.startswith("sqlite") else self.engine

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reader is not self.engine:
            self.reader.dispose()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read connection; KeyStoreUnavailable when the store does not answer."""
        try:
            with self.reader.connect() as conn:
                yield conn
        except _AWAY as exc:
            raise KeyStoreUnavailable() from exc

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction, committed when the block ends; KeyStoreUnavailable when
        the store does not answer (then nothing of the block was committed)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except _AWAY as exc:
            raise KeyStoreUnavailable() from exc

    # -- schema -------------------------------------------------------------------------

    def create_schema(self) -> bool:
        """Create the tables that are missing; True if any was created."""
        existing = set(inspect(self.engine).get_table_names())
        metadata.create_all(self.engine)
        return not set(TABLES) <= existing

    def check_schema(self) -> None:
        """Raise ConfigError (run `amanat init`) unless the key store is reachable and set up."""
        try:
            existing = set(inspect(self.reader).get_table_names())
        except _AWAY as exc:
            if self.engine.dialect.name != "sqlite":  # a server that is down, not a bad path
                raise KeyStoreUnavailable() from exc
            raise ConfigError(
                f"The key store at {self.where} cannot be opened ({type(exc).__name__}); run "
                "`amanat init`, or check AMANAT_KEY_DIR and AMANAT_KEYSTORE_URL."
            ) from exc
        except SQLAlchemyError as exc:
            raise ConfigError(
                f"The key store at {self.where} cannot be opened ({type(exc).__name__}); run "
                "`amanat init`, or check AMANAT_KEY_DIR and AMANAT_KEYSTORE_URL."
            ) from exc
        if not set(TABLES) <= existing:
            raise ConfigError(
                f"The key store at {self.where} is not set up; run `amanat init` (or restore "
                "it from your key backup)."
            )

    @property
    def where(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- data keys ----------------------------------------------------------------------

    def key_by_id(self, key_id: int) -> DataKeyRow | None:
        with self.reading() as conn:
            row = conn.execute(select(data_keys).where(data_keys.c.key_id == key_id)).first()
        return None if row is None else _row(row)

    def active_key(self, customer_id: str) -> DataKeyRow | None:
        """The customer's newest generation that is not retired."""
        with self.reading() as conn:
            row = conn.execute(
                select(data_keys)
                .where(data_keys.c.customer_id == customer_id, data_keys.c.retired_at.is_(None))
                .order_by(data_keys.c.generation.desc())
                .limit(1)
            ).first()
        return None if row is None else _row(row)

    def active_keys(self, owners: Iterable[str]) -> dict[str, DataKeyRow]:
        """Each owner's newest generation that is not retired, for many owners at once."""
        ids = list(set(owners))
        found: dict[str, DataKeyRow] = {}
        with self.reading() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(
                    select(data_keys)
                    .where(
                        data_keys.c.customer_id.in_(ids[start : start + 500]),
                        data_keys.c.retired_at.is_(None),
                    )
                    .order_by(data_keys.c.generation)
                ).all()
                for row in rows:
                    found[str(row.customer_id)] = _row(row)  # newest generation wins
        return found

    def keys_of(self, customer_id: str) -> list[DataKeyRow]:
        with self.reading() as conn:
            rows = conn.execute(
                select(data_keys)
                .where(data_keys.c.customer_id == customer_id)
                .order_by(data_keys.c.generation)
            ).all()
        return [_row(r) for r in rows]

    def insert_key(
        self,
        key_id: int,
        customer_id: str,
        generation: int,
        master_version: int,
        wrapped: bytes,
        now: datetime,
        *,
        retire_older: bool = False,
    ) -> bool:
        """Insert a data key; False if the id or (customer, generation) is already taken.

        Refuses (returns False) for an erased owner, in the same transaction, so that a
        write racing an erasure never makes a fresh key for them; a customer's first
        legal-hold key is refused once the customer is erased too (a rotation of an
        existing hold key, ``retire_older``, is not).
        """
        owners = [customer_id]
        if not retire_older:
            owners.append(subject_of(customer_id))
        try:
            with self.writing() as conn:
                erased = conn.execute(
                    select(erasures.c.customer_id).where(erasures.c.customer_id.in_(owners))
                ).first()
                if erased is not None:
                    return False
                conn.execute(
                    insert(data_keys).values(
                        key_id=key_id,
                        customer_id=customer_id,
                        generation=generation,
                        master_version=master_version,
                        wrapped=wrapped,
                        created_at=now,
                        retired_at=None,
                    )
                )
                if retire_older:
                    conn.execute(
                        update(data_keys)
                        .where(
                            data_keys.c.customer_id == customer_id,
                            data_keys.c.generation < generation,
                            data_keys.c.retired_at.is_(None),
                        )
                        .values(retired_at=now)
                    )
        except IntegrityError:
            return False
        return True

    def insert_keys_bulk(self, rows: Sequence[dict[str, object]]) -> None:
        """Insert many first-generation keys in one transaction (bulk onboarding, imports).

        Raises IntegrityError if any id or customer is taken; the caller retries with fresh
        ids or falls back to one at a time.
        """
        if rows:
            with self.writing() as conn:
                conn.execute(insert(data_keys), list(rows))

    def delete_keys(self, key_ids: Iterable[int]) -> int:
        ids = list(key_ids)
        if not ids:
            return 0
        with self.writing() as conn:
            return conn.execute(delete(data_keys).where(data_keys.c.key_id.in_(ids))).rowcount

    def hold_owners(self) -> list[str]:
        """Key owners of legal-hold keys that still exist (amanat.vault.holds)."""
        with self.reading() as conn:
            return list(
                conn.execute(
                    select(data_keys.c.customer_id)
                    .distinct()
                    .where(data_keys.c.customer_id.startswith(HOLD_PREFIX, autoescape=True))
                    .order_by(data_keys.c.customer_id)
                ).scalars()
            )

    # -- erasure ledger -----------------------------------------------------------------

    def is_erased(self, customer_id: str) -> bool:
        with self.reading() as conn:
            return (
                conn.execute(
                    select(erasures.c.customer_id).where(erasures.c.customer_id == customer_id)
                ).first()
                is not None
            )

    def destroy(self, customer_id: str, now: datetime) -> int:
        """Record the erasure and delete every data key of the customer, in one transaction."""
        with self.writing() as conn:
            if (
                conn.execute(
                    select(erasures.c.customer_id).where(erasures.c.customer_id == customer_id)
                ).first()
                is None
            ):
                conn.execute(insert(erasures).values(customer_id=customer_id, erased_at=now))
            return conn.execute(
                delete(data_keys).where(data_keys.c.customer_id == customer_id)
            ).rowcount

    def ledger(self) -> dict[str, datetime]:
        with self.reading() as conn:
            return {r.customer_id: r.erased_at for r in conn.execute(select(erasures)).all()}

    # -- root keys ----------------------------------------------------------------------

    def root_key(self, name: str) -> tuple[int, bytes] | None:
        with self.reading() as conn:
            row = conn.execute(select(root_keys).where(root_keys.c.name == name)).first()
        return None if row is None else (row.master_version, row.wrapped)

    def insert_root_key(
        self, name: str, master_version: int, wrapped: bytes, now: datetime
    ) -> bool:
        try:
            with self.writing() as conn:
                conn.execute(
                    insert(root_keys).values(
                        name=name, master_version=master_version, wrapped=wrapped, created_at=now
                    )
                )
        except IntegrityError:
            return False
        return True


def _make_reader(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return engine


def _row(row: object) -> DataKeyRow:
    r = row._mapping  # type: ignore[attr-defined]
    return DataKeyRow(
        key_id=int(r["key_id"]),
        customer_id=str(r["customer_id"]),
        generation=int(r["generation"]),
        master_version=int(r["master_version"]),
        wrapped=bytes(r["wrapped"]),
        retired=r["retired_at"] is not None,
    )
