"""Read models for the edges: an invoice as JSON or as its PDF document, from the snapshot;
plans, services, payments, certificates and statement lines as the API shows them."""

from __future__ import annotations

import json
from typing import Any

from amanat.billing.common import party_from_snapshot
from amanat.billing.documents import DocumentLine, InvoiceDocument, TaxLine
from amanat.billing.invoicing import get_invoice, invoice_lines
from amanat.billing.models import (
    Certificate,
    Invoice,
    InvoiceLine,
    Payment,
    Plan,
    Service,
    StatementLine,
)
from amanat.billing.money import ROUNDING_RULE
from amanat.billing.schemas import CertificateOut, PaymentOut, PlanOut, ServiceOut
from amanat.core.actor import Actor
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime


def _percent(rate: str) -> str:
    value = float(rate) * 100
    return f"{value:g}%"


def _tax_lines(lines: list[InvoiceLine]) -> list[TaxLine]:
    sums: dict[tuple[str, str, str], list[int]] = {}
    for line in lines:
        st = sums.setdefault(("Sales tax", line.sales_tax_row, line.sales_tax_rate), [0, 0])
        st[0] += line.net_paisa
        st[1] += line.sales_tax_paisa
        if line.advance_tax_row:
            key = ("Advance income tax s.236", line.advance_tax_row, line.advance_tax_rate)
            ait = sums.setdefault(key, [0, 0])
            ait[0] += line.advance_tax_base_paisa
            ait[1] += line.advance_tax_paisa
    return [
        TaxLine(f"{label} ({row})", _percent(rate), b, t)
        for (label, row, rate), (b, t) in sums.items()
    ]


def _open(uow: UnitOfWork, runtime: Runtime, actor: Actor, invoice: Invoice) -> dict[str, Any]:
    purpose = "self" if actor.kind == "customer" else "billing"
    access = runtime.guard.open(
        uow, actor, invoice.customer_id, purpose, reads={"billing.record"}, reference=invoice.number
    )
    raw = access.read(
        "billing_invoices", "snapshot_ct", invoice.id, "billing.record", invoice.snapshot_ct
    )
    return dict(json.loads(raw or "{}"))


def invoice_document(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, invoice_id: str
) -> InvoiceDocument:
    """The invoice as issued (customer: their own, purpose self; staff: purpose billing)."""
    invoice = get_invoice(uow, invoice_id, actor.id if actor.kind == "customer" else None)
    snapshot = _open(uow, runtime, actor, invoice)
    lines = invoice_lines(uow, invoice.id)
    credited = (
        get_invoice(uow, invoice.credits_invoice_id).number if invoice.credits_invoice_id else None
    )
    return InvoiceDocument(
        provider=runtime.policy.provider.name,
        provider_ntn=runtime.settings.billing.provider_ntn,
        number=invoice.number, kind=invoice.kind, issue_date=invoice.issue_date.isoformat(),
        due_date=invoice.due_date.isoformat(), period=invoice.period,
        customer=party_from_snapshot(snapshot, full_cnic=False),
        lines=tuple(
            DocumentLine(x.description, x.quantity, x.net_paisa, _percent(x.sales_tax_rate),
                         x.sales_tax_paisa, _percent(x.advance_tax_rate), x.advance_tax_paisa,
                         x.total_paisa)
            for x in lines
        ),
        tax_lines=tuple(_tax_lines(lines)), net_paisa=invoice.net_paisa,
        sales_tax_paisa=invoice.sales_tax_paisa, advance_tax_paisa=invoice.advance_tax_paisa,
        total_paisa=invoice.total_paisa, payment_reference=invoice.payment_reference,
        rounding=ROUNDING_RULE, credits_number=credited,
    )  # fmt: skip


def invoice_summary(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id, "number": invoice.number, "kind": invoice.kind, "period": invoice.period,
        "issue_date": invoice.issue_date.isoformat(), "due_date": invoice.due_date.isoformat(),
        "status": invoice.status, "total_paisa": invoice.total_paisa,
        "balance_paisa": invoice.balance_paisa, "payment_reference": invoice.payment_reference,
    }  # fmt: skip


def invoice_detail(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, invoice_id: str
) -> dict[str, Any]:
    document = invoice_document(uow, runtime, actor, invoice_id)
    invoice = get_invoice(uow, invoice_id)
    return invoice_summary(invoice) | {
        "customer": {"name": document.customer.name, "address": list(document.customer.address_lines),
                     "cnic": document.customer.cnic, "ntn": document.customer.ntn},
        "lines": [line.__dict__ for line in document.lines],
        "tax_lines": [t.__dict__ for t in document.tax_lines],
        "net_paisa": invoice.net_paisa, "sales_tax_paisa": invoice.sales_tax_paisa,
        "advance_tax_paisa": invoice.advance_tax_paisa, "paid_paisa": invoice.paid_paisa,
        "credited_paisa": invoice.credited_paisa, "rounding": document.rounding,
    }  # fmt: skip


def plan_out(plan: Plan) -> PlanOut:
    return PlanOut.model_validate(plan, from_attributes=True)


def service_out(uow: UnitOfWork, service: Service, plan: Plan | None = None) -> ServiceOut:
    """A service as the API shows it, with its plan's code and name (looked up if not given)."""
    if plan is None:
        plan = uow.session.get(Plan, service.plan_id)
        assert plan is not None  # a service's plan is a foreign key, never deleted
    return ServiceOut(
        id=service.id, plan=plan.code, name=plan.name, quantity=service.quantity, status=service.status,
        starts_on=service.starts_on.isoformat() if service.starts_on else None,
        ends_on=service.ends_on.isoformat() if service.ends_on else None,
    )  # fmt: skip


def certificate_out(cert: Certificate) -> CertificateOut:
    return CertificateOut(
        id=cert.id, number=cert.number, fiscal_year=cert.fiscal_year, issue_date=cert.issue_date.isoformat(),
        verification_code=cert.verification_code, duplicate_of=cert.duplicate_of,
        billed_paisa=cert.billed_paisa, advance_tax_paisa=cert.advance_tax_paisa,
    )  # fmt: skip


def payment_out(payment: Payment) -> PaymentOut:
    return PaymentOut(
        id=payment.id, invoice=payment.invoice_id, method=payment.method, status=payment.status,
        amount_paisa=payment.amount_paisa, refunded_paisa=payment.refunded_paisa,
        created_at=payment.created_at.isoformat(),
    )  # fmt: skip


def statement_line_json(line: StatementLine) -> dict[str, Any]:
    return {
        "id": line.id, "source": line.source, "booked_on": line.booked_on.isoformat(),
        "amount_paisa": line.amount_paisa, "reference": line.reference,
        "transaction_id": line.transaction_id,
    }  # fmt: skip
