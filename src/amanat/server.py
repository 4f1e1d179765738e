"""Serve the app over HTTPS only, TLS 1.2 or newer, with clear errors for a bad start."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import uvicorn

from amanat.app import create_app
from amanat.core.errors import ConfigError
from amanat.db import migrate
from amanat.db.engine import check_reachable
from amanat.runtime import Runtime


class _TLSConfig(uvicorn.Config):
    def load(self) -> None:
        super().load()
        assert self.ssl is not None
        self.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ssl.options |= ssl.OP_NO_COMPRESSION


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"Port {port} on {host} is in use or not available ({exc.strerror}); stop the "
                "other program or choose a port with AMANAT_PORT."
            ) from exc


def check_ready(runtime: Runtime) -> None:
    """Everything `serve` needs, checked before a socket is opened."""
    settings = runtime.settings
    url = runtime.engine.url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        # Connecting would create an empty file; say what is missing instead.
        raise ConfigError(
            f"There is no Amanat database at {url.database}; run `amanat init` first, or "
            "point AMANAT_DATA_DIR at an initialised data directory."
        )
    check_reachable(runtime.engine)
    if migrate.current_revision(runtime.engine) != migrate.head_revision():
        raise ConfigError("The database schema is not up to date; run `amanat init` first.")
    for path, what in ((settings.cert_path, "certificate"), (settings.cert_key_path, "key")):
        if not path.exists():
            raise ConfigError(f"The TLS {what} {path} is missing; run `amanat init` first.")
    check_port_free(settings.host, settings.port)


def make_server(runtime: Runtime) -> uvicorn.Server:
    settings = runtime.settings
    config = _TLSConfig(
        create_app(runtime),
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.cert_path),
        ssl_keyfile=str(settings.cert_key_path),
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    return uvicorn.Server(config)


def serve(runtime: Runtime) -> None:
    check_ready(runtime)
    make_server(runtime).run()
