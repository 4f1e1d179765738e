"""What the staff customer API takes and returns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CustomerSearchIn(BaseModel):
    """Exactly one identifier; sent in the body so it never appears in a URL or a log."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    cnic: str | None = Field(None, max_length=32)


class CustomerRecordOut(BaseModel):
    """One customer as one purpose may see them: only the categories it reads."""

    id: str
    kind: str
    status: str
    purpose: str
    reference: str | None
    categories: list[str] = Field(description="The categories this read was granted.")
    masked: list[str] = Field(description="Granted categories shown masked.")
    fields: dict[str, str | dict[str, str] | None] = Field(
        description="Only the granted fields: name, email, username, phone, cnic, address, "
        "company, ntn."
    )


class PurposeOut(BaseModel):
    id: str
    title: str
    reads: list[str]
    masked: list[str]
    reference: str | None = Field(description="The kind of case this purpose needs, if any.")
    break_glass: bool


class PurposesOut(BaseModel):
    role: str
    training: str
    purposes: list[PurposeOut]
