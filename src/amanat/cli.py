"""The `amanat` command. Each domain declares its sub-commands in its Domain (amanat.composition)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from amanat import composition
from amanat.cli_kit import (
    build_command_runtime,
    offer_runtime_builder,
    open_runtime,
    operator_errors,
    settings_from_context,
)
from amanat.config import describe_settings
from amanat.core.logging import configure_logging

app = typer.Typer(
    help="Amanat: the customer data platform that keeps its privacy policy's promises.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for _name, _sub in composition.sub_apps():
    app.add_typer(_sub, name=_name)


@app.callback()
def _root() -> None:
    settings_from_context()
    # Sub-commands open the runtime through the kit; it is built with every domain's
    # reference checkers and erasure hooks, which only the composition knows.
    offer_runtime_builder(composition.build_runtime)


@app.command()
@operator_errors
def init() -> None:
    """Create the data directory, database schema, key store and TLS certificate (idempotent)."""
    from amanat.install import initialise

    with open_runtime() as runtime:
        report = initialise(runtime)
    for line in report.created:
        typer.echo(f"created   {line}")
    for line in report.unchanged:
        typer.echo(f"unchanged {line}")


@app.command()
@operator_errors
def serve() -> None:
    """Serve the portal, staff console and API over HTTPS (TLS 1.2 or newer); with
    AMANAT_WORKERS=N, N worker processes behind the one address."""
    from amanat.server import check_ready, make_server, serve_workers

    settings = settings_from_context()
    runtime = build_command_runtime()
    check_ready(runtime)  # before the log file is made: a refused start creates nothing
    configure_logging(settings.log_level, settings.log_path)
    typer.echo(f"Amanat is serving {settings.resolved_public_url}")
    if settings.support.smtp_in_server:
        for start_listener in composition.listeners():
            start_listener(runtime)
    if settings.workers > 1:
        serve_workers(settings)
    else:
        make_server(runtime).run()


@app.command()
@operator_errors
def demo() -> None:
    """Initialise, load synthetic demo data and serve; prints the URL and demo sign-ins."""
    from amanat.demo import seed_demo
    from amanat.install import initialise
    from amanat.server import check_port_free, check_ready, make_server

    settings = settings_from_context()
    runtime = build_command_runtime()
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

    def started(lines: list[str]) -> None:
        for line in lines:
            typer.echo(f"Amanat worker: {line}")

    with open_runtime() as runtime:
        configure_logging(settings.log_level, settings.log_path)
        run_worker(runtime, started=started)


@app.command()
@operator_errors
def doctor(
    settings: Annotated[
        bool,
        typer.Option(
            "--settings",
            help="List every setting (variable, value, default, meaning) instead; "
            "secrets show only as set or not set.",
        ),
    ] = False,
) -> None:
    """Self-audit: protections, keys, staff training, policy, audit log, dependencies.

    Exit 0 when all is well; exit 1 when any protection is off or any check fails.
    """
    from amanat.doctor import run_checks

    if settings:
        _list_settings()
        return
    with open_runtime() as runtime:
        report = run_checks(runtime)
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


def _list_settings() -> None:
    lines = describe_settings(settings_from_context())
    width = max(len(line.variable) for line in lines)
    for line in lines:
        typer.echo(f"{line.variable:<{width}}  {line.value}  (default {line.default})")
        typer.echo(f"{'':<{width}}  {line.description}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
