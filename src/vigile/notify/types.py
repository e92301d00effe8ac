"""Domain types of the notify slice."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """How a notification travels."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class Audience(StrEnum):
    """Who a notification is for: the client's referents or the provider's staff."""

    CLIENT = "client"
    PROVIDER = "provider"


class DeliveryStatus(StrEnum):
    """Outbox state: ``sending`` is a claim with a lease (a crashed sender's claim expires)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class EscalationStatus(StrEnum):
    """Where an escalation stands: waiting for an acknowledgement, or done."""

    WAITING = "waiting"
    BACKUP_NOTIFIED = "backup_notified"
    ACKNOWLEDGED = "acknowledged"
