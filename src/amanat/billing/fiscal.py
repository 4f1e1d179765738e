"""Pakistan's fiscal (tax) year runs from 1 July to 30 June and is named "2025-26"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

# ASCII digits only ([0-9], not \d, which matches any script's digits), whole text only.
_LABEL = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")
FIRST_YEAR, LAST_YEAR = 1900, 2100  # the years a period, quarter or fiscal year may start in


def _check_year(year: int, what: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"The {what}'s year must lie between {FIRST_YEAR} and {LAST_YEAR}.")


@dataclass(frozen=True, order=True)
class FiscalYear:
    start_year: int

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def tax_year(self) -> int:
        """The tax year as the Income Tax Ordinance names it: the year in which it ends."""
        return self.start_year + 1

    @property
    def first_day(self) -> date:
        return date(self.start_year, 7, 1)

    @property
    def last_day(self) -> date:
        return date(self.start_year + 1, 6, 30)

    def __str__(self) -> str:
        return self.label

    @classmethod
    def of(cls, day: date) -> FiscalYear:
        return cls(day.year if day.month >= 7 else day.year - 1)

    @classmethod
    def parse(cls, label: str) -> FiscalYear:
        """Parse ``"2025-26"``; raise ValueError with a sentence a person can act on."""
        match = _LABEL.fullmatch(label.strip())
        if match is None:
            raise ValueError("Write the fiscal year as YYYY-YY, for example 2025-26.")
        start = int(match.group(1))
        _check_year(start, "fiscal year")
        if (start + 1) % 100 != int(match.group(2)):
            raise ValueError(
                f"A fiscal year runs July to June: write {start}-{(start + 1) % 100:02d}."
            )
        return cls(start)


def parse_period(text: str) -> tuple[int, int]:
    """Parse a billing period ``YYYY-MM`` into (year, month); ValueError with a sentence."""
    match = _PERIOD.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError("Write the period as YYYY-MM, for example 2025-08.")
    year = int(match.group(1))
    _check_year(year, "period")
    return year, int(match.group(2))


def parse_quarter(text: str) -> tuple[date, date]:
    """Parse ``YYYY-Qn`` (calendar quarters, as FBR's withholding statements are filed)."""
    match = _QUARTER.fullmatch(text.strip())
    if match is None:
        raise ValueError("Write the quarter as YYYY-Qn, for example 2025-Q3.")
    year, quarter = int(match.group(1)), int(match.group(2))
    _check_year(year, "quarter")
    first_month = 3 * (quarter - 1) + 1
    last_month = first_month + 2
    end_day = {3: 31, 6: 30, 9: 30, 12: 31}[last_month]
    return date(year, first_month, 1), date(year, last_month, end_day)


PAKISTAN = timezone(timedelta(hours=5), "PKT")  # Pakistan keeps no daylight saving time


def business_date(moment: datetime) -> date:
    """The date in Pakistan at ``moment`` (UTC-aware): invoices and due dates use it."""
    return moment.astimezone(PAKISTAN).date()
