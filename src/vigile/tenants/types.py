"""Domain types of the tenants slice."""

from __future__ import annotations

from enum import StrEnum


class TenantStatus(StrEnum):
    """Lifecycle of a client organisation in the service."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


DEFAULT_TIMEZONE = "Europe/Paris"
DEFAULT_HOLIDAYS = "FR"
DEFAULT_HOURS = "mon-fri 09:00-18:00"
# A tenant's own event retention, in days (a hundred years at most).
MAX_EVENT_RETENTION_DAYS = 36500


class DayKind(StrEnum):
    """An extra day declared for a tenant: closed (no business hours) or open (a working day)."""

    CLOSED = "closed"
    OPEN = "open"
