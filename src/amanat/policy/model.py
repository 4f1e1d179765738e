"""The loaded policy's shape. Validated by amanat.policy.loader; read by everyone else."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Sensitivity = Literal["low", "medium", "high"]
LegalBasis = Literal["contract", "consent", "legal_obligation", "legitimate_interest"]
EndAction = Literal["delete", "truncate", "anonymise"]

_DURATION = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$")


class Duration(BaseModel):
    """An ISO 8601 calendar duration of years, months, weeks and days (P6Y, P18M, P30D)."""

    model_config = ConfigDict(frozen=True)

    years: int = 0
    months: int = 0
    days: int = 0
    text: str

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _DURATION.match(text)
        if not match or text == "P":
            raise ValueError(
                f"'{text}' is not an ISO 8601 duration; write it like P30D, P18M, P1Y or P6Y"
            )
        weeks = int(match["w"] or 0)
        return cls(
            years=int(match["y"] or 0),
            months=int(match["m"] or 0),
            days=int(match["d"] or 0) + 7 * weeks,
            text=text,
        )

    def after(self, start: datetime) -> datetime:
        """The moment this duration after ``start`` ends, month-end safe (31 Jan + P1M = 28/29 Feb)."""
        month_index = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, _days_in_month(year, month))
        return start.replace(year=year, month=month, day=day) + timedelta(days=self.days)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provider(Strict):
    name: str
    service: str
    country: str
    contact: str
    notice_source: str | None = None


class Group(Strict):
    id: str
    title: str
    clause: str
    summary: str


class CollectionPoint(Strict):
    id: str
    clause: str
    title: str
    summary: str


class RetentionEvent(Strict):
    id: str
    title: str


class Retention(Strict):
    keep: str
    after: str
    then: EndAction
    legal_hold: bool = False
    legal_basis: str | None = None

    @property
    def duration(self) -> Duration:
        return Duration.parse(self.keep)


class Category(Strict):
    id: str
    group: str
    title: str
    sensitivity: Sensitivity
    encrypted: bool
    searchable: bool
    collected_at: list[str]
    retention: Retention


class Purpose(Strict):
    id: str
    title: str
    legal_basis: LegalBasis
    clause: str | None = None
    parent: str | None = None
    reads: list[str] = Field(default_factory=list)
    writes: list[str] = Field(default_factory=list)
    masked: list[str] = Field(default_factory=list)
    reference: Literal["ticket", "invoice", "order", "disclosure"] | None = None
    requires_consent: bool = False
    aggregates_only: bool = False
    break_glass: bool = False


class Training(Strict):
    required: bool
    valid_for: str = "P1Y"

    @property
    def validity(self) -> Duration:
        return Duration.parse(self.valid_for)


class Role(Strict):
    id: str
    title: str
    staff: bool
    purposes: list[str]
    training: Training | None = None


class SharingRule(Strict):
    purpose: str
    recipients: list[str]
    requires: str
    # Who approves a disclosure request, and how many different people must (issue 14).
    approvals: int = Field(2, ge=2)
    approvers: list[str] = Field(default_factory=list)


class Authority(Strict):
    """A kind of requesting authority the disclosure register and its report name."""

    id: str
    title: str


class Statutory(Strict):
    """A disclosure the law makes periodic (the s.165 statement to FBR): registered and
    approved like any request, each time it is produced."""

    id: str
    authority: str
    instrument: str
    reads: list[str]
    due: str  # after the end of the period it covers (ISO 8601 duration)
    summary: str

    @property
    def due_after(self) -> Duration:
        return Duration.parse(self.due)


class Sharing(Strict):
    sale: Literal[False]
    summary: str
    allowed: list[SharingRule]
    authorities: list[Authority] = Field(default_factory=list)
    statutory: list[Statutory] = Field(default_factory=list)

    def rule(self, purpose_id: str) -> SharingRule | None:
        return next((r for r in self.allowed if r.purpose == purpose_id), None)


class Aggregates(Strict):
    """Published counts and aggregates never show a cell of fewer than ``k`` people."""

    k: int = Field(10, ge=2)


class Protection(Strict):
    clause: str
    title: str
    summary: str


class Policy(Strict):
    version: Literal[1]
    provider: Provider
    groups: list[Group]
    collection_points: list[CollectionPoint]
    retention_events: list[RetentionEvent]
    categories: list[Category]
    purposes: list[Purpose]
    roles: list[Role]
    sharing: Sharing
    protection: list[Protection]
    aggregates: Aggregates = Field(default_factory=Aggregates)

    def category(self, category_id: str) -> Category:
        return _by_id(self.categories, category_id)

    def purpose(self, purpose_id: str) -> Purpose:
        return _by_id(self.purposes, purpose_id)

    def role(self, role_id: str) -> Role:
        return _by_id(self.roles, role_id)

    @property
    def category_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.categories)

    @property
    def purpose_ids(self) -> frozenset[str]:
        return frozenset(p.id for p in self.purposes)

    @property
    def role_ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.roles)

    @property
    def staff_roles(self) -> list[Role]:
        return [r for r in self.roles if r.staff]

    def may_read(self, role_id: str, purpose_id: str, category_id: str) -> bool:
        """The policy's answer, before any live check (training, reference, consent)."""
        role, purpose = self.role(role_id), self.purpose(purpose_id)
        return purpose_id in role.purposes and category_id in purpose.reads

    def may_write(self, role_id: str, purpose_id: str, category_id: str) -> bool:
        role, purpose = self.role(role_id), self.purpose(purpose_id)
        return purpose_id in role.purposes and category_id in purpose.writes


_Item = TypeVar("_Item", Category, Purpose, Role)


def _by_id(items: list[_Item], item_id: str) -> _Item:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(item_id)
