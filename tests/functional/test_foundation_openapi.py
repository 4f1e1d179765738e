"""The published OpenAPI document tells the truth about errors, for every API operation."""

from __future__ import annotations

from typing import Any

import pytest

from amanat.web.openapi import ERROR_RESPONSES


def api_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in document["paths"].items()
        if path.startswith("/api/")
        for method, operation in operations.items()
    ]


def assert_error_shape(body: dict[str, Any]) -> None:
    assert set(body) <= {"error", "message", "fields"}
    assert isinstance(body["error"], str)
    assert isinstance(body["message"], str)
    assert body["message"].endswith(".")
    assert all(isinstance(v, str) for v in body.get("fields", {}).values())


def test_every_api_operation_documents_the_error_shape_it_sends(client: Any) -> None:
    document = client.get("/api/openapi.json").json()
    operations = api_operations(document)
    assert operations
    for path, method, operation in operations:
        for status in ERROR_RESPONSES:
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path)
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["required"] == ["error", "message"]
    assert "HTTPValidationError" not in schemas  # FastAPI's shape, which Amanat never sends


@pytest.mark.parametrize("body", [b"[", b"[]", b'{"no such field": 1}'])
def test_a_bad_body_gets_the_documented_error_shape(client: Any, body: bytes) -> None:
    document = client.get("/api/openapi.json").json()
    with_body = [
        path
        for path, method, operation in api_operations(document)
        if method == "post"
        and "application/json" in operation.get("requestBody", {}).get("content", {})
        and "{" not in path
    ]
    assert with_body, "no JSON POST operation to try"
    for path in with_body:
        response = client.post(path, content=body, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert str(response.status_code) in ERROR_RESPONSES
        assert_error_shape(response.json())
