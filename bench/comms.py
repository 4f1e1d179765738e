"""Comms benchmark, delivery part: the outbox delivered to a local SMTP sink against a bare
smtplib loop sending the same messages, from the same run.

    .venv/bin/python -m bench.comms                  # 2,000 messages
    .venv/bin/python -m bench.comms --messages 500   # a quicker one

Both sides send to the same aiosmtpd sink (comms.sink) on loopback over one connection
per batch. The bare loop builds each message with email.message and calls
``smtplib.SMTP.sendmail``: no database, no encryption, no audit. Amanat's side is the real
job (`amanat worker`'s pass, comms.delivery.deliver_due): claim a batch, read each message
through the guard (decrypt and access record), build it with a stable Message-ID, send,
record the outcome and commit per message. The ratio is Amanat's rate over the bare
loop's (goal >= 0.5x). SQLite in a temporary data directory (WAL, synchronous=NORMAL).
"""

from __future__ import annotations

import argparse
import smtplib
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from tests.factories.accounts import create_customer

from amanat.comms import service as outbox
from amanat.comms.delivery import deliver_due
from amanat.comms.sink import MailSink
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.install import initialise

BODY = "Your synthetic service notice.\n" * 20


def bare_loop(sink: MailSink, messages: int, batch: int) -> float:
    """Messages per second through smtplib alone, one connection per batch."""
    started = time.perf_counter()
    for first in range(0, messages, batch):
        with smtplib.SMTP(sink.host, sink.port) as smtp:
            for i in range(first, min(first + batch, messages)):
                message = EmailMessage(policy=SMTP)
                message["Message-ID"] = f"<bare-{i}@example.pk>"
                message["From"] = "no-reply@example.pk"
                message["To"] = f"bench.{i}@example.pk"
                message["Subject"] = f"Notice {i}"
                message.set_content(BODY)
                smtp.sendmail("no-reply@example.pk", [f"bench.{i}@example.pk"], message.as_bytes())
    return messages / (time.perf_counter() - started)


def amanat_delivery(sink: MailSink, messages: int, batch: int, data_dir: Path) -> float:
    """Messages per second through the delivery job, after queueing them (not timed)."""
    settings = Settings(environment="test", data_dir=data_dir, smtp_url=sink.url)
    settings.mail.batch_size = batch
    runtime = build_runtime(settings)
    initialise(runtime)
    try:
        customers = [create_customer(runtime) for _ in range(20)]
        deliver_due(runtime)  # the sign-ups' own mail, outside the timing
        with runtime.uow() as uow:
            for i in range(messages):
                outbox.queue_mail(
                    uow, runtime, customer_id=customers[i % len(customers)], to=f"bench.{i}@example.pk",
                    subject=f"Notice {i}", body=BODY, kind="service_notice",
                )  # fmt: skip
            uow.commit()
        started = time.perf_counter()
        sent = 0
        while sent < messages:
            report = deliver_due(runtime)
            assert report.retrying == [] and report.dead == [], "the sink refused mail"
            sent += len(report.sent)
        return messages / (time.perf_counter() - started)
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    sink = MailSink().start()
    try:
        bare = bare_loop(sink, args.messages, args.batch)
        with tempfile.TemporaryDirectory() as tmp:
            ours = amanat_delivery(sink, args.messages, args.batch, Path(tmp) / "data")
    finally:
        sink.stop()
    print(f"delivery of {args.messages} messages to a local aiosmtpd sink (batch {args.batch})")
    print(f"  bare smtplib loop      {bare:9.0f} messages/s")
    print(f"  amanat delivery job    {ours:9.0f} messages/s")
    print(f"  ratio                  {ours / bare:9.2f}x  (goal >= 0.5x)")


if __name__ == "__main__":
    main()
