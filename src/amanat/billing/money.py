"""Money is integer paisa; rates are Decimals; rounding is ROUND_HALF_UP, once per line.

Rs 1 = 100 paisa. Every amount Amanat stores or adds is an ``int`` of paisa, so sums
are exact. A rate (sales tax 19.5 %, advance tax 15 %) is a ``Decimal``; multiplying
an amount by a rate is the only place a fraction of a paisa appears, and it is rounded
there, half up, to the paisa: on each invoice line, never on a total. A total is the
plain sum of its rounded lines, so "the lines add up to the total" holds by
construction and a reader can redo the invoice with a pencil.

Proration over a month of N days uses cumulative day boundaries: the charge for days
[a, b) of a monthly price P is R(P·b/N) − R(P·a/N), where R rounds half up. Any split
of the month into consecutive pieces therefore sums back exactly to P.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

PAISA_PER_RUPEE = 100
MAX_PAISA = 10**11  # Rs 1,000,000,000: far above any one bill, far below a BIGINT
ROUNDING = ROUND_HALF_UP
ROUNDING_RULE = "Half up to the paisa, applied to each line; totals are sums of lines."


def round_paisa(value: Decimal) -> int:
    """Round a fractional amount of paisa half up (away from zero on a tie) to whole paisa."""
    return int(value.quantize(Decimal(1), rounding=ROUNDING))


def apply_rate(amount_paisa: int, rate: Decimal) -> int:
    """``amount × rate`` rounded half up to the paisa; the sign follows the amount."""
    if rate < 0:
        raise ValueError("a tax rate is never negative")
    return round_paisa(Decimal(amount_paisa) * rate)


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def cumulative_share(price_paisa: int, day: int, days: int) -> int:
    """The part of a monthly price earned by the end of day ``day`` (0 ≤ day ≤ days)."""
    if not 0 <= day <= days:
        raise ValueError("day must lie within the month")
    return round_paisa(Decimal(price_paisa) * day / days)


def prorate(price_paisa: int, first_day: int, end_day: int, days: int) -> int:
    """Charge for days ``first_day`` .. ``end_day - 1`` (0-based) of a month of ``days`` days."""
    if not 0 <= first_day <= end_day <= days:
        raise ValueError("the charged days must lie within the month, in order")
    if first_day == 0 and end_day == days:
        return price_paisa  # the whole month: R(P·N/N) − R(0), without the arithmetic
    return cumulative_share(price_paisa, end_day, days) - cumulative_share(
        price_paisa, first_day, days
    )


def prorate_dates(price_paisa: int, year: int, month: int, start: date, end: date) -> int:
    """Charge for the dates ``start`` .. ``end`` inclusive, clipped to the month."""
    days = days_in_month(year, month)
    first = date(year, month, 1)
    last = date(year, month, days)
    lo = max(start, first)
    hi = min(end, last)
    if hi < lo:
        return 0
    return prorate(price_paisa, (lo - first).days, (hi - first).days + 1, days)


def format_pkr(paisa: int) -> str:
    """``Rs 1,234.50`` (negative amounts as ``-Rs 12.00``), as printed on invoices."""
    sign = "-" if paisa < 0 else ""
    rupees, rest = divmod(abs(paisa), PAISA_PER_RUPEE)
    return f"{sign}Rs {rupees:,}.{rest:02d}"


def parse_rupees(text: str) -> int:
    """Parse ``"1,234.5"`` or ``"1234"`` rupees to paisa; raise ValueError with a sentence.

    Any text gives paisa or that ValueError: exponents, infinities and amounts beyond
    ``MAX_PAISA`` (which no column or sum could hold safely) are refused, not overflowed.
    """
    cleaned = text.strip().replace(",", "").removeprefix("Rs").strip()
    if len(cleaned) > 20 or not all(c in "0123456789.+-" for c in cleaned):
        raise ValueError("Write the amount in rupees, for example 1500 or 1500.50.")
    try:
        value = Decimal(cleaned)
    except ArithmeticError as exc:
        raise ValueError("Write the amount in rupees, for example 1500 or 1500.50.") from exc
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("Write the amount in rupees with at most two decimals.")
    paisa = int(value * PAISA_PER_RUPEE)
    if abs(paisa) > MAX_PAISA:
        raise ValueError(f"The amount must be at most {format_pkr(MAX_PAISA)}.")
    return paisa
