"""The shipped tax table: golden figures for every row, validation of operator edits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from amanat.billing import arithmetic
from amanat.billing.arithmetic import Charge
from amanat.billing.tax import (
    DEFAULT_TABLE,
    NoRateInForce,
    TaxTableInvalid,
    load_tax_table,
    parse_tax_table,
)

TABLE = load_tax_table()
BILL_DAY = date(2025, 8, 1)

# Golden figures: net Rs 10,000.00 (1,000,000 paisa) of each kind in each jurisdiction,
# standard tax status. Sales tax per the row; s.236 at 15 % of the gross on telecom only.
GOLDEN_SALES = [
    # (jurisdiction, kind, row, sales tax paisa, advance tax paisa, line total paisa)
    ("Islamabad Capital Territory", "telecom", "st-ict-telecom", 195_000, 179_250, 1_374_250),
    ("Punjab", "telecom", "st-punjab-telecom", 195_000, 179_250, 1_374_250),
    ("Sindh", "telecom", "st-sindh-telecom", 195_000, 179_250, 1_374_250),
    ("Khyber Pakhtunkhwa", "telecom", "st-kp-telecom", 195_000, 179_250, 1_374_250),
    ("Balochistan", "telecom", "st-balochistan-telecom", 195_000, 179_250, 1_374_250),
    ("Gilgit-Baltistan", "telecom", "st-gb-telecom", 195_000, 179_250, 1_374_250),
    ("Azad Jammu and Kashmir", "telecom", "st-ajk-telecom", 195_000, 179_250, 1_374_250),
    ("Islamabad Capital Territory", "it_services", "st-ict-it", 150_000, 0, 1_150_000),
    ("Punjab", "it_services", "st-punjab-it", 160_000, 0, 1_160_000),
    ("Sindh", "it_services", "st-sindh-it", 150_000, 0, 1_150_000),
    ("Khyber Pakhtunkhwa", "it_services", "st-kp-it", 150_000, 0, 1_150_000),
    ("Balochistan", "it_services", "st-balochistan-it", 150_000, 0, 1_150_000),
    ("Gilgit-Baltistan", "it_services", "st-gb-it", 150_000, 0, 1_150_000),
    ("Azad Jammu and Kashmir", "it_services", "st-ajk-it", 150_000, 0, 1_150_000),
    ("Sindh", "equipment", "st-equipment-18", 180_000, 0, 1_180_000),
]


@pytest.mark.parametrize(("jurisdiction", "kind", "row", "sales", "advance", "total"), GOLDEN_SALES)
def test_golden_sales_tax_per_row(
    jurisdiction: str, kind: Any, row: str, sales: int, advance: int, total: int
) -> None:
    (line,) = arithmetic.price(
        TABLE, [Charge("x", kind, jurisdiction, 1_000_000)], "standard", BILL_DAY
    )
    assert line.sales_tax_row == row
    assert (line.sales_tax_paisa, line.advance_tax_paisa, line.total_paisa) == (
        sales,
        advance,
        total,
    )


def test_every_shipped_row_has_a_golden_figure_or_a_dated_one() -> None:
    covered = {row for _, _, row, *_ in GOLDEN_SALES} | {"st-equipment-17"}
    assert covered == {r.id for r in TABLE.sales_tax}
    assert {r.id for r in TABLE.advance_tax} == {
        "ait-236-standard",
        "ait-236-itgo",
        "ait-236-exempt",
    }
    assert all(len(r.source) > 20 for r in (*TABLE.sales_tax, *TABLE.advance_tax))


def test_equipment_rate_follows_the_bill_date() -> None:
    before = TABLE.sales_tax_row("Punjab", "equipment", date(2023, 2, 13))
    after = TABLE.sales_tax_row("Punjab", "equipment", date(2023, 2, 14))
    assert (before.id, before.rate) == ("st-equipment-17", Decimal("0.17"))
    assert (after.id, after.rate) == ("st-equipment-18", Decimal("0.18"))


@pytest.mark.parametrize(
    ("status", "row", "advance"),
    [
        ("standard", "ait-236-standard", 179_250),  # 15 % of 1,195,000
        ("non_filer", "ait-236-standard", 179_250),  # no own row: the standard rate applies
        ("itgo", "ait-236-itgo", 896_250),  # 75 % of 1,195,000
        ("exempt", "ait-236-exempt", 0),
    ],
)
def test_golden_advance_tax_per_status(status: Any, row: str, advance: int) -> None:
    (line,) = arithmetic.price(
        TABLE, [Charge("x", "telecom", "Punjab", 1_000_000)], status, BILL_DAY
    )
    assert (line.advance_tax_row, line.advance_tax_paisa) == (row, advance)


def test_advance_tax_base_is_configurable(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_TABLE.read_text())
    for row in raw["advance_tax"]:
        row["base"] = "net"
    table = parse_tax_table(raw, "edited")
    (line,) = arithmetic.price(
        table, [Charge("x", "telecom", "Punjab", 1_000_000)], "standard", BILL_DAY
    )
    assert line.advance_tax_paisa == 150_000  # 15 % of the net only


def test_an_operator_adds_a_finance_act_row_without_code() -> None:
    raw = yaml.safe_load(DEFAULT_TABLE.read_text())
    raw["advance_tax"].append(
        {
            "id": "ait-236-standard-2026",
            "status": "standard",
            "rate": "0.12",
            "base": "gross",
            "applies_to": ["telecom"],
            "effective_from": date(2026, 7, 1),
            "source": "Finance Act 2026 (hypothetical row for this test), First Schedule.",
        }
    )
    table = parse_tax_table(raw, "edited")
    charge = [Charge("x", "telecom", "Sindh", 1_000_000)]
    (old,) = arithmetic.price(table, charge, "standard", date(2026, 6, 30))
    (new,) = arithmetic.price(table, charge, "standard", date(2026, 7, 1))
    assert (old.advance_tax_row, new.advance_tax_row) == (
        "ait-236-standard",
        "ait-236-standard-2026",
    )
    assert new.advance_tax_paisa == 143_400  # 12 % of 1,195,000


def test_no_advance_tax_before_the_first_row() -> None:
    (line,) = arithmetic.price(
        TABLE, [Charge("x", "telecom", "Punjab", 1_000_000)], "standard", date(2023, 1, 1)
    )
    assert (line.advance_tax_row, line.advance_tax_paisa) == (None, 0)


def test_unknown_province_or_missing_row_names_what_to_fix() -> None:
    with pytest.raises(NoRateInForce, match="not in the tax table"):
        TABLE.sales_tax_row("Atlantis", "telecom", BILL_DAY)
    with pytest.raises(NoRateInForce, match="add one to the tax table"):
        TABLE.sales_tax_row("Punjab", "telecom", date(2001, 1, 1))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r["sales_tax"][0].update(rate="1.95"), "between 0 and 1"),
        (lambda r: r["sales_tax"][0].update(rate="abc"), "decimal"),
        (lambda r: r["sales_tax"][0].pop("source"), "source"),
        (lambda r: r["sales_tax"][0].pop("effective_from"), "effective_from"),
        (lambda r: r["sales_tax"][0].update(kind="food"), "kind"),
        (lambda r: r["sales_tax"][0].update(jurisdiction="Mars"), "jurisdiction"),
        (lambda r: r["advance_tax"][0].update(status="vip"), "status"),
        (lambda r: r["advance_tax"][0].update(base="half"), "base"),
        (lambda r: r["sales_tax"].append(dict(r["sales_tax"][0])), "unique"),
        (
            lambda r: r["sales_tax"].append(dict(r["sales_tax"][0], id="copy")),
            "same day",
        ),
    ],
)
def test_invalid_tables_are_refused_naming_the_row(edit: Any, message: str) -> None:
    raw = yaml.safe_load(DEFAULT_TABLE.read_text())
    edit(raw)
    with pytest.raises(TaxTableInvalid, match=message):
        parse_tax_table(raw, "edited.yaml")


def test_unreadable_table_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TaxTableInvalid, match="cannot be read"):
        load_tax_table(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [")
    with pytest.raises(TaxTableInvalid, match="not valid YAML"):
        load_tax_table(bad)
