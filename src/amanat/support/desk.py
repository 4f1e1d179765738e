"""The agent desk: the queue, opening a ticket, replies, internal notes, status,
priority and assignment, with first-response and resolution timers.

The queue shows no personal data (number, category, priority, status, channel,
assignee, age and timers), so listing it opens nothing. Opening a ticket is a guarded
read for purpose ``support`` with the ticket number as reference: the guard checks the
agent's role and training and that the ticket is live for that customer, records the
access, and the agent sees the customer's categories that ``support`` may read, masked
where the policy says so, and nothing more.

Callers: staff whose role acts for ``support`` (support agents). Every change records
one audit event; an agent's reply also queues a notification to the customer (outbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from amanat.access.guard import Access
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Forbidden, Invalid, NotFound
from amanat.customers import service as customers
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.support import service as tickets
from amanat.support.models import CATEGORIES, PRIORITIES, STATUSES, Ticket
from amanat.support.service import MessageView, Written, format_number, parse_number

PURPOSE = "support"
# The customer record's fields an agent may be shown (customers.PERSONAL_FIELDS), in order.
CARD_FIELDS = ("name", "company", "email", "phone", "cnic", "address")
CARD_CATEGORIES = frozenset(customers.PERSONAL_FIELDS[f][0] for f in CARD_FIELDS)


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    priority: str | None = None
    category: str | None = None
    assignee: str | None = None  # a staff id, "me" or "none"
    older_than_hours: float | None = None
    include_closed: bool = False


@dataclass(frozen=True)
class QueueEntry:
    ticket: Ticket
    number: str
    age_hours: float
    first_response_breached: bool
    resolution_breached: bool


@dataclass(frozen=True)
class AgentView:
    entry: QueueEntry
    subject: str
    customer: dict[str, str]
    messages: list[MessageView]


def require_support_role(runtime: Runtime, actor: Actor) -> None:
    if actor.kind != "staff" or PURPOSE not in runtime.policy.role(actor.role).purposes:
        raise Forbidden(f"The role '{actor.role}' does not act for '{PURPOSE}'.")


def _entry(ticket: Ticket, now: datetime) -> QueueEntry:
    responded = ticket.first_response_at or now
    finished = ticket.resolved_at or ticket.closed_at or now
    return QueueEntry(
        ticket=ticket,
        number=format_number(ticket.number),
        age_hours=round((now - ticket.created_at) / timedelta(hours=1), 1),
        first_response_breached=responded > ticket.first_response_due_at,
        resolution_breached=finished > ticket.resolution_due_at,
    )


def check_filter(queue_filter: QueueFilter) -> None:
    problems = {}
    for name, value, allowed in (
        ("status", queue_filter.status, STATUSES),
        ("priority", queue_filter.priority, PRIORITIES),
        ("category", queue_filter.category, CATEGORIES),
    ):
        if value is not None and value not in allowed:
            problems[name] = f"One of {', '.join(allowed)}."
    if queue_filter.older_than_hours is not None and queue_filter.older_than_hours < 0:
        problems["older_than_hours"] = "Zero or more hours."
    if problems:
        raise Invalid("Some filters are not valid; see each one.", fields=problems)


def queue(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, queue_filter: QueueFilter, limit: int = 200
) -> list[QueueEntry]:
    """Tickets matching the filter, oldest first (no personal data; nothing decrypted)."""
    require_support_role(runtime, actor)
    check_filter(queue_filter)
    now = runtime.clock.now()
    query = select(Ticket)
    if queue_filter.status is not None:
        query = query.where(Ticket.status == queue_filter.status)
    elif not queue_filter.include_closed:
        query = query.where(Ticket.status != "closed")
    if queue_filter.priority is not None:
        query = query.where(Ticket.priority == queue_filter.priority)
    if queue_filter.category is not None:
        query = query.where(Ticket.category == queue_filter.category)
    if queue_filter.assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif queue_filter.assignee is not None:
        wanted = actor.id if queue_filter.assignee == "me" else queue_filter.assignee
        query = query.where(Ticket.assignee_id == wanted)
    if queue_filter.older_than_hours is not None:
        cutoff = now - timedelta(hours=queue_filter.older_than_hours)
        query = query.where(Ticket.created_at <= cutoff)
    rows = uow.session.scalars(query.order_by(Ticket.created_at).limit(limit)).all()
    for row in rows:
        uow.session.expunge(row)  # a read-only snapshot: it outlives the unit of work
    return [_entry(t, now) for t in rows]


def _ticket(uow: UnitOfWork, reference: str) -> Ticket:
    number = parse_number(reference)
    ticket = (
        uow.session.scalar(select(Ticket).where(Ticket.number == number))
        if number is not None
        else None
    )
    if ticket is None:
        raise NotFound("There is no ticket with that number (it looks like T-10042).")
    return ticket


def _open(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    ticket: Ticket,
    *,
    reads: set[str],
    writes: set[str] | None = None,
) -> Access:
    require_support_role(runtime, actor)
    return runtime.guard.open(
        uow, actor, ticket.customer_id, PURPOSE, reads=reads, writes=writes or set(),
        reference=format_number(ticket.number),
    )  # fmt: skip


def _customer_card(
    uow: UnitOfWork, runtime: Runtime, access: Access, ticket: Ticket
) -> dict[str, str]:
    card: dict[str, str] = {}
    if not ticket.linked:
        sender = access.read(T_TICKETS, "sender_ct", ticket.id, "contact.email", ticket.sender_ct)
        card["E-mail (not linked to an account)"] = sender or ""
        return card
    try:
        customer = customers.get_sealed(uow, ticket.customer_id)
    except NotFound:
        card["Customer"] = "erased"
        return card
    for name, value in customers.read_fields(access, customer, CARD_FIELDS).items():
        if value is None:
            continue
        label = customers.PERSONAL_FIELDS[name][1]
        card[label] = value if isinstance(value, str) else ", ".join(v for v in value.values() if v)
    return card


T_TICKETS = "support_tickets"


def open_for_agent(uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str) -> AgentView:
    """Open a ticket in the desk: a guarded ``support`` read with the ticket as reference.

    Records access.granted (or access.denied: untrained agent, closed ticket, wrong
    role). Raises NotFound, AccessDenied.
    """
    ticket = _ticket(uow, reference)
    declared = set(runtime.policy.purpose(PURPOSE).reads)
    wanted = {"support.message"} | (CARD_CATEGORIES & declared)
    if not ticket.linked:
        wanted = {"support.message", "contact.email"}
    access = _open(uow, runtime, actor, ticket, reads=wanted & declared)
    entry = _entry(ticket, runtime.clock.now())
    subject = tickets.view(access, ticket, []).subject
    messages = tickets.thread(uow, access, ticket, internal=True)
    return AgentView(entry, subject, _customer_card(uow, runtime, access, ticket), messages)


def reply(uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str, message: str) -> Written:
    """The agent answers the customer; the customer is notified through the outbox.

    Sets the first response time, puts the ticket to waiting on customer. Records
    support.agent_replied (and comms.queued for the notification). Raises NotFound,
    Invalid, Conflict (closed ticket), AccessDenied.
    """
    body = tickets.clean_body(message)
    ticket = _ticket(uow, reference)
    if ticket.status == "closed":
        raise Conflict(f"Ticket {format_number(ticket.number)} is closed; it takes no replies.")
    reads = {"support.message"} | ({"contact.email"} if not ticket.linked else set())
    access = _open(uow, runtime, actor, ticket, reads=reads, writes={"support.message"})
    entry = tickets.add_message(
        uow, runtime, access, ticket, body, author_kind="staff", author_id=actor.id,
        internal=False, channel="desk",
    )  # fmt: skip
    now = runtime.clock.now()
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status in ("new", "open"):
        ticket.status = "waiting_on_customer"
    number = format_number(ticket.number)
    audit.record(
        uow, runtime.clock, Event.SUPPORT_AGENT_REPLIED, actor, customer_id=ticket.customer_id,
        purpose=PURPOSE, categories={"support.message"}, reference=number,
        details={"message": entry.id, "cards_redacted": body.cards},
    )  # fmt: skip
    notify_customer(uow, runtime, access, ticket, body.text)
    return Written(ticket, entry, body.cards)


def notify_customer(
    uow: UnitOfWork, runtime: Runtime, access: Access, ticket: Ticket, text: str
) -> None:
    """Queue the agent's answer to the customer (or the unlinked sender) in the outbox."""
    from amanat.comms.service import queue_mail

    number = format_number(ticket.number)
    to = None
    if not ticket.linked:
        to = access.read(T_TICKETS, "sender_ct", ticket.id, "contact.email", ticket.sender_ct)
    where = (
        f"You can also read and answer it at {runtime.settings.resolved_public_url}/support/{number}.\n"
        if ticket.linked
        else ""
    )
    queue_mail(
        uow, runtime, customer_id=ticket.customer_id, to=to, kind="support_reply",
        purpose="service_updates",
        subject=f"[{number}] Our answer to your support request",
        body=(
            f"Hello,\n\nWe answered your support request {number}:\n\n{text}\n\n"
            f"Reply to this e-mail (keep {number} in the subject) to continue.\n{where}"
            "Please never send card numbers: we do not need them.\n"
        ),
    )  # fmt: skip


def add_note(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str, message: str
) -> Written:
    """An internal note the customer never sees (redacted like everything else).

    Records support.note_added. Raises NotFound, Invalid, AccessDenied.
    """
    body = tickets.clean_body(message, field="note")
    ticket = _ticket(uow, reference)
    access = _open(uow, runtime, actor, ticket, reads=set(), writes={"support.message"})
    entry = tickets.add_message(
        uow, runtime, access, ticket, body, author_kind="staff", author_id=actor.id,
        internal=True, channel="desk",
    )  # fmt: skip
    audit.record(
        uow, runtime.clock, Event.SUPPORT_NOTE_ADDED, actor, customer_id=ticket.customer_id,
        purpose=PURPOSE, categories={"support.message"}, reference=format_number(ticket.number),
        details={"message": entry.id, "cards_redacted": body.cards},
    )  # fmt: skip
    return Written(ticket, entry, body.cards)


def set_status(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str, status: str
) -> Ticket:
    """Move a ticket to another status (closed is final). Records support.status_changed.
    Raises Invalid, NotFound, Conflict."""
    require_support_role(runtime, actor)
    if status not in STATUSES:
        raise Invalid(
            f"Status must be one of {', '.join(STATUSES)}.", fields={"status": "Unknown."}
        )
    ticket = _ticket(uow, reference)
    if ticket.status == status:
        return ticket
    if ticket.status == "closed":
        raise Conflict(f"Ticket {format_number(ticket.number)} is closed; closed is final.")
    now = runtime.clock.now()
    previous, ticket.status, ticket.updated_at = ticket.status, status, now
    if status == "resolved":
        ticket.resolved_at = now
    elif status == "closed":
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
    audit.record(
        uow, runtime.clock, Event.SUPPORT_STATUS_CHANGED, actor, customer_id=ticket.customer_id,
        purpose=PURPOSE, reference=format_number(ticket.number),
        details={"from": previous, "to": status},
    )  # fmt: skip
    return ticket


def set_priority(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str, priority: str
) -> Ticket:
    """Change the priority; the timers' due times follow the new targets from creation.
    Records support.priority_changed. Raises Invalid, NotFound."""
    require_support_role(runtime, actor)
    if priority not in PRIORITIES:
        raise Invalid(
            f"Priority must be one of {', '.join(PRIORITIES)}.", fields={"priority": "Unknown."}
        )
    ticket = _ticket(uow, reference)
    if ticket.priority == priority:
        return ticket
    first, resolution = tickets.targets(runtime, priority)
    previous, ticket.priority = ticket.priority, priority
    ticket.first_response_due_at = ticket.created_at + first
    ticket.resolution_due_at = ticket.created_at + resolution
    ticket.updated_at = runtime.clock.now()
    audit.record(
        uow, runtime.clock, Event.SUPPORT_PRIORITY_CHANGED, actor,
        customer_id=ticket.customer_id, purpose=PURPOSE,
        reference=format_number(ticket.number), details={"from": previous, "to": priority},
    )  # fmt: skip
    return ticket


def assign(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str, assignee_id: str | None
) -> Ticket:
    """Assign the ticket to a support agent (or to nobody with None or '').
    Records support.assigned. Raises Invalid (not a support agent), NotFound."""
    from amanat.staff.service import active_role

    require_support_role(runtime, actor)
    ticket = _ticket(uow, reference)
    wanted = assignee_id or None
    if wanted is not None:
        role = active_role(uow, wanted)
        if role is None or PURPOSE not in runtime.policy.role(role).purposes:
            raise Invalid(
                "Assign the ticket to a staff member whose role acts for support.",
                fields={"assignee_id": "Not a support agent."},
            )
    if ticket.assignee_id == wanted:
        return ticket
    previous, ticket.assignee_id = ticket.assignee_id, wanted
    ticket.updated_at = runtime.clock.now()
    audit.record(
        uow, runtime.clock, Event.SUPPORT_ASSIGNED, actor, customer_id=ticket.customer_id,
        purpose=PURPOSE, reference=format_number(ticket.number),
        details={"from": previous, "to": wanted},
    )  # fmt: skip
    return ticket


def update(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    reference: str,
    *,
    status: str | None = None,
    priority: str | None = None,
    assignee_id: str | None = None,
    reassign: bool = False,
) -> QueueEntry:
    """Apply set_priority, assign and set_status in that order (each audits itself)."""
    if priority is not None:
        set_priority(uow, runtime, actor, reference, priority)
    if reassign:
        assign(uow, runtime, actor, reference, assignee_id)
    ticket = _ticket(uow, reference)
    if status is not None:
        ticket = set_status(uow, runtime, actor, reference, status)
    require_support_role(runtime, actor)
    return _entry(ticket, runtime.clock.now())
