"""Fuzz the whole OpenAPI surface of a real Amanat server with Schemathesis.

Starts `amanat serve` over TLS on a free loopback port in a fresh data directory (with
demo data, so that authenticated paths have something to find), runs Schemathesis with a
bounded number of examples per operation, and fails on any 5xx or any response that
breaks the published schema. Every endpoint added to the app is covered without further
work.

    .venv/bin/python scripts/fuzz_api.py [--max-examples N]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "25"))
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-fuzz-") as tmp:
        port = free_port()
        env = {
            **os.environ,
            "AMANAT_DATA_DIR": str(Path(tmp) / "data"),
            "AMANAT_PORT": str(port),
            "AMANAT_ENVIRONMENT": "test",
        }
        env.pop("AMANAT_DATABASE_URL", None)
        subprocess.run([BIN / "amanat", "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen(
            [BIN / "amanat", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"https://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/healthz", verify=False, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                print("fuzz: the server did not start", file=sys.stderr)
                return 1
            result = subprocess.run(
                [
                    BIN / "schemathesis",
                    "run",
                    f"{base}/api/openapi.json",
                    "--checks",
                    "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
                    "--max-examples",
                    str(args.max_examples),
                    "--tls-verify",
                    "false",
                    "--workers",
                    "1",
                    "--no-color",
                ],
                env=env,
                check=False,
            )
            return result.returncode
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
