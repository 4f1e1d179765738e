"""`amanat doctor --settings` and start-up validation, through the real CLI.

Every AMANAT_ variable the code names is declared in the one Settings and listed with its
value, default and meaning; secrets show only as set or not set; a bad value stops any
command with one sentence naming the variable (exit 2), never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import amanat_env, run_amanat

SRC = Path(__file__).resolve().parents[2] / "src" / "amanat"
# Synthetic secrets: none may appear in the listing.
MASTER_KEY = "c3ludGhldGljLW1hc3Rlci1rZXktZm9yLXRlc3RzLW9ubHk="
PSP_API_KEY = "sk_test_synthetic_listing"
PSP_WEBHOOK_SECRET = "whsec_synthetic_listing"
DB_PASSWORD = "synthetic-db-password"


def _variables_named_in_code() -> set[str]:
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        names.update(re.findall(r"\bAMANAT_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
    return names


def _listing(tmp_path: Path, **extra: str) -> dict[str, list[str]]:
    done = run_amanat("doctor", "--settings", env=amanat_env(tmp_path / "data", **extra))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    listing: dict[str, list[str]] = {}
    for first, second in zip(lines[::2], lines[1::2], strict=True):
        name, _, rest = first.partition(" ")
        listing[name] = [rest.strip(), second.strip()]
    return listing


def test_every_variable_the_code_names_is_listed_with_value_default_and_meaning(
    tmp_path: Path,
) -> None:
    listing = _listing(
        tmp_path, AMANAT_BILLING_DUE_DAYS="21", AMANAT_SUPPORT_ADDRESS="help@example.pk"
    )
    missing = _variables_named_in_code() - set(listing)
    assert not missing, f"named in src/ but not declared in Settings: {sorted(missing)}"
    assert listing["AMANAT_BILLING_DUE_DAYS"][0] == "21  (default 14)"
    assert listing["AMANAT_SUPPORT_ADDRESS"][0] == "help@example.pk  (default support@example.pk)"
    assert listing["AMANAT_ENVIRONMENT"][0] == "test  (default production)"
    for name, (_, description) in listing.items():
        assert description, f"{name} has no description"


def test_secrets_show_only_as_set_or_not_set(tmp_path: Path) -> None:
    url = f"postgresql://amanat:{DB_PASSWORD}@db.example.pk:5432/amanat"
    listing = _listing(
        tmp_path,
        AMANAT_MASTER_KEY=MASTER_KEY,
        AMANAT_PSP_API_KEY=PSP_API_KEY,
        AMANAT_DATABASE_URL=url,
        AMANAT_REDIS_URL=f"redis://:{DB_PASSWORD}@127.0.0.1:6379/0",
    )
    shown = repr(listing)
    for secret in (MASTER_KEY, PSP_API_KEY, DB_PASSWORD):
        assert secret not in shown
    assert listing["AMANAT_MASTER_KEY"][0] == "set  (default not set)"
    assert listing["AMANAT_PSP_API_KEY"][0] == "set  (default not set)"
    assert listing["AMANAT_PSP_WEBHOOK_SECRET"][0] == "not set  (default not set)"
    assert listing["AMANAT_DATABASE_URL"][0].startswith(
        "postgresql://amanat:(password set)@db.example.pk:5432/amanat"
    )


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("AMANAT_BILLING_GRACE_DAYS", "0", ("billing", "overdue")),
        ("AMANAT_BILLING_REMINDER_DAYS", "soon", ("doctor",)),
        ("AMANAT_WEBHOOK_TOLERANCE_SECONDS", "five", ("keys", "status")),
        ("AMANAT_SUPPORT_RESOLUTION_MINUTES", "[1]", ("outbox", "list")),
        ("AMANAT_KEY_CACHE_SECONDS", "-1", ("doctor", "--settings")),
    ],
)
def test_a_bad_value_stops_any_command_with_one_sentence_and_exit_2(
    tmp_path: Path, variable: str, value: str, command: tuple[str, ...]
) -> None:
    done = run_amanat(*command, env=amanat_env(tmp_path / "data", **{variable: value}))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    message = done.stderr.strip()
    assert message.startswith(f"Setting {variable} is invalid:") and "\n" not in message
    assert not (tmp_path / "data").exists(), "a refused start creates nothing"
