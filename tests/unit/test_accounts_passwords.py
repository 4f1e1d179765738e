"""The password rule (NIST SP 800-63B): length, no composition rules, strength, personal data."""

from __future__ import annotations

import pytest

from amanat.accounts.passwords import password_problem


@pytest.mark.parametrize(
    "password",
    [
        "violet harbour lantern 42",
        "correct horse battery staple",
        "ñandú 草原 très-long passphrase",  # any characters
        "x" * 3 + "Qm9!vR2#pL7@" + "zT5$" * 10,  # long: up to 128 accepted
    ],
)
def test_strong_passwords_of_any_characters_are_accepted(password: str) -> None:
    assert password_problem(password, email="canary@example.pk", name="Canary Testname") is None


def test_too_short_is_refused_with_the_minimum() -> None:
    assert "at least 12" in (password_problem("Zq9!x") or "")


def test_a_strong_eleven_character_password_is_still_too_short() -> None:
    # ASVS 4.0.3 2.1.1: at least 12 characters, however strong the shorter one looks.
    assert "at least 12" in (password_problem("Qm9!vR2#pL7") or "")
    assert password_problem("Qm9!vR2#pL7@") is None


def test_over_128_is_refused_with_the_maximum() -> None:
    assert "at most 128" in (password_problem("long words here " * 9) or "")


def test_common_passwords_are_refused_as_common() -> None:
    # The blocklist still applies at 12 characters and more.
    assert "commonly used" in (password_problem("password1234") or "")
    assert "commonly used" in (password_problem("qwerty123456") or "")


def test_weak_passwords_score_below_3_and_say_why() -> None:
    problem = password_problem("aaaaaaaaaaaa") or ""
    assert "easy to guess" in problem


def test_passwords_containing_email_or_name_are_refused() -> None:
    assert "e-mail address or name" in (
        password_problem("canary.tester-2024-horse", email="canary.tester@example.pk") or ""
    )
    assert "e-mail address or name" in (
        password_problem("Testname horse battery 9", name="Canary Testname") or ""
    )


def test_no_composition_rules() -> None:
    # All lower-case letters and spaces, no digit or symbol: fine when strong.
    assert password_problem("purple otters juggle quietly") is None


def test_the_reason_never_repeats_the_password() -> None:
    for candidate in ("password1234", "aaaaaaaaaaaa", "Zq9!x"):
        assert candidate not in (password_problem(candidate) or "")
