"""The support API over HTTP on SQLite and PostgreSQL: customers' tickets and the desk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from amanat.audit.models import AuditEvent
from tests.factories.accounts import create_customer, create_staff, customer_api_token

CARD = "5555-5555-5555-4444"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_customer_opens_follows_replies_to_and_closes_a_ticket(client: Any, runtime: Any) -> None:
    me = _bearer(customer_api_token(runtime, create_customer(runtime)))
    other = _bearer(customer_api_token(runtime, create_customer(runtime)))

    assert client.post("/api/v1/tickets", json={"subject": "x", "message": "y"}).status_code == 401
    opened = client.post(
        "/api/v1/tickets",
        json={"subject": "Router", "category": "technical", "message": f"My card is {CARD}"},
        headers=me,
    )
    assert opened.status_code == 201, opened.text
    body = opened.json()
    number = body["number"]
    assert body["messages"][0]["body"] == "My card is ****-****-****-4444"
    assert body["messages"][0]["cards_redacted"] == 1
    assert "card" in body["notice"]
    assert CARD not in opened.text

    assert [t["number"] for t in client.get("/api/v1/tickets", headers=me).json()] == [number]
    assert client.get("/api/v1/tickets", headers=other).json() == []
    hidden = client.get(f"/api/v1/tickets/{number}", headers=other)
    assert hidden.status_code == 404
    assert client.get("/api/v1/tickets/T-424242", headers=me).json() == hidden.json()
    assert client.get("/api/v1/tickets/nonsense", headers=me).status_code == 404

    replied = client.post(
        f"/api/v1/tickets/{number}/replies", json={"message": "Any news?"}, headers=me
    )
    assert replied.status_code == 200
    assert [m["body"] for m in replied.json()["messages"]][-1] == "Any news?"
    assert replied.json()["notice"] is None

    empty = client.post(f"/api/v1/tickets/{number}/replies", json={"message": " "}, headers=me)
    assert empty.status_code == 422 and "message" in empty.json()["fields"]
    huge = client.post(
        f"/api/v1/tickets/{number}/replies", json={"message": "a" * 10_001}, headers=me
    )
    assert huge.status_code == 422
    assert "at most 10000 characters" in huge.json()["message"]
    wrong = client.post(
        "/api/v1/tickets", json={"subject": "s", "category": "sales", "message": "m"}, headers=me
    )
    assert wrong.status_code == 422 and "category" in wrong.json()["fields"]

    closed = client.post(f"/api/v1/tickets/{number}/close", headers=me)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    refused = client.post(f"/api/v1/tickets/{number}/replies", json={"message": "hi"}, headers=me)
    assert refused.status_code == 409
    assert "open a new ticket" in refused.json()["message"]
    with runtime.uow() as uow:
        denied = uow.session.scalars(
            select(AuditEvent.reference).where(AuditEvent.code == "access.denied")
        ).all()
    assert denied == [number]


def test_the_desk_api_lists_opens_answers_and_updates_tickets(client: Any, runtime: Any) -> None:
    customer = _bearer(customer_api_token(runtime, create_customer(runtime)))
    agent = create_staff(runtime, "support_agent")
    staff = _bearer(agent.api_token)
    number = client.post(
        "/api/v1/tickets",
        json={"subject": "Bill", "category": "billing", "message": "Charged twice"},
        headers=customer,
    ).json()["number"]

    assert client.get("/api/v1/support/queue", headers=customer).status_code == 403
    queue = client.get("/api/v1/support/queue?category=billing", headers=staff)
    assert queue.status_code == 200
    (row,) = queue.json()
    assert row["number"] == number and "subject" not in row
    assert client.get("/api/v1/support/queue?status=lost", headers=staff).status_code == 422

    wrong = client.get(
        f"/api/v1/support/tickets/{number}", headers={**staff, "X-Access-Purpose": "billing"}
    )
    assert wrong.status_code == 400
    opened = client.get(
        f"/api/v1/support/tickets/{number}", headers={**staff, "X-Access-Purpose": "support"}
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["subject"] == "Bill"
    assert opened.json()["customer"]["fields"]["CNIC"].startswith("*****-")

    answer = client.post(
        f"/api/v1/support/tickets/{number}/replies",
        json={"message": "Refunded the second charge."},
        headers=staff,
    )
    assert answer.status_code == 200
    note = client.post(
        f"/api/v1/support/tickets/{number}/notes", json={"message": "checked"}, headers=staff
    )
    assert [m["internal"] for m in note.json()["messages"]] == [False, False, True]
    patched = client.patch(
        f"/api/v1/support/tickets/{number}",
        json={"status": "resolved", "priority": "urgent", "assignee_id": agent.id},
        headers=staff,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["status"], patched.json()["priority"]) == ("resolved", "urgent")
    bad = client.patch(
        f"/api/v1/support/tickets/{number}", json={"assignee_id": "nobody"}, headers=staff
    )
    assert bad.status_code == 422

    seen = client.get(f"/api/v1/tickets/{number}", headers=customer).json()
    assert [m["author"] for m in seen["messages"]] == ["customer", "agent"]
    assert seen["status"] == "resolved"
