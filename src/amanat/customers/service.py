"""The customer record's verbs. Every personal field goes through the guard.

Callers pass the runtime (guard, vault, clock) and a unit of work they commit.

This domain alone knows how a personal field is stored. Other domains read a customer
through ``get_sealed`` / ``load_sealed`` (a ``SealedCustomer``: state in the clear,
fields sealed) and ``read_fields`` / ``read_party`` with an access the guard opened,
naming fields from ``PERSONAL_FIELDS``.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import or_, select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, NotFound
from amanat.customers.masking import mask_cnic, mask_phone, masked
from amanat.customers.models import PROVINCES, Customer
from amanat.customers.schemas import Address, ProfileOut, ProfileUpdateIn, ValidDetails
from amanat.customers.sealed import (
    PERSONAL_FIELDS,
    find_sealed,
    get_sealed,
    load_sealed,
    read_address,
    read_fields,
    read_party,
    read_text,
    subject_profile,
)
from amanat.customers.validation import (
    FIX_FIELDS,
    check_address,
    check_name,
    check_ntn,
    normalised,
    raise_if_any,
    validate_details,
)
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.normalise import normalise_phone

# The public API; validation and masking are re-exported so that other domains (the
# sign-up form, billing's documents) never import this domain's internals.
__all__ = [
    "CREATION_CATEGORIES", "FIX_FIELDS", "PERSONAL_FIELDS", "PHONE_HELD", "PROFILE_READS",
    "PROFILE_WRITES", "PROVINCES", "check_collection_point", "create_customer",
    "email_index", "erase_customer", "find_by_email", "find_sealed", "get_customer",
    "get_sealed", "holders", "load_sealed", "masked", "normalised", "raise_if_any",
    "read_address", "read_email", "read_fields", "read_name_and_email", "read_party",
    "read_profile", "read_text", "reapply_erasure", "set_email", "set_phone", "subject_profile",
    "update_profile", "validate_details",
]  # fmt: skip

T = "customers"
CREATION_CATEGORIES = frozenset(
    {"identity.name", "contact.email", "contact.phone", "identity.cnic", "contact.address",
     "identity.company", "identity.ntn"}
)  # fmt: skip
PROFILE_READS = frozenset(
    {"identity.name", "contact.email", "contact.phone", "identity.cnic", "contact.address",
     "identity.company", "identity.ntn"}
)  # fmt: skip
PROFILE_WRITES = frozenset(
    {"identity.name", "contact.phone", "contact.address", "identity.company", "identity.ntn"}
)


def check_collection_point(runtime: Runtime, point: str, categories: frozenset[str]) -> None:
    """Refuse (as a bug) to store a category outside the collection points the policy declares."""
    for category in categories:
        if point not in runtime.policy.category(category).collected_at:
            raise ValueError(f"{category} is not collected at {point} in the policy")


def email_index(runtime: Runtime, normalised_email: str) -> bytes:
    return runtime.guard.blind_index("contact.email", normalised_email)


def find_by_email(uow: UnitOfWork, runtime: Runtime, normalised_email: str) -> Customer | None:
    """The customer whose e-mail this is (any status but erased), by blind index."""
    return uow.session.scalar(
        select(Customer).where(Customer.email_bidx == email_index(runtime, normalised_email))
    )


def get_customer(uow: UnitOfWork, customer_id: str) -> Customer:
    customer = uow.session.get(Customer, customer_id)
    if customer is None or customer.status == "erased":
        raise NotFound("There is no such customer.")
    return customer


def holders(uow: UnitOfWork, runtime: Runtime, details: ValidDetails) -> dict[str, set[str]]:
    """Which accounts already hold the e-mail, phone or CNIC: customer id -> the
    categories it holds. For the sign-up service, which tells each holder and never the
    caller."""
    guard = runtime.guard
    indexes = {
        "contact.email": (Customer.email_bidx, guard.blind_index("contact.email", details.email)),
        "contact.phone": (Customer.phone_bidx, guard.blind_index("contact.phone", details.phone)),
        "identity.cnic": (Customer.cnic_bidx, guard.blind_index("identity.cnic", details.cnic)),
    }
    rows = uow.session.execute(
        select(Customer.id, Customer.email_bidx, Customer.phone_bidx, Customer.cnic_bidx).where(
            or_(*(column == value for column, value in indexes.values()))
        )
    ).all()
    found: dict[str, set[str]] = {}
    for row in rows:
        held = dict(zip(indexes, (row.email_bidx, row.phone_bidx, row.cnic_bidx), strict=True))
        found[row.id] = {
            category for category, (_, value) in indexes.items() if held[category] == value
        }
    return found


def create_customer(
    uow: UnitOfWork, runtime: Runtime, details: ValidDetails, now: datetime
) -> Customer:
    """Store a new customer collected at ``account_creation`` (caller checked duplicates).

    Callers: the sign-up service only (as ``Actor.system("signup")`` for
    ``account_management``). Records customer.created. A concurrent duplicate surfaces
    as an IntegrityError on flush, which the caller turns into the sign-up refusal.
    """
    check_collection_point(runtime, "account_creation", CREATION_CATEGORIES)
    actor = Actor.system("signup")
    customer = Customer(kind=details.kind, status="active", created_at=now)
    customer.id = new_id()
    cid = customer.id
    access = runtime.guard.open(uow, actor, cid, "account_management", writes=CREATION_CATEGORIES)
    guard = runtime.guard
    customer.name_ct = access.write(T, "name_ct", cid, "identity.name", details.name)
    customer.email_ct = access.write(T, "email_ct", cid, "contact.email", details.email)
    customer.email_bidx = guard.blind_index("contact.email", details.email)
    customer.phone_ct = access.write(T, "phone_ct", cid, "contact.phone", details.phone)
    customer.phone_bidx = guard.blind_index("contact.phone", details.phone)
    customer.cnic_ct = access.write(T, "cnic_ct", cid, "identity.cnic", details.cnic)
    customer.cnic_bidx = guard.blind_index("identity.cnic", details.cnic)
    customer.address_ct = access.write(
        T, "address_ct", cid, "contact.address", details.address.model_dump_json()
    )
    if details.company is not None:
        customer.company_ct = access.write(
            T, "company_ct", cid, "identity.company", details.company
        )
    if details.ntn is not None:
        customer.ntn_ct = access.write(T, "ntn_ct", cid, "identity.ntn", details.ntn)
    uow.session.add(customer)
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.CUSTOMER_CREATED, actor, customer_id=cid,
        purpose="account_management", categories=CREATION_CATEGORIES,
        details={"kind": details.kind},
    )  # fmt: skip
    return customer


def read_email(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, customer_id: str, purpose: str
) -> str:
    """The customer's e-mail address for ``purpose`` (audited by the guard)."""
    customer = get_customer(uow, customer_id)
    access = runtime.guard.open(uow, actor, customer_id, purpose, reads={"contact.email"})
    value = access.read(T, "email_ct", customer_id, "contact.email", customer.email_ct)
    if value is None:
        raise NotFound("There is no such customer.")
    return value


def read_name_and_email(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, customer_id: str, purpose: str
) -> tuple[str, str]:
    customer = get_customer(uow, customer_id)
    access = runtime.guard.open(
        uow, actor, customer_id, purpose, reads={"contact.email", "identity.name"}
    )
    name = access.read(T, "name_ct", customer_id, "identity.name", customer.name_ct) or ""
    email = access.read(T, "email_ct", customer_id, "contact.email", customer.email_ct) or ""
    return name, email


def read_profile(uow: UnitOfWork, runtime: Runtime, actor: Actor, customer_id: str) -> ProfileOut:
    """A customer's own profile (purpose ``self``), CNIC and phone masked.

    Callers: the customer themselves. Records access.granted through the guard.
    Raises AccessDenied for anyone else, NotFound for an erased customer.
    """
    customer = get_customer(uow, customer_id)
    access = runtime.guard.open(uow, actor, customer_id, "self", reads=PROFILE_READS)

    def read(column: str, category: str) -> str | None:
        return access.read(T, column, customer_id, category, getattr(customer, column))

    address = Address.model_validate(json.loads(read("address_ct", "contact.address") or "{}"))
    return ProfileOut(
        id=customer.id,
        kind=customer.kind,
        status=customer.status,
        email_verified=customer.is_verified,
        name=read("name_ct", "identity.name") or "",
        email=read("email_ct", "contact.email") or "",
        phone=mask_phone(read("phone_ct", "contact.phone") or ""),
        cnic=mask_cnic(read("cnic_ct", "identity.cnic") or ""),
        address=address,
        company=read("company_ct", "identity.company"),
        ntn=read("ntn_ct", "identity.ntn"),
    )


def update_profile(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, customer_id: str, update: ProfileUpdateIn
) -> ProfileOut:
    """Change name, phone, address, company or NTN (purpose ``self``).

    Callers: the customer. Records customer.updated naming the categories changed (not
    the values). Raises Invalid with per-field messages; nothing changes when any fails.
    A new phone is only checked here: it is set by ``set_phone`` once the customer
    confirms a code sent to it (accounts.phone), so this answer reveals no other account.
    """
    customer = get_customer(uow, customer_id)
    errors: dict[str, str] = {}
    changes: dict[str, tuple[str, str, str]] = {}  # column -> (category, value, bidx?)
    if update.name is not None:
        changes["name_ct"] = ("identity.name", check_name(update.name, "name", errors), "")
    if update.phone is not None:
        normalised("phone", update.phone, normalise_phone, errors)
    if update.address is not None:
        address = check_address(update.address, errors)
        changes["address_ct"] = ("contact.address", address.model_dump_json(), "")
    if customer.kind == "business":
        if update.company is not None:
            company = check_name(update.company, "company", errors, "the company's registered name")
            changes["company_ct"] = ("identity.company", company, "")
        if update.ntn is not None:
            changes["ntn_ct"] = ("identity.ntn", check_ntn(update.ntn, errors), "")
    raise_if_any(errors)
    categories = frozenset(category for category, _, _ in changes.values())
    if categories:
        access = runtime.guard.open(uow, actor, customer_id, "self", writes=categories)
        for column, (category, value, _) in changes.items():
            setattr(customer, column, access.write(T, column, customer_id, category, value))
        uow.session.flush()
        audit.record(
            uow, runtime.clock, Event.CUSTOMER_UPDATED, actor, customer_id=customer_id,
            purpose="self", categories=categories,
        )  # fmt: skip
    return read_profile(uow, runtime, actor, customer_id)


PHONE_HELD = (
    "This number is on another account, so it cannot be added to this one; if both "
    "accounts are yours, contact support."
)


def set_phone(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, customer_id: str, phone: str
) -> None:
    """Replace the phone (E.164) with a number whose holder confirmed a code sent to it.

    Callers: accounts.phone only. Records customer.updated (contact.phone). Raises
    Conflict (PHONE_HELD, naming no account) when another account holds the number.
    """
    customer = get_customer(uow, customer_id)
    bidx = runtime.guard.blind_index("contact.phone", phone)
    holder = uow.session.scalar(select(Customer.id).where(Customer.phone_bidx == bidx))
    if holder is not None and holder != customer_id:
        raise Conflict(PHONE_HELD)
    access = runtime.guard.open(uow, actor, customer_id, "self", writes={"contact.phone"})
    customer.phone_ct = access.write(T, "phone_ct", customer_id, "contact.phone", phone)
    customer.phone_bidx = bidx
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.CUSTOMER_UPDATED, actor, customer_id=customer_id,
        purpose="self", categories={"contact.phone"},
    )  # fmt: skip


def set_email(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, customer: Customer, email: str, now: datetime
) -> None:
    """Replace the e-mail (and so the sign-in name) with an already verified address.

    Callers: the accounts service when an e-mail-change link is used. Records
    customer.email_changed. Raises Conflict-free: the caller checked the address is free.
    """
    access = runtime.guard.open(uow, actor, customer.id, "self", writes={"contact.email"})
    customer.email_ct = access.write(T, "email_ct", customer.id, "contact.email", email)
    customer.email_bidx = runtime.guard.blind_index("contact.email", email)
    customer.email_verified_at = now
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.CUSTOMER_EMAIL_CHANGED, actor, customer_id=customer.id,
        purpose="self", categories={"contact.email"},
    )  # fmt: skip


ERASED_COLUMNS = ("name_ct", "email_ct", "email_bidx", "phone_ct", "phone_bidx", "cnic_ct",
                  "cnic_bidx", "address_ct", "company_ct", "ntn_ct")  # fmt: skip


def _clear(customer: Customer, erased_at: datetime) -> None:
    """What erasure clears in this domain's table: personal fields and blind indexes.
    Credentials, sessions and tokens are cleared by the erasure hooks of the domains
    that hold them (``runtime.hooks.erasure_hooks``)."""
    for column in ERASED_COLUMNS:
        setattr(customer, column, None)
    customer.status = "erased"
    customer.erased_at = customer.erased_at or erased_at
    customer.closed_at = customer.closed_at or erased_at


def reapply_erasure(uow: UnitOfWork, customer_id: str, erased_at: datetime) -> None:
    """Erasure hook (declared in ``customers.domain``): clear again what
    ``erase_customer`` cleared in the customers table — fields and indexes — and mark
    the customer erased. Idempotent; a key owner with no customer row (a staff member,
    an expired legal hold) is left alone here.

    Callers: ``replay_erasures`` after an older database was restored (which records
    vault.erasures_replayed for the whole replay) and ``erase_customer`` (through the
    runtime's hooks). Records nothing itself.
    """
    customer = uow.session.get(Customer, customer_id)
    if customer is not None:
        _clear(customer, erased_at)
        uow.session.flush()


def erase_customer(uow: UnitOfWork, runtime: Runtime, actor: Actor, customer_id: str) -> None:
    """Erase a customer: clear every personal field and index, run every domain's
    erasure hook (credentials, sessions, tokens), then destroy their data key
    (crypto-shredding) once the change is committed.

    Callers: the privacy-rights flow (the customer) or a data protection officer.
    Records customer.erased. Raises NotFound if already erased. Records under a legal
    hold (invoices, certificates, tax profile) are encrypted under the customer's
    separate hold key, which this spares: they stay readable for the purposes the
    policy allows until ``amanat retention run`` destroys that key when the hold ends
    (amanat.vault.holds).
    """
    customer = get_customer(uow, customer_id)
    erased_at = runtime.clock.now()
    _clear(customer, erased_at)
    # Every domain's erasure hook (accounts: password hash, second factor, recovery
    # codes, sessions and tokens); the same hooks replay this erasure after a restore.
    for hook in runtime.hooks.erasure_hooks:
        hook(uow, customer_id, erased_at)
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.CUSTOMER_ERASED, actor, customer_id=customer_id,
        categories=CREATION_CATEGORIES,
    )  # fmt: skip
    # Last: once the key is gone the fields are unreadable, whatever happens to this
    # transaction; the ledger copy in the main database is written in it.
    runtime.vault.destroy_customer_key(customer_id, uow)
