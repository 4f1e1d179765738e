"""`amanat audit verify|export|checkpoint`."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer

from amanat.cli_kit import open_runtime, operator_errors, unit_of_work

app = typer.Typer(help="Verify and export the tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
@operator_errors
def verify() -> None:
    """Check every event's hash, every link and every signed checkpoint.

    Exit 0 and the counts when intact; exit 1 naming the first bad sequence number.
    """
    from rich.progress import Progress

    from amanat.governance.service import verify as verify_log

    with (
        open_runtime() as runtime,
        Progress(transient=True, disable=not sys.stderr.isatty()) as progress,
    ):
        task = progress.add_task("verifying", total=None)
        report = verify_log(runtime, lambda n: progress.advance(task, n))
    if report.intact:
        typer.echo(
            f"audit log intact: {report.events} events and {report.checkpoints} signed "
            "checkpoints verified"
        )
        return
    typer.echo(
        f"audit log BROKEN at sequence {report.first_bad_seq}: {report.problem} "
        f"({report.events} events verified before it)"
    )
    raise typer.Exit(1)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter("give the date as YYYY-MM-DD, e.g. 2025-07-01") from exc


@app.command("export")
@operator_errors
def export(
    since: Annotated[str, typer.Option("--since", help="First day to export (YYYY-MM-DD, UTC).")],
) -> None:
    """Write events from DATE on as JSON lines (with their chain hashes) to stdout."""
    from amanat.governance.service import export as export_log

    start = _parse_date(since)
    with open_runtime() as runtime:
        for line in export_log(runtime, start):
            sys.stdout.write(line + "\n")


@app.command("checkpoint")
@operator_errors
def checkpoint() -> None:
    """Sign the current head of the chain now (also done every N events or T minutes)."""
    from amanat.governance.service import checkpoint_now

    with unit_of_work() as (runtime, uow):
        seq = checkpoint_now(uow, runtime)
    typer.echo("the audit log is empty" if seq is None else f"checkpoint signed at {seq}")
