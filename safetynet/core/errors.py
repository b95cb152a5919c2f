"""Domain errors. Each has a stable machine-readable `code`, a message a town worker understands,
and optionally the field (or row) at fault. One handler maps them to HTTP answers and page messages."""
from __future__ import annotations


class SafetyNetError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, details: dict | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.details = details or {}
        if code:
            self.code = code

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class ValidationError(SafetyNetError):
    code = "invalid"
    status = 422


class PermissionDenied(SafetyNetError):
    """The post's role may not do this (403). Out-of-area objects answer NotFound instead."""

    code = "forbidden"
    status = 403


class NotFound(SafetyNetError):
    """Missing, or outside the actor's area: the two are indistinguishable on purpose."""

    code = "not_found"
    status = 404


class Conflict(SafetyNetError):
    code = "conflict"
    status = 409
