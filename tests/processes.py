"""Real processes for the resilience tests (issue 18): a private PostgreSQL cluster and a
private Redis that a test may stop, start and kill without touching the shared servers
other tests use, and `amanat serve` / `amanat worker` as subprocesses an operator runs.

Every port is taken from the kernel (bind to port 0) right before the process starts;
a start that loses the port to another process is retried on a fresh one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import AMANAT_BIN, IN_CI, SAME_ORIGIN

START_GUARD = 90.0  # seconds: a guard against a hung start, never a speed assertion


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _unavailable(what: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {what}")
    pytest.skip(what)


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary directory, trust
    authentication, loopback only), so that stopping it disturbs nobody else.

    ``fsync=off``: the tests stop it cleanly (a fast shutdown writes every committed
    transaction) or kill Amanat, never the machine; durability across a power cut is
    PostgreSQL's to prove, not Amanat's."""

    def __init__(self) -> None:
        binaries = _postgres_bin()
        if binaries is None:
            _unavailable("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
        assert binaries is not None
        self.bin = binaries
        # Not under pytest's tmp_path (mode 0700, owned by the test's user): when the tests
        # run as root, the cluster runs as the postgres user, who must reach its directory.
        self.root = Path(tempfile.mkdtemp(prefix="amanat-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*self._as, str(self.bin / tool), *args],
            capture_output=True, text=True, timeout=START_GUARD, check=False,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"{tool} failed: {done.stdout[-800:]} {done.stderr[-800:]}")
        return done

    def start(self) -> None:
        """Start (again) on the same port, or on a fresh one the first time."""
        for attempt in range(3):
            port = self.port or free_port()
            options = (
                f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=200 -c shared_buffers=32MB"
            )
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w",
                          "-t", str(int(START_GUARD)), "-o", options, "start")  # fmt: skip
            except RuntimeError:
                if attempt == 2 or self.port:
                    raise
                continue  # another process took the port in between: take another
            self.port = port
            return

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as in a restart or a failover."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A Redis of the test's own, in memory only; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        _unavailable("redis-server is not installed")
    assert binary is not None
    for _ in range(3):
        port = free_port()
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + START_GUARD
        while server.poll() is None and time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        if server.poll() is None:
            try:
                yield f"redis://127.0.0.1:{port}/0"
            finally:
                server.terminate()
                server.wait(30)
            return
    pytest.fail("redis-server did not start")


class AmanatProcess:
    """`amanat serve` (or any long-running `amanat` command) as a subprocess, its output in
    a log file beside the data directory."""

    def __init__(self, env: dict[str, str], log: Path, *command: str) -> None:
        self.env = dict(env)
        self.log = log
        self.command = command or ("serve",)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        return int(self.env["AMANAT_PORT"])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def cert(self) -> Path:
        return Path(self.env["AMANAT_DATA_DIR"]) / "tls" / "localhost.crt"

    def tls(self) -> ssl.SSLContext:
        """A client context trusting exactly this installation's certificate."""
        return ssl.create_default_context(cafile=str(self.cert))

    def client(self, **kwargs: object) -> httpx.Client:
        headers = {**SAME_ORIGIN, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return httpx.Client(
            base_url=self.url, verify=self.tls(), headers=headers,
            timeout=httpx.Timeout(60.0), **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip

    def start(self, *, wait: bool = True) -> None:
        """Start; with ``wait`` until /healthz answers 200. A new port is taken when the
        first start finds its port taken (serve says so and exits 2)."""
        for _ in range(3):
            self.env.setdefault("AMANAT_PORT", str(free_port()))
            with self.log.open("ab") as output:
                self.process = subprocess.Popen(
                    [str(AMANAT_BIN), *self.command], env=self.env,
                    stdout=output, stderr=subprocess.STDOUT,
                )  # fmt: skip
            if not wait or self.command[0] != "serve":
                return
            if self.wait_healthy():
                return
            if self.process.poll() == 2 and "is in use" in self.output():
                self.env["AMANAT_PORT"] = str(free_port())
                continue
            break
        pytest.fail(f"amanat {' '.join(self.command)} did not start:\n{self.output()[-3000:]}")

    def wait_healthy(self) -> bool:
        deadline = time.monotonic() + START_GUARD
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            if self.cert.exists():
                try:
                    answer = httpx.get(f"{self.url}/healthz", verify=self.tls(), timeout=5)
                    if answer.status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        return False

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no goodbye (and its children with it,
        when it runs worker processes: they are killed by the test through ``children``)."""
        assert self.process is not None
        for child in self.children():
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(60)

    def children(self) -> list[int]:
        if self.process is None:
            return []
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]

    def worker_processes(self) -> list[int]:
        """The children serving requests (multiprocessing's spawned workers; not its
        resource tracker)."""
        found = []
        for pid in self.children():
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"spawn_main" in command and b"resource_tracker" not in command:
                    found.append(pid)
        return found

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()
