"""Where a request's time goes: Amanat over HTTPS against a bare FastAPI endpoint.

    .venv/bin/python -m bench.http                       # SQLite, 2,000 requests a kind
    .venv/bin/python -m bench.http --database-url URL    # PostgreSQL
    .venv/bin/python -m bench.http --profile             # and py-spy over the server

Two servers run as processes of their own on loopback, both uvicorn with TLS and the
same certificate: `amanat serve` (one process) and a bare FastAPI app with one route that
reads one row (a customer's id and created_at by primary key) through a SQLAlchemy
engine on the same database: no middleware, no session, no audit. One client, one
keep-alive connection per server, requests sent one at a time in interleaved rounds, so
that a change of load falls on every kind alike. Prints p50/p99 and requests per second
of: `/healthz`, a guarded staff read (`GET /api/v1/customers/{id}`, Bearer token,
purpose header: session look-up, decision, audit commit, decrypt), a customer's `GET
/api/v1/me`, and the bare read; and the ratio of the staff read's rate to the bare
one's (goal >= 0.5x).

With ``--profile``, py-spy samples every thread of `amanat serve` during the staff reads
and the bench prints where the samples fell (Amanat's own functions, and the share of
middleware, session, guard, audit, commit and framework).
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from tests.factories.accounts import create_customer, create_staff, customer_api_token

from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.install import initialise

BIN = Path(sys.executable).parent


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bare_server(database_url: str, port: int, cert: str, key: str) -> None:
    """The baseline: FastAPI, one route, one primary-key read, nothing else."""
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy import text

    from amanat.db.engine import make_engine

    engine = make_engine(database_url)
    query = text("SELECT id, created_at FROM customers WHERE id = :id")
    app = FastAPI()

    @app.get("/read/{customer_id}")
    def read(customer_id: str) -> dict[str, str]:
        with engine.connect() as conn:
            row = conn.execute(query, {"id": customer_id}).one()
        return {"id": str(row[0]), "created_at": str(row[1])}

    uvicorn.run(app, host="127.0.0.1", port=port, ssl_certfile=cert, ssl_keyfile=key,
                log_level="warning", access_log=False)  # fmt: skip


def wait(url: str, context: ssl.SSLContext, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server did not start ({url})")
        try:
            httpx.get(url, verify=context, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"a server did not answer ({url})")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(
    kinds: dict[str, tuple[httpx.Client, str, dict[str, str]]], n: int, rounds: int = 10
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(rounds):
        for name, (client, path, headers) in kinds.items():
            for _ in range(n // rounds):
                started = time.perf_counter()
                answer = client.get(path, headers=headers)
                times[name].append(time.perf_counter() - started)
                if answer.status_code != 200:
                    raise SystemExit(f"{name}: {answer.status_code} {answer.text[:200]}")
    return times


def profile_summary(raw: Path) -> None:
    """py-spy's raw (collapsed) stacks: which of Amanat's steps the samples fell in."""
    steps = {
        "middleware (request log, headers, origin)": ("web/logging.py", "web/security.py", "web/origin.py"),
        "caller: token / session look-up and touch": ("accounts/caller.py", "accounts/sessions.py", "accounts/tokens.py", "web/caller.py"),
        "guard decision": ("access/guard.py", "access/refusals.py", "access/training.py"),
        "audit append": ("audit/service.py", "audit/append.py"),
        "commit": ("db/uow.py:commit", "web/uow.py"),
        "decrypt": ("vault/cipher.py",),
        "console service and schema": ("console/service.py", "console/api.py"),
    }  # fmt: skip
    totals: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if any("select" in f and "selectors" in f for f in frames[-2:]):
            continue  # an idle thread waiting in the event loop's select
        if any(f.startswith("wait (threading") or "queue.py" in f for f in frames[-2:]):
            continue  # an idle pool thread
        samples += count
        for step, needles in steps.items():
            if any(needle in frame for frame in frames for needle in needles):
                totals[step] += count
        amanat = [f for f in frames if "amanat/" in f]
        if amanat:
            own[amanat[-1]] += count
    print(f"\n   py-spy: {samples} busy samples over every thread of `amanat serve`")
    for step, count in totals.most_common():
        print(f"   {count / samples:6.1%}  {step}")
    print("   innermost Amanat frame of the busy samples (top 12):")
    for frame, count in own.most_common(12):
        print(f"   {count / samples:6.1%}  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--bare-server", nargs=4, metavar=("URL", "PORT", "CERT", "KEY"))
    args = parser.parse_args()
    if args.bare_server:
        url, port, cert, key = args.bare_server
        bare_server(url, int(port), cert, key)
        return
    with tempfile.TemporaryDirectory(prefix="amanat-bench-http-") as root:
        settings = Settings(environment="test", data_dir=Path(root) / "data",
                            database_url=args.database_url)  # fmt: skip
        runtime = build_runtime(settings)
        initialise(runtime)
        staff = create_staff(runtime, "security_officer")
        customer = create_customer(runtime)
        token = customer_api_token(runtime, customer)
        database_url = settings.resolved_database_url
        runtime.close()
        port, bare_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMANAT_")}
        env.update(AMANAT_DATA_DIR=str(settings.data_dir), AMANAT_ENVIRONMENT="test",
                   AMANAT_PORT=str(port), AMANAT_LOG_LEVEL="WARNING")  # fmt: skip
        if args.database_url:
            env["AMANAT_DATABASE_URL"] = args.database_url
        serve = subprocess.Popen([str(BIN / "amanat"), "serve"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        bare = subprocess.Popen(
            [sys.executable, "-m", "bench.http", "--bare-server", database_url, str(bare_port),
             str(settings.cert_path), str(settings.cert_key_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        context = ssl.create_default_context(cafile=str(settings.cert_path))
        try:
            wait(f"https://127.0.0.1:{port}/healthz", context, serve)
            wait(f"https://127.0.0.1:{bare_port}/read/{customer}", context, bare)
            amanat = httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context)
            baseline = httpx.Client(base_url=f"https://127.0.0.1:{bare_port}", verify=context)
            staff_headers = {"Authorization": f"Bearer {staff.api_token}",
                             "X-Access-Purpose": "security"}  # fmt: skip
            kinds = {
                "GET /healthz": (amanat, "/healthz", {}),
                "guarded staff read": (amanat, f"/api/v1/customers/{customer}", staff_headers),
                "customer GET /api/v1/me": (amanat, "/api/v1/me",
                                            {"Authorization": f"Bearer {token}"}),
                "bare FastAPI, one DB read": (baseline, f"/read/{customer}", {}),
            }  # fmt: skip
            measure(kinds, 200, 2)  # warm: caches, pools, TLS sessions
            times = measure(kinds, args.requests)
            kind = "PostgreSQL" if args.database_url else "SQLite"
            print(f"HTTPS on loopback, one keep-alive connection, sequential, {kind}")
            rates = {}
            for name, samples in times.items():
                rates[name] = len(samples) / sum(samples)
                print(f"   {name:28s} p50 {percentile(samples, 0.5) * 1e3:6.2f} ms  "
                      f"p99 {percentile(samples, 0.99) * 1e3:6.2f} ms  {rates[name]:7.1f}/s")  # fmt: skip
            ratio = rates["guarded staff read"] / rates["bare FastAPI, one DB read"]
            print(f"   staff read rate / bare read rate (goal >= 0.5x): {ratio:.2f}x")
            if args.profile:
                raw = Path(root) / "profile.txt"
                spy = subprocess.Popen(
                    [str(BIN / "py-spy"), "record", "--pid", str(serve.pid), "--format", "raw",
                     "--output", str(raw), "--rate", "250", "--threads", "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                time.sleep(1.0)
                only = {"guarded staff read": kinds["guarded staff read"]}
                measure(only, args.requests)
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
                spy.wait(60)
                profile_summary(raw)
        finally:
            serve.terminate()
            bare.terminate()
            serve.wait(60)
            bare.wait(60)


if __name__ == "__main__":
    main()
