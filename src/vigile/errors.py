"""Domain errors raised by services; the web layer maps them to RFC 9457 problem details
and the CLI to messages and exit codes. Callers branch on the type, never on the text."""

from __future__ import annotations


class VigileError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    title = "Bad request"


class NotFound(VigileError):
    """The object does not exist, or the caller may not know it exists."""

    status = 404
    title = "Not found"


class PermissionDenied(VigileError):
    """The caller is known but its role may not do this."""

    status = 403
    title = "Forbidden"


class Unauthenticated(VigileError):
    """No valid credential."""

    status = 401
    title = "Unauthorized"


class Conflict(VigileError):
    """The change collides with existing data (duplicate slug, username…)."""

    status = 409
    title = "Conflict"


class InvalidInput(VigileError):
    """The input is well-formed but its values are not acceptable."""

    status = 422
    title = "Invalid input"
