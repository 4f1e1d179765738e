"""Run the sandbox processor: its app, its webhook sender, its own uvicorn server."""

from __future__ import annotations

import json
import os
import secrets

import uvicorn

from amanat.config import Settings
from amanat.psp.app import PspConfig, create_psp_app
from amanat.psp.delivery import Deliverer, DeliveryConfig

CREDENTIALS_FILE = "psp-sandbox.json"


def sandbox_credentials(settings: Settings) -> tuple[str, str]:
    """(api key, webhook secret) from AMANAT_PSP_API_KEY / AMANAT_PSP_WEBHOOK_SECRET, else
    from ``<data_dir>/psp-sandbox.json``, made (mode 0600) with fresh random values if absent.

    The file is how a developer's Amanat and sandbox agree on secrets without typing them;
    a real processor's keys are set in the environment instead.
    """
    api_key, webhook_secret = settings.billing.psp_api_key, settings.billing.psp_webhook_secret
    if api_key and webhook_secret:
        return api_key.get_secret_value(), webhook_secret.get_secret_value()
    directory = settings.data_dir
    path = directory / CREDENTIALS_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        values = {
            "api_key": "sk_test_" + secrets.token_urlsafe(24),
            "webhook_secret": "whsec_" + secrets.token_urlsafe(32),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle)
    stored = json.loads(path.read_text())
    return str(stored["api_key"]), str(stored["webhook_secret"])


def make_psp_server(
    *,
    host: str,
    port: int,
    api_key: str,
    delivery: DeliveryConfig,
) -> tuple[uvicorn.Server, Deliverer]:
    deliverer = Deliverer(delivery)
    app = create_psp_app(PspConfig(api_key=api_key), deliverer)
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, server_header=False
    )
    return uvicorn.Server(config), deliverer


def run_psp(*, host: str, port: int, api_key: str, delivery: DeliveryConfig) -> None:
    server, deliverer = make_psp_server(host=host, port=port, api_key=api_key, delivery=delivery)
    deliverer.start()
    try:
        server.run()
    finally:
        deliverer.stop()
