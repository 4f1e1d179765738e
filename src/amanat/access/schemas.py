"""The customer's view of who accessed their data."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AccessEntryOut(BaseModel):
    at: datetime
    who: str = Field(description="A stable display name, never a person's name.")
    actor_kind: str
    role: str
    purpose: str | None
    purpose_title: str | None
    categories: list[str]
    reference: str | None
    break_glass: bool


class AccessLogOut(BaseModel):
    accesses: list[AccessEntryOut] = Field(description="By staff and Amanat's jobs, newest first.")
    your_own: list[AccessEntryOut] = Field(description="Your own reads, newest first.")
