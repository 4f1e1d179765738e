"""A setting declared but read by nothing is a promise the code does not keep."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from amanat.config import SECTIONS, Settings

SRC = Path(__file__).resolve().parents[2] / "src" / "amanat"
# Known and reported in issue 11: declared, shown by `amanat doctor --settings`, read by no
# code yet. Remove a name from here when something reads it.
# config.py declares them; doctor.py reports them (a report is not a use).
NOT_READERS = {"config.py", "doctor.py"}
KNOWN_UNREAD: set[str] = set()


def _readers(pattern: str) -> list[str]:
    found = re.compile(pattern)
    return [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name not in NOT_READERS and found.search(path.read_text())
    ]


def test_every_setting_is_read_by_some_code_outside_config() -> None:
    config = (SRC / "config.py").read_text()
    unread: set[str] = set()
    for name, field in Settings.model_fields.items():
        if name in SECTIONS:
            assert isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
            for sub in field.annotation.model_fields:
                used_in_config = re.search(rf"self\.{name}\.{sub}\b", config)
                if not used_in_config and not _readers(rf"\.{name}\.{sub}\b|\bconfig\.{sub}\b"):
                    unread.add(f"{name}.{sub}")
        # A property in config.py (resolved_public_url, cert_path) counts as a reader.
        elif not re.search(rf"self\.{name}\b", config) and not _readers(rf"\.{name}\b|\"{name}\""):
            unread.add(name)
    assert unread == KNOWN_UNREAD
