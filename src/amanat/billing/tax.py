"""The dated tax table: loaded from YAML, validated, and asked for the rate in force.

Rows are configuration (``tax_table.yaml`` beside this module, or the operator's copy
named by ``AMANAT_BILLING_TAX_TABLE``). Validation refuses a table with an unknown
jurisdiction, kind or status, a rate outside [0, 1), a row without a source or an
effective date, or two rows in force for the same key on the same day; the message names
the row.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from amanat.core.errors import ConfigError

DEFAULT_TABLE = Path(__file__).parent / "tax_table.yaml"

Kind = Literal["telecom", "it_services", "equipment"]
KINDS: tuple[Kind, ...] = ("telecom", "it_services", "equipment")
Status = Literal["standard", "non_filer", "itgo", "exempt"]
STATUSES: tuple[Status, ...] = ("standard", "non_filer", "itgo", "exempt")
Base = Literal["gross", "net"]
ANY_JURISDICTION = "*"


class TaxTableInvalid(ConfigError):
    """The tax table cannot be used; the message names the file and row."""


class NoRateInForce(ConfigError):
    """No row of the table applies to what is being billed; an operator must add one."""


@dataclass(frozen=True)
class SalesTaxRow:
    id: str
    jurisdiction: str
    kind: Kind
    rate: Decimal
    effective_from: date
    effective_to: date | None
    source: str
    assumption: bool

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class AdvanceTaxRow:
    id: str
    status: Status
    rate: Decimal
    base: Base
    applies_to: frozenset[Kind]
    effective_from: date
    effective_to: date | None
    source: str

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class TaxTable:
    jurisdictions: tuple[str, ...]
    sales_tax: tuple[SalesTaxRow, ...]
    advance_tax: tuple[AdvanceTaxRow, ...]
    path: str
    # Rows chosen so far, by question: the table never changes once loaded, so neither do
    # its answers (the billing run asks the same few questions for every line).
    _memo: dict[tuple[object, ...], object] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def sales_tax_row(self, jurisdiction: str, kind: str, day: date) -> SalesTaxRow:
        """The row in force on ``day``; a jurisdiction's own row beats the ``*`` row."""
        key = ("st", jurisdiction, kind, day)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._sales_tax_row(jurisdiction, kind, day)
        return cast(SalesTaxRow, found)

    def _sales_tax_row(self, jurisdiction: str, kind: str, day: date) -> SalesTaxRow:
        if jurisdiction not in self.jurisdictions:
            raise NoRateInForce(
                f"The service address's province '{jurisdiction}' is not in the tax table; "
                f"use one of: {', '.join(self.jurisdictions)}."
            )
        candidates = [
            r for r in self.sales_tax if r.kind == kind and r.in_force(day)
            and r.jurisdiction in (jurisdiction, ANY_JURISDICTION)
        ]  # fmt: skip
        own = [r for r in candidates if r.jurisdiction == jurisdiction]
        chosen = own or candidates
        if not chosen:
            raise NoRateInForce(
                f"No sales tax row for {kind} in {jurisdiction} is in force on "
                f"{day.isoformat()}; add one to the tax table ({self.path})."
            )
        return max(chosen, key=lambda r: r.effective_from)

    def advance_tax_row(self, status: Status, day: date) -> AdvanceTaxRow | None:
        """The s.236 row for this status in force on ``day`` (non-filers fall back to standard).

        None when no advance tax row is in force at all (e.g. before the first row's date).
        """
        key = ("ait", status, day)
        if key not in self._memo:
            self._memo[key] = self._advance_tax_row(status, day)
        return cast(AdvanceTaxRow | None, self._memo[key])

    def _advance_tax_row(self, status: Status, day: date) -> AdvanceTaxRow | None:
        for wanted in (status, "standard") if status == "non_filer" else (status,):
            rows = [r for r in self.advance_tax if r.status == wanted and r.in_force(day)]
            if rows:
                return max(rows, key=lambda r: r.effective_from)
        return None


def load_tax_table(path: Path | None = None) -> TaxTable:
    """Load and validate the table; raise TaxTableInvalid naming the file and row."""
    source = path or DEFAULT_TABLE
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaxTableInvalid(f"The tax table {source} cannot be read ({exc.strerror}).") from exc
    except yaml.YAMLError as exc:
        raise TaxTableInvalid(f"The tax table {source} is not valid YAML: {exc}.") from exc
    return parse_tax_table(raw, str(source))


def parse_tax_table(raw: Any, where: str) -> TaxTable:
    if not isinstance(raw, dict) or raw.get("version") != 1:
        raise TaxTableInvalid(f"{where}: the tax table must be a mapping with `version: 1`.")
    jurisdictions = raw.get("jurisdictions")
    if not isinstance(jurisdictions, list) or not all(isinstance(j, str) for j in jurisdictions):
        raise TaxTableInvalid(f"{where}: `jurisdictions` must be a list of names.")
    sales = tuple(
        _sales_row(row, where, set(jurisdictions)) for row in _rows(raw, "sales_tax", where)
    )
    advance = tuple(_advance_row(row, where) for row in _rows(raw, "advance_tax", where))
    ids = [r.id for r in sales] + [r.id for r in advance]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TaxTableInvalid(
            f"{where}: row ids must be unique; repeated: {', '.join(duplicates)}."
        )
    _check_overlaps(
        where, [((r.jurisdiction, r.kind), r.id, r.effective_from, r.effective_to) for r in sales]
    )
    _check_overlaps(where, [((r.status,), r.id, r.effective_from, r.effective_to) for r in advance])
    return TaxTable(tuple(jurisdictions), sales, advance, where)


def _rows(raw: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    rows = raw.get(key)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise TaxTableInvalid(f"{where}: `{key}` must be a list of rows.")
    return rows


def _common(row: dict[str, Any], where: str) -> tuple[str, Decimal, date, date | None, str]:
    row_id = row.get("id")
    if not isinstance(row_id, str) or not row_id:
        raise TaxTableInvalid(f"{where}: every row needs an `id`.")
    at = f"{where}, row {row_id}"
    try:
        rate = Decimal(str(row.get("rate")))
    except InvalidOperation as exc:
        raise TaxTableInvalid(f'{at}: `rate` must be a decimal such as "0.195".') from exc
    if not rate.is_finite() or not Decimal(0) <= rate < Decimal(1):
        raise TaxTableInvalid(f"{at}: `rate` must lie between 0 and 1 (0.195 is 19.5 %).")
    start, end = row.get("effective_from"), row.get("effective_to")
    if not isinstance(start, date):
        raise TaxTableInvalid(f"{at}: `effective_from` must be a date (YYYY-MM-DD).")
    if end is not None and (not isinstance(end, date) or end < start):
        raise TaxTableInvalid(f"{at}: `effective_to` must be a date on or after effective_from.")
    source = row.get("source")
    if not isinstance(source, str) or len(source.strip()) < 10:
        raise TaxTableInvalid(f"{at}: every row must cite its `source` (the law and section).")
    return row_id, rate, start, end, " ".join(source.split())


def _sales_row(row: dict[str, Any], where: str, jurisdictions: set[str]) -> SalesTaxRow:
    row_id, rate, start, end, source = _common(row, where)
    at = f"{where}, row {row_id}"
    jurisdiction = row.get("jurisdiction")
    if jurisdiction != ANY_JURISDICTION and jurisdiction not in jurisdictions:
        raise TaxTableInvalid(f'{at}: `jurisdiction` must be one of the listed names or "*".')
    kind = row.get("kind")
    if kind not in KINDS:
        raise TaxTableInvalid(f"{at}: `kind` must be one of {', '.join(KINDS)}.")
    return SalesTaxRow(
        row_id, str(jurisdiction), kind, rate, start, end, source, bool(row.get("assumption"))
    )


def _advance_row(row: dict[str, Any], where: str) -> AdvanceTaxRow:
    row_id, rate, start, end, source = _common(row, where)
    at = f"{where}, row {row_id}"
    status = row.get("status")
    if status not in STATUSES:
        raise TaxTableInvalid(f"{at}: `status` must be one of {', '.join(STATUSES)}.")
    base = row.get("base")
    if base not in ("gross", "net"):
        raise TaxTableInvalid(f"{at}: `base` must be gross (incl. sales tax) or net.")
    applies = row.get("applies_to")
    if not isinstance(applies, list) or not applies or not set(applies) <= set(KINDS):
        raise TaxTableInvalid(f"{at}: `applies_to` must list kinds from {', '.join(KINDS)}.")
    return AdvanceTaxRow(row_id, status, rate, base, frozenset(applies), start, end, source)


def _check_overlaps(
    where: str, spans: list[tuple[tuple[str, ...], str, date, date | None]]
) -> None:
    by_key: dict[tuple[str, ...], list[tuple[str, date, date | None]]] = {}
    for key, row_id, start, end in spans:
        by_key.setdefault(key, []).append((row_id, start, end))
    for rows in by_key.values():
        rows.sort(key=lambda r: r[1])
        for (a_id, a_start, _a_end), (b_id, b_start, _b_end) in itertools.pairwise(rows):
            if a_start == b_start:
                raise TaxTableInvalid(
                    f"{where}: rows {a_id} and {b_id} take effect on the same day for the same "
                    "key; end one with effective_to or give it another date."
                )
