"""Rotation online: under concurrent reads and writes, and after a kill half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
    update,
)

from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.db.base import NOT_PERSONAL, new_id, personal
from amanat.governance.service import rotate_customer_keys, rotate_master
from amanat.install import initialise
from amanat.runtime import Runtime
from amanat.vault import keystore_jobs
from amanat.vault.cipher import Vault
from amanat.vault.discovery import EncryptedTable

AMANAT = str(Path(sys.executable).with_name("amanat"))

# A table of our own, outside the application's metadata, shaped like every table that
# holds ciphertext: a key owner column, a primary key, `<field>_ct` columns.
_meta = MetaData()
FIELDS = Table(
    "vault_rotation_fields",
    _meta,
    Column("id", String(32), primary_key=True, info=NOT_PERSONAL),
    Column("customer_id", String(32), info=NOT_PERSONAL),
    Column("name_ct", LargeBinary, info=personal("identity.name")),
    Column("address_ct", LargeBinary, nullable=True, info=personal("contact.address")),
)
FOUND = EncryptedTable(
    table=FIELDS,
    owner=FIELDS.c.customer_id,
    primary_key=FIELDS.c.id,
    encrypted=(FIELDS.c.name_ct, FIELDS.c.address_ct),
    blind_indexes=(),
)


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    # Key caches expire in a fifth of a second, so the retirement wait stays short.
    return settings.model_copy(
        update={"keys": settings.keys.model_copy(update={"cache_seconds": 0.2})}
    )


@pytest.fixture
def rt(fast_settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(fast_settings)
    initialise(runtime)
    _meta.create_all(runtime.engine)
    try:
        yield runtime
    finally:
        _meta.drop_all(runtime.engine)
        runtime.close()


def _plain(owner: str, row: str, column: str) -> str:
    return f"Canary {column} {owner[:6]} {row[:6]}"


def _fill(rt: Runtime, owners: int, rows_each: int) -> dict[str, tuple[str, str]]:
    """Rows of encrypted fields; returns row id -> (owner, expected name)."""
    expected: dict[str, tuple[str, str]] = {}
    params = []
    for _ in range(owners):
        owner = new_id()
        for _ in range(rows_each):
            row = new_id()
            params.append(
                {
                    "id": row,
                    "customer_id": owner,
                    "name_ct": rt.vault.encrypt(
                        owner, FIELDS.name, "name_ct", row, _plain(owner, row, "name_ct")
                    ),
                    "address_ct": rt.vault.encrypt(
                        owner, FIELDS.name, "address_ct", row, _plain(owner, row, "address_ct")
                    ),
                }
            )
            expected[row] = (owner, _plain(owner, row, "name_ct"))
    with rt.engine.begin() as conn:
        conn.execute(insert(FIELDS), params)
    return expected


def _assert_all_decrypt(rt: Runtime, expected: dict[str, tuple[str, str]]) -> set[int]:
    """Every value decrypts to what it was, in a process with a cold cache; key ids used."""
    fresh = Vault.from_settings(rt.settings, rt.clock)
    key_ids: set[int] = set()
    try:
        with rt.engine.connect() as conn:
            rows = conn.execute(select(FIELDS)).all()
        assert {r.id for r in rows} == set(expected)
        for r in rows:
            owner, name = expected[r.id]
            assert fresh.decrypt(owner, FIELDS.name, "name_ct", r.id, r.name_ct) == name
            assert fresh.decrypt(owner, FIELDS.name, "address_ct", r.id, r.address_ct) == _plain(
                owner, r.id, "address_ct"
            )
            key_ids |= {
                int.from_bytes(r.name_ct[1:5], "big"),
                int.from_bytes(r.address_ct[1:5], "big"),
            }
    finally:
        fresh.close()
    return key_ids


def test_master_rotation_rewraps_every_key_and_nothing_changes_for_readers(rt: Runtime) -> None:
    expected = _fill(rt, owners=30, rows_each=2)
    assert keystore_jobs.wrapped_counts(rt.vault.keystore) == {1: 30}
    report = rotate_master(rt, batch_size=7)
    assert (report.version, report.resumed, report.rewrapped) == (2, False, 30)
    assert keystore_jobs.wrapped_counts(rt.vault.keystore) == {2: 30}
    assert keystore_jobs.root_keys_below(rt.vault.keystore, 2) == []
    _assert_all_decrypt(rt, expected)
    # Nothing left to resume: the next run adds version 3.
    assert rotate_master(rt).version == 3


def _reader_writer(
    settings: Settings,
    expected: dict[str, tuple[str, str]],
    stop: threading.Event,
    problems: list[str],
    counts: list[int],
    going: threading.Event,
) -> None:
    """Another process, in effect: its own runtime and vault; reads everything and rewrites
    names with new values while the rotation runs."""
    runtime = build_runtime(settings)
    rows = sorted(expected)
    try:
        i = 0
        while not stop.is_set():
            row = rows[i % len(rows)]
            owner, name = expected[row]
            with runtime.engine.connect() as conn:
                stored = conn.execute(
                    select(FIELDS.c.name_ct).where(FIELDS.c.id == row)
                ).scalar_one()
            try:
                got = runtime.vault.decrypt(owner, FIELDS.name, "name_ct", row, stored)
            except Exception as exc:  # noqa: BLE001 -- collected and failed below
                problems.append(f"{type(exc).__name__}: {exc}")
                return
            if got != name:
                problems.append(f"row {row} read {got!r}, expected {name!r}")
            new_name = f"Canary renamed {i}"
            new = runtime.vault.encrypt(owner, FIELDS.name, "name_ct", row, new_name)
            with runtime.engine.begin() as conn:
                conn.execute(update(FIELDS).where(FIELDS.c.id == row).values(name_ct=new))
            expected[row] = (owner, new_name)
            i += 1
            going.set()
        counts.append(i)
    finally:
        runtime.close()


@pytest.mark.parametrize("which", ["master", "customer-keys"])
def test_rotation_while_another_process_reads_and_writes(rt: Runtime, which: str) -> None:
    expected = _fill(rt, owners=40, rows_each=3)
    before = {
        r.key_id
        for owner in {o for o, _ in expected.values()}
        for r in rt.vault.keystore.keys_of(owner)
    }
    stop, going, problems, counts = threading.Event(), threading.Event(), [], []
    worker = threading.Thread(
        target=_reader_writer, args=(rt.settings, expected, stop, problems, counts, going)
    )
    worker.start()
    try:
        # The writer has read and rewritten a row before the rotation starts (a start-up
        # guard, not a speed assertion), so it certainly runs alongside.
        assert going.wait(timeout=120) or problems, "the reader-writer never got going"
        if which == "master":
            rotate_master(rt, batch_size=5)
        else:
            report = rotate_customer_keys(rt, batch_size=5, tables=[FOUND])
            assert report.new_keys == 40
    finally:
        stop.set()
        worker.join(timeout=60)
    assert problems == []
    assert counts and counts[0] > 0  # the writer really ran alongside
    if which == "master":
        assert set(keystore_jobs.wrapped_counts(rt.vault.keystore)) == {2}
        _assert_all_decrypt(rt, expected)
    else:
        # Every value is under a new key and the old keys are gone; a straggler the
        # writer wrote under an old key is picked up by running the rotation again.
        rotate_customer_keys(rt, batch_size=50, tables=[FOUND])
        used = _assert_all_decrypt(rt, expected)
        assert not used & before
        for owner in {o for o, _ in expected.values()}:
            assert [k.generation for k in rt.vault.keystore.keys_of(owner)] in ([2], [3])


def test_customer_key_rotation_re_encrypts_and_deletes_old_keys(rt: Runtime) -> None:
    expected = _fill(rt, owners=12, rows_each=3)
    old = _assert_all_decrypt(rt, expected)
    report = rotate_customer_keys(rt, batch_size=4, tables=[FOUND])
    assert (report.new_keys, report.reencrypted, report.keys_deleted) == (12, 72, 12)
    new = _assert_all_decrypt(rt, expected)
    assert len(new) == 12 and not new & old
    assert keystore_jobs.job(rt.vault.keystore, "customer-keys") is None
    # Run again: a new rotation, not a double encryption of the first one's values.
    again = rotate_customer_keys(rt, batch_size=4, tables=[FOUND])
    assert (again.resumed, again.new_keys, again.reencrypted) == (False, 12, 72)
    _assert_all_decrypt(rt, expected)


def test_customer_key_rotation_without_waiting_keeps_the_job_open_until_the_next_run(
    rt: Runtime,
) -> None:
    expected = _fill(rt, owners=3, rows_each=1)
    first = rotate_customer_keys(rt, tables=[FOUND], wait=False)
    assert (first.new_keys, first.reencrypted, first.keys_kept) == (3, 6, 3)
    assert keystore_jobs.job(rt.vault.keystore, "customer-keys") is not None
    time.sleep(0.25)  # the cache age passes
    second = rotate_customer_keys(rt, tables=[FOUND])
    assert (second.resumed, second.new_keys, second.reencrypted, second.keys_deleted) == (
        True,
        0,
        0,
        3,
    )
    assert keystore_jobs.job(rt.vault.keystore, "customer-keys") is None
    _assert_all_decrypt(rt, expected)


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMANAT_")}
    env["AMANAT_DATA_DIR"] = str(settings.data_dir)
    env["AMANAT_KEY_CACHE_SECONDS"] = "0.2"
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    return env


def _kill_when(process: subprocess.Popen[bytes], started: callable, timeout: float = 60) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    while not started():
        assert process.poll() is None, "the rotation finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_master_rotation_killed_half_way_finishes_when_run_again(rt: Runtime) -> None:
    owners = [new_id() for _ in range(5_000)]
    rt.vault.create_keys(owners)
    expected = _fill(rt, owners=5, rows_each=1)
    total = 5_005
    process = subprocess.Popen(
        [AMANAT, "keys", "rotate", "--master", "--batch-size", "5"],
        env=_env(rt.settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    _kill_when(process, lambda: keystore_jobs.wrapped_counts(rt.vault.keystore).get(2, 0) > 0)
    assert process.returncode == -signal.SIGKILL
    counts = keystore_jobs.wrapped_counts(rt.vault.keystore)
    assert 0 < counts.get(2, 0) < total and counts[1] + counts[2] == total  # really half-way

    rerun = subprocess.run(
        [AMANAT, "keys", "rotate", "--master"],
        check=False,
        env=_env(rt.settings),
        capture_output=True,
        text=True,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith("Resumed: master key version 2")
    assert keystore_jobs.wrapped_counts(rt.vault.keystore) == {
        2: total
    }  # no version 3, nothing lost
    _assert_all_decrypt(rt, expected)
    sample = Vault.from_settings(rt.settings, rt.clock)
    try:
        assert all(sample.active_key_id(o) for o in owners[::997])
    finally:
        sample.close()


_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from amanat.config import Settings
from amanat.composition import build_runtime
from amanat.governance.service import rotate_customer_keys
from integration.test_vault_rotation import FOUND
runtime = build_runtime(Settings())
rotate_customer_keys(runtime, batch_size=2, tables=[FOUND])
"""


def test_customer_key_rotation_killed_half_way_finishes_when_run_again(rt: Runtime) -> None:
    expected = _fill(rt, owners=120, rows_each=2)
    old = _assert_all_decrypt(rt, expected)
    child = _CHILD.format(tests=str(Path(__file__).parents[1]))

    # Watch without taking SQLite's write lock (the application's engine begins every
    # transaction IMMEDIATE, which would queue behind the rotation).
    peek = (
        create_engine(rt.settings.resolved_database_url)
        if rt.settings.database_url is None
        else rt.engine
    )

    def half_way() -> bool:
        with peek.connect() as conn:
            rows = conn.execute(select(FIELDS.c.name_ct)).scalars().all()
        return any(int.from_bytes(v[1:5], "big") not in old for v in rows)

    process = subprocess.Popen([sys.executable, "-c", child], env=_env(rt.settings))
    _kill_when(process, half_way)
    with peek.connect() as conn:
        key_ids = [
            int.from_bytes(v[1:5], "big") for v in conn.execute(select(FIELDS.c.name_ct)).scalars()
        ]
    if peek is not rt.engine:
        peek.dispose()
    assert any(k in old for k in key_ids) and any(k not in old for k in key_ids)
    assert keystore_jobs.job(rt.vault.keystore, "customer-keys") is not None

    rerun = subprocess.run([sys.executable, "-c", child], check=False, env=_env(rt.settings))
    assert rerun.returncode == 0
    new = _assert_all_decrypt(rt, expected)
    assert not new & old and len(new) == 120
    assert keystore_jobs.job(rt.vault.keystore, "customer-keys") is None
