"""Invoice arithmetic, free of storage: charges in, taxed lines and totals out.

For each charge line (net amount in paisa, the kind of supply, the installation
address's jurisdiction):

    sales tax    = R(net × sales tax rate in force for (jurisdiction, kind) on the bill date)
    advance tax  = R(base × s.236 rate for the customer's tax status), when the row applies
                   to the kind; base = net + sales tax (``gross``) or net (``net``)
    line total   = net + sales tax + advance tax

R rounds half up to the paisa (amanat.billing.money). Invoice totals are sums of lines.
A credit note is lines with negated amounts at the original lines' rates, so crediting a
line in full cancels it to the paisa.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from amanat.billing.money import apply_rate
from amanat.billing.tax import Kind, Status, TaxTable


@dataclass(frozen=True)
class Charge:
    """One thing billed, before tax."""

    description: str
    kind: Kind
    jurisdiction: str
    net_paisa: int
    service_id: str | None = None
    quantity: int = 1


@dataclass(frozen=True)
class TaxedLine:
    description: str
    kind: Kind
    jurisdiction: str
    net_paisa: int
    sales_tax_row: str
    sales_tax_rate: Decimal
    sales_tax_paisa: int
    advance_tax_row: str | None
    advance_tax_rate: Decimal
    advance_tax_base_paisa: int
    advance_tax_paisa: int
    advance_tax_base: str = "gross"
    service_id: str | None = None
    quantity: int = 1

    @property
    def gross_paisa(self) -> int:
        return self.net_paisa + self.sales_tax_paisa

    @property
    def total_paisa(self) -> int:
        return self.net_paisa + self.sales_tax_paisa + self.advance_tax_paisa


@dataclass(frozen=True)
class Totals:
    net_paisa: int
    sales_tax_paisa: int
    advance_tax_paisa: int

    @property
    def total_paisa(self) -> int:
        return self.net_paisa + self.sales_tax_paisa + self.advance_tax_paisa


@dataclass(frozen=True)
class TaxSummaryLine:
    """A tax line as printed: one per table row used, the sum of its per-line amounts."""

    tax: str  # "sales_tax" or "advance_tax"
    row_id: str
    rate: Decimal
    base_paisa: int
    tax_paisa: int


def price(table: TaxTable, charges: list[Charge], status: Status, day: date) -> list[TaxedLine]:
    """Tax each charge with the rows in force on ``day`` (raises NoRateInForce if none)."""
    lines: list[TaxedLine] = []
    for charge in charges:
        st_row = table.sales_tax_row(charge.jurisdiction, charge.kind, day)
        sales_tax = apply_rate(charge.net_paisa, st_row.rate)
        ait_row = table.advance_tax_row(status, day)
        if ait_row is not None and charge.kind in ait_row.applies_to:
            base = charge.net_paisa + sales_tax if ait_row.base == "gross" else charge.net_paisa
            ait_id, ait_rate, advance = ait_row.id, ait_row.rate, apply_rate(base, ait_row.rate)
            ait_base = ait_row.base
        else:
            ait_id, ait_rate, base, advance, ait_base = None, Decimal(0), 0, 0, "gross"
        lines.append(
            TaxedLine(
                description=charge.description,
                kind=charge.kind,
                jurisdiction=charge.jurisdiction,
                net_paisa=charge.net_paisa,
                sales_tax_row=st_row.id,
                sales_tax_rate=st_row.rate,
                sales_tax_paisa=sales_tax,
                advance_tax_row=ait_id,
                advance_tax_rate=ait_rate,
                advance_tax_base_paisa=base,
                advance_tax_paisa=advance,
                advance_tax_base=ait_base,
                service_id=charge.service_id,
                quantity=charge.quantity,
            )
        )
    return lines


def totals(lines: list[TaxedLine]) -> Totals:
    return Totals(
        net_paisa=sum(line.net_paisa for line in lines),
        sales_tax_paisa=sum(line.sales_tax_paisa for line in lines),
        advance_tax_paisa=sum(line.advance_tax_paisa for line in lines),
    )


def tax_summary(lines: list[TaxedLine]) -> list[TaxSummaryLine]:
    """The invoice's tax lines: per table row, the sum of the per-line (rounded) taxes."""
    sums: dict[tuple[str, str, Decimal], list[int]] = {}
    for line in lines:
        st = sums.setdefault(("sales_tax", line.sales_tax_row, line.sales_tax_rate), [0, 0])
        st[0] += line.net_paisa
        st[1] += line.sales_tax_paisa
        if line.advance_tax_row is not None:
            key = ("advance_tax", line.advance_tax_row, line.advance_tax_rate)
            ait = sums.setdefault(key, [0, 0])
            ait[0] += line.advance_tax_base_paisa
            ait[1] += line.advance_tax_paisa
    return [
        TaxSummaryLine(tax, row_id, rate, base, amount)
        for (tax, row_id, rate), (base, amount) in sums.items()
    ]


def credit(line: TaxedLine, net_paisa: int | None = None) -> TaxedLine:
    """A credit-note line reversing ``net_paisa`` of ``line`` (all of it by default).

    The credit uses the original line's rates, never today's, and is rounded the same
    way; crediting the whole line gives exactly its negation.
    """
    amount = line.net_paisa if net_paisa is None else net_paisa
    if not 0 < amount <= line.net_paisa:
        raise ValueError("A credit must be more than zero and at most the line's amount.")
    sales_tax = apply_rate(-amount, line.sales_tax_rate)
    if line.advance_tax_row is not None:
        base = -amount + sales_tax if line.advance_tax_base == "gross" else -amount
        advance = apply_rate(base, line.advance_tax_rate)
    else:
        base, advance = 0, 0
    return replace(
        line,
        description=f"Credit: {line.description}",
        net_paisa=-amount,
        sales_tax_paisa=sales_tax,
        advance_tax_base_paisa=base,
        advance_tax_paisa=advance,
    )
