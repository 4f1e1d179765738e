"""Staff reads of a customer's record, each for a named purpose, through the guard.

Callers: the staff customer API and the staff console. Every read is decided and
audited by the guard (access.granted, access.break_glass or access.denied); a read with
no purpose is refused with 400 and audited too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from amanat.console.schemas import CustomerRecordOut, CustomerSearchIn, PurposeOut, PurposesOut
from amanat.core.actor import Actor
from amanat.core.errors import Invalid, NotFound
from amanat.customers.masking import mask_cnic, mask_phone
from amanat.customers.models import Customer
from amanat.customers.service import get_customer
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.normalise import normalise_cnic, normalise_email, normalise_phone

TABLE = "customers"
# (response field, encrypted column, category). account.username is the e-mail address.
RECORD_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "name_ct", "identity.name"),
    ("email", "email_ct", "contact.email"),
    ("username", "email_ct", "account.username"),
    ("phone", "phone_ct", "contact.phone"),
    ("cnic", "cnic_ct", "identity.cnic"),
    ("address", "address_ct", "contact.address"),
    ("company", "company_ct", "identity.company"),
    ("ntn", "ntn_ct", "identity.ntn"),
)
RECORD_CATEGORIES = frozenset(category for _, _, category in RECORD_FIELDS)
_MASKS = {"identity.cnic": mask_cnic, "contact.phone": mask_phone}


@dataclass(frozen=True)
class AccessRequest:
    """What the caller named: purpose, and where the policy asks, a reference or a reason."""

    purpose: str | None
    reference: str | None = None
    reason: str | None = None
    categories: frozenset[str] | None = None  # None: every record category the purpose reads


def purposes_for(uow: UnitOfWork, runtime: Runtime, actor: Actor) -> PurposesOut:
    """The caller's purposes and exactly what each allows (console, API). Reads no data."""
    policy = runtime.policy
    purposes = [
        PurposeOut(
            id=p.id,
            title=p.title,
            reads=list(p.reads),
            masked=list(p.masked),
            reference=p.reference,
            break_glass=p.break_glass,
        )
        for p in (policy.purpose(pid) for pid in runtime.guard.purposes_of(actor))
    ]
    training = runtime.guard.training_status(uow.session, actor).describe()
    return PurposesOut(role=actor.role, training=training, purposes=purposes)


def read_customer(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, customer_id: str, request: AccessRequest
) -> CustomerRecordOut:
    """One customer's record as ``request.purpose`` may see it, masked where it says.

    Callers: staff (API and console). Records access.granted / access.break_glass, or
    access.denied. Raises BadRequest (no purpose, listing the caller's), AccessDenied
    (403 naming role and purpose), NotFound, Invalid (unknown categories).
    """
    if not request.purpose:
        raise runtime.guard.refuse_unnamed_purpose(uow, actor, customer_id)
    customer = get_customer(uow, customer_id)
    return _read(uow, runtime, actor, customer, request.purpose, request)


def find_customer(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    search: CustomerSearchIn,
    request: AccessRequest,
) -> CustomerRecordOut:
    """Find a customer by exact e-mail, phone or CNIC (blind index) and read them.

    Callers: staff (API and console). The purpose is checked before the lookup, so a
    role without it learns nothing, not even whether the customer exists. Records and
    raises as ``read_customer``; NotFound when nobody matches.
    """
    if not request.purpose:
        raise runtime.guard.refuse_unnamed_purpose(uow, actor, None)
    runtime.guard.check_role(uow, actor, request.purpose)
    given = {k: v for k, v in search.model_dump().items() if v}
    if len(given) != 1:
        raise Invalid(
            "Search by exactly one of e-mail, phone or CNIC.",
            fields={"search": "give exactly one of email, phone, cnic"},
        )
    ((field, value),) = given.items()
    normaliser, category, column = {
        "email": (normalise_email, "contact.email", Customer.email_bidx),
        "phone": (normalise_phone, "contact.phone", Customer.phone_bidx),
        "cnic": (normalise_cnic, "identity.cnic", Customer.cnic_bidx),
    }[field]
    try:
        normalised = normaliser(value)
    except ValueError as exc:
        raise Invalid(str(exc), fields={field: str(exc)}) from exc
    index = runtime.guard.blind_index(category, normalised)
    customer = uow.session.scalar(select(Customer).where(column == index))
    if customer is None or customer.status == "erased":
        raise NotFound(f"No customer has that {_WHAT[field]}.")
    return _read(uow, runtime, actor, customer, request.purpose, request)


_WHAT = {"email": "e-mail address", "phone": "phone number", "cnic": "CNIC"}


def _read(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    customer: Customer,
    purpose: str,
    request: AccessRequest,
) -> CustomerRecordOut:
    policy = runtime.policy
    if request.categories is not None:
        unknown = request.categories - policy.category_ids
        if unknown:
            raise Invalid(
                "Some categories asked for are not in the policy; /api/v1/policy lists them.",
                fields={"categories": f"{len(unknown)} unknown"},
            )
        reads = request.categories
    elif purpose in policy.purpose_ids:
        reads = frozenset(policy.purpose(purpose).reads) & RECORD_CATEGORIES
    else:
        reads = frozenset()  # the guard refuses the unknown purpose and records it
    access = runtime.guard.open(
        uow, actor, customer.id, purpose, reads=reads,
        reference=request.reference, reason=request.reason,
    )  # fmt: skip
    fields: dict[str, str | dict[str, str] | None] = {}
    for name, column, category in RECORD_FIELDS:
        if category not in access.readable:
            continue
        value = access.read(TABLE, column, customer.id, category, getattr(customer, column))
        if value is not None and access.is_masked(category) and category in _MASKS:
            value = _MASKS[category](value)
        if category == "contact.address" and value is not None:
            fields[name] = {k: str(v) for k, v in json.loads(value).items() if v is not None}
        else:
            fields[name] = value
    return CustomerRecordOut(
        id=customer.id,
        kind=customer.kind,
        status=customer.status,
        purpose=purpose,
        reference=request.reference,
        categories=sorted(access.readable),
        masked=sorted(access.masked),
        fields=fields,
    )
