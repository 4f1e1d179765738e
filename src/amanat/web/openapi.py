"""The published OpenAPI document states the error responses every API operation can give.

The error handlers (amanat.web.errors) answer every failure under /api with one JSON
shape, ``{"error", "message", "fields"?}``. FastAPI documents only the success response
and its own validation error shape (``{"detail": [...]}``), which Amanat never sends, so
clients and the Schemathesis fuzz would be told a different story than the one served.
This fills in the truth once, for every operation, including those added later.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "A stable code, e.g. `invalid`."},
        "message": {"type": "string", "description": "One sentence a person can act on."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "For 422: each field that needs fixing, and how.",
        },
    },
}

ERROR_RESPONSES = {
    "400": "The request cannot be used as sent (unreadable body, missing header).",
    "401": "Not signed in; the message says how to sign in.",
    "403": "Signed in, but not allowed; the message names the role and purpose.",
    "404": "Nothing at this address, or nothing this caller may see.",
    "409": "The request conflicts with the current state.",
    "422": "Some fields need fixing; `fields` says how.",
    "429": "Too many attempts; try again later.",
    "503": "A service this operation needs is not available.",
}

UNUSED_FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")


def document_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` list Amanat's error responses on every /api operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    responses[status] = {"description": description, "content": reference}
        text = str(schema.get("paths", {}))
        for name in UNUSED_FASTAPI_SCHEMAS:
            if f"#/components/schemas/{name}" not in text:
                schemas.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
