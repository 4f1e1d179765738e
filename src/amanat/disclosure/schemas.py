"""The disclosure register's API shapes; never the ORM rows themselves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

DATE_TEXT = Field(max_length=10, description="YYYY-MM-DD.")
Line = Annotated[str, Field(max_length=320)]
CategoryId = Annotated[str, Field(max_length=64)]


class RequestIn(BaseModel):
    """A request as an authority sent it. Dates are YYYY-MM-DD."""

    model_config = ConfigDict(extra="forbid")

    authority: str = Field(
        max_length=32, description="The kind of authority (policy sharing.authorities)."
    )
    instrument: str = Field(max_length=300, description="The law and provision relied on.")
    legal_reference: str = Field(max_length=300, description="The order's or letter's reference.")
    received_on: str = DATE_TEXT
    deadline: str = DATE_TEXT
    period_from: str = DATE_TEXT
    period_to: str = DATE_TEXT
    categories: list[CategoryId] = Field(max_length=50, description="What is asked for.")
    customers: list[Line] = Field(
        max_length=1000,
        description="Customer ids, or the e-mail addresses, phone numbers or CNICs given.",
    )
    nondisclosure_until: str | None = Field(
        None, max_length=10,
        description="The day a non-disclosure order ends: customers are told from then on.",
    )  # fmt: skip
    notes: str = Field("", max_length=5000)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=500, description="Why (10 to 500 characters).")


class DecisionOut(BaseModel):
    who: str = Field(description="Role title and staff number.")
    decision: str
    at: datetime
    reason: str | None = None


class RequestOut(BaseModel):
    number: str
    authority: str
    authority_title: str
    status: str = Field(description="registered, approved, rejected, disclosed or expired.")
    statutory: bool
    received_on: date
    deadline: date
    period_from: date
    period_to: date
    categories: list[str]
    customers: int
    unmatched: int = Field(description="Identifiers given that match no customer.")
    nondisclosure_until: date | None
    approvals: int
    approvals_needed: int
    registered_by: str
    registered_at: datetime
    disclosed_at: datetime | None
    manifest_sha256: str | None


class RequestDetailOut(RequestOut):
    instrument: str
    legal_reference: str
    subjects: str = Field(description="The identifiers as the authority gave them.")
    notes: str
    scope: list[str] = Field(description="The customer ids the request covers.")
    decisions: list[DecisionOut]


class CellOut(BaseModel):
    authority: str
    authority_title: str
    outcome: str
    count: int | None = Field(description="None when fewer than k.")
    shown: str = Field(description='The count, or "fewer than k".')

    @classmethod
    def of(cls, authority: str, title: str, outcome: str, count: int, k: int) -> CellOut:
        hidden = count < k
        return cls(
            authority=authority, authority_title=title, outcome=outcome,
            count=None if hidden else count, shown=f"fewer than {k}" if hidden else str(count),
        )  # fmt: skip


class HalfYearOut(BaseModel):
    half_year: str = Field(description="YYYY-H1 (January to June) or YYYY-H2.")
    cells: list[CellOut]


class TransparencyOut(BaseModel):
    k: int = Field(description="Cells under k are shown as 'fewer than k'.")
    outcomes: dict[str, str]
    half_years: list[HalfYearOut]
