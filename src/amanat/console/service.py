"""Staff reads of a customer's record, each for a named purpose, through the guard.

Callers: the staff customer API and the staff console. Every read is decided and
audited by the guard (access.granted, access.break_glass or access.denied); a read with
no purpose is refused with 400 and audited too.
"""

from __future__ import annotations

from dataclasses import dataclass

from amanat.console.schemas import CustomerRecordOut, CustomerSearchIn, PurposeOut, PurposesOut
from amanat.core.actor import Actor
from amanat.core.errors import Invalid, NotFound
from amanat.customers import service as customers
from amanat.customers.schemas import SealedCustomer
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.normalise import normalise_cnic, normalise_email, normalise_phone

# The record's fields, in the order the response lists them (customers.PERSONAL_FIELDS).
RECORD_FIELDS = ("name", "email", "username", "phone", "cnic", "address", "company", "ntn")
RECORD_CATEGORIES = frozenset(customers.PERSONAL_FIELDS[f][0] for f in RECORD_FIELDS)


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
    customer = customers.get_sealed(uow, customer_id)
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
    normaliser = {
        "email": normalise_email,
        "phone": normalise_phone,
        "cnic": normalise_cnic,
    }[field]
    try:
        normalised = normaliser(value)
    except ValueError as exc:
        raise Invalid(str(exc), fields={field: str(exc)}) from exc
    customer = customers.find_sealed(uow, runtime, field, normalised)
    if customer is None or customer.status == "erased":
        raise NotFound(f"No customer has that {_WHAT[field]}.")
    return _read(uow, runtime, actor, customer, request.purpose, request)


_WHAT = {"email": "e-mail address", "phone": "phone number", "cnic": "CNIC"}


def _read(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    customer: SealedCustomer,
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
    fields = customers.read_fields(access, customer, RECORD_FIELDS)
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
