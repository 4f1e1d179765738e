"""The live server fixture serves real HTTPS that a verifying client accepts."""

from __future__ import annotations

from tests.conftest import LiveServer


def test_live_server_answers_over_verified_tls(live_server: LiveServer) -> None:
    with live_server.client() as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "reachable"
