"""Canary: personal data is stored as ciphertext only, everywhere under the data directory.

A business customer signs up through the real HTTP API with a distinctive canary in every
personal field, verifies the address and signs in (which stores technical data). Then the
raw bytes of every file under the data directory (the SQLite database and its WAL, the
logs, kept mail, the key store) are searched for each canary as typed, case-folded and as
digits only; on PostgreSQL a pg_dump of the database is searched too. Zero hits, while
a positive control (the customer's id) and the decrypted profile prove the search looks at
the right data.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from amanat.comms import service as outbox
from amanat.core.actor import Actor
from amanat.core.logging import configure_logging
from amanat.customers import service as customers
from amanat.runtime import Runtime

PASSWORD = "Quetzal-Canary-Passphrase-9"
CANARY = {
    "name": "Zebulon Quetzalcanary",
    "email": "Zebulon.Quetzalcanary@Example.PK",
    "phone": "0301 7654329",
    "cnic": "35202-7654329-7",
    "company": "Quetzalcanary Fibre Works (Pvt) Ltd",
    "ntn": "7654329-6",
    "address": {
        "line1": "House 77, Quetzalcanary Street",
        "line2": "Sector Q-9 Canaryvale",
        "city": "Islamabad",
        "province": "Islamabad Capital Territory",
        "postal_code": "44000",
    },
}
# What is searched for. City, province and postal code are shared by many people and
# would match the policy text or unrelated numbers; the two address lines carry the
# canary for the address field, which is encrypted as one value.
NEEDLES = [
    CANARY["name"], CANARY["email"], CANARY["phone"], CANARY["cnic"], CANARY["company"],
    CANARY["ntn"], CANARY["address"]["line1"], CANARY["address"]["line2"], PASSWORD,  # type: ignore[index]
    "+923017654329", "Quetzalcanary",
]  # fmt: skip


def _spellings(needle: str) -> set[bytes]:
    digits = "".join(c for c in needle if c.isdigit())
    forms = {needle, needle.casefold(), needle.upper()}
    found = {f.encode() for f in forms} | {f.encode("utf-16-le") for f in forms}
    if len(digits) >= 7:  # shorter digit runs occur by chance in any binary file
        found.add(digits.encode())
    return found


def _hits(blob: bytes) -> list[str]:
    return sorted({needle for needle in NEEDLES for form in _spellings(needle) if form in blob})


@pytest.fixture
def logged(runtime: Runtime) -> Iterator[Path]:
    """The application's real JSON log file, as `amanat serve` configures it."""
    configure_logging("DEBUG", runtime.settings.log_path)
    try:
        yield runtime.settings.log_path
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler, logging.FileHandler):
                root.removeHandler(handler)
                handler.close()


def test_canaries_are_nowhere_in_plaintext(client: Any, runtime: Runtime, logged: Path) -> None:
    body = {"kind": "business", "password": PASSWORD, **CANARY}
    response = client.post("/api/v1/signup", json=body)
    assert response.status_code == 202, response.text
    with runtime.uow() as uow:
        created = customers.find_by_email(uow, runtime, CANARY["email"].casefold())
        assert created is not None
        customer_id = created.id
    with runtime.uow() as uow:
        for entry in outbox.list_outbox(uow):
            if entry.customer_id == customer_id:
                mail = outbox.show_message(uow, runtime, entry.id).body
        uow.commit()
    token = mail.split("/account/verify/", 1)[1].split()[0]
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
    signed_in = client.post(
        "/api/v1/auth/login",
        json={"email": CANARY["email"], "password": PASSWORD},
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
    )
    assert signed_in.status_code == 200, signed_in.text

    # The data is really there, readable through the guard ...
    with runtime.uow() as uow:
        profile = customers.read_profile(uow, runtime, Actor.customer(customer_id), customer_id)
        uow.commit()
    assert profile.name == CANARY["name"] and profile.company == CANARY["company"]
    # ... and findable by its blind index, typed differently.
    with runtime.uow() as uow:
        found = customers.find_by_email(uow, runtime, "zebulon.quetzalcanary@example.pk")
        assert found is not None and found.id == customer_id

    for handler in logging.getLogger().handlers:
        handler.flush()
    assert logged.exists() and logged.stat().st_size > 0
    # The data directory and, beside it, the key store: every file Amanat wrote.
    folders = (runtime.settings.data_dir, runtime.settings.resolved_key_dir)
    files = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"keystore.db", "master.key", "amanat.jsonl"} <= names
    if runtime.settings.database_url is None:
        assert {"amanat.db", "amanat.db-wal"} <= names  # the WAL holds the recent writes

    everything = b"".join(p.read_bytes() for p in files)
    assert customer_id.encode() in everything  # positive control: the search sees the rows
    assert _hits(everything) == []

    if runtime.settings.database_url is not None:
        dump = _pg_dump(runtime.settings.database_url)
        assert customer_id.encode() in dump
        assert _hits(dump) == []


def _pg_dump(url: str) -> bytes:
    pg_dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    parsed = make_url(url)
    result = subprocess.run(
        [
            pg_dump, "--no-owner", "--host", parsed.host or "127.0.0.1", "--port",
            str(parsed.port or 5432), "--username", parsed.username or "postgres",
            parsed.database or "test",
        ],
        capture_output=True, check=True,
    )  # fmt: skip
    assert b"COPY public.customers" in result.stdout
    return result.stdout
