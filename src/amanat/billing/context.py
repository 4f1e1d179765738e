"""Billing's configuration and collaborators (tax table, processor, provisioner).

Built on first use from the runtime's settings and kept on the runtime, never at import.
Tests and operators replace parts with ``set_billing_context``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from amanat.billing.processor import HttpProcessor, PaymentProcessor
from amanat.billing.provisioner import Provisioner, RecordingProvisioner
from amanat.billing.tax import TaxTable, load_tax_table
from amanat.runtime import Runtime

SANDBOX_CREDENTIALS = "psp-sandbox.json"


class BillingConfig(BaseSettings):
    """Billing settings from the environment (prefix ``AMANAT_``)."""

    model_config = SettingsConfigDict(env_prefix="AMANAT_", extra="ignore")

    psp_url: str = Field("http://127.0.0.1:8444", description="The processor's API base URL.")
    psp_api_key: SecretStr | None = Field(None, description="The processor's secret API key.")
    psp_webhook_secret: SecretStr | None = Field(
        None, description="The secret the processor signs webhooks with."
    )
    webhook_tolerance_seconds: int = Field(
        300, ge=30, le=3600, description="Webhooks signed longer ago than this are refused."
    )
    billing_tax_table: Path | None = Field(None, description="Tax table; default the shipped one.")
    billing_due_days: int = Field(14, ge=1, le=90, description="Days from issue to due date.")
    billing_reminder_days: list[int] = Field(
        default_factory=lambda: [1, 7], description="Days after the due date to send reminders."
    )
    billing_grace_days: int = Field(
        21, ge=1, le=120, description="Days after the due date before services are suspended."
    )
    billing_provider_ntn: str = Field(
        "0000000-0", description="The provider's NTN printed on invoices and certificates."
    )


@dataclass
class BillingContext:
    config: BillingConfig
    tax_table: TaxTable
    processor: PaymentProcessor | None
    provisioner: Provisioner
    # The sandbox's credentials file is read outside production, or where an operator's
    # command (the demo) asked for it: never silently in a production installation.
    sandbox_allowed: bool = False


def _processor(
    runtime: Runtime, config: BillingConfig, sandbox_allowed: bool = False
) -> PaymentProcessor | None:
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
    config = BillingConfig()
    processor = _processor(runtime, config)
    return BillingContext(
        config=config,
        tax_table=load_tax_table(config.billing_tax_table),
        processor=processor,
        provisioner=RecordingProvisioner(),
    )


def billing_context(runtime: Runtime) -> BillingContext:
    """The runtime's billing context, built on first use."""
    context: BillingContext | None = getattr(runtime, "_billing_context", None)
    if context is None:
        context = build_billing_context(runtime)
        set_billing_context(runtime, context)
    elif context.processor is None:
        # `amanat dev psp` may have been started after Amanat: pick up its credentials.
        context.processor = _processor(runtime, context.config, context.sandbox_allowed)
    return context


def allow_sandbox(runtime: Runtime) -> None:
    """Let this runtime use the sandbox processor's credentials file even in production.

    For ``amanat demo``, which runs as production but takes card payments through
    ``amanat dev psp``; the file is read now or when the sandbox starts later.
    """
    context = billing_context(runtime)
    context.sandbox_allowed = True
    if context.processor is None:
        context.processor = _processor(runtime, context.config, sandbox_allowed=True)


def set_billing_context(runtime: Runtime, context: BillingContext) -> None:
    runtime._billing_context = context  # type: ignore[attr-defined]  # kept beside the runtime's parts without widening the shared Runtime class
