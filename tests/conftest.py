"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is found at AMANAT_TEST_POSTGRES_URL (default the local server's `test`
database). Without CI=true an unreachable server skips the PostgreSQL half; with CI=true
it fails the run, so CI can never pass without having tested PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from amanat.composition import build_runtime, load_models
from amanat.config import Settings
from amanat.db.base import Base
from amanat.runtime import Runtime

POSTGRES_URL = os.environ.get(
    "AMANAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 -- any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    problem = _postgres_reachable()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {POSTGRES_URL} is unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable ({problem}); set CI=true to make this fatal")
    name = f"amanat_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None means SQLite in the data directory; else a PostgreSQL URL, emptied after the test."""
    if request.param == "sqlite":
        yield None
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    _empty_postgres(url)


def _empty_postgres(url: str) -> None:
    load_models()
    engine = create_engine(url)
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        existing = set(
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        )
        names = ", ".join(f'"{t}"' for t in tables if t in existing)
        if names:
            # TRUNCATE is not a row-level UPDATE or DELETE: it passes the audit table's
            # append-only triggers, which is what a test reset needs and nothing else uses.
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        # The OWASP minimum is the floor and the default; tests use it as it ships.
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """An initialised installation (schema, keys, certificate) on the test's database."""
    from amanat.install import initialise

    rt = build_runtime(settings)
    initialise(rt)
    try:
        yield rt
    finally:
        rt.close()


# What a browser on Amanat's own pages sends with every request; the JSON API refuses a
# cookie-authenticated write without it (issue 10, F-08). Cross-site tests override it.
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[object]:
    """The app in process, over HTTPS as far as the app can tell."""
    from fastapi.testclient import TestClient

    from amanat.app import create_app

    with TestClient(
        create_app(runtime), base_url="https://testserver", headers=SAME_ORIGIN
    ) as test_client:
        yield test_client


def trusting_context(settings: Settings) -> ssl.SSLContext:
    """A TLS client context that trusts exactly this installation's certificate."""
    return ssl.create_default_context(cafile=str(settings.cert_path))


def trusting_client(settings: Settings, **kwargs: Any) -> httpx.Client:
    """An httpx client that verifies the server against the installation's certificate."""
    headers = {**SAME_ORIGIN, **kwargs.pop("headers", {})}
    # A generous read timeout: a guard against a hung server, not a speed assertion (CI
    # shares two cores between test workers; httpx's 5 s default was seen to trip).
    kwargs.setdefault("timeout", httpx.Timeout(60.0))
    return httpx.Client(verify=trusting_context(settings), headers=headers, **kwargs)


@dataclass
class LiveServer:
    """A real Amanat HTTPS server (uvicorn, TLS 1.2+) on a loopback port, in a thread."""

    url: str
    runtime: Runtime

    @property
    def port(self) -> int:
        return self.runtime.settings.port

    def client(self, **kwargs: Any) -> httpx.Client:
        """A client for this server that verifies its certificate; close it after use."""
        return trusting_client(self.runtime.settings, base_url=self.url, **kwargs)


@contextmanager
def serving(runtime: Runtime) -> Iterator[LiveServer]:
    """Serve ``runtime`` with `amanat.server.make_server` on a free loopback port, in a
    thread, until the block ends. The port is taken by binding port 0 and handing that
    socket to uvicorn, so no other process can grab it in between; ``runtime.settings``
    gets that port, so the app's public URL is right."""
    from amanat.server import make_server

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    runtime.settings = runtime.settings.model_copy(update={"host": "127.0.0.1", "port": port})
    server = make_server(runtime)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name=f"amanat-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 60  # a start-up guard, not a speed assertion
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            listener.close()
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(url=f"https://127.0.0.1:{port}", runtime=runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        listener.close()


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[LiveServer]:
    """A real Amanat HTTPS server for the initialised ``runtime``, on both databases.

    Use ``live_server.client()`` for an httpx client that trusts the installation's
    self-signed certificate, and ``live_server.runtime`` for the same runtime.
    """
    with serving(runtime) as server:
        yield server


AMANAT_BIN = Path(sys.executable).parent / "amanat"


def amanat_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment for a real `amanat` process: this process's, minus every AMANAT_
    variable, plus a data directory and ``overrides`` (e.g. AMANAT_DATABASE_URL=...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMANAT_")}
    env.update(AMANAT_DATA_DIR=str(data_dir), AMANAT_ENVIRONMENT="test", COLUMNS="200")
    env.update(overrides)
    return env


def run_amanat(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed `amanat` command as an operator would; output is captured."""
    return subprocess.run(
        [str(AMANAT_BIN), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# Browser tests drive Debian's Chromium (never a downloaded browser) through Playwright.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium per test module (Playwright's sync API keeps an event loop of its
    own, so it is not left running across other modules' tests); tests open contexts."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail("Debian's chromium is not installed; `make browser-deps` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
