"""PDF rendering of invoices and certificates with fpdf2; the certificate's QR via segno.

Text that Latin-1 can carry uses the built-in Helvetica (fast, nothing embedded); a
document with other scripts (an Urdu name) embeds DejaVu Sans when the system has it.
"""

from __future__ import annotations

import io
from pathlib import Path

import segno
from fpdf import FPDF

from amanat.billing.documents import CertificateDocument, InvoiceDocument, Party
from amanat.billing.money import format_pkr

UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _latin1(texts: list[str]) -> bool:
    try:
        "".join(texts).encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


class _Doc(FPDF):
    def __init__(self, texts: list[str], title: str) -> None:
        super().__init__(format="A4")
        self.set_title(title)
        self.set_creator("Amanat")
        self.set_auto_page_break(auto=True, margin=15)
        self.family = "Helvetica"
        if not _latin1(texts) and UNICODE_FONT.exists() and UNICODE_FONT_BOLD.exists():
            self.add_font("DejaVu", "", str(UNICODE_FONT))
            self.add_font("DejaVu", "B", str(UNICODE_FONT_BOLD))
            self.family = "DejaVu"
        self.unicode = self.family == "DejaVu"
        self.add_page()

    def text_line(self, text: str, size: int = 10, bold: bool = False, h: float = 6) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, h, self.safe(text), new_x="LMARGIN", new_y="NEXT")

    def safe(self, text: str) -> str:
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def row(self, cells: list[str], widths: list[float], bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", 8)
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            self.cell(width, 6, self.safe(cell), border=1, align="L" if i == 0 else "R")
        self.ln()


def _party_texts(party: Party) -> list[str]:
    return [party.name, party.company or "", *party.address_lines]


def _party(doc: _Doc, party: Party, *, show_ids: str) -> None:
    doc.text_line(party.name, bold=True)
    if party.company:
        doc.text_line(party.company)
    for line in party.address_lines:
        doc.text_line(line)
    if party.cnic:
        doc.text_line(f"CNIC: {party.cnic}")
    if party.ntn:
        doc.text_line(f"NTN: {party.ntn}")
    del show_ids


def render_invoice(invoice: InvoiceDocument) -> bytes:
    texts = [*_party_texts(invoice.customer), *(line.description for line in invoice.lines)]
    title = "Credit note" if invoice.kind == "credit_note" else "Tax invoice"
    doc = _Doc(texts, f"{title} {invoice.number}")
    doc.text_line(invoice.provider, size=16, bold=True, h=9)
    doc.text_line(f"NTN {invoice.provider_ntn}")
    doc.ln(2)
    doc.text_line(f"{title} {invoice.number}", size=13, bold=True, h=8)
    if invoice.credits_number:
        doc.text_line(f"Corrects invoice {invoice.credits_number}")
    doc.text_line(f"Issued {invoice.issue_date}   Period {invoice.period}   Due {invoice.due_date}")
    doc.ln(2)
    _party(doc, invoice.customer, show_ids="masked")
    doc.ln(3)
    widths = [62.0, 12.0, 24.0, 16.0, 22.0, 16.0, 22.0, 16.0]
    header = ["Item", "Qty", "Net", "ST rate", "Sales tax", "AIT rate", "Adv. tax", "Total"]
    doc.row(header, widths, bold=True)
    for line in invoice.lines:
        doc.row(
            [line.description, str(line.quantity), format_pkr(line.net_paisa),
             line.sales_tax_rate, format_pkr(line.sales_tax_paisa), line.advance_tax_rate,
             format_pkr(line.advance_tax_paisa), format_pkr(line.total_paisa)],
            widths,
        )  # fmt: skip
    doc.ln(2)
    for tax in invoice.tax_lines:
        doc.text_line(
            f"{tax.label} at {tax.rate} on {format_pkr(tax.base_paisa)}: {format_pkr(tax.tax_paisa)}",
            size=9,
        )
    doc.ln(1)
    doc.text_line(f"Net {format_pkr(invoice.net_paisa)}")
    doc.text_line(f"Sales tax {format_pkr(invoice.sales_tax_paisa)}")
    doc.text_line(f"Advance income tax (s.236) {format_pkr(invoice.advance_tax_paisa)}")
    doc.text_line(f"Total {format_pkr(invoice.total_paisa)}", size=12, bold=True, h=8)
    doc.ln(2)
    doc.text_line(f"Payment reference: {invoice.payment_reference}", bold=True)
    doc.text_line(f"Rounding: {invoice.rounding}", size=8)
    return bytes(doc.output())


def _qr_png(url: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=4, border=2)
    buffer.seek(0)
    return buffer


def render_certificate(cert: CertificateDocument) -> bytes:
    doc = _Doc(_party_texts(cert.customer), f"Advance tax certificate {cert.number}")
    if cert.duplicate_of:
        doc.set_text_color(180, 0, 0)
        doc.text_line(f"DUPLICATE (reissue of {cert.duplicate_of})", size=14, bold=True, h=9)
        doc.set_text_color(0, 0, 0)
    doc.text_line(cert.provider, size=16, bold=True, h=9)
    doc.text_line(f"NTN {cert.provider_ntn}")
    doc.ln(2)
    doc.text_line(
        f"Certificate of advance income tax collected under section {cert.section} "
        "of the Income Tax Ordinance 2001",
        size=12, bold=True, h=7,
    )  # fmt: skip
    doc.text_line(f"Certificate number {cert.number}    Issued {cert.issue_date}")
    doc.text_line(f"Tax year {cert.fiscal_year}: {cert.period_from} to {cert.period_to}")
    doc.ln(2)
    _party(doc, cert.customer, show_ids="full")
    doc.ln(3)
    widths = [60.0, 40.0, 45.0, 45.0]
    doc.row(["Invoice", "Date", "Billed amount", "Advance tax"], widths, bold=True)
    for r in cert.rows:
        doc.row(
            [r.invoice_number, r.issue_date, format_pkr(r.billed_paisa),
             format_pkr(r.advance_tax_paisa)],
            widths,
        )  # fmt: skip
    doc.row(
        ["Total", "", format_pkr(cert.billed_paisa), format_pkr(cert.advance_tax_paisa)],
        widths,
        bold=True,
    )
    doc.ln(4)
    doc.text_line(f"Verification code: {cert.verification_code}", bold=True)
    doc.text_line(f"Verify at {cert.verify_url}", size=8)
    doc.text_line(f"Document hash (SHA-256): {cert.content_hash()}", size=7)
    y = doc.get_y() + 2
    doc.image(_qr_png(cert.verify_url), x=doc.l_margin, y=y, w=35, h=35)
    return bytes(doc.output())
