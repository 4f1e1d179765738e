"""`amanat dev ...`: tools for development; `amanat dev psp` runs the sandbox processor."""

from __future__ import annotations

from typing import Annotated

import typer

from amanat.cli_kit import fail, settings_from_context

app = typer.Typer(help="Development tools (the sandbox payment processor).", no_args_is_help=True)


@app.command("psp")
def psp(
    host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8444,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            help="Where to POST webhooks; default Amanat's public URL + /api/v1/payments/webhook."
        ),
    ] = None,
    ca_file: Annotated[
        str | None,
        typer.Option(help="CA certificate to trust for Amanat's TLS; default the one `init` made."),
    ] = None,
    duplicate: Annotated[bool, typer.Option(help="Send every webhook twice.")] = False,
    reorder: Annotated[bool, typer.Option(help="Send a payment's webhooks last-first.")] = False,
    retry_base: Annotated[float, typer.Option(min=0.01, help="First retry delay, seconds.")] = 1.0,
    max_attempts: Annotated[int, typer.Option(min=1, max=20, help="Deliveries per event.")] = 8,
) -> None:
    """Run the sandbox payment processor (hosted page, signed webhooks) on loopback."""
    from amanat.psp.delivery import DeliveryConfig
    from amanat.psp.server import run_psp, sandbox_credentials

    if host not in ("127.0.0.1", "::1", "localhost"):
        fail("The sandbox processor listens on loopback only; use --host 127.0.0.1.")
    settings = settings_from_context()
    api_key, secret = sandbox_credentials(settings)
    url = webhook_url or f"{settings.resolved_public_url}/api/v1/payments/webhook"
    ca = ca_file or (str(settings.cert_path) if settings.cert_path.exists() else None)
    verify: bool | str = ca if ca is not None else True
    typer.echo(f"Sandbox processor on http://{host}:{port}/ sending webhooks to {url}")
    typer.echo(f"Credentials: {settings.data_dir / 'psp-sandbox.json'} (or AMANAT_PSP_* variables)")
    run_psp(
        host=host,
        port=port,
        api_key=api_key,
        delivery=DeliveryConfig(
            url=url, secret=secret, verify=verify, duplicate=duplicate, reorder=reorder,
            retry_base_seconds=retry_base, max_attempts=max_attempts,
        ),
    )  # fmt: skip
