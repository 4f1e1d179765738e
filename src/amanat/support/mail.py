"""The inbound support mail listener: an aiosmtpd server on ``support_smtp_listen``.

It accepts mail only for the support address, refuses messages over the size limit
during the SMTP conversation (552), and hands each accepted message to
amanat.support.inbound in a worker thread, replying 250 with the ticket number or a
5xx sentence the sender's mail server passes back to them. Started by `amanat worker`
(or inside `amanat serve` when AMANAT_SUPPORT_SMTP_IN_SERVER is true).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.controller import Controller

from amanat.core.errors import ConfigError
from amanat.core.logging import get_logger
from amanat.runtime import Runtime
from amanat.support import inbound

log = get_logger("amanat.support.mail")


class SupportMailHandler:
    """aiosmtpd handler: RCPT for the support address only; DATA becomes a ticket."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.address = runtime.settings.support.address.casefold()

    async def handle_RCPT(  # noqa: N802 -- aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.casefold() != self.address:
            return f"550 5.1.1 This server accepts mail for {self.runtime.settings.support.address} only"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "replace")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.deliver, data)

    def deliver(self, data: bytes) -> str:
        """Store one message; the SMTP reply for it. Never raises."""
        runtime = self.runtime
        try:
            with runtime.uow() as uow:
                receipt = inbound.receive(uow, runtime, data)
                uow.commit()
        except inbound.MailRefused as refused:
            with runtime.uow() as uow:
                inbound.record_refusal(uow, runtime, refused.reason)
                uow.commit()
            log.info(
                "support mail refused",
                extra={"event": "support.mail_refused", "code": refused.reason},
            )
            return refused.smtp
        except Exception as exc:
            log.error("support mail failed", exc_info=exc, extra={"event": "support.mail_failed"})
            return "451 4.3.0 The message could not be stored now; please try again later"
        log.info(
            "support mail stored",
            extra={
                "event": "support.mail_stored",
                "ticket": receipt.number,
                "count": receipt.cards_redacted,
            },
        )
        return f"250 OK {receipt.number}"


def listen_address(runtime: Runtime) -> tuple[str, int]:
    host, _, port = runtime.settings.support.smtp_listen.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not host or not 0 < number < 65536:
        raise ConfigError("AMANAT_SUPPORT_SMTP_LISTEN must be host:port, like 127.0.0.1:2525.")
    return host.strip("[]"), number


def start_listener(
    runtime: Runtime, host: str | None = None, port: int | None = None
) -> Controller:
    """Start the listener in its own thread; call ``.stop()`` on the result to end it."""
    default_host, default_port = listen_address(runtime)
    controller = Controller(
        SupportMailHandler(runtime),
        hostname=host or default_host,
        port=port or default_port,
        data_size_limit=inbound.MAX_MAIL_BYTES,
        server_hostname="amanat-support",
    )
    try:
        controller.start()
    except (OSError, RuntimeError) as exc:
        raise ConfigError(
            f"The support mail listener cannot use {host or default_host}:{port or default_port} "
            f"({exc}); free the port or set AMANAT_SUPPORT_SMTP_LISTEN."
        ) from exc
    log.info(
        "support mail listening", extra={"event": "support.mail_listening", "port": controller.port}
    )
    return controller
