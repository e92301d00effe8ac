"""Domain types of the committees slice."""

from __future__ import annotations

from enum import StrEnum


class Recurrence(StrEnum):
    """How often committees are held (the offer's recurrence)."""

    MONTHLY = "monthly"
    BIMONTHLY = "bimonthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        """Months between two committees."""
        return _MONTHS[self]


_MONTHS = {
    Recurrence.MONTHLY: 1,
    Recurrence.BIMONTHLY: 2,
    Recurrence.QUARTERLY: 3,
    Recurrence.SEMIANNUAL: 6,
    Recurrence.YEARLY: 12,
}


class ReportStatus(StrEnum):
    """Where a committee's report is: written, sent to the client, validated by the client."""

    DRAFT = "draft"
    SENT = "sent"
    VALIDATED = "validated"


class ActionStatus(StrEnum):
    """Status of an action plan item; open ones are carried over to the next committee."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_closed(self) -> bool:
        return self in (ActionStatus.DONE, ActionStatus.CANCELLED)


class Indicator(StrEnum):
    """The KPIs a tenant may choose during build for its committee reports."""

    ALERTS_PER_LEVEL = "alerts_per_level"
    SLA_COMPLIANCE = "sla_compliance"
    ACK_TIMES = "ack_times"
    TRUE_POSITIVE_RATE = "true_positive_rate"
    INCIDENTS_BY_CATEGORY = "incidents_by_category"
    TOP_RULES_VOLUME = "top_rules_volume"
    TOP_RULES_FALSE_POSITIVES = "top_rules_false_positives"
    SOURCE_HEALTH = "source_health"
    ASSETS_VS_SUBSCRIBED = "assets_vs_subscribed"


class Lang(StrEnum):
    """Languages of client-facing reports."""

    FR = "fr"
    EN = "en"
