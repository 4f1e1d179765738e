"""Guard.read_row: one short transaction that decides, records, commits, then decrypts.

Its lean path (a pooled connection, driver-level statements) must keep every guarantee of
``open`` in a unit of work: the same decision, the same audit event committed before any
field is decrypted, nothing recorded for a row the customer does not have, and one linear
chain when it runs beside ordinary writers.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from amanat.access.guard import AccessDenied, Guard
from amanat.access.training import record_training
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.audit.models import AuditEvent, AuditNote
from amanat.audit.verify import verify_chain
from amanat.core.actor import Actor
from amanat.customers.models import Customer
from amanat.db.base import new_id
from amanat.runtime import Runtime
from amanat.vault.api import FieldTampered
from amanat.vault.signing import AuditSigner

FIELDS = {
    "name_ct": ("identity.name", "Canary Testname"),
    "cnic_ct": ("identity.cnic", "3520212345671"),
    "ntn_ct": ("identity.ntn", "1234567-8"),
}
# A staff purpose that needs no case reference, so the decision can skip the database
# (legal_obligation, used here before issue 14, now needs an approved disclosure request).
ROLE, PURPOSE = "billing_officer", "tax_certificates"
COLUMNS = {column: category for column, (category, _) in FIELDS.items()}
STORED = {**FIELDS, "phone_ct": ("contact.phone", "+923001234567")}  # break-glass reads it
TABLE: Table = Customer.__table__  # type: ignore[assignment] -- a mapped class's Table
KEPT = ("code", "actor_kind", "actor_id", "actor_role", "customer_id", "purpose",
        "categories", "reference", "outcome", "details")  # fmt: skip


def make_customer(runtime: Runtime) -> str:
    customer_id = new_id()
    with runtime.uow() as uow:
        access = runtime.guard.open(
            uow, Actor.system("test"), customer_id, "account_management",
            writes={category for category, _ in STORED.values()},
        )  # fmt: skip
        values = {
            column: access.write("customers", column, customer_id, category, value)
            for column, (category, value) in STORED.items()
        }
        uow.session.add(
            Customer(id=customer_id, kind="individual", status="active",
                     created_at=runtime.clock.now(), **values)
        )  # fmt: skip
        uow.commit()
    return customer_id


def trained(runtime: Runtime, role: str) -> Actor:
    staff = Actor.staff(new_id(), role)
    with runtime.uow() as uow:
        completed = runtime.clock.now().date() - timedelta(days=30)
        record_training(uow, runtime.clock, Actor.system("cli"), staff.id, completed)
        uow.commit()
    return staff


def events(runtime: Runtime) -> list[Any]:
    with runtime.engine.connect() as conn:
        return list(conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq)))


def kept(event: Any) -> tuple[Any, ...]:
    return tuple(getattr(event, name) for name in KEPT)


def fresh_guard(runtime: Runtime) -> Guard:
    """A guard with nothing cached: its decision reads the training records (unit of work)."""
    return Guard(runtime.policy, runtime.vault, runtime.clock, runtime.session_factory)


def verify(runtime: Runtime) -> Any:
    return verify_chain(runtime.engine, AuditSigner(runtime.vault).verify)


def test_both_paths_decide_record_and_decrypt_alike(runtime: Runtime) -> None:
    customer = make_customer(runtime)
    officer = trained(runtime, ROLE)
    before = len(events(runtime))
    # A guard that has not seen this officer reads the training records: unit of work.
    first = fresh_guard(runtime).read_row(officer, customer, PURPOSE, TABLE, customer, COLUMNS)
    # The runtime's guard, once it knows the training is current: the lean path.
    runtime.guard.read_row(officer, customer, PURPOSE, TABLE, customer, COLUMNS)
    second = runtime.guard.read_row(officer, customer, PURPOSE, TABLE, customer, COLUMNS)
    assert first is not None and second is not None
    expected = {column: value for column, (_, value) in FIELDS.items()}
    assert first[1] == second[1] == expected
    assert second[0].readable == frozenset(COLUMNS.values()) and not second[0].writable
    recorded = events(runtime)[before:]
    assert len(recorded) == 3
    assert kept(recorded[0]) == kept(recorded[1]) == kept(recorded[2])
    assert kept(recorded[2])[:1] + kept(recorded[2])[5:] == (
        "access.granted", PURPOSE,
        '["identity.cnic","identity.name","identity.ntn"]', None, "allowed",
        '{"reads":["identity.cnic","identity.name","identity.ntn"],"writes":[]}',
    )  # fmt: skip
    # Stored exactly as the unit of work stores events: the chain re-checks from them.
    report = verify(runtime)
    assert report.intact, report.problem


def test_the_event_is_committed_before_anything_is_decrypted(runtime: Runtime) -> None:
    customer, other = make_customer(runtime), make_customer(runtime)
    officer = trained(runtime, ROLE)
    runtime.guard.read_row(officer, customer, PURPOSE, TABLE, customer, COLUMNS)
    # Another customer's ciphertext in this customer's row: decrypting it must fail, and
    # by then the read must already stand in the log.
    with runtime.engine.begin() as conn:
        moved = conn.execute(select(Customer.name_ct).where(Customer.id == other)).scalar()
        conn.execute(TABLE.update().where(TABLE.c.id == customer).values(name_ct=moved))
    before = len(events(runtime))
    with pytest.raises(FieldTampered):
        runtime.guard.read_row(officer, customer, PURPOSE, TABLE, customer, COLUMNS)
    (event,) = events(runtime)[before:]
    assert (event.code, event.customer_id) == ("access.granted", customer)


@pytest.mark.parametrize("lean", [True, False])
def test_no_such_row_of_that_customer_records_nothing(runtime: Runtime, lean: bool) -> None:
    customer, other = make_customer(runtime), make_customer(runtime)
    officer = trained(runtime, ROLE)
    guard = runtime.guard
    guard.read_row(officer, customer, PURPOSE, TABLE, customer, COLUMNS)
    if not lean:
        guard = fresh_guard(runtime)
    before = len(events(runtime))
    assert guard.read_row(officer, customer, PURPOSE, TABLE, other, COLUMNS) is None
    assert guard.read_row(officer, customer, PURPOSE, TABLE, new_id(), COLUMNS) is None
    assert len(events(runtime)) == before


def test_refusals_are_the_same_on_both_paths_and_audited(runtime: Runtime) -> None:
    customer = make_customer(runtime)
    agent = trained(runtime, "support_agent")
    untrained = Actor.staff(new_id(), ROLE)
    cases = [
        (agent, PURPOSE, "role_lacks_purpose"),  # decided without the database
        (untrained, PURPOSE, "training_missing"),  # needs the training records
        (Actor.customer(new_id()), "self", "not_own_data"),
    ]
    for actor, purpose, reason_code in cases:
        with pytest.raises(AccessDenied) as refused:
            runtime.guard.read_row(actor, customer, purpose, TABLE, customer, COLUMNS)
        assert refused.value.reason_code == reason_code
        denial = events(runtime)[-1]
        assert (denial.code, denial.actor_id, denial.customer_id) == (
            "access.denied", actor.id, customer,
        )  # fmt: skip
        assert denial.details == f'{{"reason_code":"{reason_code}"}}'
    assert verify(runtime).intact


def test_references_and_break_glass_take_the_unit_of_work_path(runtime: Runtime) -> None:
    customer = make_customer(runtime)

    def open_ticket(_session: Session, customer_id: str, reference: str, _now: datetime) -> bool:
        return (customer_id, reference) == (customer, "T-7")

    runtime.guard.register_reference_checker("ticket", open_ticket)
    agent = trained(runtime, "support_agent")
    name = {"name_ct": "identity.name"}
    with pytest.raises(AccessDenied) as refused:
        runtime.guard.read_row(agent, customer, "support", TABLE, customer, name, reference="T-8")
    assert refused.value.reason_code == "reference_not_live"
    read = runtime.guard.read_row(
        agent, customer, "support", TABLE, customer, name, reference="T-7"
    )
    assert read is not None and read[1] == {"name_ct": "Canary Testname"}
    assert (events(runtime)[-1].code, events(runtime)[-1].reference) == ("access.granted", "T-7")

    officer = trained(runtime, "security_officer")
    phone = {"phone_ct": "contact.phone"}
    with pytest.raises(AccessDenied):
        runtime.guard.read_row(officer, customer, "emergency", TABLE, customer, phone)
    reason = "Line down at hospital, customer unreachable by e-mail"
    read = runtime.guard.read_row(
        officer, customer, "emergency", TABLE, customer, phone, reason=reason
    )
    assert read is not None and read[1] == {"phone_ct": "+923001234567"}
    event = events(runtime)[-1]
    assert event.code == "access.break_glass"
    with runtime.engine.connect() as conn:
        assert conn.execute(select(AuditNote.seq).where(AuditNote.seq == event.seq)).scalar()


def test_lean_reads_and_unit_of_work_writers_share_one_linear_chain(runtime: Runtime) -> None:
    customer = make_customer(runtime)
    officer = trained(runtime, ROLE)
    runtime.guard.read_row(officer, customer, PURPOSE, TABLE, customer, COLUMNS)
    before = len(events(runtime))
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(15):
                runtime.guard.read_row(officer, customer, PURPOSE, TABLE, customer, COLUMNS)
        except BaseException as exc:  # noqa: BLE001 -- reported by the assertion below
            failures.append(exc)

    def writer() -> None:
        try:
            for _ in range(15):
                with runtime.uow() as uow:
                    audit.record(uow, runtime.clock, Event.ACCESS_GRANTED, officer,
                                 customer_id=customer, purpose=PURPOSE)  # fmt: skip
                    uow.commit()
        except BaseException as exc:  # noqa: BLE001 -- reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=fn) for fn in (reader, writer) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(events(runtime)) == before + 8 * 15
    report = verify(runtime)
    assert report.intact, report.problem
