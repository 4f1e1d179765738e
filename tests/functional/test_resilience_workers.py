"""Issue 18, many workers: `amanat serve` with AMANAT_WORKERS=4 behind one address, on
PostgreSQL with Redis for the shared counters, and four `amanat worker` processes.

The cluster and the Redis are the test's own (tests/processes.py). Requests go out on a
new connection each, so that they land on different worker processes; the log says
which process served each request (its ``pid``, matched by the X-Request-Id the server
returned), and the test checks that more than one did. Then: a session made on one
worker is good on the others; failed sign-ins counted by any worker lock the account on
all of them; the mail limit counted by any worker refuses on all of them; four delivery
workers send every queued message exactly once (their claims never overlap); staff
reads and customer replies appended by four processes at once leave one gapless chain
that `amanat audit verify` accepts.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from amanat.audit.models import AuditEvent
from amanat.comms import service as outbox
from amanat.comms.models import OutboxMessage
from amanat.comms.sink import MailSink
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.install import initialise
from amanat.runtime import Runtime
from tests.conftest import amanat_env, run_amanat
from tests.factories.accounts import PASSWORD, create_customer
from tests.factories.load import Load, World, seed_world
from tests.processes import AmanatProcess, free_port, private_postgres, private_redis

pytestmark = pytest.mark.slow
WORKERS = 4
GUARD = 120.0  # seconds: a guard against a hang, never a speed assertion


@pytest.fixture
def sink() -> Iterator[MailSink]:
    running = MailSink().start()
    try:
        yield running
    finally:
        running.stop()


def served_by(log: Path, request_ids: set[str]) -> Counter[int]:
    """How many of the requests each worker process served, from the shared log."""
    pids: Counter[int] = Counter()
    for line in log.read_text().splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("event") == "http.request" and entry.get("request_id") in request_ids:
            pids[int(entry["pid"])] += 1
    return pids


class Fresh:
    """One request per new connection (so the kernel hands each to any worker)."""

    def __init__(self, server: AmanatProcess) -> None:
        self.server = server
        self.ids: set[str] = set()

    def __call__(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        with self.server.client() as client:
            response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        self.ids.add(response.headers["x-request-id"])
        return response


def test_four_workers_share_sessions_lockouts_limits_job_claims_and_one_chain(
    tmp_path: Path, sink: MailSink
) -> None:
    with private_postgres() as cluster, private_redis() as redis_url:
        settings = Settings(
            environment="test", data_dir=tmp_path / "data",
            database_url=cluster.create_database("amanat"), redis_url=redis_url,
        )  # fmt: skip
        runtime = build_runtime(settings)
        initialise(runtime)
        world = seed_world(runtime, settings, customers=4)
        env = amanat_env(
            settings.data_dir, AMANAT_DATABASE_URL=str(settings.database_url),
            AMANAT_REDIS_URL=redis_url, AMANAT_WORKERS=str(WORKERS), AMANAT_SMTP_URL=sink.url,
            AMANAT_SMTP_POLL_SECONDS="0.2", AMANAT_SMTP_BATCH_SIZE="3",
            AMANAT_SUPPORT_SMTP_LISTEN=f"127.0.0.1:{free_port()}", **world.server_env(),
        )  # fmt: skip
        server = AmanatProcess(env, tmp_path / "serve.log", "serve")
        workers = [
            AmanatProcess(
                {**env, "AMANAT_SUPPORT_SMTP_LISTEN": f"127.0.0.1:{free_port()}"},
                tmp_path / f"worker-{n}.log", "worker",
            )
            for n in range(WORKERS)
        ]  # fmt: skip
        try:
            server.start()
            assert len(server.worker_processes()) == WORKERS
            run_checks(server, workers, world, runtime, settings, sink, env)
        finally:
            for process in (server, *workers):
                process.stop()
            runtime.close()


def run_checks(
    server: AmanatProcess, workers: list[AmanatProcess], world: World, runtime: Runtime,
    settings: Settings, sink: MailSink, env: dict[str, str],
) -> None:  # fmt: skip
    fresh = Fresh(server)
    log = settings.log_path
    customer = world.customers[0]
    with runtime.uow() as uow:
        queued = [
            outbox.queue_mail(uow, runtime, customer_id=customer.id, subject=f"Notice {i}",
                              body=f"Synthetic notice {i}.", kind="service_notice")
            for i in range(30)
        ]  # fmt: skip
        uow.commit()
    for worker in workers:
        worker.start()

    # Sessions: made by one worker, honoured by every worker.
    email = "workers.alpha@example.pk"
    create_customer(runtime, email=email)
    signed_in = fresh("POST", "/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    cookie = "; ".join(f"{c.name}={c.value}" for c in signed_in.cookies.jar)
    for _ in range(24):
        me = fresh("GET", "/api/v1/me", headers={"Cookie": cookie})
        assert me.status_code == 200, me.text
    assert len(served_by(log, fresh.ids)) >= 2, "every request went to one worker"

    # Lockouts: failures counted by any worker lock the account on every worker.
    victim = "workers.bravo@example.pk"
    create_customer(runtime, email=victim)
    wrong = {"email": victim, "password": "not the password at all"}
    answers = [fresh("POST", "/api/v1/auth/login", json=wrong).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 401], answers
    locked = fresh("POST", "/api/v1/auth/login", json={"email": victim, "password": PASSWORD})
    assert locked.status_code == 429, locked.text  # the 4th failure's wait, on any worker
    assert int(locked.headers["retry-after"]) >= 1

    # Throttles: three reset mails per address per window, counted across workers.
    nobody = {"email": "workers.nobody@example.pk"}  # counted before any look-up
    resets = [
        fresh("POST", "/api/v1/auth/password-reset", json=nobody).status_code for _ in range(5)
    ]
    assert resets == [202, 202, 202, 429, 429], resets

    # Job claims: four delivery workers (started first), every message once.
    deadline = time.monotonic() + GUARD
    while True:
        with runtime.engine.connect() as conn:
            left = conn.execute(
                select(func.count()).where(OutboxMessage.status != "sent")
            ).scalar_one()
        if left == 0:
            break
        assert time.monotonic() < deadline, f"{left} messages were not delivered"
        time.sleep(0.2)
    received = Counter(str(m.message["Message-ID"]) for m in sink.messages())
    assert {f"<{mid}@example.pk>" for mid in queued} <= set(received)
    assert max(received.values()) == 1, [m for m, n in received.items() if n > 1]

    # One chain: four processes appending at once.
    with runtime.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    load = Load(server.client, world).start(("reply", "staff_read", "reply", "staff_read"))
    try:
        load.wait_for(80)
    finally:
        done = load.stop()
    assert done.unexpected == [], done.unexpected
    with runtime.engine.connect() as conn:
        count, top = conn.execute(select(func.count(), func.max(AuditEvent.seq))).one()
    assert count == top  # gapless: one sequence, one appender at a time
    assert count - before >= done.total()
    verified = run_amanat("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Traceback" not in server.output()
