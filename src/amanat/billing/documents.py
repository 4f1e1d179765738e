"""What an invoice and a certificate say: plain data, frozen at issue, rendered to PDF.

Both are built from the snapshot stored with the invoice or certificate, never from
today's customer record, so a re-download years later prints what was issued.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Party:
    """Billing details as they were on the issue date (decrypted only to render)."""

    name: str
    company: str | None = None
    address_lines: tuple[str, ...] = ()
    cnic: str | None = None
    ntn: str | None = None


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: int
    net_paisa: int
    sales_tax_rate: str
    sales_tax_paisa: int
    advance_tax_rate: str
    advance_tax_paisa: int
    total_paisa: int


@dataclass(frozen=True)
class TaxLine:
    label: str
    rate: str
    base_paisa: int
    tax_paisa: int


@dataclass(frozen=True)
class InvoiceDocument:
    provider: str
    provider_ntn: str
    number: str
    kind: str  # "invoice" | "credit_note"
    issue_date: str
    due_date: str
    period: str
    customer: Party
    lines: tuple[DocumentLine, ...]
    tax_lines: tuple[TaxLine, ...]
    net_paisa: int
    sales_tax_paisa: int
    advance_tax_paisa: int
    total_paisa: int
    payment_reference: str
    rounding: str
    credits_number: str | None = None


@dataclass(frozen=True)
class CertificateRow:
    invoice_number: str
    issue_date: str
    billed_paisa: int
    advance_tax_paisa: int


@dataclass(frozen=True)
class CertificateDocument:
    provider: str
    provider_ntn: str
    number: str
    fiscal_year: str
    period_from: str
    period_to: str
    issue_date: str
    customer: Party
    rows: tuple[CertificateRow, ...]
    billed_paisa: int
    advance_tax_paisa: int
    verification_code: str
    verify_url: str
    duplicate_of: str | None = None
    section: str = "236(1)(a)"
    extra: dict[str, Any] = field(default_factory=dict)

    def content_hash(self) -> str:
        """SHA-256 over what the certificate attests, without the personal details.

        Covers the number, period, every row, the totals, the issue date and the
        duplicate mark; printed on the certificate and shown by /verify, so a changed
        figure no longer matches.
        """
        return certificate_hash(
            number=self.number,
            fiscal_year=self.fiscal_year,
            issue_date=self.issue_date,
            rows=[asdict(r) for r in self.rows],
            billed_paisa=self.billed_paisa,
            advance_tax_paisa=self.advance_tax_paisa,
            duplicate_of=self.duplicate_of,
        )


def certificate_hash(**fields: Any) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
