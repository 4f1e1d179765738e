"""Imports every domain's models so that the metadata is complete.

Add one line here when a domain gains a ``models.py``.
"""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "amanat.db.system",
    "amanat.audit.models",
    "amanat.customers.models",
    "amanat.accounts.models",
    "amanat.staff.models",
    "amanat.comms.models",
    "amanat.vault.models",
    "amanat.access.models",
    "amanat.billing.models",
    "amanat.support.models",
)


def load_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
