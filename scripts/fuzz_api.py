"""Fuzz the whole OpenAPI surface of a real Amanat server with Schemathesis.

Starts `amanat demo` (init + synthetic demo data + HTTPS serve) on a free loopback port
in a fresh data directory, signs in as the demo customer so that authenticated operations
are exercised past their 401, and runs Schemathesis over /api/openapi.json with a bounded
number of examples per operation. Then it fuzzes the staff operations again, each
as a staff member whose role the policy lets act for it: the staff operations are read
from the app's own routes (each that depends on ``StaffFor`` or the staff sign-in) and
grouped by the purposes they declare; for each group a staff member of a role holding
that purpose is added, trained, enrolled and signed in with a TOTP code through the real
CLI and pages, and the group is fuzzed with their session and purpose header. Operations
whose caller names the purpose per request are fuzzed as a support agent naming
``support``. So the fuzz reaches past the role gate into every staff operation. Fails on any 5xx, or any response that breaks the
published schema (status code, content type, body). Every endpoint added to the app is
covered without further work; the TLS certificate the installation made is verified.

    .venv/bin/python scripts/fuzz_api.py [--max-examples N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import html
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(base: str, cert: Path, server: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        if cert.exists():
            try:
                if httpx.get(f"{base}/healthz", verify=str(cert), timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    return False


def start_psp(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes] | None:
    """`amanat dev psp` on ``port`` when this Amanat has it; None otherwise."""
    amanat = str(BIN / "amanat")
    probe = subprocess.run(
        [amanat, "dev", "psp", "--help"], env=env, capture_output=True, check=False
    )
    if probe.returncode:
        return None
    with log.open("wb") as output:
        psp = subprocess.Popen(
            [amanat, "dev", "psp", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and psp.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return psp
        time.sleep(0.2)
    print("fuzz: the sandbox processor did not start; fuzzing without it", file=sys.stderr)
    return psp


def demo_credential(base: str, cert: Path, paths: dict[str, object]) -> dict[str, str]:
    """Headers that authenticate as the demo customer, when the app has sign-in.

    An API token is preferred to the session cookie: fuzzed calls to sign-out or
    "revoke other sessions" would end a session halfway through the run.
    """
    if "/api/v1/auth/login" not in paths:
        return {}
    from amanat.accounts.demo import DEMO_EMAIL, DEMO_PASSWORD

    with httpx.Client(base_url=base, verify=str(cert), timeout=30) as client:
        login = client.post(
            "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
        if login.status_code != 200:
            print(f"fuzz: demo sign-in refused ({login.status_code})", file=sys.stderr)
            return {}
        if "/api/v1/me/tokens" in paths:
            created = client.post(
                "/api/v1/me/tokens", json={"label": "fuzz", "scopes": ["read", "write"]}
            )
            token = created.json().get("token") if created.status_code in {200, 201} else None
            if token:
                return {"Authorization": f"Bearer {token}"}
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        return {"Cookie": cookie} if cookie else {}


# Operations whose caller names the purpose with each request are fuzzed as this role
# naming this purpose (the guard decides the purpose named; any role passes the gate).
NAMED_ROLE = "support_agent"
NAMED_PURPOSE = "support"


def _calls(dependant: Any) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def staff_operations() -> dict[tuple[str, str], tuple[str, ...]]:
    """(METHOD, path) -> declared purposes of every route of the app that signs in a
    staff member: a ``StaffFor`` gate (its purposes; () when named per request) or the
    staff member's own account (``api_staff``, ()). Read from the app itself, as
    tests/functional/test_route_matrix.py does, so a new staff route is fuzzed as staff
    without editing this script."""
    from fastapi.routing import APIRoute, iter_route_contexts

    from amanat.app import create_app
    from amanat.composition import build_runtime
    from amanat.config import Settings
    from amanat.web.caller import StaffFor, api_staff

    found: dict[tuple[str, str], tuple[str, ...]] = {}
    with tempfile.TemporaryDirectory(prefix="amanat-fuzz-routes-") as data:
        settings = Settings(environment="test", data_dir=Path(data), database_url=None)
        runtime = build_runtime(settings)
        try:
            for context in iter_route_contexts(create_app(runtime).routes):
                route = context.original_route
                if not isinstance(route, APIRoute):
                    continue
                calls = list(_calls(route.dependant))
                gates = [c for c in calls if isinstance(c, StaffFor)]
                if not gates and api_staff not in calls:
                    continue
                purposes = tuple(p for gate in gates for p in gate.purposes)
                path = context.path or route.path
                for method in context.methods or ():
                    found[(method, path)] = purposes
        finally:
            runtime.close()
    return found


def role_for(purposes: tuple[str, ...]) -> tuple[str, str]:
    """(role, purpose) to fuzz an operation declaring ``purposes`` with: the first staff
    role of the policy holding the first purpose it can; the support agent for ()."""
    from amanat.policy.loader import load_policy

    if not purposes:
        return NAMED_ROLE, NAMED_PURPOSE
    policy = load_policy().policy
    for purpose in purposes:
        for role in policy.staff_roles:
            if role.staff and purpose in role.purposes:
                return role.id, purpose
    raise SystemExit(f"fuzz: no staff role of the policy acts for {purposes}")


def staff_operation_ids(paths: dict[str, Any], staff: set[tuple[str, str]]) -> list[str]:
    """The published operationIds of ``staff`` (routes left out of the schema have none)."""
    return sorted(
        operation["operationId"]
        for path, item in paths.items()
        for method, operation in item.items()
        if (method.upper(), path) in staff and "operationId" in operation
    )


def _form_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else ""


def staff_credential(
    base: str, cert: Path, env: dict[str, str], role: str, purpose: str
) -> dict[str, str]:
    """Headers of a signed-in, trained staff member of ``role`` naming ``purpose``, made
    through the real CLI and routes: `amanat staff add`, the enrolment page (password and a
    TOTP code computed from the secret it shows), `amanat staff train`, then /staff/login
    and /staff/login/mfa."""
    import pyotp

    email = f"fuzz.staff.{secrets.token_hex(4)}@example.com"
    password = "Fuzz-" + secrets.token_urlsafe(18)
    amanat = str(BIN / "amanat")
    added = subprocess.run(
        [amanat, "staff", "add", email, "--role", role],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    link = re.search(r"/staff/enrol/([A-Za-z0-9_-]+)", added.stdout)
    if added.returncode or link is None:
        print(f"fuzz: `amanat staff add` failed: {added.stderr[-500:]}", file=sys.stderr)
        return {}
    trained = subprocess.run(
        [amanat, "staff", "train", email, "--completed", time.strftime("%Y-%m-%d")],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if trained.returncode:
        print(f"fuzz: `amanat staff train` failed: {trained.stderr[-500:]}", file=sys.stderr)
    with httpx.Client(base_url=base, verify=str(cert), timeout=30) as client:
        enrol_path = f"/staff/enrol/{link.group(1)}"
        page = client.get(enrol_path).text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
        if secret is None:
            print("fuzz: the enrolment page shows no TOTP key", file=sys.stderr)
            return {}
        totp = pyotp.TOTP(secret.group(1))
        enrolled = client.post(enrol_path, data={
            "csrf_token": _form_token(page), "password": password, "code": totp.now(),
        })  # fmt: skip
        if enrolled.status_code != 200:
            print(f"fuzz: staff enrolment refused ({enrolled.status_code})", file=sys.stderr)
            return {}
        page = client.get("/staff/login").text
        client.post("/staff/login", data={
            "csrf_token": _form_token(page), "email": email, "password": password,
        })  # fmt: skip
        page = client.get("/staff/login/mfa").text
        # The next time step's code: the enrolment used this one, and a code is single-use.
        code = totp.at(time.time() + totp.interval)
        client.post("/staff/login/mfa", data={"csrf_token": _form_token(page), "code": code})
        me = client.get("/api/v1/staff/me/sessions")
        if me.status_code != 200:
            print(f"fuzz: {role} sign-in did not work ({me.status_code})", file=sys.stderr)
            return {}
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return {"Cookie": cookie, "Origin": base, "X-Access-Purpose": purpose}


def schemathesis_run(
    base: str, cert: Path, env: dict[str, str], examples: int, headers: dict[str, str],
    extra: list[str],
) -> int:  # fmt: skip
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{base}/api/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        "--tls-verify",
        str(cert),
        "--workers",
        "1",
        "--no-color",
        *extra,
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return subprocess.run(command, env=env, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "25"))
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("FUZZ_DATABASE_URL"),
        help="PostgreSQL URL to fuzz against (default: SQLite in a fresh data directory)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-fuzz-") as tmp:
        port = free_port()
        data_dir = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMANAT_")}
        env.update(AMANAT_DATA_DIR=str(data_dir), AMANAT_PORT=str(port), AMANAT_ENVIRONMENT="test")
        if args.database_url:
            env["AMANAT_DATABASE_URL"] = args.database_url
        # The sandbox payment processor, so that card payments and webhooks answer as
        # they would in production instead of "not set up".
        psp_port = free_port()
        env.update(
            AMANAT_PSP_URL=f"http://127.0.0.1:{psp_port}",
            AMANAT_PSP_API_KEY="sk_test_" + secrets.token_urlsafe(24),
            AMANAT_PSP_WEBHOOK_SECRET="whsec_" + secrets.token_urlsafe(32),
        )
        psp: subprocess.Popen[bytes] | None = None
        log = Path(tmp) / "demo.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                [BIN / "amanat", "demo"], env=env, stdout=output, stderr=subprocess.STDOUT
            )
        base = f"https://127.0.0.1:{port}"
        cert = data_dir / "tls" / "localhost.crt"
        started = time.monotonic()
        try:
            if not wait_until_healthy(base, cert, server):
                print("fuzz: `amanat demo` did not start:", file=sys.stderr)
                print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
                return 1
            psp = start_psp(env, psp_port, Path(tmp) / "psp.log")
            schema = httpx.get(f"{base}/api/openapi.json", verify=str(cert)).json()
            paths: dict[str, object] = schema.get("paths", {})
            headers = demo_credential(base, cert, paths)
            operations = sum(len(v) for v in paths.values() if isinstance(v, dict))
            print(
                f"fuzz: {operations} operations, {args.max_examples} examples each, "
                f"{'as the demo customer' if headers else 'unauthenticated'}",
                flush=True,
            )
            result = schemathesis_run(base, cert, env, args.max_examples, headers, [])
            by_role: dict[tuple[str, str], set[tuple[str, str]]] = {}
            for operation, purposes in staff_operations().items():
                by_role.setdefault(role_for(purposes), set()).add(operation)
            staff_result = 0
            for (role, purpose), operations_of_role in sorted(by_role.items()):
                staff_ids = staff_operation_ids(schema.get("paths", {}), operations_of_role)
                if not staff_ids:
                    continue
                staff = staff_credential(base, cert, env, role, purpose)
                if not staff:
                    print(
                        f"fuzz: no signed-in {role}; staff operations not fuzzed", file=sys.stderr
                    )
                    return 1
                print(
                    f"fuzz: {len(staff_ids)} staff operations again, signed in as {role} "
                    f"for {purpose}",
                    flush=True,
                )
                only = "^(" + "|".join(re.escape(i) for i in staff_ids) + ")$"
                staff_result = staff_result or schemathesis_run(
                    base, cert, env, args.max_examples, staff,
                    ["--include-operation-id-regex", only],
                )  # fmt: skip
            result = result or staff_result
            print(f"fuzz: finished in {time.monotonic() - started:.0f} s", flush=True)
            return result
        finally:
            for process in (psp, server):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
