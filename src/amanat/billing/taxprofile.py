"""A customer's tax profile for s.236: filer status, ITGO listing, exemption certificate.

Stored encrypted (``tax.profile``). Which advance tax rate applies is decided on the
bill date: an exemption (government, diplomatic mission, or a Commissioner's certificate
not yet expired) gives ``exempt``; else an ITGO listing under s.114B gives ``itgo``; else
an inactive filer is ``non_filer`` (the standard row unless the table has its own);
else ``standard``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from amanat.access.guard import Access
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing.models import TaxProfile
from amanat.billing.tax import Status
from amanat.core.actor import Actor
from amanat.core.errors import Invalid
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

T = "billing_tax_profiles"


class Exemption(BaseModel):
    kind: str = Field(pattern="^(government|diplomatic|certificate)$")
    certificate_number: str | None = Field(None, max_length=40)
    expires_on: date | None = None
    checked_on: date


class TaxProfileData(BaseModel):
    filer_status: str = Field("unknown", pattern="^(active|inactive|unknown)$")
    filer_checked_on: date | None = None
    itgo_listed: bool = False
    itgo_checked_on: date | None = None
    exemption: Exemption | None = None


def status_on(profile: TaxProfileData, day: date) -> Status:
    exemption = profile.exemption
    if exemption is not None:
        if exemption.kind in ("government", "diplomatic"):
            return "exempt"
        if exemption.expires_on is not None and day <= exemption.expires_on:
            return "exempt"
    if profile.itgo_listed:
        return "itgo"
    if profile.filer_status == "inactive":
        return "non_filer"
    return "standard"


def read_profile(
    uow: UnitOfWork,
    access: Access,
    customer_id: str,
    preloaded: Mapping[str, bytes] | None = None,
) -> TaxProfileData:
    """The stored profile (or the default: standard status) through an open access.

    ``preloaded``: the batch's profile ciphertexts by customer id (absent: no profile).
    """
    if preloaded is not None:
        ciphertext = preloaded.get(customer_id)
    else:
        row = uow.session.get(TaxProfile, customer_id)
        ciphertext = None if row is None else row.profile_ct
    if ciphertext is None:
        return TaxProfileData()
    raw = access.read(T, "profile_ct", customer_id, "tax.profile", ciphertext)
    return TaxProfileData.model_validate_json(raw or "{}")


def update_profile(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    customer_id: str,
    changes: dict[str, Any],
    reference: str | None = None,
) -> TaxProfileData:
    """Change a customer's tax profile (billing officer, purpose ``billing``).

    Every change names the date it was checked (against FBR's Active Taxpayers List, an
    ITGO, or the certificate). Records tax.profile_updated with the names of the fields
    changed, never their values. Raises AccessDenied, Invalid.
    """
    access = runtime.guard.open(
        uow, actor, customer_id, "billing", reads={"tax.profile"}, writes={"tax.profile"},
        reference=reference,
    )  # fmt: skip
    unknown = set(changes) - set(TaxProfileData.model_fields)
    if unknown:
        raise Invalid(
            "A tax profile has only these fields: " + ", ".join(TaxProfileData.model_fields) + ".",
            fields={"changes": "Only the tax profile's own fields."},
        )
    current = read_profile(uow, access, customer_id)
    try:
        updated = TaxProfileData.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]): str(e["msg"]) for e in exc.errors()}
        raise Invalid(
            "Some tax profile fields need fixing; see each field.", fields=fields
        ) from exc
    changed = sorted(k for k in changes if getattr(current, k) != getattr(updated, k))
    ciphertext = access.write(
        T, "profile_ct", customer_id, "tax.profile", updated.model_dump_json()
    )
    row = uow.session.get(TaxProfile, customer_id)
    if row is None:
        row = TaxProfile(
            customer_id=customer_id, updated_at=runtime.clock.now(), profile_ct=ciphertext
        )
        uow.session.add(row)
    else:
        row.profile_ct = ciphertext
        row.updated_at = runtime.clock.now()
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.TAX_PROFILE_UPDATED, actor, customer_id=customer_id,
        purpose="billing", categories={"tax.profile"}, reference=reference,
        details={"fields": changed},
    )  # fmt: skip
    return updated


def profile_json(profile: TaxProfileData) -> dict[str, Any]:
    return dict(json.loads(profile.model_dump_json()))
