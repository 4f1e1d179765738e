"""`amanat outbox list|show|deliver`: the mail Amanat sends, its delivery status and attempts."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from amanat.cli_kit import operator_errors, unit_of_work

app = typer.Typer(
    help="The outbox of mail (encrypted in the database) and its delivery.", no_args_is_help=True
)


@app.command("list")
@operator_errors
def list_(
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="How many, newest first.")
    ] = 50,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only this status: queued, retrying, sent or dead."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON array of objects instead of a table.")
    ] = False,
) -> None:
    """List messages: id, time, kind, status, attempts, customer id (no content).

    Ids are printed whole whatever the terminal's width, so they can be copied."""
    from amanat.comms import service
    from amanat.comms.models import OUTBOX_STATUSES

    if status is not None and status not in OUTBOX_STATUSES:
        raise typer.BadParameter(
            f"choose one of {', '.join(OUTBOX_STATUSES)}.", param_hint="--status"
        )
    with unit_of_work() as (_, uow):
        entries = service.list_outbox(uow, limit=limit, status=status)
    if as_json:
        typer.echo(json.dumps([
            {"id": e.id, "queued_at": e.created_at.isoformat(), "kind": e.kind,
             "status": e.status, "attempts": e.attempts, "last_error": e.last_error,
             "customer_id": e.customer_id}
            for e in entries
        ], indent=2))  # fmt: skip
        return
    if not entries:
        typer.echo("The outbox is empty.")
        return
    # Plain columns, never wrapped: an id copied from here is an id `show` accepts.
    rows = [
        ("queued (UTC)", "kind", "status", "tries", "id", "customer"),
        *(
            (e.created_at.strftime("%Y-%m-%d %H:%M:%S"), e.kind, e.status,
             str(e.attempts), e.id, e.customer_id)
            for e in entries
        ),
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]))


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
    entry = view.entry
    typer.echo(
        f"Attempts: {entry.attempts}" + (f" (last: {entry.last_error})" if entry.last_error else "")
    )
    typer.echo("")
    typer.echo(view.body)


@app.command("deliver")
@operator_errors
def deliver() -> None:
    """Deliver the due messages now (one pass of what `amanat worker` does continuously)."""
    from amanat.cli_kit import open_runtime
    from amanat.comms.delivery import deliver_due
    from amanat.core.errors import ConfigError

    with open_runtime() as runtime:
        if not runtime.settings.smtp_url:
            raise ConfigError("AMANAT_SMTP_URL is not set; mail stays in the outbox.")
        report = deliver_due(runtime)
    typer.echo(f"sent {len(report.sent)}, retrying {len(report.retrying)}, dead {len(report.dead)}")
