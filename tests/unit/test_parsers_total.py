"""Every parser of money, dates and identifiers is total: any text gives a value or the
domain's validation error with a sentence, never another exception (which would be a 500).

Each property feeds arbitrary text (every Unicode category, control characters, lone
surrogates excluded only where a web request cannot carry them) plus text shaped like the
real thing, so that both the refusal paths and the near-miss paths are explored.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amanat.billing.fiscal import FiscalYear, parse_period, parse_quarter
from amanat.billing.money import MAX_PAISA, format_pkr, parse_rupees
from amanat.billing.processor import WebhookRejected, verify_signature
from amanat.billing.reconciliation import _parse as parse_statement
from amanat.core.errors import Invalid
from amanat.customers.validation import check_ntn
from amanat.support.service import parse_number
from amanat.vault.normalise import normalise_cnic, normalise_email, normalise_phone

# What a form field, query string or JSON string can carry (no lone surrogates).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
digits = st.text(st.sampled_from("0123456789"), min_size=1, max_size=40)
numberish = st.text(st.sampled_from("0123456789.,-+eE Rs_nNaIifty٣５"), max_size=40)
NOW = datetime(2025, 9, 1, tzinfo=UTC)


def _sentence(message: str) -> None:
    assert message and message[0].isupper() and message.rstrip().endswith("."), message


@given(st.one_of(text, numberish, digits))
@example("1e30")
@example("1E+30")
@example("NaN")
@example("-Infinity")
@example("99999999999999999999.99")
@example("٣٠٠")
def test_rupees_parse_to_bounded_paisa_or_a_sentence(raw: str) -> None:
    try:
        paisa = parse_rupees(raw)
    except ValueError as exc:
        _sentence(str(exc))
        return
    assert isinstance(paisa, int)
    assert abs(paisa) <= MAX_PAISA


@given(st.integers(min_value=-MAX_PAISA, max_value=MAX_PAISA))
def test_printed_amounts_parse_back(paisa: int) -> None:
    assert parse_rupees(format_pkr(paisa).replace("Rs ", "")) == paisa


@given(st.one_of(text, st.from_regex(r"[0-9]{4}-[0-9]{2}", fullmatch=True)))
@example("0000-01")
@example("9999-12")
@example("２０２５-０８")
def test_periods_parse_or_refuse_with_a_sentence(raw: str) -> None:
    try:
        year, month = parse_period(raw)
    except ValueError as exc:
        _sentence(str(exc))
        return
    assert 1900 <= year <= 2100 and 1 <= month <= 12


@given(st.one_of(text, st.from_regex(r"[0-9]{4}-Q[0-9]", fullmatch=True)))
@example("0000-Q1")
@example("9999-Q4")
def test_quarters_parse_or_refuse_with_a_sentence(raw: str) -> None:
    try:
        first, last = parse_quarter(raw)
    except ValueError as exc:
        _sentence(str(exc))
        return
    assert first.year == last.year and first < last


@given(st.one_of(text, st.from_regex(r"[0-9]{4}-[0-9]{2}", fullmatch=True)))
@example("0000-01")
@example("9999-00")
def test_fiscal_years_parse_to_real_dates_or_refuse(raw: str) -> None:
    try:
        year = FiscalYear.parse(raw)
    except ValueError as exc:
        _sentence(str(exc))
        return
    assert year.first_day < year.last_day  # both are real dates


@given(st.one_of(text, st.emails().map(str)))
@settings(deadline=None)  # the e-mail validator compiles its tables on first use
def test_emails_normalise_or_refuse_with_a_sentence(raw: str) -> None:
    try:
        normalised = normalise_email(raw)
    except ValueError as exc:
        _sentence(str(exc))
        return
    assert "@" in normalised and normalised == normalised.casefold()


@given(
    st.one_of(text, numberish, st.from_regex(r"\+?(00)?92 ?3[0-9]{2} ?[0-9]{7}", fullmatch=True))
)
@settings(deadline=None)  # phonenumbers loads its metadata on first use
def test_phones_normalise_to_e164_or_refuse_with_a_sentence(raw: str) -> None:
    try:
        normalised = normalise_phone(raw)
    except ValueError as exc:
        _sentence(str(exc))
        return
    assert normalised.startswith("+") and normalised[1:].isdigit()


@given(st.one_of(text, digits, st.from_regex(r"[0-9]{5}-?[0-9]{7}-?[0-9]", fullmatch=True)))
@example("3520212345671")
@example("352021234567")  # twelve digits: never a CNIC
def test_cnics_normalise_to_thirteen_digits_or_refuse(raw: str) -> None:
    try:
        normalised = normalise_cnic(raw)
    except ValueError as exc:
        _sentence(str(exc))
        return
    assert len(normalised) == 13 and all(c in "0123456789" for c in normalised)


@given(st.one_of(text, digits, st.from_regex(r"[0-9]{7}-?[0-9]", fullmatch=True)))
def test_ntns_normalise_or_name_the_field(raw: str) -> None:
    errors: dict[str, str] = {}
    normalised = check_ntn(raw, errors)
    if errors:
        assert normalised == "" and set(errors) == {"ntn"}
        _sentence(errors["ntn"])
    else:
        assert len(normalised) == 9 and normalised[7] == "-"


@given(st.one_of(text, st.from_regex(r"[Tt]-[0-9]{1,12}", fullmatch=True)))
def test_ticket_numbers_parse_or_are_none(raw: str) -> None:
    number = parse_number(raw)
    assert number is None or 0 <= number < 10**9


@given(header=st.one_of(st.none(), text, st.from_regex(r"t=-?[0-9]{1,400},v1=.{0,70}")))
@example(header="t=1756684800,v1=é")
@example(header="t=1756684800,v1=\u00ff\u00fe")
@example(header="t=" + "9" * 500 + ",v1=00")
def test_webhook_signature_headers_verify_or_are_rejected(header: str | None) -> None:
    with pytest.raises(WebhookRejected) as refused:
        verify_signature("whsec_synthetic", header, b"{}", NOW, 300)
    _sentence(refused.value.message)


statement_cell = st.one_of(text, numberish, st.just("1e30"), st.just("2025-08-31"))


@given(
    st.lists(
        st.lists(statement_cell, min_size=0, max_size=6).map(
            lambda cells: ",".join(f'"{c}"' if "," in c else c for c in cells)
        ),
        max_size=4,
    )
)
@example(["2025-08-31,1e30,INV-1,T1"])
@example(["2025-08-31"])
@example(['2025-08-31,"100'])
def test_statements_parse_or_name_the_bad_line(lines: list[str]) -> None:
    raw = "\n".join(["date,amount,reference,transaction_id", *lines])
    try:
        parsed = parse_statement(raw)
    except Invalid as exc:
        _sentence(exc.message)
        return
    for _, amount, reference, transaction in parsed:
        assert abs(amount) <= MAX_PAISA and len(reference) <= 64 and 0 < len(transaction) <= 64
