"""Every accepted spelling of the same e-mail, phone or CNIC normalises to one string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amanat.vault.normalise import normalise_cnic, normalise_email, normalise_phone

LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+", min_size=1, max_size=20).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s
)
DOMAIN = st.sampled_from(["example.pk", "example.com", "mail.example.pk"])


def _recase(text: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if f else c for c, f in zip(text, flips + [False] * len(text), strict=False)
    )


@given(LOCAL, DOMAIN, st.lists(st.booleans(), max_size=40), st.sampled_from(["", " ", "  \t"]))
def test_every_casing_and_padding_of_an_email_is_one_address(
    local: str, domain: str, flips: list[bool], pad: str
) -> None:
    address = f"{local}@{domain}"
    spelled = pad + _recase(address, flips) + pad
    assert normalise_email(spelled) == normalise_email(address) == address.casefold()


# Prefixes every Pakistani operator has long held (Jazz 300-309, Zong 310-318, Warid/Jazz
# 320-325, Ufone 330-336, Telenor 340-347): any 7-digit line behind them is a valid mobile.
ALLOCATED = st.sampled_from(
    [*range(300, 310), *range(310, 319), *range(320, 326), *range(330, 337), *range(340, 348)]
)


@given(ALLOCATED, st.integers(0, 9_999_999), st.integers(0, 5))
def test_every_spelling_of_a_pakistani_mobile_is_one_e164(op: int, line: int, style: int) -> None:
    digits = f"{line:07d}"
    spellings = [
        f"0{op}{digits}",
        f"0{op} {digits}",
        f"0{op}-{digits}",
        f"+92 {op} {digits}",
        f"+92{op}{digits}",
        f"0092 {op} {digits}",
    ]
    # Accepted, not merely consistent: a normaliser that refused every number must fail here.
    assert normalise_phone(spellings[style]) == f"+92{op}{digits}"


@given(st.text(max_size=40))
def test_any_phone_input_is_e164_or_one_sentence(text: str) -> None:
    try:
        result = normalise_phone(text)
    except ValueError as exc:
        assert str(exc).endswith(".")
        return
    assert result.startswith("+") and result[1:].isdigit()
    assert normalise_phone(result) == result


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("0300 1234567", "+923001234567"),
        ("+92 300 1234567", "+923001234567"),
        ("042 35761234", "+924235761234"),
        ("(042) 3576-1234", "+924235761234"),
        ("+92 42 35761234", "+924235761234"),
        ("+1 202 555 0143", "+12025550143"),
    ],
)
def test_mobiles_landlines_and_international_numbers_are_e164(spelling: str, expected: str) -> None:
    assert normalise_phone(spelling) == expected


@pytest.mark.parametrize("bad", ["", "77777", "0300 99", "not a phone", "+92 51 1234567", "9" * 41])
def test_a_bad_phone_number_is_one_actionable_sentence_without_the_value(bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalise_phone(bad)
    message = str(caught.value)
    assert message.endswith(".") and "phone" in message
    assert not bad or bad not in message


@given(st.integers(0, 10**13 - 1), st.sampled_from(["dashed", "bare", "padded"]))
def test_every_spelling_of_a_cnic_is_thirteen_digits(number: int, style: int | str) -> None:
    digits = f"{number:013d}"
    dashed = f"{digits[:5]}-{digits[5:12]}-{digits[12]}"
    spelled = {"dashed": dashed, "bare": digits, "padded": f"  {dashed} "}[str(style)]
    assert normalise_cnic(spelled) == digits


@pytest.mark.parametrize(
    "bad",
    ["", "3520-21234567-1", "35202-1234567", "35202-1234567-12", "3520212345671x", "٣٥٢٠٢١٢٣٤٥٦٧١"],
)
def test_a_bad_cnic_is_refused_with_the_expected_shape(bad: str) -> None:
    with pytest.raises(ValueError, match="13 digits"):
        normalise_cnic(bad)


@pytest.mark.parametrize(
    "bad", ["", "no-at-sign", "a@b", "two@@example.pk", "sp ace@example.pk", "x" * 400]
)
def test_a_bad_email_is_refused_with_an_example_of_a_good_one(bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalise_email(bad)
    assert "e-mail" in str(caught.value)
    assert not bad or bad not in str(caught.value)


def test_a_twelve_digit_cnic_is_refused_in_every_spelling() -> None:
    for twelve in ("352021234567", "35202-123456-7", "3520-1234567-1", " 352021234567 "):
        with pytest.raises(ValueError, match="13 digits"):
            normalise_cnic(twelve)


@given(st.text(alphabet="0123456789- ", max_size=20))
def test_a_cnic_is_accepted_only_with_thirteen_digits(text: str) -> None:
    try:
        result = normalise_cnic(text)
    except ValueError as exc:
        assert "13 digits" in str(exc)
        return
    assert len(result) == 13 and result.isdigit()
    assert sum(c.isdigit() for c in text) == 13


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u0440\u0430ul@example.com",  # "раul": Cyrillic р and а, then Latin u and l
        "p\u0430ul@example.com",  # one Cyrillic а
        "\u0440\u043e\u0440@example.com",  # "рор": all Cyrillic, reads as "pop"
        "\u03bfmar@example.com",  # Greek omicron before Latin letters
    ],
)
def test_a_local_part_that_passes_for_a_latin_one_is_refused(lookalike: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalise_email(lookalike)
    assert "alphabet" in str(caught.value)
    assert lookalike.split("@", maxsplit=1)[0] not in str(caught.value)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("\uff50\uff41\uff55\uff4c@example.com", "paul@example.com"),  # full-width letters
        ("Paul@EXAMPLE.com", "paul@example.com"),
        ("paul@B\u00fccher.Example", "paul@xn--bcher-kva.example"),  # IDNA, lower case
        ("\u0430\u043d\u043d\u0430@example.com", "\u0430\u043d\u043d\u0430@example.com"),
    ],
)
def test_compatibility_forms_and_domains_have_one_spelling(spelling: str, expected: str) -> None:
    # The last is all Cyrillic with a letter (н) no Latin letter looks like: a real name.
    assert normalise_email(spelling) == expected


@given(
    LOCAL,
    DOMAIN,
    st.integers(0, 19),
    st.sampled_from(sorted("\u0430\u0435\u043e\u0440\u0441\u0443\u0445")),
)
def test_one_cyrillic_lookalike_in_a_latin_local_part_is_refused(
    local: str, domain: str, at: int, letter: str
) -> None:
    if not any(c.isalpha() for c in local):
        local += "x"
    position = at % (len(local) + 1)
    with pytest.raises(ValueError, match="alphabet"):
        normalise_email(f"{local[:position]}{letter}{local[position:]}@{domain}")


@given(st.text(max_size=60))
def test_any_email_input_is_one_fixed_spelling_or_one_sentence(text: str) -> None:
    try:
        result = normalise_email(text)
    except ValueError as exc:
        assert "e-mail" in str(exc) or "alphabet" in str(exc)
        return
    assert normalise_email(result) == result
