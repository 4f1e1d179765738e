"""`amanat demo` runs as production and takes card payments through the sandbox processor:
its webhooks reach Amanat's payments, not "card payments are not set up" (issue 10, Info)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi.testclient import TestClient

from amanat.app import create_app
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.demo import seed_demo
from amanat.install import initialise
from amanat.psp.server import sandbox_credentials
from amanat.psp.signing import HEADER, signature_header


def test_the_production_demo_accepts_the_sandbox_webhooks(
    tmp_path: Path, database_url: str | None
) -> None:
    settings = Settings(
        environment="production", data_dir=tmp_path / "data", database_url=database_url
    )
    runtime = build_runtime(settings)
    try:
        initialise(runtime)
        seed_demo(runtime)
        # `amanat dev psp`, started after the demo, makes the shared credentials file.
        _, secret = sandbox_credentials(settings)
        body = json.dumps(
            {"id": "evt_demo_1", "type": "payment.succeeded",
             "data": {"payment": "pay_unknown", "reference": "none", "amount": 100}}
        ).encode()  # fmt: skip
        with TestClient(create_app(runtime), base_url="https://testserver") as psp:
            signed = psp.post(
                "/api/v1/payments/webhook",
                content=body,
                headers={HEADER: signature_header(secret, int(time.time()), body)},
            )
            forged = psp.post(
                "/api/v1/payments/webhook",
                content=body,
                headers={HEADER: signature_header("whsec_forged", int(time.time()), body)},
            )
    finally:
        runtime.close()
    # Verified, then refused for naming a payment Amanat did not start: the processor is set up.
    assert signed.status_code == 400, signed.text
    assert "did not start" in signed.json()["message"]
    assert forged.status_code == 400
    assert "signature does not match" in forged.json()["message"]
