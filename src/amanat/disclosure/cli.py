"""`amanat disclosure ...`: the register as the operator sees it, and checking a package.

Registering, approving, rejecting and exporting are done by signed-in staff (console or
API, second factor required), never from a shell: two approvals must be two people.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from amanat.cli_kit import fail, open_runtime, operator_errors, unit_of_work
from amanat.core.actor import Actor

app = typer.Typer(
    help="The disclosure register: list requests, verify an exported package.",
    no_args_is_help=True,
)
OPERATOR = Actor.system("cli")
STATUSES = ("registered", "approved", "rejected", "disclosed", "expired")


@app.command("list")
@operator_errors
def list_command(
    status: Annotated[
        str | None, typer.Option(help=f"Only requests in this state: {', '.join(STATUSES)}.")
    ] = None,
) -> None:
    """The newest requests: number, authority, state, dates, customers, approvals (no text)."""
    from amanat.disclosure.service import list_requests

    if status is not None and status not in STATUSES:
        fail(f"Choose a state: {', '.join(STATUSES)}.")
    with unit_of_work() as (runtime, uow):
        requests = list_requests(uow, runtime, OPERATOR, status=status)
    if not requests:
        typer.echo("No requests in the register." if status is None else f"No {status} requests.")
        return
    for r in requests:
        order = (
            f" non-disclosure order until {r.nondisclosure_until}" if r.nondisclosure_until else ""
        )
        typer.echo(
            f"{r.number:<8} {r.authority:<7} {r.status:<10} received {r.received_on} "
            f"deadline {r.deadline}  {r.customers} customers  "
            f"{r.approvals}/{r.approvals_needed} approvals{order}"
        )


@app.command("verify")
@operator_errors
def verify_command(
    package: Annotated[Path, typer.Argument(help="The exported package (D-NNNN.zip).")],
) -> None:
    """Check a package: the manifest's signature with this installation's audit key, every
    file's SHA-256, nothing added or missing, and its export in the audit log. Exit 0 when
    intact, 1 naming what is wrong, 2 when the file cannot be read."""
    from amanat.disclosure.service import verify_package

    if not package.is_file():
        fail(f"There is no file {package}; give the path of the package.")
    with open_runtime() as runtime:
        try:
            report = verify_package(runtime, package)
        except OSError as exc:
            fail(f"Cannot read {package} ({exc.strerror}).")
    if report.problem is not None:
        typer.echo(f"NOT INTACT: {report.problem}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"{package.name}: intact. Request {report.request}, {report.files} files with the "
        f"hashes the signed manifest lists; the export is audit event {report.audit_seq}."
    )
