"""Accounts benchmark (issue 4), each figure beside a baseline from the same run.

    .venv/bin/python -m bench.auth                      # SQLite in a temporary directory
    .venv/bin/python -m bench.auth --database-url postgresql+psycopg://postgres@127.0.0.1/test

Prints:
1. sign-in latency and throughput, through the service (one unit of work, committed, as
   the route does) and through the HTTP API in process, against bare argon2id verification
   at the same parameters (goal: a sign-in costs at most 1.3x the hash);
2. sign-up throughput (validation, strength estimate, argon2id, seven encrypted fields,
   verification mail) against one argon2id hash;
3. mean response time for an unknown account against a wrong password over many tries,
   interleaved (goal: within 20% of each other).

Throttling stays on: wrong passwords rotate over enough accounts (at most three failures
each, below the first delay), and every try comes from its own network address.
"""

from __future__ import annotations

import argparse
import ipaddress
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from argon2 import PasswordHasher, Type
from tests.factories.accounts import PASSWORD, signup_data

from amanat.accounts import service as accounts
from amanat.accounts.schemas import SignupIn
from amanat.accounts.useragent import technical_data
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.install import initialise
from amanat.runtime import Runtime
from amanat.web.client import ClientInfo

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"


def timed(fn: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def describe(name: str, samples: list[float]) -> float:
    mean = statistics.fmean(samples)
    p50 = statistics.median(samples)
    p99 = sorted(samples)[max(0, int(len(samples) * 0.99) - 1)]
    print(
        f"  {name:<34} mean {mean * 1000:7.2f} ms  p50 {p50 * 1000:7.2f} ms  p99 {p99 * 1000:7.2f} ms  {1 / mean:7.1f}/s"
    )
    return mean


def addresses() -> Callable[[], str]:
    network = ipaddress.ip_network("198.18.0.0/15")  # RFC 2544 benchmarking addresses
    hosts = network.hosts()
    return lambda: str(next(hosts))


def sign_up(runtime: Runtime, **overrides: object) -> str:
    body = SignupIn.model_validate(signup_data(**overrides))
    with runtime.uow() as uow:
        customer_id = accounts.sign_up(uow, runtime, body).raise_for_failure()
        uow.commit()
    return customer_id


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--tries", type=int, default=200, help="tries per figure")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            environment="test", data_dir=Path(tmp) / "data", database_url=args.database_url
        )
        runtime = build_runtime(settings)
        initialise(runtime)
        n = args.tries
        hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism, hash_len=32, salt_len=16, type=Type.ID,
        )  # fmt: skip
        stored = hasher.hash(PASSWORD)
        print(
            f"argon2id m={settings.argon2_memory_kib} KiB t={settings.argon2_time_cost} p={settings.argon2_parallelism}; database {runtime.engine.url.get_backend_name()}; {n} tries each"
        )

        technical_data(ClientInfo("198.18.0.1", UA))  # ua-parser compiles its rules on first use
        print("\n1. sign-in")
        base = describe(
            "bare argon2id verify (baseline)", timed(lambda: hasher.verify(stored, PASSWORD), n)
        )
        data = signup_data()
        sign_up(runtime, **data)
        ip = addresses()

        def service_sign_in() -> None:
            with runtime.uow() as uow:
                outcome = accounts.sign_in_customer(
                    uow, runtime, data["email"], PASSWORD, ClientInfo(ip(), UA)
                )
                uow.commit()
            assert outcome.error is None

        service = describe("sign-in via service (committed)", timed(service_sign_in, n))
        from fastapi.testclient import TestClient

        from amanat.app import create_app

        client = TestClient(
            create_app(runtime), base_url="https://testserver", client=("198.19.0.1", 50000)
        )

        def http_sign_in() -> None:
            response = client.post(
                "/api/v1/auth/login", json={"email": data["email"], "password": PASSWORD}
            )
            assert response.status_code == 200

        http = describe("sign-in via HTTP API (in process)", timed(http_sign_in, n))
        print(
            f"  ratio service/hash {service / base:.2f}x, HTTP/hash {http / base:.2f}x (goal <= 1.30x)"
        )

        print("\n2. sign-up")
        hash_mean = describe(
            "bare argon2id hash (baseline)", timed(lambda: hasher.hash(PASSWORD), max(20, n // 4))
        )
        signup_mean = describe(
            "sign-up via service (committed)", timed(lambda: sign_up(runtime), max(20, n // 4))
        )
        print(
            f"  sign-up throughput {1 / signup_mean:.1f}/s, ratio to one hash {signup_mean / hash_mean:.2f}x"
        )

        print("\n3. unknown account against wrong password (interleaved)")
        accounts_needed = n // 3 + 1
        emails = [signup_data()["email"] for _ in range(accounts_needed)]
        for email in emails:
            sign_up(runtime, email=email)
        unknown: list[float] = []
        wrong: list[float] = []
        for i in range(n):
            for kind in ("unknown", "wrong") if i % 2 == 0 else ("wrong", "unknown"):
                email = f"nobody.{i}@example.pk" if kind == "unknown" else emails[i // 3]
                start = time.perf_counter()
                with runtime.uow() as uow:
                    outcome = accounts.sign_in_customer(
                        uow, runtime, email, "not the password 9", ClientInfo(ip(), UA)
                    )
                    uow.commit()
                (unknown if kind == "unknown" else wrong).append(time.perf_counter() - start)
                assert outcome.error is not None and outcome.error.status == 401
        u = describe("unknown account", unknown)
        w = describe("wrong password", wrong)
        print(f"  difference {abs(u - w) / min(u, w) * 100:.1f}% (goal within 20%)")
        runtime.close()


if __name__ == "__main__":
    main()
