"""`amanat staff add|list|remove`: staff accounts for the operator."""

from __future__ import annotations

from typing import Annotated

import typer

from amanat.cli_kit import operator_errors, unit_of_work
from amanat.core.actor import Actor

app = typer.Typer(help="Add, list and remove staff accounts.", no_args_is_help=True)


@app.command("add")
@operator_errors
def add(
    email: Annotated[
        str, typer.Argument(help="The staff member's work e-mail (their sign-in name).")
    ],
    role: Annotated[str, typer.Option("--role", help="A staff role from the policy.")],
) -> None:
    """Create a staff account and print its single-use enrolment link (valid 7 days).

    The staff member opens the link to set a password and enrol their authenticator app;
    MFA is mandatory for every staff role.
    """
    from amanat.staff import service

    with unit_of_work() as (runtime, uow):
        added = service.add_staff(uow, runtime, email, role)
    typer.echo(f"Staff member {added.id} added as {role}.")
    typer.echo("Send them this single-use enrolment link (valid 7 days):")
    typer.echo(added.enrolment_url)


@app.command("list")
@operator_errors
def list_(
    removed: Annotated[bool, typer.Option("--removed", help="Include removed staff.")] = False,
) -> None:
    """List staff: number, id, role, status, sign-in name (an audited read)."""
    from rich.console import Console
    from rich.table import Table

    from amanat.access.training import training_overview
    from amanat.staff import service

    with unit_of_work() as (runtime, uow):
        views = service.list_staff(uow, runtime, include_removed=removed)
        trainings = training_overview(
            uow.session, {r.id: r for r in runtime.policy.roles},
            [(v.id, v.role) for v in views], runtime.clock.now().date(),
        )  # fmt: skip
    table = Table("#", "role", "status", "enrolled", "security training")
    # Ids and addresses are folded, never cut: an operator copies them.
    table.add_column("e-mail", overflow="fold")
    table.add_column("id", overflow="fold")
    for v in views:
        enrolled = v.enrolled_at.strftime("%Y-%m-%d") if v.enrolled_at else "-"
        training = trainings[v.id].describe() if v.id in trainings else "-"
        table.add_row(str(v.number), v.role, v.status, enrolled, training, v.email, v.id)
    Console().print(table)
    if not views:
        typer.echo("No staff yet; add one with `amanat staff add EMAIL --role ROLE`.")


@app.command("remove")
@operator_errors
def remove(
    who: Annotated[str, typer.Argument(help="The staff member's e-mail or id.")],
) -> None:
    """Remove a staff member: every session, token and credential ends at once."""
    from amanat.staff import service

    with unit_of_work() as (runtime, uow):
        staff_id = service.remove_staff(uow, runtime, who)
    typer.echo(f"Staff member {staff_id} removed; their sessions and tokens have ended.")


@app.command("train")
@operator_errors
def train(
    who: Annotated[str, typer.Argument(help="The staff member's e-mail or id.")],
    completed: Annotated[
        str,
        typer.Option("--completed", help="Day the security training was completed (YYYY-MM-DD)."),
    ],
) -> None:
    """Record a completed security training; staff without current training see no personal data."""
    from datetime import date

    from amanat.access.training import record_training
    from amanat.staff import service

    try:
        day = date.fromisoformat(completed)
    except ValueError as exc:
        raise typer.BadParameter("give the date as YYYY-MM-DD, e.g. 2026-01-15") from exc

    with unit_of_work() as (runtime, uow):
        member = service.find_staff(uow, runtime, who)
        record_training(uow, runtime.clock, Actor.system("cli"), member.id, day)
        staff = Actor.staff(member.id, member.role)
        status = runtime.guard.training_status(uow.session, staff)
    typer.echo(f"Training of staff member {staff.id} recorded: {status.describe()}.")
