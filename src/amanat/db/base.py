"""The declarative base. Every column names the data category it holds.

Label a column with ``info=personal("contact.email")`` when it holds personal data of
that policy category, or ``info=NOT_PERSONAL`` when it holds none (ids, timestamps,
states). An architecture test fails on any column without a label or naming a category
the policy does not declare.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

from amanat.core.clock import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def personal(category: str) -> dict[str, Any]:
    """Column info for a column holding personal data of a policy category."""
    return {"category": category}


NOT_PERSONAL: dict[str, Any] = {"category": None}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; Amanat stores UTC-aware datetimes only")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def new_id() -> str:
    """Opaque identifiers: random, so that ids reveal neither count nor order."""
    return uuid.uuid4().hex


ID = String(32)
