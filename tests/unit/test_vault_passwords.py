"""argon2id at OWASP's parameters, upgraded when they rise; a mismatch is False, not an error."""

from __future__ import annotations

import pytest

from amanat.config import Settings
from amanat.vault.passwords import Passwords

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def owasp() -> Passwords:
    defaults = Settings(environment="test")
    return Passwords(
        defaults.argon2_memory_kib, defaults.argon2_time_cost, defaults.argon2_parallelism
    )


@pytest.fixture(scope="module")
def stored(owasp: Passwords) -> str:
    return owasp.hash(PASSWORD)


def test_the_default_parameters_are_owasps_argon2id(stored: str) -> None:
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored


def test_the_right_password_verifies_and_a_wrong_one_is_false(
    owasp: Passwords, stored: str
) -> None:
    assert owasp.verify(stored, PASSWORD)
    assert owasp.verify(stored, PASSWORD + " ") is False
    assert owasp.verify("not a hash", PASSWORD) is False
    assert owasp.verify("", PASSWORD) is False


def test_settings_refuse_parameters_below_owasp() -> None:
    with pytest.raises(ValueError):
        Settings(environment="test", argon2_memory_kib=8 * 1024)
    with pytest.raises(ValueError):
        Settings(environment="test", argon2_time_cost=1)


def test_a_hash_made_with_older_parameters_still_verifies_and_asks_for_a_rehash(
    owasp: Passwords, stored: str
) -> None:
    weaker = Passwords(memory_kib=8 * 1024, time_cost=1, parallelism=1).hash(PASSWORD)
    assert owasp.verify(weaker, PASSWORD)
    assert owasp.needs_rehash(weaker)
    assert not owasp.needs_rehash(stored)
    stronger = Passwords(memory_kib=19 * 1024, time_cost=3, parallelism=1)
    assert stronger.needs_rehash(stored)
    assert stronger.verify(stored, PASSWORD)
    assert owasp.needs_rehash("garbage")


def test_dummy_verify_is_always_false(owasp: Passwords) -> None:
    assert owasp.dummy_verify(PASSWORD) is False
    assert owasp.dummy_verify("amanat dummy password, never valid") is False
