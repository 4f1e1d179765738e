"""`amanat billing ...`: the billing run, overdue handling, statements, the s.165 statement."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from amanat.cli_kit import open_runtime, operator_errors, unit_of_work
from amanat.core.actor import Actor

if TYPE_CHECKING:
    from amanat.db.uow import UnitOfWork
    from amanat.runtime import Runtime

app = typer.Typer(help="Billing: runs, overdue handling, statements.", no_args_is_help=True)


@app.command("run")
@operator_errors
def run(
    period: Annotated[str, typer.Option(help="The month to bill, YYYY-MM (it must have ended).")],
    mail: Annotated[bool, typer.Option(help="Queue each invoice's e-mail in the outbox.")] = True,
) -> None:
    """Bill every customer for a period (idempotent: a second run bills nothing twice)."""
    from rich.progress import Progress

    from amanat.billing.service import run_billing

    # The run commits one batch of customers at a time (a batch job chooses its own
    # transactions), so it takes the runtime rather than one unit of work.
    with open_runtime() as runtime, Progress(transient=True) as bar:
        task = bar.add_task(f"Billing {period}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = run_billing(runtime, period, notify=mail, progress=progress)
    typer.echo(
        f"{period}: {report.issued} invoices issued, {report.already_billed} already billed, "
        f"{report.nothing_to_bill} with nothing to bill ({report.customers} customers)."
    )


@app.command("overdue")
@operator_errors
def overdue() -> None:
    """Send due payment reminders and suspend services past the grace period."""
    from amanat.billing.service import run_overdue

    with unit_of_work() as (runtime, uow):
        report = run_overdue(uow, runtime)
    typer.echo(f"{report.reminded} reminders queued, {report.suspended} services suspended.")


def _staff_actor(uow: UnitOfWork, runtime: Runtime, email_or_id: str) -> Actor:
    from amanat.staff.service import find_staff

    member = find_staff(uow, runtime, email_or_id)
    return Actor.staff(member.id, member.role)


@app.command("statement")
@operator_errors
def statement(
    quarter: Annotated[str, typer.Option(help="Calendar quarter, YYYY-Qn (e.g. 2025-Q3).")],
    staff: Annotated[
        str,
        typer.Option(
            help="The staff member (e-mail or id) producing it; their role must act for legal_obligation."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option(help="Write the CSV here instead of stdout.")
    ] = None,
    package: Annotated[
        Path | None,
        typer.Option(help="Write the signed disclosure package here (default: D-NNNN.zip here)."),
    ] = None,
) -> None:
    """The s.165 quarterly withholding statement as CSV, given out as a disclosure: the
    first run registers the quarter's filing in the disclosure register (exit 3 until two
    approvers approve it in the staff console); run again once approved to make it."""
    from amanat.billing.service import withholding_statement

    with unit_of_work() as (runtime, uow):
        actor = _staff_actor(uow, runtime, staff)
        made = withholding_statement(uow, runtime, actor, quarter)
    filing = made.filing
    if made.csv is None or made.package is None:
        typer.echo(
            f"The s.165 statement for {quarter} is filing {filing.number} in the disclosure "
            f"register{' (registered now)' if filing.registered_now else ''}: it is made once "
            f"{filing.approvals_needed} approvers have approved it at /staff/disclosure/"
            f"{filing.number} ({filing.approvals} so far); then run this again.",
            err=True,
        )
        raise typer.Exit(3)
    target = package or Path(made.package.filename)
    target.write_bytes(made.package.content)
    target.chmod(0o600)
    if output is None:
        typer.echo(made.csv, nl=False)
    else:
        output.write_text(made.csv, encoding="utf-8")
        output.chmod(0o600)
        typer.echo(f"Wrote {output}", err=True)
    typer.echo(
        f"Wrote {target}: filing {filing.number}, signed; check it with "
        f"`amanat disclosure verify {target}`.",
        err=True,
    )


@app.command("import-statement")
@operator_errors
def import_statement(
    file: Annotated[Path, typer.Argument(help="CSV: date,amount,reference,transaction_id.")],
    source: Annotated[str, typer.Option(help="bank or bill_payment")],
    staff: Annotated[str, typer.Option(help="The billing officer (e-mail or id) importing it.")],
) -> None:
    """Match a bank or bill-payment statement to invoices; the rest goes to the queue."""
    from amanat.billing.service import import_statement as do_import
    from amanat.core.errors import Invalid

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise Invalid(f"The file {file} cannot be read ({exc.strerror}).") from exc
    with unit_of_work() as (runtime, uow):
        actor = _staff_actor(uow, runtime, staff)
        report = do_import(uow, runtime, actor, source, text)
    typer.echo(
        f"{report.lines} lines: {report.matched} matched, {report.queued} queued, {report.skipped} already imported."
    )
