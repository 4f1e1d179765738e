"""`amanat policy check|show`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amanat.cli_kit import settings_from_context
from amanat.policy.loader import PolicyInvalid, check_policy_text, load_policy, read_policy_text

app = typer.Typer(help="Check and show the policy file.", no_args_is_help=True)


@app.command("check")
def check(
    file: Annotated[
        Path | None, typer.Argument(help="Policy file to check; default the one in force.")
    ] = None,
) -> None:
    """Validate a policy file; exit 0 when valid, 2 with every problem when not."""
    try:
        text, source = read_policy_text(file or settings_from_context().policy)
        problems, policy = check_policy_text(text, source)
        if problems or policy is None:
            raise PolicyInvalid(problems)
    except PolicyInvalid as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        typer.echo(exc.summary, err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"{source}: valid — {len(policy.categories)} categories, {len(policy.purposes)} "
        f"purposes, {len(policy.roles)} roles."
    )


@app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print the policy as JSON.")] = False,
) -> None:
    """Print the policy in force: categories, purposes and roles."""
    try:
        loaded = load_policy(settings_from_context().policy)
    except PolicyInvalid as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        typer.echo(exc.summary, err=True)
        raise typer.Exit(2) from exc
    policy = loaded.policy
    if as_json:
        typer.echo(json.dumps(policy.model_dump(mode="json"), indent=2))
        return
    # Piped into a file or `grep`, Rich would fold ids at 80 columns; ids must stay whole.
    console = Console(width=None if sys.stdout.isatty() else 240)
    console.print(f"[bold]{policy.provider.name}[/] policy from {loaded.source}")
    console.print(f"sha256 {loaded.sha256}")
    table = Table(
        "category",
        "group",
        "sensitivity",
        "encrypted",
        "searchable",
        "collected at",
        "retention",
        title="Data categories",
    )
    for c in policy.categories:
        r = c.retention
        table.add_row(
            c.id,
            c.group,
            c.sensitivity,
            "yes" if c.encrypted else "no",
            "yes" if c.searchable else "no",
            ", ".join(c.collected_at),
            f"{r.keep} after {r.after}, then {r.then}" + (" (legal hold)" if r.legal_hold else ""),
        )
    console.print(table)
    table = Table("purpose", "legal basis", "reads", "masked", title="Purposes")
    for p in policy.purposes:
        table.add_row(p.id, p.legal_basis, ", ".join(p.reads), ", ".join(p.masked))
    console.print(table)
    table = Table("role", "staff", "training", "purposes", title="Roles")
    for role in policy.roles:
        training = (
            f"every {role.training.valid_for}" if role.training and role.training.required else "-"
        )
        table.add_row(role.id, "yes" if role.staff else "no", training, ", ".join(role.purposes))
    console.print(table)
    console.print(
        f"Sharing: sale={policy.sharing.sale}; only for "
        f"{', '.join(r.purpose for r in policy.sharing.allowed)}."
    )
