"""PDF invoices and certificates: they render, say what they must, and mark duplicates."""

from __future__ import annotations

import re
import zlib

from amanat.billing.documents import (
    CertificateDocument,
    CertificateRow,
    DocumentLine,
    InvoiceDocument,
    Party,
    TaxLine,
)
from amanat.billing.pdf import render_certificate, render_invoice

CUSTOMER = Party(
    name="Canary Testname",
    address_lines=("House 1, Street 2", "Islamabad, Islamabad Capital Territory"),
    cnic="35202-1234567-1",
)


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages (content streams inflated), for assertions."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            chunks.append(match.group(1).decode("latin-1"))
    return "\n".join(chunks)


def invoice() -> InvoiceDocument:
    return InvoiceDocument(
        provider="Nayatel",
        provider_ntn="1234567-8",
        number="INV-2025-26-000001",
        kind="invoice",
        issue_date="2025-09-01",
        due_date="2025-09-15",
        period="2025-08",
        customer=CUSTOMER,
        lines=(DocumentLine("Fibre 50 Mbps", 1, 500_000, "19.5%", 97_500, "15%", 89_625, 687_125),),
        tax_lines=(TaxLine("Sales tax (st-ict-telecom)", "19.5%", 500_000, 97_500),),
        net_paisa=500_000,
        sales_tax_paisa=97_500,
        advance_tax_paisa=89_625,
        total_paisa=687_125,
        payment_reference="AMN1234567890",
        rounding="Half up to the paisa, applied to each line.",
    )


def certificate(
    duplicate_of: str | None = None, name: str = "Canary Testname"
) -> CertificateDocument:
    return CertificateDocument(
        provider="Nayatel",
        provider_ntn="1234567-8",
        number="ATC-2025-26-000002" if duplicate_of else "ATC-2025-26-000001",
        fiscal_year="2025-26",
        period_from="2025-07-01",
        period_to="2026-06-30",
        issue_date="2026-07-02",
        customer=Party(name=name, cnic="35202-1234567-1"),
        rows=(CertificateRow("INV-2025-26-000001", "2025-09-01", 597_500, 89_625),),
        billed_paisa=597_500,
        advance_tax_paisa=89_625,
        verification_code="ABCD-EFGH-JKLM",
        verify_url="https://127.0.0.1:8443/verify/ABCD-EFGH-JKLM",
        duplicate_of=duplicate_of,
    )


def test_invoice_pdf_states_number_lines_taxes_and_reference() -> None:
    pdf = render_invoice(invoice())
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in ("INV-2025-26-000001", "Rs 6,871.25", "Rs 975.00", "AMN1234567890", "Half up"):
        assert expected in text


def test_certificate_pdf_has_full_cnic_code_hash_and_qr() -> None:
    cert = certificate()
    pdf = render_certificate(cert)
    text = pdf_text(pdf)
    assert "35202-1234567-1" in text
    assert "ABCD-EFGH-JKLM" in text
    assert cert.content_hash() in text
    assert "DUPLICATE" not in text
    assert b"/Subtype /Image" in pdf  # the QR code


def test_duplicate_is_marked_and_hashes_differently() -> None:
    original, duplicate = certificate(), certificate(duplicate_of="ATC-2025-26-000001")
    assert "DUPLICATE" in pdf_text(render_certificate(duplicate))
    assert original.content_hash() != duplicate.content_hash()


def test_a_changed_total_changes_the_hash() -> None:
    genuine = certificate()
    forged = CertificateDocument(**{**genuine.__dict__, "advance_tax_paisa": 1})
    assert genuine.content_hash() != forged.content_hash()


def test_non_latin_names_render() -> None:
    pdf = render_certificate(certificate(name="کینری ٹیسٹ نام"))
    assert pdf.startswith(b"%PDF-")
