"""The `amanat` command. Each domain declares its sub-commands in its Domain (amanat.composition)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from pydantic import ValidationError

from amanat import composition
from amanat.config import Settings
from amanat.core.errors import AmanatError
from amanat.core.logging import configure_logging
from amanat.policy.loader import PolicyInvalid
from amanat.runtime import Runtime

app = typer.Typer(
    help="Amanat: the customer data platform that keeps its privacy policy's promises.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for _name, _sub in composition.sub_apps():
    app.add_typer(_sub, name=_name)

F = TypeVar("F", bound=Callable[..., Any])


@app.callback()
def _root() -> None:
    settings_from_context()


def settings_from_context() -> Settings:
    """Settings from the environment, or exit 2 naming the variable to fix."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "AMANAT_" + "_".join(str(p) for p in first["loc"]).upper()
        typer.echo(f"Setting {name} is invalid: {first['msg']}.", err=True)
        raise typer.Exit(2) from exc


def operator_errors(func: F) -> F:
    """Turn domain errors into one sentence on stderr and exit 2; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicyInvalid as exc:
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            typer.echo(exc.summary, err=True)
            raise typer.Exit(2) from exc
        except AmanatError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(2) from exc

    return wrapper  # type: ignore[return-value]


def open_runtime() -> Runtime:
    """The runtime for a command (raises PolicyInvalid or ConfigError for the wrapper)."""
    return composition.build_runtime(settings_from_context())


@app.command()
@operator_errors
def init() -> None:
    """Create the data directory, database schema, key store and TLS certificate (idempotent)."""
    from amanat.install import initialise

    runtime = open_runtime()
    try:
        report = initialise(runtime)
    finally:
        runtime.close()
    for line in report.created:
        typer.echo(f"created   {line}")
    for line in report.unchanged:
        typer.echo(f"unchanged {line}")


@app.command()
@operator_errors
def serve() -> None:
    """Serve the portal, staff console and API over HTTPS (TLS 1.2 or newer)."""
    from amanat.server import check_ready, make_server

    settings = settings_from_context()
    runtime = open_runtime()
    check_ready(runtime)  # before the log file is made: a refused start creates nothing
    configure_logging(settings.log_level, settings.log_path)
    typer.echo(f"Amanat is serving {settings.resolved_public_url}")
    if settings.support_smtp_in_server:
        for start_listener in composition.listeners():
            start_listener(runtime)
    make_server(runtime).run()


@app.command()
@operator_errors
def demo() -> None:
    """Initialise, load synthetic demo data and serve; prints the URL and demo sign-ins."""
    from amanat.demo import seed_demo
    from amanat.install import initialise
    from amanat.server import check_port_free, check_ready, make_server

    settings = settings_from_context()
    runtime = open_runtime()
    check_port_free(settings.host, settings.port)  # before init: a busy port creates nothing
    initialise(runtime)
    lines = seed_demo(runtime)
    check_ready(runtime)
    configure_logging(settings.log_level, settings.log_path)
    typer.echo(f"\nAmanat demo: {settings.resolved_public_url}/")
    typer.echo(f"Privacy notice: {settings.resolved_public_url}/privacy")
    for line in lines:
        typer.echo(line)
    typer.echo(
        "The certificate is self-signed for localhost; your browser will ask you to accept it.\n"
    )
    make_server(runtime).run()


@app.command()
@operator_errors
def worker() -> None:
    """Run background work: the inbound support mail listener (AMANAT_SUPPORT_SMTP_LISTEN)."""
    from amanat.worker import run_worker

    settings = settings_from_context()
    runtime = open_runtime()
    configure_logging(settings.log_level, settings.log_path)

    def started(lines: list[str]) -> None:
        for line in lines:
            typer.echo(f"Amanat worker: {line}")

    try:
        run_worker(runtime, started=started)
    finally:
        runtime.close()


@app.command()
@operator_errors
def doctor() -> None:
    """Self-audit: protections, keys, staff training, policy, audit log, dependencies.

    Exit 0 when all is well; exit 1 when any protection is off or any check fails.
    """
    from amanat.doctor import run_checks

    runtime = open_runtime()
    try:
        report = run_checks(runtime)
    finally:
        runtime.close()
    area = ""
    for finding in report.findings:
        if finding.area != area:
            area = finding.area
            typer.echo(area.capitalize())
        mark = {"ok": "ok  ", "off": "OFF ", "failing": "FAIL"}[finding.state]
        typer.echo(f"  {mark} {finding.name}: {finding.detail}")
    if report.healthy:
        typer.echo("doctor: all is well.")
        return
    typer.echo(f"doctor: {report.problems} finding(s) need attention (OFF or FAIL above).")
    raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
