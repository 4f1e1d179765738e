"""`amanat retention run`: the retention jobs, run daily by the operator's scheduler."""

from __future__ import annotations

import typer

app = typer.Typer(help="Retention: end what the policy no longer lets Amanat keep.",
                  no_args_is_help=True)  # fmt: skip


@app.command("run")
def run() -> None:
    """Destroy the legal-hold keys of erased customers whose hold has ended (idempotent)."""
    from amanat.cli import open_runtime, operator_errors
    from amanat.retention.service import expire_legal_holds

    @operator_errors
    def go() -> None:
        runtime = open_runtime()
        try:
            report = expire_legal_holds(runtime)
        finally:
            runtime.close()
        typer.echo(report.summary())

    go()
