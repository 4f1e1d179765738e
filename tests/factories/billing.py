"""Billing test helpers: the sandbox processor as its own process, and a webhook receiver."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

PSP_API_KEY = "sk_test_billing_tests"
PSP_WEBHOOK_SECRET = "whsec_billing_tests_secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Psp:
    url: str
    process: subprocess.Popen[str]
    log_path: Path

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {PSP_API_KEY}"}, timeout=10
        )


@contextmanager
def sandbox_psp(
    data_dir: Path,
    webhook_url: str,
    *,
    ca_file: Path | None = None,
    duplicate: bool = False,
    reorder: bool = False,
) -> Iterator[Psp]:
    """Run `amanat dev psp` as its own process on a free loopback port until the block ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMANAT_")}
    env.update(
        AMANAT_DATA_DIR=str(data_dir),
        AMANAT_ENVIRONMENT="test",
        AMANAT_PSP_API_KEY=PSP_API_KEY,
        AMANAT_PSP_WEBHOOK_SECRET=PSP_WEBHOOK_SECRET,
    )
    args = [sys.executable, "-m", "amanat.psp", "--port", str(port), "--webhook-url", webhook_url]
    args += ["--retry-base", "0.05", "--max-attempts", "6"]
    if ca_file is not None:
        args += ["--ca-file", str(ca_file)]
    if duplicate:
        args.append("--duplicate")
    if reorder:
        args.append("--reorder")
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"psp-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a start-up guard, not a speed assertion
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the sandbox processor did not start: {log_path.read_text()}")
        time.sleep(0.1)
    try:
        yield Psp(url=url, process=process, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Receiver:
    """A plain HTTP endpoint that records webhooks and answers with scripted statuses."""

    url: str
    received: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        """Block until ``count`` deliveries arrived (a liveness guard, not a timing check)."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} deliveries arrived, wanted {count}")


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.arrived:
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.received.append((dict(self.headers.items()), body, status))
                receiver.arrived.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
