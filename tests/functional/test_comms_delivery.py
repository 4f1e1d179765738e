"""Issue 12, delivery: the outbox goes out over SMTP to a real aiosmtpd server the test
starts on a free port, after commit, with retries, dead letters, DKIM and stable ids."""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import dkim
import pytest
from sqlalchemy import select

from amanat.comms import service as outbox
from amanat.comms.delivery import deliver_due
from amanat.comms.dkim import key_path
from amanat.comms.models import OutboxMessage
from amanat.comms.sink import MailSink, Received, free_port
from amanat.config import Settings
from amanat.core.clock import FixedClock
from amanat.runtime import Runtime
from amanat.vault.dkim_keys import dkim_dns_record
from tests.conftest import AMANAT_BIN, amanat_env, run_amanat
from tests.factories.accounts import create_customer, signup_data

START = datetime(2025, 9, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def sink() -> Iterator[MailSink]:
    running = MailSink().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def mailing(runtime: Runtime, sink: MailSink) -> Runtime:
    """The test's runtime pointed at the sink, on a clock that moves only when told."""
    runtime.settings = runtime.settings.model_copy(update={"smtp_url": sink.url})
    runtime.clock = FixedClock(START)
    return runtime


def queue(runtime: Runtime, customer_id: str, n: int = 1, subject: str = "Notice") -> list[str]:
    ids = []
    with runtime.uow() as uow:
        for i in range(n):
            ids.append(
                outbox.queue_mail(
                    uow,
                    runtime,
                    customer_id=customer_id,
                    subject=f"{subject} {i}",
                    body=f"Synthetic notice number {i}.",
                    kind="service_notice",
                )
            )
        uow.commit()
    return ids


def row(runtime: Runtime, message_id: str) -> OutboxMessage:
    with runtime.uow() as uow:
        found = uow.session.get(OutboxMessage, message_id)
        assert found is not None
        uow.session.expunge(found)
        return found


def test_a_verification_mail_arrives_with_its_headers_and_its_link_verifies(
    mailing: Runtime, sink: MailSink, client: Any
) -> None:
    data = signup_data()
    assert client.post("/api/v1/signup", json=data).status_code == 202
    assert sink.messages() == []  # queued in the request's transaction, not sent in it

    report = deliver_due(mailing)

    [received] = sink.messages()
    assert report.sent and received.recipients == (data["email"],)
    message = received.message
    [outbox_id] = report.sent
    assert message["Message-ID"] == f"<{outbox_id}@example.pk>"
    assert message["From"] == "no-reply@example.pk"
    assert message["To"] == data["email"]
    assert message["Subject"]
    assert parsedate_to_datetime(message["Date"]) == row(mailing, outbox_id).created_at
    body = message.get_body(("plain",))
    assert body is not None
    link = re.search(r"https://\S+/account/verify/(\S+)", body.get_content())
    assert link is not None
    verified = client.post("/api/v1/auth/verify-email", json={"token": link.group(1)})
    assert verified.status_code == 200, verified.text
    sent = row(mailing, outbox_id)
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, START)


def test_nothing_is_sent_for_a_transaction_that_rolls_back(
    mailing: Runtime, sink: MailSink
) -> None:
    customer = create_customer(mailing)
    deliver_due(mailing)  # the sign-up's own mail
    before = len(sink.messages())
    with mailing.uow() as uow:
        outbox.queue_mail(
            uow, mailing, customer_id=customer, subject="Never", body="Rolled back.",
            kind="service_notice",
        )  # fmt: skip
        # no commit: the unit of work rolls back
    assert deliver_due(mailing).handled == 0
    assert len(sink.messages()) == before


def test_a_4xx_answer_is_retried_later_with_the_same_message_id(
    mailing: Runtime, sink: MailSink
) -> None:
    customer = create_customer(mailing)
    deliver_due(mailing)
    [mid] = queue(mailing, customer)
    sink.answer = lambda received: "451 4.3.0 Mailbox busy, try later"

    assert deliver_due(mailing).retrying == [mid]
    waiting = row(mailing, mid)
    assert (waiting.status, waiting.attempts, waiting.last_error) == ("retrying", 1, "451 4.3.0")
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at > START
    sink.answer = None
    assert deliver_due(mailing).handled == 0  # not due yet
    assert isinstance(mailing.clock, FixedClock)
    mailing.clock.advance(timedelta(seconds=mailing.settings.mail.retry_seconds))

    assert deliver_due(mailing).sent == [mid]
    ids = [r.message["Message-ID"] for r in sink.messages()]
    assert ids.count(f"<{mid}@example.pk>") == 1
    assert row(mailing, mid).attempts == 2


def test_a_message_is_dead_lettered_after_the_last_try_and_shows_so(
    mailing: Runtime, sink: MailSink, settings: Settings
) -> None:
    mailing.settings = mailing.settings.model_copy(
        update={"mail": mailing.settings.mail.model_copy(update={"max_attempts": 3})}
    )
    customer = create_customer(mailing)
    deliver_due(mailing)
    [mid] = queue(mailing, customer)
    sink.answer = lambda received: "421 4.4.2 Closing, try later"
    statuses = []
    for _ in range(4):
        deliver_due(mailing)
        statuses.append(row(mailing, mid).status)
        assert isinstance(mailing.clock, FixedClock)
        mailing.clock.advance(timedelta(hours=7))
    assert statuses == ["retrying", "retrying", "dead", "dead"]
    assert row(mailing, mid).attempts == 3

    env = amanat_env(settings.data_dir, AMANAT_DATABASE_URL=settings.database_url or "")
    if not settings.database_url:
        del env["AMANAT_DATABASE_URL"]
    listed = run_amanat("outbox", "list", "--json", "--status", "dead", env=env)
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    assert (entry["id"], entry["status"], entry["attempts"]) == (mid, "dead", 3)


def test_a_5xx_answer_is_dead_at_once(mailing: Runtime, sink: MailSink) -> None:
    customer = create_customer(mailing)
    deliver_due(mailing)
    [mid] = queue(mailing, customer)
    sink.answer = lambda received: "550 5.1.1 No such mailbox"
    assert deliver_due(mailing).dead == [mid]
    assert (row(mailing, mid).status, row(mailing, mid).last_error) == ("dead", "550 5.1.1")


def test_dkim_signature_verifies_with_the_key_init_made(mailing: Runtime, sink: MailSink) -> None:
    from amanat.install import initialise

    mailing.settings = mailing.settings.model_copy(
        update={"mail": mailing.settings.mail.model_copy(update={"dkim_domain": "example.pk"})}
    )
    report = initialise(mailing)
    [line] = [line for line in report.created if line.startswith("DKIM key")]
    assert "amanat._domainkey.example.pk TXT" in line
    path = key_path(mailing.settings)
    assert str(path).startswith(str(mailing.settings.resolved_key_dir))
    assert not str(path).startswith(str(mailing.settings.data_dir.absolute()) + "/")
    record = dkim_dns_record(path).encode()
    assert record.decode() in line

    create_customer(mailing)
    deliver_due(mailing)
    [received] = sink.messages()

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"amanat._domainkey.example.pk."
        return record

    assert received.data.startswith(b"DKIM-Signature:")
    assert dkim.verify(received.data, dnsfunc=dns)
    assert not dkim.verify(received.data.replace(b"Subject: ", b"Subject: X"), dnsfunc=dns)


def test_outbox_list_prints_ids_whole_in_a_narrow_pipe(
    mailing: Runtime, settings: Settings
) -> None:
    customer = create_customer(mailing)
    env = amanat_env(settings.data_dir, COLUMNS="40")
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    listed = run_amanat("outbox", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    with mailing.uow() as uow:
        ids = uow.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.customer_id == customer)
        ).all()
    for mid in ids:
        assert mid in listed.stdout.split()
        shown = run_amanat("outbox", "show", mid, env=env)
        assert shown.returncode == 0, shown.stderr


def _worker_env(settings: Settings, sink: MailSink, **extra: str) -> dict[str, str]:
    env = amanat_env(
        settings.data_dir,
        AMANAT_SMTP_URL=sink.url,
        AMANAT_SUPPORT_SMTP_LISTEN=f"127.0.0.1:{free_port()}",
        AMANAT_SMTP_POLL_SECONDS="0.2",
        **extra,
    )
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    return env


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(AMANAT_BIN), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _message_ids(sink: MailSink) -> list[str]:
    return [str(r.message["Message-ID"]) for r in sink.messages()]


def test_a_worker_killed_mid_batch_sends_nothing_twice_and_loses_nothing(
    mailing: Runtime, sink: MailSink, settings: Settings
) -> None:
    customer = create_customer(mailing)
    deliver_due(mailing)
    ids = queue(mailing, customer, 6)
    in_flight, release = threading.Event(), threading.Event()
    answered = itertools.count(1)

    def answer(received: Received) -> str | None:
        if next(answered) == 3:  # the third message: hold it until the worker is dead
            in_flight.set()
            release.wait(120)
            return "451 4.3.0 The client went away"
        return None

    sink.answer = answer
    worker = _start_worker(_worker_env(settings, sink))
    try:
        assert in_flight.wait(120), worker.stderr.read() if worker.stderr else ""
        worker.send_signal(signal.SIGKILL)
        worker.wait(60)
    finally:
        release.set()
        if worker.poll() is None:
            worker.kill()
    sink.answer = None
    assert len(sink.messages()) == 3  # the sign-up's mail and the two sent before the kill

    # The dead worker's lease runs out; the next pass takes over its claim.
    mailing.clock = FixedClock(datetime.now(UTC) + timedelta(hours=1))
    deliver_due(mailing)

    sent = _message_ids(sink)
    expected = [f"<{mid}@example.pk>" for mid in ids]
    assert sorted(m for m in sent if m in expected) == sorted(expected)
    assert len(sent) == len(set(sent))
    assert {row(mailing, mid).status for mid in ids} == {"sent"}


def test_two_workers_deliver_every_message_exactly_once(
    mailing: Runtime, sink: MailSink, settings: Settings
) -> None:
    customer = create_customer(mailing)
    deliver_due(mailing)
    ids = queue(mailing, customer, 30)
    env = _worker_env(settings, sink, AMANAT_SMTP_BATCH_SIZE="3")
    workers = [_start_worker(env) for _ in range(2)]
    try:
        deadline = time.monotonic() + 180  # a guard against a hang, not a speed assertion
        while {row(mailing, mid).status for mid in ids} != {"sent"}:
            assert time.monotonic() < deadline, "the workers did not deliver the outbox"
            assert all(w.poll() is None for w in workers), "a worker stopped"
            time.sleep(0.2)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(60)
    sent = _message_ids(sink)
    assert len(sent) == len(set(sent)) == 31
    assert {f"<{mid}@example.pk>" for mid in ids} <= set(sent)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://mail.example.pk", "it must start with smtp:// or smtps://"),
        ("smtp://", "it names no host"),
        ("smtp://mail.example.pk:notaport", "give smtp://host:port"),
    ],
)
def test_an_smtp_url_that_does_not_parse_is_one_sentence_at_start_up(
    tmp_path: Any, url: str, reason: str
) -> None:
    for command in (("doctor",), ("worker",), ("serve",)):
        result = run_amanat(*command, env=amanat_env(tmp_path / "data", AMANAT_SMTP_URL=url))
        assert result.returncode == 2
        assert f"Setting AMANAT_SMTP_URL is invalid: {reason}" in result.stderr + result.stdout
        assert "Traceback" not in result.stderr


def test_doctor_says_in_one_line_when_the_smtp_server_cannot_be_reached(
    mailing: Runtime, settings: Settings
) -> None:
    env = amanat_env(settings.data_dir, AMANAT_SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    result = run_amanat("doctor", env=env)
    assert result.returncode == 1
    [line] = [line for line in result.stdout.splitlines() if "outgoing mail" in line]
    assert "FAIL" in line and "connection refused" in line and "AMANAT_SMTP_URL" in line
    assert "Traceback" not in result.stderr


def test_serve_on_sqlite_delivers_mail_itself(
    mailing: Runtime, sink: MailSink, settings: Settings
) -> None:
    if settings.database_url:
        pytest.skip("on PostgreSQL `amanat worker` delivers (the test above)")
    from tests.conftest import serving

    with serving(mailing) as server, server.client() as http:
        data = signup_data()
        assert http.post(f"{server.url}/api/v1/signup", json=data).status_code == 202
        deadline = time.monotonic() + 60  # a guard against a hang, not a speed assertion
        while not sink.messages():
            assert time.monotonic() < deadline, "the server did not deliver the mail"
            time.sleep(0.1)
    [received] = sink.messages()
    assert received.recipients == (data["email"],)
