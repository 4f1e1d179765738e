"""What the support API takes and returns. Explicit fields; never an ORM object.

Length limits on messages are checked by the service (so that the portal, the API and
e-mail answer alike, naming the limit); the bounds here only stop absurd requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["connection", "billing", "account", "technical", "other"]
Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["new", "open", "waiting_on_customer", "resolved", "closed"]

# Hard ceilings for a request body; the service's limits (support.service) are lower.
_CEILING = 200_000


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=_CEILING, description="What the ticket is about.")
    category: Category = Field("other", description="Helps us route it.")
    message: str = Field(max_length=_CEILING, description="Your message; no card numbers.")


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(max_length=_CEILING)


class AgentUpdateIn(BaseModel):
    """Change one or more of status, priority and assignee (each change audited)."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    priority: Priority | None = None
    assignee_id: str | None = Field(None, max_length=32, description="Staff id; '' to unassign.")


class MessageOut(BaseModel):
    id: str
    author: Literal["customer", "agent", "sender", "system"]
    internal: bool
    created_at: datetime
    body: str
    cards_redacted: int
    attachments: list[AttachmentOut] = []


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int


class TicketSummary(BaseModel):
    number: str
    subject: str
    category: Category
    status: Status
    created_at: datetime
    updated_at: datetime


class TicketOut(TicketSummary):
    priority: Priority
    messages: list[MessageOut]
    notice: str | None = Field(
        None, description="Set when a card number was removed from what you sent."
    )


class QueueRow(BaseModel):
    """One ticket in the agent queue: no personal data (no subject, no sender)."""

    number: str
    category: Category
    priority: Priority
    status: Status
    channel: str
    linked: bool
    assignee_id: str | None
    created_at: datetime
    age_hours: float
    first_response_due_at: datetime
    first_response_at: datetime | None
    first_response_breached: bool
    resolution_due_at: datetime
    resolution_breached: bool


class CustomerCard(BaseModel):
    """What the support purpose may see of the customer, masked as the policy says."""

    linked: bool
    fields: dict[str, str]


class AgentTicketOut(BaseModel):
    ticket: QueueRow
    subject: str
    customer: CustomerCard
    messages: list[MessageOut]
    notice: str | None = None


MessageOut.model_rebuild()
