"""Domain errors. One place (leadcenter.http) maps them to HTTP; nothing else builds error responses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class Unprocessable(DomainError):
    status, code = 422, "unprocessable"


class Throttled(DomainError):
    status, code = 429, "throttled"


class IntegrityError(DomainError):
    """A ciphertext does not belong where it was found (moved to another lead or field, or tampered)."""

    status, code = 500, "integrity_error"
