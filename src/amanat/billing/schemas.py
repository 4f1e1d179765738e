"""Request and response bodies of the billing API (explicit fields, never ORM objects)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SiteIn(BaseModel):
    line1: str = Field(min_length=1, max_length=120)
    line2: str | None = Field(None, max_length=120)
    city: str = Field(min_length=1, max_length=60)
    province: str = Field(min_length=1, max_length=40)
    postal_code: str | None = Field(None, max_length=10)


class OrderIn(BaseModel):
    plan: str = Field(
        min_length=1, max_length=40, description="A plan code from GET /api/v1/plans."
    )
    quantity: int = Field(1, ge=1, le=1000, description="How many; each plan sets its own maximum.")
    site: SiteIn | None = Field(None, description="Installation address; default your account's.")


class PlanOut(BaseModel):
    code: str
    name: str
    category: str
    kind: str
    monthly_paisa: int
    one_time_paisa: int
    metered: bool
    unit: str | None
    unit_paisa: int
    included_units: int
    max_quantity: int


class ServiceOut(BaseModel):
    id: str
    plan: str
    name: str
    quantity: int
    status: str
    starts_on: str | None
    ends_on: str | None


class OrderOut(BaseModel):
    order: str
    service: ServiceOut


class PayOut(BaseModel):
    payment: str
    url: str = Field(description="The processor's hosted payment page: send the payer there.")


class CertificateIn(BaseModel):
    fiscal_year: str = Field(min_length=4, max_length=12, examples=["2025-26"])


class CertificateOut(BaseModel):
    id: str
    number: str
    fiscal_year: str
    issue_date: str
    verification_code: str
    duplicate_of: str | None
    billed_paisa: int
    advance_tax_paisa: int


class PaymentOut(BaseModel):
    id: str
    invoice: str
    method: str
    status: str
    amount_paisa: int
    refunded_paisa: int
    created_at: str


class RecordPaymentIn(BaseModel):
    invoice: str = Field(
        min_length=1, max_length=32, description="Invoice number or payment reference."
    )
    method: str = Field(description="bank_transfer, bill_payment or cash.")
    amount_paisa: int = Field(gt=0, le=10**11)
    external_reference: str = Field("", max_length=64)


class RefundIn(BaseModel):
    amount_paisa: int = Field(gt=0, le=10**11)


class CreditNoteIn(BaseModel):
    lines: dict[int, int | None] = Field(
        description="Line position -> net paisa to credit (null: all)."
    )


class StatementIn(BaseModel):
    source: str = Field(description="bank or bill_payment")
    csv: str = Field(max_length=2_000_000)


class TaxProfileIn(BaseModel):
    changes: dict[str, object]
