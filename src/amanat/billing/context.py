"""Billing's collaborators: the tax table, the payment processor and the provisioner.

Billing's settings are ``runtime.settings.billing`` (declared in amanat.config, checked
at start-up). The collaborators are built from them on first use and kept with the
runtime (``Runtime.part``), never at import. Tests and operators replace them with
``set_billing_context``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from amanat.billing.processor import HttpProcessor, PaymentProcessor
from amanat.billing.provisioner import Provisioner, RecordingProvisioner
from amanat.billing.tax import TaxTable, load_tax_table
from amanat.runtime import Runtime

SANDBOX_CREDENTIALS = "psp-sandbox.json"


@dataclass
class BillingContext:
    tax_table: TaxTable
    processor: PaymentProcessor | None
    provisioner: Provisioner


def _processor(runtime: Runtime) -> PaymentProcessor | None:
    config = runtime.settings.billing
    api_key = config.psp_api_key.get_secret_value() if config.psp_api_key else None
    secret = config.psp_webhook_secret.get_secret_value() if config.psp_webhook_secret else None
    sandbox = runtime.settings.data_dir / SANDBOX_CREDENTIALS
    in_development = runtime.settings.environment != "production"
    if (api_key is None or secret is None) and in_development and sandbox.exists():
        stored = json.loads(sandbox.read_text())
        api_key, secret = str(stored["api_key"]), str(stored["webhook_secret"])
    if not (api_key and secret):
        return None
    return HttpProcessor(
        config.psp_url, api_key, secret, tolerance_seconds=config.webhook_tolerance_seconds
    )


def build_billing_context(runtime: Runtime) -> BillingContext:
    """Load the tax table (raising TaxTableInvalid) and connect the processor if configured.

    Processor secrets come from AMANAT_PSP_API_KEY / AMANAT_PSP_WEBHOOK_SECRET; outside
    production, the sandbox's credentials file in the data directory is used when they
    are absent (``amanat dev psp`` writes it).
    """
    return BillingContext(
        tax_table=load_tax_table(runtime.settings.billing.tax_table),
        processor=_processor(runtime),
        provisioner=RecordingProvisioner(),
    )


def billing_context(runtime: Runtime) -> BillingContext:
    """The runtime's billing collaborators, built on first use."""
    context = runtime.part(BillingContext, build_billing_context)
    if context.processor is None:
        # `amanat dev psp` may have been started after Amanat: pick up its credentials.
        context.processor = _processor(runtime)
    return context


def set_billing_context(runtime: Runtime, context: BillingContext) -> None:
    runtime.set_part(context)
