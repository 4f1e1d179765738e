"""`amanat outbox list|show`: read the mail Amanat keeps until SMTP delivery is set up."""

from __future__ import annotations

from typing import Annotated

import typer

from amanat.cli_kit import operator_errors, unit_of_work

app = typer.Typer(
    help="Read the outbox of mail kept in the database (encrypted).", no_args_is_help=True
)


@app.command("list")
@operator_errors
def list_(
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="How many, newest first.")
    ] = 50,
) -> None:
    """List queued messages: id, time, kind, status, customer id (no content)."""
    from rich.console import Console
    from rich.table import Table

    from amanat.comms import service

    with unit_of_work() as (_, uow):
        entries = service.list_outbox(uow, limit=limit)
    if not entries:
        typer.echo("The outbox is empty.")
        return
    table = Table("queued (UTC)", "kind", "status")
    table.add_column("id", overflow="fold")
    table.add_column("customer", overflow="fold")
    for e in entries:
        table.add_row(
            e.created_at.strftime("%Y-%m-%d %H:%M:%S"), e.kind, e.status, e.id, e.customer_id
        )
    Console().print(table)


@app.command("show")
@operator_errors
def show(
    message_id: Annotated[str, typer.Argument(help="The message id from `amanat outbox list`.")],
) -> None:
    """Decrypt and print one message (recorded in the audit log as an access)."""
    from amanat.comms import service

    with unit_of_work() as (runtime, uow):
        view = service.show_message(uow, runtime, message_id.strip())
    typer.echo(f"To: {view.recipient}")
    typer.echo(f"Subject: {view.subject}")
    typer.echo(
        f"Queued: {view.entry.created_at.isoformat()} ({view.entry.kind}, {view.entry.status})"
    )
    typer.echo("")
    typer.echo(view.body)
