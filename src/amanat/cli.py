"""The `amanat` command. Each domain declares its sub-commands in its Domain (amanat.composition)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from amanat import composition
from amanat.cli_kit import (
    build_command_runtime,
    fail,
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


def _passphrase(*, twice: bool) -> str:
    given = settings_from_context().backup_passphrase
    if given is not None:
        return given.get_secret_value()
    if not sys.stdin.isatty():
        fail("Set AMANAT_BACKUP_PASSPHRASE, or run this in a terminal to type the passphrase.")
    typed: str = typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=twice)
    return typed


@app.command()
@operator_errors
def backup(
    directory: Annotated[Path, typer.Argument(help="A new or empty directory for the backup.")],
) -> None:
    """Back up while serving: a database snapshot, and the key store sealed under a
    passphrase (AMANAT_BACKUP_PASSPHRASE, else asked for) in a file of its own."""
    from amanat.backup import make_backup

    passphrase = _passphrase(twice=True)
    with open_runtime() as runtime:
        report = make_backup(runtime, directory, passphrase)
    typer.echo(
        f"Backed up the {report.database} database (schema {report.revision}) and "
        f"{report.keys['data_keys']} data keys to {report.directory}; keep keys.sealed and "
        "its passphrase apart from the database copy."
    )


@app.command()
@operator_errors
def restore(
    directory: Annotated[Path, typer.Argument(help="A directory `amanat backup` wrote.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace an installation that holds data without asking.")
    ] = False,
) -> None:
    """Restore a backup into this installation (stop serve and worker first); erasures
    recorded since are applied again, so nobody erased comes back."""
    from amanat.backup import open_backup, restore_backup
    from amanat.install import initialise

    found = open_backup(directory, _passphrase(twice=False))

    def confirm(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            fail("This installation holds data; pass --yes to replace it with the backup.")
        return typer.confirm(question)

    report = restore_backup(settings_from_context(), found, confirm)
    with open_runtime() as runtime:
        initialise(runtime)  # what a machine needs beyond the data (the TLS certificate)
    typer.echo(
        f"Restored the {report.database} database (schema {report.revision}) and its keys "
        f"from {directory}; {report.erasures_reapplied} erasure(s) recorded since were "
        "applied again."
    )


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
