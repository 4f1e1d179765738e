"""HTTPS as a real TLS client sees it: protocol versions, plain HTTP, headers, health."""

from __future__ import annotations

import http.client
import shutil
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.vault.tls import ensure_self_signed_certificate
from tests.conftest import LiveServer, serving, trusting_context

ONE_YEAR = 365 * 24 * 3600


def client_context(settings: Settings, version: ssl.TLSVersion) -> ssl.SSLContext:
    """A verifying client that speaks exactly one TLS version."""
    context = trusting_context(settings)
    context.minimum_version = version
    context.maximum_version = version
    return context


def get(
    server: LiveServer, path: str, context: ssl.SSLContext
) -> tuple[http.client.HTTPResponse, str]:
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert connection.sock is not None
        return response, str(connection.sock.version())  # type: ignore[attr-defined]
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("version", "name"),
    [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")],
)
def test_tls_1_2_and_1_3_are_served(
    live_server: LiveServer, version: ssl.TLSVersion, name: str
) -> None:
    response, negotiated = get(
        live_server, "/privacy", client_context(live_server.runtime.settings, version)
    )
    assert negotiated == name
    assert response.status == 200


def legacy_context(cafile: Path | None) -> ssl.SSLContext:
    """A client that speaks TLS 1.0 or 1.1 at most, as an outdated browser would."""
    with warnings.catch_warnings():  # the deprecated protocols are what this client is for
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS < 1.2 above 0
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    if cafile is not None:
        context.load_verify_locations(cafile=str(cafile))
    return context


@contextmanager
def permissive_tls_server(cert: Path, key: Path) -> Iterator[int]:
    """A control server that accepts TLS 1.1: proves the legacy client can handshake."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.load_cert_chain(str(cert), str(key))
    listener = socket.create_server(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])

    def accept_one() -> None:
        connection, _ = listener.accept()
        try:
            with context.wrap_socket(connection, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=accept_one, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        listener.close()
        thread.join(timeout=30)


def test_a_tls_1_1_client_gets_no_page(live_server: LiveServer) -> None:
    settings = live_server.runtime.settings
    context = legacy_context(settings.cert_path)
    # Control: the same client does complete a TLS 1.1 handshake where it is allowed.
    with (
        permissive_tls_server(settings.cert_path, settings.cert_key_path) as port,
        socket.create_connection(("127.0.0.1", port), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() in {"TLSv1", "TLSv1.1"}
        tls.sendall(b"x")
    # Amanat refuses the handshake, so no request is ever read and no page sent.
    with (
        socket.create_connection(("127.0.0.1", live_server.port), timeout=30) as raw,
        pytest.raises(ssl.SSLError) as refused,
    ):
        context.wrap_socket(raw, server_hostname="127.0.0.1")
    # The server either alerts (protocol_version) or just hangs up; both end the handshake.
    assert isinstance(refused.value, ssl.SSLEOFError) or "PROTOCOL_VERSION" in str(refused.value)


def test_plain_http_to_the_port_gets_no_page(live_server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=30) as raw:
        raw.sendall(b"GET /privacy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        received = b""
        try:
            while chunk := raw.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    assert not received.startswith(b"HTTP/")
    assert b"Privacy notice" not in received


SECURITY_PATHS = [
    pytest.param("/", 200, "text/html", id="page-home"),
    pytest.param("/privacy", 200, "text/html", id="page-privacy"),
    pytest.param("/healthz", 200, "application/json", id="health"),
    pytest.param("/api/v1/policy", 200, "application/json", id="api"),
    pytest.param("/api/openapi.json", 200, "application/json", id="openapi"),
    pytest.param("/no-such-page", 404, "text/html", id="error-page"),
    pytest.param("/api/v1/no-such-thing", 404, "application/json", id="error-api"),
    pytest.param("/static/amanat.css", 200, "text/css", id="static"),
]


@pytest.mark.parametrize(("path", "status", "content_type"), SECURITY_PATHS)
def test_security_headers_on_pages_api_and_errors(
    live_server: LiveServer, path: str, status: int, content_type: str
) -> None:
    with live_server.client() as client:
        response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    hsts = response.headers["strict-transport-security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= ONE_YEAR
    csp = [d.strip() for d in response.headers["content-security-policy"].split(";")]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "server" not in response.headers


def test_a_wrong_method_is_an_error_with_headers(live_server: LiveServer) -> None:
    with live_server.client() as client:
        response = client.delete("/privacy")
    assert response.status_code == 405
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" in response.headers


def test_healthz_and_openapi_are_served(live_server: LiveServer) -> None:
    with live_server.client() as client:
        health = client.get("/healthz")
        openapi = client.get("/api/openapi.json")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "reachable"}
    assert openapi.status_code == 200
    document = openapi.json()
    assert document["openapi"].startswith("3.")
    assert "/healthz" in document["paths"]
    assert "/api/v1/policy" in document["paths"]


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released, never listened to)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_healthz_is_503_when_postgresql_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/amanat",
    )
    ensure_self_signed_certificate(settings.cert_path, settings.cert_key_path)
    runtime = build_runtime(settings)
    try:
        with serving(runtime) as server, server.client() as client:
            health = client.get("/healthz")
            page = client.get("/privacy")
    finally:
        runtime.close()
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "unreachable"}
    assert "strict-transport-security" in health.headers
    assert page.status_code == 200  # the notice needs no database


def test_healthz_follows_the_sqlite_file_going_away_and_back(tmp_path: Path) -> None:
    from amanat.install import initialise

    settings = Settings(environment="test", data_dir=tmp_path / "data")
    runtime = build_runtime(settings)
    initialise(runtime)
    database = settings.data_dir / "amanat.db"
    moved = tmp_path / "moved"
    try:
        with serving(runtime) as server, server.client() as client:
            assert client.get("/healthz").status_code == 200
            # Take the database away as a failed disk or a wrong mount would: the file's
            # path now names a directory, which SQLite cannot open.
            runtime.engine.dispose()
            moved.mkdir()
            for path in settings.data_dir.glob("amanat.db*"):
                shutil.move(path, moved / path.name)
            database.mkdir()
            assert client.get("/healthz").status_code == 503
            database.rmdir()
            for path in moved.iterdir():
                shutil.move(path, settings.data_dir / path.name)
            assert client.get("/healthz").status_code == 200
    finally:
        runtime.close()
