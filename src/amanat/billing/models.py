"""Billing tables: catalogue, orders and services, usage, invoices, payments, certificates.

What is personal and encrypted (through the guard, under the customer's data key):
the installation address of a service and the billing details printed on an invoice
(``billing.record``), the card token and its brand/last four/expiry
(``billing.payment_token``), the tax profile (``tax.profile``) and the certificate's
snapshot (``tax.certificate``). Usage quantities are the policy's ``usage.record``
(not encrypted by the policy).

Amounts, dates, states, tax-table row ids and rates are kept in plaintext, keyed by the
opaque customer id: they are the ledger that the billing run, overdue handling,
reconciliation, certificates and the s.165 statement add up, and without the encrypted
identity they name nobody. Decision recorded in docs/billing.md.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime, new_id, personal

Money = BigInteger  # paisa


class Plan(Base):
    """A catalogue entry, priced monthly in paisa; metered plans add a unit price."""

    __tablename__ = "billing_plans"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    code: Mapped[str] = mapped_column(String(40), unique=True, info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(120), info=NOT_PERSONAL)
    category: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)  # tax kind of supply
    monthly_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    one_time_paisa: Mapped[int] = mapped_column(Money, default=0, info=NOT_PERSONAL)
    metered: Mapped[bool] = mapped_column(Boolean, default=False, info=NOT_PERSONAL)
    unit: Mapped[str | None] = mapped_column(String(16), info=NOT_PERSONAL)
    unit_paisa: Mapped[int] = mapped_column(Money, default=0, info=NOT_PERSONAL)
    included_units: Mapped[int] = mapped_column(BigInteger, default=0, info=NOT_PERSONAL)
    max_quantity: Mapped[int] = mapped_column(Integer, default=100, info=NOT_PERSONAL)
    active: Mapped[bool] = mapped_column(Boolean, default=True, info=NOT_PERSONAL)


class Order(Base):
    """A customer's request for a plan; it becomes a service through the provisioner."""

    __tablename__ = "billing_orders"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    number: Mapped[str] = mapped_column(String(24), unique=True, info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    plan_id: Mapped[str] = mapped_column(ForeignKey("billing_plans.id"), info=NOT_PERSONAL)
    quantity: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)  # placed|provisioned|failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    service_id: Mapped[str | None] = mapped_column(ID, info=NOT_PERSONAL)


class Service(Base):
    """A provisioned plan: pending -> active -> suspended <-> active -> terminated."""

    __tablename__ = "billing_services"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    order_id: Mapped[str] = mapped_column(ID, info=NOT_PERSONAL)
    plan_id: Mapped[str] = mapped_column(ForeignKey("billing_plans.id"), info=NOT_PERSONAL)
    quantity: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), index=True, info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    starts_on: Mapped[date | None] = mapped_column(Date, info=NOT_PERSONAL)
    ends_on: Mapped[date | None] = mapped_column(Date, info=NOT_PERSONAL)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    one_time_billed: Mapped[bool] = mapped_column(Boolean, default=False, info=NOT_PERSONAL)
    # JSON {line1, line2, city, province, postal_code}: the installation address, which
    # chooses the provincial sales tax.
    site_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("billing.record"))


class ProvisioningAction(Base):
    """What the provisioner did (or, for the default one, would have done) for a service."""

    __tablename__ = "billing_provisioning_actions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    service_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    action: Mapped[str] = mapped_column(String(24), info=NOT_PERSONAL)
    provisioner: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    plan_code: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    quantity: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)


class UsageRecord(Base):
    """Metered use of a service in a billing period (the policy's usage category)."""

    __tablename__ = "billing_usage"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    service_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    period: Mapped[str] = mapped_column(String(7), index=True, info=NOT_PERSONAL)
    quantity: Mapped[int] = mapped_column(BigInteger, info=personal("usage.record"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, info=personal("usage.record"))


class Invoice(Base):
    """An issued invoice or credit note: immutable once issued (only payment state moves)."""

    __tablename__ = "billing_invoices"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)  # invoice | credit_note
    number: Mapped[str] = mapped_column(String(32), unique=True, info=NOT_PERSONAL)
    fiscal_year: Mapped[str] = mapped_column(String(7), index=True, info=NOT_PERSONAL)
    period: Mapped[str] = mapped_column(String(7), info=NOT_PERSONAL)
    # "<customer id>:<period>" for the billing run's invoice, so a second run cannot
    # bill the same customer and period again (unique); NULL for credit notes.
    run_key: Mapped[str | None] = mapped_column(String(48), unique=True, info=NOT_PERSONAL)
    issue_date: Mapped[date] = mapped_column(Date, index=True, info=NOT_PERSONAL)
    due_date: Mapped[date] = mapped_column(Date, info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), index=True, info=NOT_PERSONAL)
    net_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    sales_tax_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    advance_tax_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    total_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    paid_paisa: Mapped[int] = mapped_column(Money, default=0, info=NOT_PERSONAL)
    credited_paisa: Mapped[int] = mapped_column(Money, default=0, info=NOT_PERSONAL)
    payment_reference: Mapped[str] = mapped_column(String(20), unique=True, info=NOT_PERSONAL)
    credits_invoice_id: Mapped[str | None] = mapped_column(ID, info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, info=NOT_PERSONAL)
    # JSON: the customer's name, company, address, CNIC and NTN as on the issue date.
    snapshot_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("billing.record"))

    @property
    def balance_paisa(self) -> int:
        return self.total_paisa - self.credited_paisa - self.paid_paisa


class InvoiceLine(Base):
    """One charge with its taxes, at the rates (and table rows) in force on the issue date."""

    __tablename__ = "billing_invoice_lines"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    invoice_id: Mapped[str] = mapped_column(
        ForeignKey("billing_invoices.id"), index=True, info=NOT_PERSONAL
    )
    position: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    service_id: Mapped[str | None] = mapped_column(ID, info=NOT_PERSONAL)
    description: Mapped[str] = mapped_column(String(200), info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    quantity: Mapped[int] = mapped_column(BigInteger, info=NOT_PERSONAL)
    net_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    sales_tax_row: Mapped[str] = mapped_column(String(48), info=NOT_PERSONAL)
    sales_tax_rate: Mapped[str] = mapped_column(String(12), info=NOT_PERSONAL)
    sales_tax_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    advance_tax_row: Mapped[str | None] = mapped_column(String(48), info=NOT_PERSONAL)
    advance_tax_rate: Mapped[str] = mapped_column(String(12), info=NOT_PERSONAL)
    advance_tax_base: Mapped[str] = mapped_column(String(8), info=NOT_PERSONAL)
    advance_tax_base_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    advance_tax_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    total_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)


class DocumentCounter(Base):
    """The last number given in a series (INV, CN, ATC) and fiscal year: gapless."""

    __tablename__ = "billing_counters"

    series: Mapped[str] = mapped_column(String(8), primary_key=True, info=NOT_PERSONAL)
    fiscal_year: Mapped[str] = mapped_column(String(7), primary_key=True, info=NOT_PERSONAL)
    last_number: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)


class Payment(Base):
    """Money towards an invoice: a card on the processor's page, or recorded by an officer."""

    __tablename__ = "billing_payments"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    invoice_id: Mapped[str] = mapped_column(
        ForeignKey("billing_invoices.id"), index=True, info=NOT_PERSONAL
    )
    method: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    amount_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    refunded_paisa: Mapped[int] = mapped_column(Money, default=0, info=NOT_PERSONAL)
    processor_session: Mapped[str | None] = mapped_column(
        String(64), unique=True, info=NOT_PERSONAL
    )
    processor_payment: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    recorded_by: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    # JSON {reference, note}: the bank or bill-payment reference an officer recorded.
    details_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("billing.record"))


class Refund(Base):
    __tablename__ = "billing_refunds"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    payment_id: Mapped[str] = mapped_column(ForeignKey("billing_payments.id"), info=NOT_PERSONAL)
    amount_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    processor_refund: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)


class PaymentCard(Base):
    """What Amanat keeps of a card: the processor's token, brand, last four and expiry."""

    __tablename__ = "billing_cards"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    card_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("billing.payment_token"))


class WebhookEvent(Base):
    """Each processor event applied once: its id is the idempotency key."""

    __tablename__ = "billing_webhook_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True, info=NOT_PERSONAL)
    type: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    outcome: Mapped[str] = mapped_column(String(24), info=NOT_PERSONAL)


class StatementLine(Base):
    """A line of an imported bank or bill-payment statement, matched or queued.

    Only what matching needs is kept: date, amount, the payment reference and the
    bank's transaction id. The payer's name on the statement is not stored.
    """

    __tablename__ = "billing_statement_lines"
    __table_args__ = (UniqueConstraint("source", "transaction_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    source: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    transaction_id: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    booked_on: Mapped[date] = mapped_column(Date, info=NOT_PERSONAL)
    amount_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    reference: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), index=True, info=NOT_PERSONAL)
    payment_id: Mapped[str | None] = mapped_column(ID, info=NOT_PERSONAL)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)


class TaxProfile(Base):
    """A customer's s.236 status: filer, ITGO listing, exemption certificate, checked dates."""

    __tablename__ = "billing_tax_profiles"

    customer_id: Mapped[str] = mapped_column(ID, primary_key=True, info=NOT_PERSONAL)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    profile_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("tax.profile"))


class Certificate(Base):
    """An advance tax certificate as issued; reissues are DUPLICATEs with their own serial."""

    __tablename__ = "billing_certificates"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    number: Mapped[str] = mapped_column(String(32), unique=True, info=NOT_PERSONAL)
    fiscal_year: Mapped[str] = mapped_column(String(7), info=NOT_PERSONAL)
    issue_date: Mapped[date] = mapped_column(Date, info=NOT_PERSONAL)
    verification_code: Mapped[str] = mapped_column(String(20), unique=True, info=NOT_PERSONAL)
    content_hash: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    billed_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    advance_tax_paisa: Mapped[int] = mapped_column(Money, info=NOT_PERSONAL)
    duplicate_of: Mapped[str | None] = mapped_column(String(32), info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    # JSON: the whole CertificateDocument (party with full CNIC/NTN, rows, totals).
    document_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("tax.certificate"))


class VerifyWindow(Base):
    """Requests to /verify per network (hashed) per minute: the public rate limit."""

    __tablename__ = "billing_verify_windows"

    key: Mapped[str] = mapped_column(String(80), primary_key=True, info=NOT_PERSONAL)
    count: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
