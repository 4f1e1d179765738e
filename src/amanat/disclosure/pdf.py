"""The package's readable report as PDF (fpdf2, as billing's documents): the request,
then each customer's records as the JSON file has them, flattened to lines.

Latin-1 text uses the built-in Helvetica; other scripts (an Urdu name) embed DejaVu Sans
when the system has it, else are shown as '?' (the JSON file holds them exactly).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fpdf import FPDF

UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _lines(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _lines(inner, f"{prefix}{key}." if prefix else f"{key}.")
    elif isinstance(value, list):
        for i, inner in enumerate(value, start=1):
            yield from _lines(inner, f"{prefix}{i}.")
    else:
        yield f"{prefix.rstrip('.')}: {'' if value is None else value}"


def _needs_unicode(texts: list[str]) -> bool:
    try:
        "".join(texts).encode("latin-1")
    except UnicodeEncodeError:
        return True
    return False


def render_report(request: dict[str, Any], subjects: list[dict[str, Any]]) -> bytes:
    """The report of one export: ``request`` (number, authority, instrument, ...) and the
    ``subjects`` ({"customer": id, "records": {...}}) exactly as in data.json."""
    heading = list(_lines(request))
    body = [line for s in subjects for line in _lines(s["records"])]
    doc = FPDF(format="A4")
    doc.set_title(f"Disclosure {request.get('number', '')}")
    doc.set_creator("Amanat")
    doc.set_auto_page_break(auto=True, margin=15)
    family = "Helvetica"
    if _needs_unicode(heading + body) and UNICODE_FONT.exists() and UNICODE_FONT_BOLD.exists():
        doc.add_font("DejaVu", "", str(UNICODE_FONT))
        doc.add_font("DejaVu", "B", str(UNICODE_FONT_BOLD))
        family = "DejaVu"

    def line(text: str, size: int = 9, bold: bool = False) -> None:
        if family == "Helvetica":
            text = text.encode("latin-1", "replace").decode("latin-1")
        doc.set_font(family, "B" if bold else "", size)
        doc.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    doc.add_page()
    line(f"Disclosure {request.get('number', '')}", size=15, bold=True)
    line("Given under a legal or regulatory requirement, as registered and approved.")
    doc.ln(2)
    for text in heading:
        line(text)
    for subject in subjects:
        doc.ln(3)
        line(f"Customer {subject['customer']}", size=11, bold=True)
        records = list(_lines(subject["records"]))
        for text in records or ["No records within the request's scope and period."]:
            line(text, size=8)
    if not subjects:
        doc.ln(3)
        line("The request names no customer Amanat holds data about.")
    return bytes(doc.output())
