"""Inbound support e-mail over real SMTP (smtplib to the aiosmtpd listener on loopback),
on SQLite and PostgreSQL."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from amanat.comms.models import OutboxMessage
from amanat.comms.service import show_message
from amanat.support import desk
from amanat.support.inbound import MAX_MAIL_BYTES
from amanat.support.mail import start_listener
from amanat.support.models import Ticket, TicketAttachment, TicketMessage
from tests.factories.accounts import create_customer, create_staff, signup_data

SUPPORT = "support@example.pk"
CARD = "3782 822463 10005"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def smtp(runtime: Any) -> Iterator[int]:
    listener = start_listener(runtime, "127.0.0.1", _free_port())
    try:
        yield listener.port
    finally:
        listener.stop()


def _mail(sender: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Canary Testname <{sender}>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message.set_content(body)
    return message


def _send(port: int, message: EmailMessage | bytes, sender: str = "x@example.com") -> str:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        if isinstance(message, bytes):
            client.sendmail(sender, [SUPPORT], message)
        else:
            client.send_message(message)
        # The last reply of the DATA command carries the ticket number.
        code, text = client.noop()
        assert code == 250
    return text.decode()


def _answers(runtime: Any, kind: str) -> list[Any]:
    with runtime.uow() as uow:
        mails = uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.created_at)
        ).all()
        views = [show_message(uow, runtime, m.id) for m in mails]
        uow.commit()
    return views


def test_an_unknown_sender_gets_an_unlinked_ticket_an_answer_and_can_continue_it(
    runtime: Any, smtp: int
) -> None:
    stranger = "stranger.1@example.com"
    _send(smtp, _mail(stranger, "No signal", f"Hello, my card {CARD} CVV 1234 was charged"))
    with runtime.uow() as uow:
        ticket = uow.session.scalar(select(Ticket))
        assert ticket is not None and not ticket.linked and ticket.channel == "email"
        assert ticket.collection_point == "support_contact"
        number = f"T-{ticket.number}"
        key_owner = ticket.customer_id
        (message,) = uow.session.scalars(select(TicketMessage)).all()
        assert message.cards_redacted == 1 and message.codes_redacted == 1
        assert message.collection_point == "support_contact"
    (answer,) = _answers(runtime, "support_received")
    assert answer.recipient == stranger
    assert number in answer.subject and "card number" in answer.body

    _send(smtp, _mail(stranger, f"Re: [{number}] No signal", "Still nothing"))
    other = "someone.else@example.com"
    _send(smtp, _mail(other, f"Re: [{number}] hijack", "Let me in"))
    with runtime.uow() as uow:
        numbers = uow.session.scalars(select(Ticket.number).order_by(Ticket.number)).all()
        assert len(numbers) == 2  # the other sender got a ticket of their own
        assert len(uow.session.scalars(select(TicketMessage)).all()) == 3

    agent = create_staff(runtime, "support_agent")
    with runtime.uow() as uow:
        view = desk.open_for_agent(uow, runtime, agent.actor, number)
        desk.reply(uow, runtime, agent.actor, number, "We see a fault in your area.")
        uow.commit()
    assert view.customer == {"E-mail (not linked to an account)": stranger}
    assert [m.body for m in view.messages] == [
        "Hello, my card **** ****** *0005 CVV **** was charged",
        "Still nothing",
    ]
    (reply,) = _answers(runtime, "support_reply")
    assert reply.recipient == stranger and reply.entry.customer_id == key_owner


def test_a_known_customer_is_found_by_the_blind_index_and_threads_by_number(
    runtime: Any, smtp: int
) -> None:
    data = signup_data()
    customer = create_customer(runtime, **data)
    _send(smtp, _mail(data["email"].upper(), "Invoice question", "Why two charges?"))
    with runtime.uow() as uow:
        ticket = uow.session.scalar(select(Ticket))
        assert ticket is not None and ticket.linked and ticket.customer_id == customer
        assert ticket.sender_ct is None  # the account already holds the address
        number = f"T-{ticket.number}"
    _send(smtp, _mail(data["email"], f"RE: {number}", "Any update?"))
    with runtime.uow() as uow:
        assert len(uow.session.scalars(select(Ticket)).all()) == 1
        authors = uow.session.scalars(select(TicketMessage.author_kind)).all()
    assert authors == ["customer", "customer"]


def test_attachments_within_limits_are_kept_and_others_refused_with_an_answer(
    runtime: Any, smtp: int
) -> None:
    message = _mail("files.1@example.com", "Screenshot", "See attached")
    message.add_attachment(b"\x89PNG\r\n\x1a\n" + b"0" * 100, maintype="image",
                           subtype="png", filename="speedtest.png")  # fmt: skip
    message.add_attachment(f"card {CARD}".encode(), maintype="text", subtype="plain",
                           filename="notes.txt")  # fmt: skip
    message.add_attachment(b"MZ" + b"0" * 100, maintype="application",
                           subtype="x-msdownload", filename="setup.exe")  # fmt: skip
    message.add_attachment(b"\xff\xd8" + b"0" * (1024 * 1024 + 1), maintype="image",
                           subtype="jpeg", filename="huge.jpg")  # fmt: skip
    _send(smtp, message)
    with runtime.uow() as uow:
        kept = uow.session.scalars(
            select(TicketAttachment.content_type).order_by(TicketAttachment.content_type)
        ).all()
    assert kept == ["image/png", "text/plain"]
    (answer,) = _answers(runtime, "support_received")
    assert "setup.exe: files of type application/x-msdownload are not accepted" in answer.body
    assert "huge.jpg: larger than 1024 KiB" in answer.body

    agent = create_staff(runtime, "support_agent")
    with runtime.uow() as uow:
        number = f"T-{uow.session.scalar(select(Ticket.number))}"
        view = desk.open_for_agent(uow, runtime, agent.actor, number)
        uow.commit()
    assert sorted(a.filename for a in view.messages[0].attachments) == [
        "notes.txt", "speedtest.png",
    ]  # fmt: skip


def test_bad_mail_is_refused_during_the_smtp_conversation(runtime: Any, smtp: int) -> None:
    with smtplib.SMTP("127.0.0.1", smtp, timeout=30) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as wrong:
            client.sendmail("a@example.com", ["sales@example.pk"], b"Subject: hi\r\n\r\nhi")
        assert b"accepts mail for support@example.pk only" in str(wrong.value).encode()
    with smtplib.SMTP("127.0.0.1", smtp, timeout=30) as client:
        with pytest.raises(smtplib.SMTPDataError) as no_sender:
            client.sendmail("a@example.com", [SUPPORT], b"Subject: hi\r\n\r\nno From header")
        assert no_sender.value.smtp_code == 550
    huge = b"From: big@example.com\r\nSubject: big\r\n\r\n" + b"a" * (MAX_MAIL_BYTES + 10)
    with smtplib.SMTP("127.0.0.1", smtp, timeout=30) as client:
        with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as too_big:
            client.sendmail("big@example.com", [SUPPORT], huge)
        assert too_big.value.smtp_code == 552
    garbled = b"From: =?bogus?q?x?= <odd@example.com>\r\nContent-Type: text/plain; charset=nonsense\r\nSubject: \xff\xfe\r\n\r\n\xff\xfe broken bytes"
    _send(smtp, garbled, "odd@example.com")
    html = (
        b"From: html@example.com\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n"
        b"<p>Line one<br>card 4111-1111-1111-1111</p>"
    )
    _send(smtp, html, "html@example.com")
    with runtime.uow() as uow:
        assert len(uow.session.scalars(select(Ticket)).all()) == 2
        counts = uow.session.scalars(select(TicketMessage.cards_redacted)).all()
    assert sorted(counts) == [0, 1]


def _stored_attachments(runtime: Any) -> dict[str, bytes]:
    """Every stored attachment, decrypted: {file name: content}."""
    import base64

    stored = {}
    with runtime.uow() as uow:
        for a in uow.session.scalars(select(TicketAttachment)):
            name = runtime.vault.decrypt(
                a.customer_id, "support_attachments", "filename_ct", a.id, a.filename_ct
            )
            content = runtime.vault.decrypt(
                a.customer_id, "support_attachments", "content_ct", a.id, a.content_ct
            )
            stored[name] = base64.b64decode(content)
    return stored


def test_card_numbers_in_attachment_texts_and_file_names_are_masked_before_storing(
    runtime: Any, smtp: int
) -> None:
    message = _mail("files.2@example.com", "Statement", "See attached")
    message.add_attachment(
        "Visa 4111 1111 1111 1111 CVV 123\nMir 2200 0000 0000 0004\nPayPak 2205000000000009",
        subtype="plain", filename="notes.txt",
    )  # fmt: skip
    # UTF-16 puts a NUL between the digits: read in its declared charset, it is still a card.
    message.add_attachment("Amex 3782 822463 10005".encode("utf-16"), maintype="text",
                           subtype="plain", params={"charset": "utf-16"},
                           filename="wide.txt")  # fmt: skip
    message.add_attachment(b"\x89PNG\r\n\x1a\n" + b"0" * 100, maintype="image",
                           subtype="png", filename="card_5555_5555_5555_4444.png")  # fmt: skip
    message.add_attachment(b"plain", maintype="text", subtype="plain",
                           filename="6011 1111 1111 1117.txt")  # fmt: skip
    message.add_attachment(b"MZ", maintype="application", subtype="x-msdownload",
                           filename="4242424242424242.exe")  # fmt: skip
    _send(smtp, message)

    stored = _stored_attachments(runtime)
    assert sorted(stored) == [
        "**** **** **** 1117.txt", "card_****_****_****_4444.png", "notes.txt", "wide.txt",
    ]  # fmt: skip
    assert stored["notes.txt"].decode().splitlines() == [
        "Visa **** **** **** 1111 CVV ***", "Mir **** **** **** 0004", "PayPak ************0009",
    ]  # fmt: skip
    assert stored["wide.txt"].decode().strip() == "Amex **** ****** *0005"
    (answer,) = _answers(runtime, "support_received")
    assert "************4242.exe: files of type application/x-msdownload" in answer.body
    assert "4242424242424242" not in answer.body
