"""The smallest end-to-end proof: an initialised installation answers its health check."""

from __future__ import annotations

from typing import Any


def test_healthz_answers_200_when_the_database_is_reachable(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "reachable"


def test_privacy_notice_is_served(client: Any) -> None:
    response = client.get("/privacy")
    assert response.status_code == 200
    assert "identity.cnic" in response.text
