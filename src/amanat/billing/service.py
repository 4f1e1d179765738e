"""Billing's verbs: the one module other code calls (its own api, pages and cli included).

Every other module of ``amanat.billing`` is private (the ``private-billing`` import
contract): the run, invoices and credit notes, payments, refunds and webhooks, orders,
certificates, the s.165 statement, reconciliation, overdue handling and the read models
are named here, each documented where it is defined. Like every service, none of these
commits, except ``run_billing``, a batch job that commits one batch of customers at a
time: the caller's unit of work commits once.
"""

from __future__ import annotations

from amanat.billing.catalogue import list_plans, plan_by_code
from amanat.billing.certificates import (
    certificate_pdf,
    list_certificates,
    request_certificate,
)
from amanat.billing.certificates import verify as verify_certificate
from amanat.billing.invoicing import get_invoice, issue_credit_note, list_invoices
from amanat.billing.money import format_pkr, parse_rupees
from amanat.billing.orders import Placed, list_services, place_order, terminate_service
from amanat.billing.overdue import OverdueReport, run_overdue
from amanat.billing.payments import (
    Started,
    payment_history,
    record_payment,
    refund_payment,
    saved_cards,
    start_card_payment,
)
from amanat.billing.pdf import render_invoice as invoice_pdf
from amanat.billing.reconciliation import ImportReport, import_statement
from amanat.billing.reconciliation import queue as reconciliation_queue
from amanat.billing.reconciliation import resolve as resolve_statement_line
from amanat.billing.records import newest_held_record, subject_billing
from amanat.billing.run import RunReport, run_billing
from amanat.billing.statement import withholding_statement
from amanat.billing.taxprofile import profile_json, update_profile
from amanat.billing.views import (
    certificate_out,
    invoice_detail,
    invoice_document,
    invoice_summary,
    payment_out,
    plan_out,
    service_out,
    statement_line_json,
)
from amanat.billing.webhooks import handle_webhook

__all__ = [
    "ImportReport",
    "OverdueReport",
    "Placed",
    "RunReport",
    "Started",
    "certificate_out",
    "certificate_pdf",
    "format_pkr",
    "get_invoice",
    "handle_webhook",
    "import_statement",
    "invoice_detail",
    "invoice_document",
    "invoice_pdf",
    "invoice_summary",
    "issue_credit_note",
    "list_certificates",
    "list_invoices",
    "list_plans",
    "list_services",
    "newest_held_record",
    "parse_rupees",
    "payment_history",
    "payment_out",
    "place_order",
    "plan_by_code",
    "plan_out",
    "profile_json",
    "reconciliation_queue",
    "record_payment",
    "refund_payment",
    "request_certificate",
    "resolve_statement_line",
    "run_billing",
    "run_overdue",
    "saved_cards",
    "service_out",
    "start_card_payment",
    "statement_line_json",
    "subject_billing",
    "terminate_service",
    "update_profile",
    "verify_certificate",
    "withholding_statement",
]
