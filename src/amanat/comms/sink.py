"""`amanat dev mail`: a local SMTP sink for trying Amanat (never for production mail).

An aiosmtpd server on a loopback port keeps every message it receives in memory, prints
a summary of each to the terminal and lists them on a small page (plain HTML, loopback
only). The tests and the delivery benchmark start the same sink on a free port.
"""

from __future__ import annotations

import html
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from amanat.core.errors import ConfigError

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        received = Received(
            str(envelope.mail_from),
            tuple(str(r) for r in envelope.rcpt_tos),
            bytes(envelope.content),
        )
        return self.sink.accept(received)


class MailSink:
    """The sink: ``start()`` it, read ``received``, ``stop()`` it.

    ``answer`` (tests) decides the reply to each message: return None to keep it (250),
    or an SMTP reply such as ``"451 4.3.0 Try again later"`` to refuse it unkept."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in LOOPBACK:
            raise ConfigError(f"The dev mail sink listens on loopback only, not {host}.")
        self.host = host
        self.port = port or free_port(host)
        self.received: list[Received] = []
        self.answer: Callable[[Received], str | None] | None = None
        self.on_receive: Callable[[Received], None] | None = None
        self._lock = threading.Lock()
        self._controller = Controller(
            _Handler(self), hostname=host, port=self.port, server_hostname="amanat-dev-mail"
        )

    def accept(self, received: Received) -> str:
        refusal = self.answer(received) if self.answer is not None else None
        if refusal is not None:
            return refusal
        with self._lock:
            self.received.append(received)
        if self.on_receive is not None:
            self.on_receive(received)
        return "250 OK kept"

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> MailSink:
        try:
            self._controller.start()
        except (OSError, RuntimeError) as exc:
            raise ConfigError(
                f"The dev mail sink cannot listen on {self.host}:{self.port} ({exc}); choose "
                "another port with --port."
            ) from exc
        return self

    def stop(self) -> None:
        self._controller.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def summary(received: Received) -> str:
    """What the terminal shows of one message (synthetic demo mail: all of it)."""
    message = received.message
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return (
        f"--- mail to {', '.join(received.recipients)}\n"
        f"Subject: {message['Subject']}\nMessage-ID: {message['Message-ID']}\n\n{text.strip()}\n"
    )


def serve_page(sink: MailSink, host: str, port: int) -> ThreadingHTTPServer:
    """The page listing what the sink received, newest first, in a daemon thread."""
    if host not in LOOPBACK:
        raise ConfigError(f"The dev mail page listens on loopback only, not {host}.")

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = _page(sink.messages()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", "default-src 'none'")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, port), Page)
    threading.Thread(target=server.serve_forever, name="amanat-dev-mail-page", daemon=True).start()
    return server


def _page(messages: list[Received]) -> str:
    items = []
    for received in reversed(messages):
        message = received.message
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        items.append(
            f"<article><h2>{html.escape(str(message['Subject']))}</h2>"
            f"<p>To {html.escape(', '.join(received.recipients))} · "
            f"{html.escape(str(message['Date']))} · {html.escape(str(message['Message-ID']))}</p>"
            f"<pre>{html.escape(text)}</pre></article>"
        )
    listing = "".join(items) or "<p>No mail yet.</p>"
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Amanat dev mail</title>"
        '<meta http-equiv="refresh" content="5">'
        f"<h1>Amanat dev mail ({len(messages)})</h1>{listing}</html>"
    )
