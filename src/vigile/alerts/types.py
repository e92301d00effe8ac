"""Domain types of the alerts slice."""

from __future__ import annotations

from enum import StrEnum


class AlertState(StrEnum):
    """Where an alert is in its lifecycle. ``acknowledged`` is what the service level measures."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Verdict(StrEnum):
    """Outcome of triage, given when an alert is closed (feeds rule quality)."""

    TRUE_POSITIVE = "true_positive"
    BENIGN_POSITIVE = "benign_positive"
    FALSE_POSITIVE = "false_positive"
    DUPLICATE = "duplicate"


class SlaState(StrEnum):
    """Service-level state of an alert at a given instant."""

    NO_SLA = "no_sla"
    RUNNING = "running"
    DUE_SOON = "due_soon"
    MET = "met"
    BREACHED = "breached"


class EventKind(StrEnum):
    """Kinds of rows in an alert's timeline (``alert_events``, read later by notifications)."""

    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    STARTED = "started"
    ASSIGNED = "assigned"
    LEVEL_CHANGED = "level_changed"
    CLOSED = "closed"
    REOPENED = "reopened"
    COMMENT = "comment"
    DUE_SOON = "due_soon"
    BREACHED = "breached"


class RaiseStatus(StrEnum):
    """What :func:`vigile.alerts.service.raise_alert` did with a detection."""

    CREATED = "created"
    JOINED = "joined"
    SUPPRESSED = "suppressed"


VERDICT_LABELS = {
    Verdict.TRUE_POSITIVE: ("vrai positif", "true positive"),
    Verdict.BENIGN_POSITIVE: ("positif bénin (activité légitime)", "benign positive"),
    Verdict.FALSE_POSITIVE: ("faux positif", "false positive"),
    Verdict.DUPLICATE: ("doublon", "duplicate"),
}
"""French and English wording of each verdict, for client-facing output."""
