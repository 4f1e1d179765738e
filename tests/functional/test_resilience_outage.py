"""Issue 18, faults: the database or the key store goes away under load and comes back.

Each test runs a PostgreSQL cluster of its own (tests/processes.py), so stopping it
disturbs no other test. While the database is away every request is answered 503 with a
sentence (never a 500, never a traceback) and the same `amanat serve` process serves
again once it is back, without a restart. While the key store is away nothing protected
is read or written: reads fail closed with a sentence, and a sign-up stores nothing,
least of all in plain text.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from amanat.composition import build_runtime
from amanat.config import KeySettings, Settings
from amanat.customers.models import Customer
from amanat.install import initialise
from amanat.runtime import Runtime
from amanat.vault.api import KeyStoreUnavailable
from amanat.web.errors import DATABASE_AWAY_MESSAGE
from tests.conftest import amanat_env, run_amanat
from tests.factories.accounts import signup_data, staff_page_cookie
from tests.factories.load import STAFF_PURPOSE, Load, World, bearer, check_acknowledged, seed_world
from tests.processes import AmanatProcess, PrivatePostgres, free_port, private_postgres

pytestmark = pytest.mark.slow
GUARD = 120.0  # seconds: a guard against a hang, never a speed assertion
KEY_STORE_AWAY = KeyStoreUnavailable().message


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as running:
        yield running


def installation(settings: Settings) -> tuple[Runtime, World]:
    runtime = build_runtime(settings)
    initialise(runtime)
    return runtime, seed_world(runtime, settings, customers=6)


def server_for(settings: Settings, world: World, tmp_path: Path, **extra: str) -> AmanatProcess:
    env = amanat_env(
        settings.data_dir,
        AMANAT_SUPPORT_SMTP_LISTEN=f"127.0.0.1:{free_port()}",
        AMANAT_THROTTLING="false",  # sign-ups from one address; not what is tested here
        **world.server_env(),
        **extra,
    )
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    return AmanatProcess(env, tmp_path / "serve.log", "serve")


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_postgresql_restarted_under_load_is_503_with_a_sentence_then_serves_again(
    cluster: PrivatePostgres, tmp_path: Path
) -> None:
    settings = Settings(
        environment="test", data_dir=tmp_path / "data",
        database_url=cluster.create_database("amanat"),
    )  # fmt: skip
    runtime, world = installation(settings)
    console = {"Cookie": staff_page_cookie(runtime, world.staff)["Cookie"], "Accept": "text/html"}
    server = server_for(settings, world, tmp_path)
    server.start()
    load = Load(server.client, world, tolerated=frozenset({503})).start()
    try:
        load.wait_for(20, each=1)
        cluster.stop()
        wait_until(lambda: load.answers.get(503, 0) >= 8, "no request met the lost database")
        customer = world.customers[0]
        with server.client() as client:
            health = client.get("/healthz")
            assert (health.status_code, health.json()["database"]) == (503, "unreachable")
            me = client.get("/api/v1/me", headers=bearer(customer.token))
            assert me.status_code == 503
            assert me.json() == {"error": "unavailable", "message": DATABASE_AWAY_MESSAGE}
            assert me.headers["retry-after"].isdigit()
            page = client.get("/staff", headers=console)
            assert page.status_code == 503
            assert DATABASE_AWAY_MESSAGE in page.text.replace("&#39;", "'")
        before = load.done.total()
        pid = server.process.pid if server.process else None
        cluster.start()
        wait_until(lambda: load.done.total() >= before + 20, "Amanat did not serve again")
        assert server.process is not None and server.process.poll() is None
        assert server.process.pid == pid  # the same process: no restart
        done = load.stop()
        assert done.unexpected == [], done.unexpected  # 503 while away, never a 500
        check_acknowledged(server, world, done)
        verified = run_amanat("audit", "verify", env=server.env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        load.stop()
        server.stop()
        runtime.close()
        assert "Traceback" not in server.output()


def test_key_store_away_fails_closed_with_a_sentence_and_writes_nothing(
    cluster: PrivatePostgres, tmp_path: Path
) -> None:
    keys = cluster.create_database("keys")
    settings = Settings(
        environment="test", data_dir=tmp_path / "data", keys=KeySettings(store_url=keys)
    )
    runtime, world = installation(settings)
    server = server_for(settings, world, tmp_path, AMANAT_KEYSTORE_URL=keys)
    server.start()
    staff = bearer(world.staff.api_token, **{"X-Access-Purpose": STAFF_PURPOSE})
    first, second = world.customers[0], world.customers[1]
    try:
        with server.client() as client:
            # The server unwraps the blind-index root key and the first customer's key.
            assert client.get(f"/api/v1/customers/{first.id}", headers=staff).status_code == 200
            cluster.stop()
            read = client.get(f"/api/v1/customers/{second.id}", headers=staff)
            assert read.status_code == 503, read.text
            assert read.json() == {"error": "unavailable", "message": KEY_STORE_AWAY}
            own = client.get("/api/v1/me", headers=bearer(second.token))
            assert (own.status_code, own.json()["message"]) == (503, KEY_STORE_AWAY)
            canary = signup_data(name="Keyless Canary", email="keyless.canary@example.pk")
            signed = client.post("/api/v1/signup", json=canary)
            assert (signed.status_code, signed.json()["message"]) == (503, KEY_STORE_AWAY)
            with runtime.engine.connect() as conn:
                customers = conn.execute(select(func.count()).select_from(Customer)).scalar()
            assert customers == len(world.customers)
            database = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
            stored = b"".join(p.read_bytes() for p in database.parent.glob("amanat.db*"))
            for value in (b"keyless.canary", b"Keyless Canary", canary["cnic"].encode()):
                assert value not in stored
            cluster.start()
            again = client.get(f"/api/v1/customers/{second.id}", headers=staff)
            assert again.status_code == 200, again.text  # the same process, key store back
            assert client.post("/api/v1/signup", json=canary).status_code == 202
    finally:
        server.stop()
        runtime.close()
        assert "Traceback" not in server.output()
