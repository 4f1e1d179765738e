"""Domain errors. Each carries an HTTP status and one sentence a person can act on.

Messages never contain personal data or secrets: they name fields, ids and what to do.
"""

from __future__ import annotations


class AmanatError(Exception):
    """Base of every error Amanat raises on purpose; anything else is a bug."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class BadRequest(AmanatError):
    status = 400
    code = "bad_request"


class Unauthenticated(AmanatError):
    status = 401
    code = "unauthenticated"


class Forbidden(AmanatError):
    status = 403
    code = "forbidden"


class NotFound(AmanatError):
    status = 404
    code = "not_found"


class Conflict(AmanatError):
    status = 409
    code = "conflict"


class Invalid(AmanatError):
    """Input failed validation; ``fields`` maps each field to what to fix."""

    status = 422
    code = "invalid"


class TooManyRequests(AmanatError):
    """``retry_after`` (seconds), when known, is sent as the Retry-After header."""

    status = 429
    code = "too_many_requests"

    def __init__(
        self, message: str, *, retry_after: int | None = None, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, fields=fields)
        self.retry_after = retry_after


class Unavailable(AmanatError):
    status = 503
    code = "unavailable"


class ConfigError(AmanatError):
    """The operator must fix configuration (policy, data directory, database, port)."""

    status = 500
    code = "configuration"
