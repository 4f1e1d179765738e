"""`amanat dev mail`: the local SMTP sink for trying Amanat (comms.sink)."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from amanat.cli_kit import operator_errors

app = typer.Typer(help="Development tools (the local mail sink).", no_args_is_help=True)


@app.command("mail")
@operator_errors
def mail(
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="SMTP port; 0 picks a free one.")
    ] = 1025,
    page_port: Annotated[
        int,
        typer.Option("--page-port", min=0, max=65535, help="Port of the page; 0 picks a free one."),
    ] = 8025,
    host: Annotated[str, typer.Option("--host", help="Loopback address to listen on.")] = (
        "127.0.0.1"
    ),
) -> None:
    """Keep the mail Amanat sends and show it here and on a loopback page, until Ctrl-C."""
    from amanat.comms.sink import MailSink, free_port, serve_page, summary

    sink = MailSink(host, port).start()
    page = serve_page(sink, host, page_port or free_port(host))
    sink.on_receive = lambda received: typer.echo(summary(received))
    typer.echo(f"Amanat dev mail: listening on {sink.url}; set AMANAT_SMTP_URL={sink.url}")
    typer.echo(f"Amanat dev mail: received mail at http://{host}:{page.server_address[1]}/")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        page.shutdown()
        sink.stop()
