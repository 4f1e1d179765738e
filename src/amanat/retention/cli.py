"""`amanat retention run`: the retention jobs, run daily by the operator's scheduler."""

from __future__ import annotations

import typer

from amanat.cli_kit import open_runtime, operator_errors

app = typer.Typer(help="Retention: end what the policy no longer lets Amanat keep.",
                  no_args_is_help=True)  # fmt: skip


@app.command("run")
@operator_errors
def run() -> None:
    """Destroy the legal-hold keys of erased customers whose hold has ended (idempotent)."""
    from amanat.retention.service import expire_legal_holds

    # A batch job: it commits each key's destruction on its own (see the service).
    with open_runtime() as runtime:
        report = expire_legal_holds(runtime)
    typer.echo(report.summary())
