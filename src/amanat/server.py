"""Serve the app over HTTPS only, TLS 1.2 or newer, with clear errors for a bad start.

One process by default. With AMANAT_WORKERS=N, `amanat serve` binds its one address and
runs N worker processes on that socket (uvicorn's supervisor, which replaces a worker
that dies); each worker builds its own runtime from the same environment. Nothing a
request needs lives in one worker's memory: sessions, counters and job claims are in the
database (or Redis), and the audit chain is appended under one lock (docs/operations.md,
"Many workers").
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from amanat.app import create_app
from amanat.config import Settings, load_settings
from amanat.core.errors import ConfigError
from amanat.core.logging import configure_logging
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


def _config(app: FastAPI | str, settings: Settings, **kwargs: object) -> _TLSConfig:
    return _TLSConfig(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.cert_path),
        ssl_keyfile=str(settings.cert_key_path),
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        **kwargs,  # type: ignore[arg-type]  # uvicorn.Config's keyword arguments
    )


def make_server(runtime: Runtime) -> uvicorn.Server:
    return uvicorn.Server(_config(create_app(runtime), runtime.settings))


def worker_app() -> FastAPI:
    """The app of one worker process of `serve_workers` (uvicorn's factory, called in the
    worker): settings from the environment the supervisor passed down, a runtime of its
    own, logging to the same file."""
    from amanat import composition

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_path)
    return create_app(composition.build_runtime(settings))


def serve_workers(settings: Settings) -> None:
    """Bind the address once and run ``settings.workers`` worker processes on it until
    SIGINT or SIGTERM; a worker that dies is replaced. Call after ``check_ready``."""
    config = _config("amanat.server:worker_app", settings, factory=True, workers=settings.workers)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def serve(runtime: Runtime) -> None:
    check_ready(runtime)
    make_server(runtime).run()
