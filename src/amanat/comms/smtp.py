"""Talking to the outgoing SMTP server named by AMANAT_SMTP_URL.

``smtp://host[:25]`` upgrades with STARTTLS when the server offers it (``AMANAT_SMTP_STARTTLS``
= ``require`` refuses a server that does not, ``off`` never upgrades); ``smtps://host[:465]``
is TLS from the first byte. Credentials come from the URL or from AMANAT_SMTP_USERNAME and
AMANAT_SMTP_PASSWORD (which win). One ``SmtpTransport`` keeps its connection across the
messages of a batch and reconnects after an error.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select

from amanat.comms.models import OutboxMessage
from amanat.config import Settings
from amanat.core.errors import ConfigError
from amanat.registration import Finding
from amanat.runtime import Runtime


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: Literal["auto", "require", "off"]
    username: str | None
    password: str | None
    timeout: float

    def __repr__(self) -> str:  # the password never reaches a log or traceback
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"SmtpConfig({scheme}://{self.host}:{self.port})"


def smtp_config(settings: Settings) -> SmtpConfig | None:
    """The SMTP server from the settings, or None when mail stays in the outbox.

    The URL was checked when the settings were read (config.smtp_url_problem)."""
    if not settings.smtp_url:
        return None
    parts = urlsplit(settings.smtp_url)
    implicit = parts.scheme == "smtps"
    mail = settings.mail
    password = mail.password.get_secret_value() if mail.password is not None else None
    if password is None and parts.password is not None:
        password = unquote(parts.password)
    username = mail.username or (unquote(parts.username) if parts.username else None)
    return SmtpConfig(
        host=parts.hostname or "",
        port=parts.port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=mail.starttls,
        username=username,
        password=password,
        timeout=settings.mail.timeout_seconds,
    )


class Refused(Exception):
    """The server answered a message with an error. ``code`` is the SMTP reply code;
    ``reason`` is the code and enhanced status only (the text may quote the address)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


class Unreachable(Exception):
    """No conversation with the server (refused, timed out, TLS failed, dropped)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reason(code: int, text: bytes | str) -> str:
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    first = raw.split()[0] if raw.split() else ""
    enhanced = first if first[:1].isdigit() and first.count(".") == 2 else ""
    return f"{code} {enhanced}".strip()


class SmtpTransport:
    """One SMTP connection, opened on first use; ``close()`` ends it politely."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def connect(self) -> smtplib.SMTP:
        """Open, upgrade and log in, or raise Unreachable (or ConfigError for a server that
        will not do what the settings require)."""
        config = self.config
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if config.implicit_tls:
                smtp = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            smtp.ehlo()
            if not config.implicit_tls and config.starttls != "off":
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif config.starttls == "require":
                    smtp.close()
                    raise ConfigError(
                        f"The SMTP server {config.host}:{config.port} does not offer STARTTLS "
                        "and AMANAT_SMTP_STARTTLS=require; use smtps:// or another server."
                    )
            if config.username:
                smtp.login(config.username, config.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigError(
                f"The SMTP server {config.host}:{config.port} refused the credentials "
                f"({exc.smtp_code}); check AMANAT_SMTP_USERNAME and AMANAT_SMTP_PASSWORD."
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise Unreachable(_network_reason(exc)) from exc
        self._smtp = smtp
        return smtp

    def send(self, message: bytes, sender: str, recipient: str) -> None:
        """Hand one message (RFC 5322 bytes) to the server. Raises Refused (the server
        said no to this message) or Unreachable (the connection failed; the transport
        reconnects next time)."""
        smtp = self._smtp or self.connect()
        try:
            smtp.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            self._reset(smtp)
            raise Refused(code, _reason(code, text)) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            self._reset(smtp)
            raise Refused(exc.smtp_code, _reason(exc.smtp_code, exc.smtp_error)) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise Refused(exc.smtp_code, _reason(exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise Unreachable(_network_reason(exc)) from None

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _network_reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reason(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ssl.SSLError):
        return "tls error"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "disconnected"
    return type(exc).__name__


def check_reachable(config: SmtpConfig) -> str:
    """Connect, upgrade, log in and quit; what was found, as a phrase. Raises
    Unreachable or ConfigError (for `amanat doctor`)."""
    transport = SmtpTransport(config)
    smtp = transport.connect()
    tls = config.implicit_tls or (
        bool(getattr(smtp, "sock", None)) and isinstance(smtp.sock, ssl.SSLSocket)
    )
    transport.close()
    return f"{config.host}:{config.port} answers" + (" over TLS" if tls else " (no TLS)")


def doctor_findings(runtime: Runtime) -> Iterator[Finding]:
    """`amanat doctor`: whether outgoing mail is set up and its server answers, DKIM's key,
    and how many messages are dead-lettered."""
    from amanat.comms.dkim import key_path

    settings = runtime.settings
    config = smtp_config(settings)
    if config is None:
        yield Finding("mail", "outgoing mail", "ok",
                      "AMANAT_SMTP_URL not set: mail is kept in the outbox (`amanat outbox list`)")  # fmt: skip
    else:
        try:
            yield Finding("mail", "outgoing mail", "ok", check_reachable(config))
        except Unreachable as exc:
            yield Finding(
                "mail", "outgoing mail", "failing",
                f"cannot reach {config.host}:{config.port} ({exc.reason}); check AMANAT_SMTP_URL",
            )  # fmt: skip
        except ConfigError as exc:
            yield Finding("mail", "outgoing mail", "failing", exc.message)
    if settings.mail.dkim_domain is not None:
        path = key_path(settings)
        if path.exists():
            yield Finding("mail", "DKIM", "ok", f"signing for {settings.mail.dkim_domain}")
        else:
            yield Finding("mail", "DKIM", "failing", f"no key at {path}; run `amanat init`")
    with runtime.uow() as uow:
        dead = uow.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "dead")
        )
    if dead:
        yield Finding("mail", "dead letters", "off",
                      f"{dead} message(s) could not be delivered; `amanat outbox list --status dead`")  # fmt: skip
