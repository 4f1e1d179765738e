"""Issue 18, crash safety: a real `amanat serve` killed with SIGKILL in the middle of
concurrent writes loses nothing it acknowledged and leaves nothing half-written.

Four kinds of write run at once over HTTPS, each on its own keep-alive connection:
sign-ups, ticket replies, payment webhooks signed as the sandbox processor signs, and
guarded staff reads (each appends to the audit chain). Mail goes to a real aiosmtpd sink.
After some writes were acknowledged the server (and on PostgreSQL the worker delivering
mail) is killed with SIGKILL while requests are in flight, then started again. Then:
every acknowledged write is there and reads back whole; every row written has the audit
event of its change (a write and its event commit together or not at all); `amanat
audit verify` passes; every queued message arrives, and none twice beyond the one a
killed delivery may have had in flight (SMTP cannot tell a dead client's last message
from an unsent one; the Message-ID is the same, so the receiver keeps one).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, text

from amanat.audit.models import AuditEvent
from amanat.billing.models import Invoice, Payment
from amanat.comms.models import OutboxMessage
from amanat.comms.sink import MailSink
from amanat.config import Settings
from amanat.customers.models import Customer
from amanat.runtime import Runtime
from amanat.support.models import Ticket, TicketMessage
from tests.conftest import amanat_env, run_amanat
from tests.factories.load import Load, World, check_acknowledged, seed_world
from tests.processes import AmanatProcess, free_port

pytestmark = pytest.mark.slow
GUARD = 120.0  # seconds: a guard against a hang, never a speed assertion


@pytest.fixture
def sink() -> Iterator[MailSink]:
    running = MailSink().start()
    try:
        yield running
    finally:
        running.stop()


def server_env(settings: Settings, world: World, sink: MailSink) -> dict[str, str]:
    env = amanat_env(
        settings.data_dir,
        AMANAT_SMTP_URL=sink.url,
        AMANAT_SMTP_POLL_SECONDS="0.2",
        AMANAT_SMTP_BATCH_SIZE="5",
        # A killed worker's claim ends soon, so that the test sees the retry.
        AMANAT_SMTP_LEASE_SECONDS="3",
        AMANAT_SUPPORT_SMTP_LISTEN=f"127.0.0.1:{free_port()}",
        # Sign-ups from one address are limited per network; this test is not about that.
        AMANAT_THROTTLING="false",
        **world.server_env(),
    )
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    return env


def count(runtime: Runtime, query: Any) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def events(runtime: Runtime, code: str) -> int:
    return count(runtime, select(func.count()).where(AuditEvent.code == code))


def assert_whole(runtime: Runtime) -> None:
    """Every row written has the audit event of the change that wrote it, and no row is
    missing its other half."""
    customers = count(runtime, select(func.count()).select_from(Customer))
    assert customers == events(runtime, "customer.created")
    assert customers == count(
        runtime, text("SELECT count(*) FROM customers c JOIN credentials k ON k.id = c.id")
    )
    tickets = count(runtime, select(func.count()).select_from(Ticket))
    customer_messages = count(
        runtime,
        select(func.count()).where(TicketMessage.author_kind == "customer"),
    )
    assert customer_messages == tickets + events(runtime, "support.customer_replied")
    paid = count(runtime, select(func.count()).where(Payment.status == "succeeded"))
    assert paid == events(runtime, "billing.payment_received")
    assert paid == count(runtime, select(func.count()).where(Invoice.status == "paid"))
    queued = count(runtime, select(func.count()).select_from(OutboxMessage))
    assert queued == events(runtime, "comms.queued")


def wait_for_outbox(runtime: Runtime) -> list[str]:
    deadline = time.monotonic() + GUARD
    while True:
        with runtime.engine.connect() as conn:
            statuses = dict(
                conn.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all()
            )
            if set(statuses) <= {"sent"}:
                return list(conn.execute(select(OutboxMessage.id)).scalars())
        assert time.monotonic() < deadline, f"the outbox was not delivered: {statuses}"
        time.sleep(0.2)


@pytest.mark.parametrize("kill_after", [40])
def test_sigkill_mid_load_loses_no_acknowledged_write_and_half_writes_nothing(
    runtime: Runtime, settings: Settings, sink: MailSink, kill_after: int
) -> None:
    world = seed_world(runtime, settings, customers=10)
    env = server_env(settings, world, sink)
    logs = settings.data_dir.parent
    server = AmanatProcess(env, logs / "serve.log", "serve")
    # On PostgreSQL `amanat worker` delivers the mail; on SQLite `amanat serve` does.
    worker = AmanatProcess(env, logs / "worker.log", "worker") if settings.database_url else None
    try:
        run_crash(runtime, settings, world, sink, server, worker, kill_after)
    finally:
        server.stop()
        if worker is not None:
            worker.stop()


def run_crash(
    runtime: Runtime, settings: Settings, world: World, sink: MailSink,
    server: AmanatProcess, worker: AmanatProcess | None, kill_after: int,
) -> None:  # fmt: skip
    postgres = worker is not None
    env = server.env
    server.start()
    if worker is not None:
        worker.start()
    load = Load(server.client, world, tolerated=frozenset()).start()
    try:
        load.wait_for(kill_after, each=2)
        server.kill()  # requests are in flight on four connections
        if worker is not None:
            worker.kill()
        killed_with = load.done.total()
        time.sleep(0.5)  # the clients see the dead server and fail their requests
    finally:
        done = load.stop()
    assert done.unexpected == [], done.unexpected
    assert killed_with >= kill_after
    assert done.signups and done.replies and done.webhooks and done.staff_reads

    if not postgres:
        with runtime.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    server.start()
    if worker is not None:
        worker.start()
    check_acknowledged(server, world, done)
    reads = count(
        runtime,
        select(func.count()).where(
            AuditEvent.actor_id == world.staff.id, AuditEvent.code == "access.granted"
        ),
    )
    assert reads >= done.staff_reads
    outbox = wait_for_outbox(runtime)
    assert_whole(runtime)
    verified = run_amanat("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    received = Counter(str(m.message["Message-ID"]) for m in sink.messages())
    expected = {f"<{mid}@example.pk>" for mid in outbox}
    assert expected <= set(received), "a queued message never arrived"
    twice = [mid for mid, n in received.items() if n > 1]
    # One delivery thread per killed process sends one message at a time.
    assert len(twice) <= 1, twice
    assert all(received[mid] == 2 for mid in twice)
