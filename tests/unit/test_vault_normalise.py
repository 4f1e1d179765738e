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


MOBILE = st.tuples(st.integers(0, 49), st.integers(0, 9_999_999))


@given(MOBILE, st.integers(0, 5))
def test_every_spelling_of_a_pakistani_mobile_is_one_e164(
    mobile: tuple[int, int], style: int
) -> None:
    operator, line = mobile
    op = f"3{operator:02d}"
    digits = f"{line:07d}"
    spellings = [
        f"0{op}{digits}",
        f"0{op} {digits}",
        f"0{op}-{digits}",
        f"+92 {op} {digits}",
        f"+92{op}{digits}",
        f"0092 {op} {digits}",
    ]
    try:
        expected = normalise_phone(spellings[0])
    except ValueError:
        # libphonenumber knows which 03xx prefixes are allocated; an unallocated one is
        # refused in every spelling alike.
        for spelling in spellings:
            with pytest.raises(ValueError):
                normalise_phone(spelling)
        return
    assert expected == f"+92{op}{digits}"
    assert normalise_phone(spellings[style]) == expected


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
