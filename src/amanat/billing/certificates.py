"""Advance tax certificates (purpose ``tax_certificates``) and their public verification.

A certificate is issued the moment it is asked for (the law allows seven days). It lists,
for one fiscal year, each paid invoice's billed amount (before advance tax) and the
advance tax collected with it, net of credit notes; totals; the customer's name and CNIC
or NTN in full. A second request for the same year is a DUPLICATE with its own serial.
``/verify/{code}`` confirms number, period, totals and the content hash, and shows no
personal data beyond the name's initials.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing import windows
from amanat.billing.common import (
    document_number,
    get_customer,
    initials,
    next_number,
    party_from_snapshot,
    read_party,
)
from amanat.billing.documents import CertificateDocument, CertificateRow, Party
from amanat.billing.fiscal import FiscalYear, business_date
from amanat.billing.models import Certificate, Invoice
from amanat.billing.pdf import render_certificate
from amanat.core.actor import Actor
from amanat.core.errors import Forbidden, Invalid, NotFound, TooManyRequests
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

T = "billing_certificates"
CERT_READS = frozenset(
    {"identity.name", "identity.company", "identity.ntn", "identity.cnic", "contact.address",
     "billing.record", "tax.certificate"}
)  # fmt: skip
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed
VERIFY_LIMIT = 30  # requests per network per minute
JOB = Actor.system("tax_certificates")


def ledger(uow: UnitOfWork, customer_id: str, first: date, last: date) -> list[Invoice]:
    """Paid invoices issued between ``first`` and ``last``, and the credit notes against them.

    The certificates and the s.165 statement both read this, so they cannot disagree.
    """
    paid = list(
        uow.session.scalars(
            select(Invoice).where(
                Invoice.customer_id == customer_id, Invoice.kind == "invoice",
                Invoice.status == "paid", Invoice.issue_date >= first, Invoice.issue_date <= last,
            ).order_by(Invoice.issue_date, Invoice.number)
        )
    )  # fmt: skip
    ids = [i.id for i in paid]
    credits = list(
        uow.session.scalars(select(Invoice).where(Invoice.credits_invoice_id.in_(ids)))
    ) if ids else []  # fmt: skip
    return paid + credits


def rows_of(invoices: list[Invoice]) -> list[CertificateRow]:
    return [
        CertificateRow(
            invoice_number=i.number, issue_date=i.issue_date.isoformat(),
            billed_paisa=i.net_paisa + i.sales_tax_paisa, advance_tax_paisa=i.advance_tax_paisa,
        )
        for i in invoices
    ]  # fmt: skip


def _code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def request_certificate(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, customer_id: str, fiscal_year: str
) -> Certificate:
    """Issue the certificate for a fiscal year now (customer for themselves, or billing staff).

    Records tax.certificate_issued. Raises Invalid (malformed year, a year not begun,
    no advance tax collected in it), Forbidden (another customer's), AccessDenied.
    """
    if actor.kind == "customer" and actor.id != customer_id:
        raise Forbidden("A customer may request certificates only for their own account.")
    try:
        fy = FiscalYear.parse(fiscal_year)
    except ValueError as exc:
        raise Invalid(str(exc), fields={"fiscal_year": str(exc)}) from exc
    today = business_date(runtime.clock.now())
    if fy.first_day > today:
        raise Invalid(
            f"The fiscal year {fy} has not begun; ask for {FiscalYear.of(today)} or an earlier one.",
            fields={"fiscal_year": "A year that has begun."},
        )
    invoices = ledger(uow, customer_id, fy.first_day, fy.last_day)
    rows = rows_of(invoices)
    if not rows or sum(r.advance_tax_paisa for r in rows) <= 0:
        raise Invalid(
            f"No advance tax was collected from you in {fy}: there are no paid invoices with "
            "advance tax in that year.",
            fields={"fiscal_year": "A year with paid invoices."},
        )
    access = runtime.guard.open(
        uow, JOB if actor.kind == "customer" else actor, customer_id, "tax_certificates",
        reads=CERT_READS, writes={"tax.certificate"},
    )  # fmt: skip
    party = read_party(access, get_customer(uow, customer_id))
    first = uow.session.scalar(
        select(Certificate.number).where(Certificate.customer_id == customer_id, Certificate.fiscal_year == fy.label)
        .order_by(Certificate.created_at).limit(1)
    )  # fmt: skip
    number = document_number("ATC", fy, next_number(uow, "ATC", fy))
    code = _code()
    document = CertificateDocument(
        provider=runtime.policy.provider.name, provider_ntn=runtime.settings.billing.provider_ntn,
        number=number, fiscal_year=fy.label, period_from=fy.first_day.isoformat(),
        period_to=fy.last_day.isoformat(), issue_date=today.isoformat(),
        customer=party_from_snapshot(party, full_cnic=True), rows=tuple(rows),
        billed_paisa=sum(r.billed_paisa for r in rows),
        advance_tax_paisa=sum(r.advance_tax_paisa for r in rows), verification_code=code,
        verify_url=f"{runtime.settings.resolved_public_url}/verify/{code}", duplicate_of=first,
    )  # fmt: skip
    cert = Certificate(
        id=new_id(), customer_id=customer_id, number=number, fiscal_year=fy.label,
        issue_date=today, verification_code=code, content_hash=document.content_hash(),
        billed_paisa=document.billed_paisa, advance_tax_paisa=document.advance_tax_paisa,
        duplicate_of=first, created_at=runtime.clock.now(),
    )  # fmt: skip
    cert.document_ct = access.write(
        T, "document_ct", cert.id, "tax.certificate", json.dumps(asdict(document))
    )
    uow.session.add(cert)
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.TAX_CERTIFICATE_ISSUED, actor, customer_id=customer_id,
        purpose="tax_certificates", categories={"tax.certificate"}, reference=number,
        details={"certificate": cert.id, "fiscal_year": fy.label, "duplicate": first is not None},
    )  # fmt: skip
    return cert


def _document(raw: str) -> CertificateDocument:
    data: dict[str, Any] = json.loads(raw)
    data["customer"] = Party(
        **{**data["customer"], "address_lines": tuple(data["customer"]["address_lines"])}
    )
    data["rows"] = tuple(CertificateRow(**r) for r in data["rows"])
    return CertificateDocument(**data)


def certificate_pdf(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, certificate_id: str
) -> tuple[Certificate, bytes]:
    """The certificate as issued, as PDF (the customer's own, purpose self; or staff)."""
    cert = uow.session.get(Certificate, certificate_id)
    if cert is None or (actor.kind == "customer" and cert.customer_id != actor.id):
        raise NotFound("There is no such certificate.")
    purpose = "self" if actor.kind == "customer" else "tax_certificates"
    access = runtime.guard.open(uow, actor, cert.customer_id, purpose, reads={"tax.certificate"})
    raw = access.read(T, "document_ct", cert.id, "tax.certificate", cert.document_ct)
    return cert, render_certificate(_document(raw or "{}"))


def list_certificates(uow: UnitOfWork, customer_id: str) -> list[Certificate]:
    return list(
        uow.session.scalars(
            select(Certificate)
            .where(Certificate.customer_id == customer_id)
            .order_by(Certificate.created_at.desc())
        )
    )


def _throttle(uow: UnitOfWork, runtime: Runtime, client_key: str, now: datetime) -> None:
    if windows.count(uow, runtime, "verify", client_key, now) > VERIFY_LIMIT:
        raise TooManyRequests(
            "Too many verifications from your network; wait a minute and try again.",
            retry_after=windows.seconds_left(now),
        )


def verify(
    uow: UnitOfWork, runtime: Runtime, code: str, client_key: str, claimed: dict[str, str | None]
) -> dict[str, Any]:
    """What /verify shows: genuine or not, the attested figures, the name's initials only.

    ``claimed`` (optional, from the document in hand): ``billed`` and ``tax`` in paisa
    and ``hash``; the answer says whether each matches. Rate-limited per network.
    Records tax.certificate_verified. Raises TooManyRequests.
    """
    now = runtime.clock.now()
    _throttle(uow, runtime, client_key, now)
    cert = uow.session.scalar(
        select(Certificate).where(Certificate.verification_code == code.strip().upper()[:20])
    )
    if cert is None:
        return {"genuine": False, "message": "No certificate has this verification code."}
    access = runtime.guard.open(
        uow, Actor.system("verify"), cert.customer_id, "tax_certificates", reads={"tax.certificate"}
    )
    document = _document(
        access.read(T, "document_ct", cert.id, "tax.certificate", cert.document_ct) or "{}"
    )
    intact = document.content_hash() == cert.content_hash
    checks: dict[str, bool] = {}
    if claimed.get("billed") is not None:
        checks["billed"] = claimed["billed"] == str(cert.billed_paisa)
    if claimed.get("tax") is not None:
        checks["tax"] = claimed["tax"] == str(cert.advance_tax_paisa)
    if claimed.get("hash") is not None:
        checks["hash"] = (claimed["hash"] or "").lower() == cert.content_hash
    genuine = intact and all(checks.values())
    audit.record(
        uow, runtime.clock, Event.TAX_CERTIFICATE_VERIFIED, Actor.system("verify"),
        customer_id=cert.customer_id, purpose="tax_certificates", reference=cert.number,
        outcome="done" if genuine else "failed", details={"certificate": cert.id, "checks": sorted(checks)},
    )  # fmt: skip
    return {
        "genuine": genuine, "number": cert.number, "fiscal_year": cert.fiscal_year,
        "issue_date": cert.issue_date.isoformat(), "billed_paisa": cert.billed_paisa,
        "advance_tax_paisa": cert.advance_tax_paisa, "hash": cert.content_hash,
        "initials": initials(document.customer.name), "duplicate_of": cert.duplicate_of,
        "checks": checks,
        "message": "This certificate is genuine and unaltered." if genuine else
        "These figures do NOT match the certificate Amanat issued: the document was altered.",
    }  # fmt: skip
