"""The disclosure register's parsers are total (issue 14): any text gives a value or
Invalid with a sentence that does not repeat it, never another exception."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st

from amanat.core.errors import Invalid
from amanat.disclosure.parsing import format_number, identifier, parse_date, parse_number
from amanat.disclosure.schemas import CellOut

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
DATE_MESSAGES = {
    "Give the deadline as YYYY-MM-DD.",
    "The deadline must be a year between 1900 and 2100.",
    "The deadline is not a day of the calendar.",
}


def _sentence(message: str) -> None:
    assert message and message[0].isupper() and message.rstrip().endswith("."), message


@given(st.one_of(text, st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True)))
@example("2025-02-29")
@example("0000-01-01")
@example("２０２５-01-01")
@example("2025-1-1")
def test_dates_parse_or_say_how_to_write_them(raw: str) -> None:
    try:
        parsed = parse_date(raw, "deadline", "deadline")
    except Invalid as exc:
        _sentence(exc.message)
        assert exc.message in DATE_MESSAGES  # fixed sentences: the input is never echoed
        return
    assert 1900 <= parsed.year <= 2100 and parsed.isoformat() == raw.strip()


@given(dates)
def test_every_calendar_day_parses_back(day: date) -> None:
    assert parse_date(day.isoformat(), "f", "day") == day


@given(st.one_of(text, st.integers().map(str), st.integers(0, 10**12).map(lambda n: f"D-{n}")))
@example("d-1001")
@example("D-")
@example("D-١٠٠١")
def test_request_numbers_parse_or_are_none(raw: str) -> None:
    number = parse_number(raw)
    if number is not None:
        assert re.fullmatch(r"[Dd]-[0-9]{1,9}", raw.strip())
        assert number == int(raw.strip()[2:])


@given(st.integers(1, 10**9 - 1))
def test_printed_numbers_parse_back(number: int) -> None:
    assert parse_number(format_number(number)) == number


@given(st.one_of(
    text,
    st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
    st.from_regex(r"[0-9]{5}-[0-9]{7}-[0-9]", fullmatch=True),
    st.from_regex(r"\+92 3[0-9]{2} [0-9]{7}", fullmatch=True),
    st.emails(),
))  # fmt: skip
@example("35202-1234567-1")
@example("3520212345671")
@example("0300 1234567")
@example("a@b")
@example("1234567")
def test_identifiers_are_classified_or_refused_without_echo(raw: str) -> None:
    try:
        kind, value = identifier(raw)
    except Invalid as exc:
        assert exc.message == (
            "Each customer line must be a customer id, an e-mail address, a phone number or a CNIC."
        )
        return
    assert kind in ("id", "email", "phone", "cnic")
    if kind == "cnic":
        assert len(value) == 13 and value.isdigit()
    if kind == "phone":
        assert value.startswith("+")


@given(st.integers(0, 10**6), st.integers(2, 100))
def test_a_count_under_k_is_never_shown(count: int, k: int) -> None:
    cell = CellOut.of("fia", "FIA", "disclosed", count, k)
    if count < k:
        assert cell.count is None and cell.shown == f"fewer than {k}"
    else:
        assert cell.count == count and cell.shown == str(count)
