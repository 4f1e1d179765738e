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
    # The sandbox's credentials file is read outside production, or where an operator's
    # command (the demo) asked for it: never silently in a production installation.
    sandbox_allowed: bool = False


def _processor(runtime: Runtime, sandbox_allowed: bool = False) -> PaymentProcessor | None:
    config = runtime.settings.billing
    api_key = config.psp_api_key.get_secret_value() if config.psp_api_key else None
    secret = config.psp_webhook_secret.get_secret_value() if config.psp_webhook_secret else None
    sandbox = runtime.settings.data_dir / SANDBOX_CREDENTIALS
    use_sandbox = sandbox_allowed or runtime.settings.environment != "production"
    if (api_key is None or secret is None) and use_sandbox and sandbox.exists():
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
        context.processor = _processor(runtime, context.sandbox_allowed)
    return context


def allow_sandbox(runtime: Runtime) -> None:
    """Let this runtime use the sandbox processor's credentials file even in production.

    For ``amanat demo``, which runs as production but takes card payments through
    ``amanat dev psp``; the file is read now or when the sandbox starts later.
    """
    context = billing_context(runtime)
    context.sandbox_allowed = True
    if context.processor is None:
        context.processor = _processor(runtime, sandbox_allowed=True)


def set_billing_context(runtime: Runtime, context: BillingContext) -> None:
    runtime.set_part(context)
