"""Money, proration and invoice arithmetic: exact paisa, rounding per line, properties."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amanat.billing import arithmetic
from amanat.billing.arithmetic import Charge
from amanat.billing.fiscal import FiscalYear, parse_period, parse_quarter
from amanat.billing.money import (
    apply_rate,
    days_in_month,
    format_pkr,
    parse_rupees,
    prorate,
    prorate_dates,
)
from amanat.billing.tax import KINDS, load_tax_table

TABLE = load_tax_table()
JURISDICTIONS = list(TABLE.jurisdictions)
DAY = date(2025, 8, 31)

amounts = st.integers(min_value=0, max_value=10**10)


def test_rounding_is_half_up_to_the_paisa() -> None:
    assert apply_rate(10, Decimal("0.15")) == 2  # 1.5 -> 2
    assert apply_rate(9, Decimal("0.15")) == 1  # 1.35 -> 1
    assert apply_rate(-10, Decimal("0.15")) == -2  # ties away from zero, so credits mirror
    assert apply_rate(100_000, Decimal("0.195")) == 19_500


def test_negative_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="never negative"):
        apply_rate(100, Decimal("-0.1"))


def test_format_and_parse_rupees() -> None:
    assert format_pkr(123_456) == "Rs 1,234.56"
    assert format_pkr(-1200) == "-Rs 12.00"
    assert parse_rupees("1,500.50") == 150_050
    assert parse_rupees("Rs 20") == 2000
    with pytest.raises(ValueError, match="two decimals"):
        parse_rupees("1.234")
    with pytest.raises(ValueError, match="rupees"):
        parse_rupees("twelve")


@given(
    price=amounts,
    year=st.integers(min_value=2000, max_value=2100),
    month=st.integers(min_value=1, max_value=12),
    cuts=st.lists(st.integers(min_value=0, max_value=31), max_size=6),
)
def test_proration_of_any_split_sums_back_to_the_full_month(
    price: int, year: int, month: int, cuts: list[int]
) -> None:
    days = days_in_month(year, month)
    bounds = sorted({0, days, *(min(c, days) for c in cuts)})
    pieces = [prorate(price, a, b, days) for a, b in itertools.pairwise(bounds)]
    assert sum(pieces) == price
    assert all(p >= 0 for p in pieces)


def test_proration_by_dates_clips_to_the_month() -> None:
    # 10 of 31 days of Rs 3,100.00 is Rs 1,000.00 exactly.
    assert prorate_dates(310_000, 2025, 8, date(2025, 8, 22), date(2025, 9, 30)) == 100_000
    assert prorate_dates(310_000, 2025, 8, date(2025, 7, 1), date(2025, 7, 31)) == 0
    assert prorate_dates(310_000, 2025, 8, date(2025, 1, 1), date(2025, 12, 31)) == 310_000


def test_fiscal_year_runs_july_to_june() -> None:
    assert FiscalYear.of(date(2025, 7, 1)).label == "2025-26"
    assert FiscalYear.of(date(2026, 6, 30)).label == "2025-26"
    assert FiscalYear.of(date(2025, 6, 30)).label == "2024-25"
    assert FiscalYear.parse("2025-26").first_day == date(2025, 7, 1)
    assert FiscalYear.parse("1999-00").last_day == date(2000, 6, 30)
    with pytest.raises(ValueError, match="July to June"):
        FiscalYear.parse("2025-27")
    with pytest.raises(ValueError, match="YYYY-YY"):
        FiscalYear.parse("FY26")


def test_periods_and_quarters_parse_or_explain() -> None:
    assert parse_period("2025-08") == (2025, 8)
    assert parse_quarter("2025-Q3") == (date(2025, 7, 1), date(2025, 9, 30))
    for bad in ("2025-13", "2025/08", "25-08"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_period(bad)
    with pytest.raises(ValueError, match="YYYY-Qn"):
        parse_quarter("2025-Q5")


charges = st.lists(
    st.builds(
        Charge,
        description=st.just("line"),
        kind=st.sampled_from(KINDS),
        jurisdiction=st.sampled_from(JURISDICTIONS),
        net_paisa=amounts,
    ),
    max_size=12,
)
statuses = st.sampled_from(["standard", "non_filer", "itgo", "exempt"])


@given(charges=charges, status=statuses)
def test_line_sums_equal_totals_and_tax_is_never_negative(
    charges: list[Charge], status: arithmetic.Status
) -> None:
    lines = arithmetic.price(TABLE, charges, status, DAY)
    totals = arithmetic.totals(lines)
    assert totals.total_paisa == sum(line.total_paisa for line in lines)
    summary = arithmetic.tax_summary(lines)
    assert sum(s.tax_paisa for s in summary if s.tax == "sales_tax") == totals.sales_tax_paisa
    assert sum(s.tax_paisa for s in summary if s.tax == "advance_tax") == totals.advance_tax_paisa
    for line in lines:
        assert line.sales_tax_paisa >= 0
        assert line.advance_tax_paisa >= 0


@given(charges=charges, status=statuses, data=st.data())
def test_credit_notes_net_to_the_right_balance(
    charges: list[Charge], status: arithmetic.Status, data: st.DataObject
) -> None:
    lines = arithmetic.price(TABLE, charges, status, DAY)
    credited = [
        i for i, line in enumerate(lines) if line.net_paisa > 0 and data.draw(st.booleans())
    ]
    credit_lines = [arithmetic.credit(lines[i]) for i in credited]
    balance = arithmetic.totals(lines).total_paisa + arithmetic.totals(credit_lines).total_paisa
    remaining = sum(line.total_paisa for i, line in enumerate(lines) if i not in credited)
    assert balance == remaining
    for c in credit_lines:
        assert c.sales_tax_paisa <= 0
        assert c.advance_tax_paisa <= 0


@given(net=st.integers(min_value=1, max_value=10**9), data=st.data())
def test_a_partial_credit_never_exceeds_the_line(net: int, data: st.DataObject) -> None:
    (line,) = arithmetic.price(TABLE, [Charge("x", "telecom", "Punjab", net)], "standard", DAY)
    part = data.draw(st.integers(min_value=1, max_value=net))
    credit = arithmetic.credit(line, part)
    assert -line.total_paisa <= credit.total_paisa < 0
    with pytest.raises(ValueError, match="at most"):
        arithmetic.credit(line, net + 1)
