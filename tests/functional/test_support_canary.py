"""Canary: card numbers sent through every support entry point are nowhere in plaintext.

A real HTTPS server and the real SMTP listener receive a different published test card
number through each entry point (portal form, customer API, customer reply, e-mail, an
agent's reply and internal note). Then the raw database (the SQLite file and its WAL,
or a pg_dump), the log file and every outbox message, decrypted, are searched for them.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from amanat.comms.models import OutboxMessage
from amanat.comms.service import show_message
from amanat.core.logging import configure_logging
from amanat.support.mail import start_listener
from tests.factories.accounts import PASSWORD, create_customer, create_staff, signup_data

CARDS = {
    "portal": "4242 4242 4242 4242",
    "api": "5105-1051-0510-5100",
    "api reply": "2223 0031 2200 3222",
    "email": "3782 822463 10005",
    "agent reply": "3530 1113 3330 0000",
    "agent note": "6011.0009.9013.9424",
}
LOGGERS = ("amanat", "uvicorn", "uvicorn.error", "uvicorn.access")


def _needles() -> list[bytes]:
    """Each card as written, as bare digits, and its first twelve digits (all masked)."""
    found: list[bytes] = []
    for written in CARDS.values():
        digits = re.sub(r"\D", "", written)
        found += [written.encode(), digits.encode(), digits[:12].encode()]
    return found


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level,
                 logging.getLogger(n).propagate, logging.getLogger(n).disabled) for n in LOGGERS}  # fmt: skip
    path = tmp_path / "canary.jsonl"
    configure_logging("DEBUG", path)
    try:
        yield path
    finally:
        for name, (handlers, level, propagate, disabled) in saved.items():
            logger = logging.getLogger(name)
            for handler in logger.handlers:
                if handler not in handlers:
                    handler.close()
            logger.handlers, logger.level = handlers, level
            logger.propagate, logger.disabled = propagate, disabled


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form has no CSRF token"
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _raw_database(runtime: Any) -> bytes:
    url = make_url(runtime.settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        runtime.engine.dispose()  # let go of the file; the WAL stays on disk
        base = Path(str(url.database))
        return b"".join(p.read_bytes() for p in (base, Path(f"{base}-wal")) if p.exists())
    dump = subprocess.run(
        ["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
         "-U", url.username or "postgres", "--data-only", str(url.database)],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    assert b"support_messages" in dump.stdout
    return dump.stdout


def test_card_numbers_never_reach_the_database_logs_or_outbox(
    live_server: Any, log_file: Path
) -> None:
    runtime = live_server.runtime
    data = signup_data()
    create_customer(runtime, **data)
    agent = create_staff(runtime, "support_agent")
    smtp = start_listener(runtime, "127.0.0.1", _free_port())
    try:
        with live_server.client() as web:
            signed_in = web.post(
                "/api/v1/auth/login", json={"email": data["email"], "password": PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            form = web.get("/support/new")
            assert form.status_code == 200
            posted = web.post("/support/new", data={
                "csrf_token": _csrf(form.text), "subject": "Portal", "category": "billing",
                "message": f"Card {CARDS['portal']} please",
            })  # fmt: skip
            assert posted.status_code == 303
            assert posted.headers["location"].endswith("?notice=card")
            page = web.get(posted.headers["location"])
            assert "We removed a payment card number" in page.text

            opened = web.post("/api/v1/tickets", json={
                "subject": "API", "message": f"Card {CARDS['api']}",
            })  # fmt: skip
            assert opened.status_code == 201, opened.text
            number = opened.json()["number"]
            reply = web.post(
                f"/api/v1/tickets/{number}/replies", json={"message": CARDS["api reply"]}
            )
            assert reply.status_code == 200

        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = data["email"], "support@example.pk", "Mail"
        mail.set_content(f"My card is {CARDS['email']} exp 08/29 cvv 123")
        with smtplib.SMTP("127.0.0.1", smtp.port, timeout=30) as client:
            client.send_message(mail)
    finally:
        smtp.stop()

    staff = {"Authorization": f"Bearer {agent.api_token}"}
    with live_server.client(headers=staff) as desk:
        answered = desk.post(
            f"/api/v1/support/tickets/{number}/replies",
            json={"message": f"Do not send {CARDS['agent reply']} again"},
        )
        assert answered.status_code == 200, answered.text
        noted = desk.post(
            f"/api/v1/support/tickets/{number}/notes", json={"message": CARDS["agent note"]}
        )
        assert noted.status_code == 200

    with runtime.uow() as uow:
        ids = uow.session.scalars(select(OutboxMessage.id)).all()
        outbox = "\n".join(
            f"{m.recipient}\n{m.subject}\n{m.body}"
            for m in (show_message(uow, runtime, i) for i in ids)
        )
        uow.commit()
    assert "Do not send **** **** **** 0000 again" in outbox  # the agent's answer went out
    logs = log_file.read_bytes()
    assert b"support" in logs  # requests were logged
    raw = _raw_database(runtime)
    for needle in _needles():
        assert needle not in raw, f"a card number is in the raw database: {needle!r}"
        assert needle not in logs, f"a card number is in the logs: {needle!r}"
        assert needle.decode() not in outbox, f"a card number is in the outbox: {needle!r}"
