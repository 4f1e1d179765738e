"""Issue 18: `amanat backup DIR` and `amanat restore DIR`, on SQLite and PostgreSQL.

Round trip through the real commands: a backup taken while the installation runs, changes
made after it (a customer erased, one added), the backup restored over them, and into an
empty machine (fresh data and key directories, an empty database). A restore never brings
an erased customer back; the chain verifies after every restore; the key file opens only
with its passphrase and shows no key; the database copy holds no plaintext.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from amanat.app import create_app
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.customers import service as customers
from amanat.customers.models import Customer
from amanat.runtime import Runtime
from tests.conftest import AMANAT_BIN, POSTGRES_URL, SAME_ORIGIN, amanat_env, run_amanat
from tests.factories.accounts import StaffHandle, create_customer, create_staff

PASSPHRASE = "harbour lantern violet backup"
EMAIL_A, EMAIL_B = "restore.alpha@example.pk", "restore.bravo@example.pk"


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    env = amanat_env(settings.data_dir, AMANAT_BACKUP_PASSPHRASE=PASSPHRASE, **extra)
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    return env


def amanat(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Without a terminal on standard input, as in a script or CI."""
    return subprocess.run(
        [str(AMANAT_BIN), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip


def email_of(settings: Settings, staff: StaffHandle, customer_id: str) -> Any:
    """The customer's e-mail as a security officer reads it (None when not readable)."""
    runtime = build_runtime(settings)
    try:
        with TestClient(
            create_app(runtime), base_url="https://testserver", headers=SAME_ORIGIN
        ) as client:
            answer = client.get(
                f"/api/v1/customers/{customer_id}",
                headers={"Authorization": f"Bearer {staff.api_token}",
                         "X-Access-Purpose": "security"},
            )  # fmt: skip
        return answer.json()["fields"]["email"] if answer.status_code == 200 else None
    finally:
        runtime.close()


def exists(settings: Settings, customer_id: str) -> bool:
    runtime = build_runtime(settings)
    try:
        with runtime.uow() as uow:
            return uow.session.get(Customer, customer_id) is not None
    finally:
        runtime.close()


def erase(runtime: Runtime, customer_id: str) -> None:
    with runtime.uow() as uow:
        customers.erase_customer(uow, runtime, Actor.system("tests"), customer_id)
        uow.commit()


@pytest.fixture
def empty_database(database_url: str | None) -> Iterator[str | None]:
    """A database for the empty machine: nothing for SQLite (its file is made), a new
    empty PostgreSQL database otherwise, dropped afterwards."""
    if database_url is None:
        yield None
        return
    name = f"amanat_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.slow
def test_backup_and_restore_round_trip_keeps_erasures_and_the_chain(
    runtime: Runtime, settings: Settings, tmp_path: Path, empty_database: str | None
) -> None:
    staff = create_staff(runtime, "security_officer")
    alpha = create_customer(runtime, email=EMAIL_A)
    bravo = create_customer(runtime, email=EMAIL_B)
    env = env_for(settings)
    first = tmp_path / "backup-1"
    made = amanat("backup", str(first), env=env)
    assert made.returncode == 0, made.stderr
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["database"] == ("postgresql" if settings.database_url else "sqlite")
    sealed = (first / "keys.sealed").read_bytes()
    master = json.loads((settings.resolved_key_dir / "master.key").read_text())
    assert master["versions"][0]["key"].encode() not in sealed
    assert alpha.encode() not in sealed  # the key rows name customers: sealed, unreadable
    snapshot = (first / next(n for n in manifest["files"] if n != "keys.sealed")).read_bytes()
    assert EMAIL_A.encode() not in snapshot

    erase(runtime, bravo)  # after the backup: the restore must not bring bravo back
    charlie = create_customer(runtime)

    refused = amanat("restore", str(first), env=env)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "This installation holds data; pass --yes to replace it with the backup."
    )
    wrong = amanat("restore", str(first), "--yes",
                   env={**env, "AMANAT_BACKUP_PASSPHRASE": "not the passphrase at all"})  # fmt: skip
    assert wrong.returncode == 2
    assert "The passphrase does not open" in wrong.stderr
    assert exists(settings, charlie)  # a refused restore changed nothing

    restored = amanat("restore", str(first), "--yes", env=env)
    assert restored.returncode == 0, restored.stderr
    assert "1 erasure(s) recorded since were applied again" in restored.stdout
    assert email_of(settings, staff, alpha) == EMAIL_A
    assert email_of(settings, staff, bravo) is None  # still erased: its key stays destroyed
    assert not exists(settings, charlie)  # made after the backup
    assert runtime.vault.keystore.keys_of(bravo) == []
    verified = run_amanat("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # A backup taken after the erasure, restored into an empty machine.
    second = tmp_path / "backup-2"
    assert amanat("backup", str(second), env=env).returncode == 0
    machine = Settings(
        environment="test", data_dir=tmp_path / "machine" / "data", database_url=empty_database
    )
    fresh = env_for(machine)
    into_empty = amanat("restore", str(second), env=fresh)  # nothing to overwrite: no --yes
    assert into_empty.returncode == 0, into_empty.stderr
    assert machine.cert_path.exists()
    assert email_of(machine, staff, alpha) == EMAIL_A
    assert email_of(machine, staff, bravo) is None
    verified = run_amanat("audit", "verify", env=fresh)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_backup_refuses_a_short_passphrase_and_a_directory_in_use(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    short = amanat("backup", str(tmp_path / "b"), env={**env_for(settings),
                   "AMANAT_BACKUP_PASSPHRASE": "short"})  # fmt: skip
    assert (short.returncode, short.stderr.strip()) == (2, (
        "The backup passphrase must be at least 12 characters; choose a longer one "
        "(AMANAT_BACKUP_PASSPHRASE, or type it when asked)."
    ))  # fmt: skip
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("keep")
    busy = amanat("backup", str(used), env=env_for(settings))
    assert busy.returncode == 2
    assert "is not empty" in busy.stderr
    missing = amanat("restore", str(tmp_path / "nothing"), env=env_for(settings))
    assert missing.returncode == 2
    assert "is not an Amanat backup" in missing.stderr
