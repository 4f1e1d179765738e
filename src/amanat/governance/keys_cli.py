"""`amanat keys ...`: key status, rotation and the erasure ledger's replay."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from amanat.cli_kit import fail, open_runtime, operator_errors

app = typer.Typer(
    help="Master and data keys: status, rotation, erasure ledger.", no_args_is_help=True
)


def _age(at: datetime | None) -> str:
    if at is None:
        return "unknown"
    days = (datetime.now(UTC) - at).days
    return f"{days} day{'s' if days != 1 else ''}"


@app.command()
@operator_errors
def status() -> None:
    """Show master key versions, their ages, and how many data keys each wraps."""
    from amanat.governance.service import key_status

    with open_runtime() as runtime:
        report = key_status(runtime)
    console = Console()
    console.print(f"Master key: {report.provider}")
    console.print(f"Key store:  {report.store}")
    table = Table("version", "created", "age", "wraps data keys", "current")
    for v in report.master_versions:
        created = v.created_at.date().isoformat() if v.created_at else "unknown"
        table.add_row(
            str(v.version),
            created,
            _age(v.created_at),
            str(v.wraps),
            "yes" if v.current else "",
        )
    console.print(table)
    oldest = _age(report.oldest_active_key) if report.active_data_keys else "none"
    console.print(
        f"Data keys: {report.active_data_keys} active, {report.retired_data_keys} retired "
        f"(awaiting re-encryption); oldest active key: {oldest}."
    )
    console.print(f"Erasures in the ledger: {report.erasures}.")


@contextmanager
def _progress_bar() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        yield bar


@app.command()
@operator_errors
def rotate(
    master: bool = typer.Option(
        False, "--master", help="Add a master key version and rewrap every data key under it."
    ),
    customer_keys: bool = typer.Option(
        False,
        "--customer-keys",
        help="Give every customer a new data key and re-encrypt their fields under it.",
    ),
    batch_size: int = typer.Option(1000, min=1, max=100_000, help="Keys or rows per transaction."),
) -> None:
    """Rotate keys online, in batches; re-run after a crash to finish the job."""
    from amanat.governance.service import rotate_customer_keys, rotate_master

    if master == customer_keys:
        fail("Choose exactly one of --master or --customer-keys.")
    with open_runtime() as runtime, _progress_bar() as bar:
        tasks: dict[str, object] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total or None)
            bar.update(tasks[phase], completed=done, total=total or None)  # type: ignore[arg-type]

        if master:
            report = rotate_master(runtime, batch_size=batch_size, progress=progress)
            summary = (
                f"{'Resumed: ' if report.resumed else ''}master key version "
                f"{report.version} now wraps every key ({report.rewrapped} rewrapped)."
            )
        else:
            keys = rotate_customer_keys(runtime, batch_size=batch_size, progress=progress)
            summary = (
                f"{'Resumed: ' if keys.resumed else ''}{keys.new_keys} new data keys, "
                f"{keys.reencrypted} values re-encrypted, {keys.keys_deleted} old keys "
                f"deleted."
            )
            if keys.unreadable:
                summary += (
                    f" {keys.unreadable} values could not be read and were left as "
                    "they are; run `amanat doctor`."
                )
    typer.echo(summary)


@app.command("replay-erasures")
@operator_errors
def replay_erasures_command() -> None:
    """Re-apply every recorded erasure after restoring the database or the key store."""
    from amanat.governance.service import replay_erasures

    with open_runtime() as runtime:
        report = replay_erasures(runtime)
    typer.echo(
        f"Erasure ledger replayed: {report.summary()}."
        if report.changed
        else "Both erasure ledgers agree; nothing to re-apply."
    )
