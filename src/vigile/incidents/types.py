"""Domain types of the incidents slice."""

from __future__ import annotations

from enum import StrEnum


class IncidentStatus(StrEnum):
    """Where an incident stands."""

    OPEN = "open"
    CONTAINED = "contained"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Category(StrEnum):
    """What kind of incident (free ``other`` for the rest)."""

    MALWARE = "malware"
    INTRUSION = "intrusion"
    ACCOUNT_COMPROMISE = "account_compromise"
    DATA_LEAK = "data_leak"
    DOS = "dos"
    PHISHING = "phishing"
    POLICY = "policy"
    OTHER = "other"


class Outcome(StrEnum):
    """Recorded at closing; true positives feed the committee report."""

    TRUE_POSITIVE_IMPACT = "true_positive_impact"
    TRUE_POSITIVE_NO_IMPACT = "true_positive_no_impact"
    FALSE_POSITIVE = "false_positive"
    LEGITIMATE_ACTIVITY = "legitimate_activity"
    MERGED = "merged"
    NOT_APPLICABLE = "not_applicable"


TRUE_POSITIVES = (Outcome.TRUE_POSITIVE_IMPACT, Outcome.TRUE_POSITIVE_NO_IMPACT)


class TimelineKind(StrEnum):
    """Kinds of rows in an incident's own timeline (notifications come from ``notify``)."""

    CREATED = "created"
    UPDATED = "updated"
    STATUS = "status"
    ALERT_ATTACHED = "alert_attached"
    ALERT_DETACHED = "alert_detached"
    MERGED = "merged"
    COMMENT = "comment"
    EVIDENCE = "evidence"
    ESCALATED = "escalated"
    CSIRT = "csirt"
    ACTION = "action"


class ActionType(StrEnum):
    """Containment (Annex A: "blocage ou limitation immédiate de la propagation")."""

    BLOCK_IP = "block_ip"
    BLOCK_DOMAIN = "block_domain"
    BLOCK_URL = "block_url"
    BLOCK_HASH = "block_hash"
    ISOLATE_HOST = "isolate_host"
    DISABLE_ACCOUNT = "disable_account"
    CUSTOM = "custom"


class ActionState(StrEnum):
    """proposed → approved → applied → reverted | expired (or rejected before applying)."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    APPLIED = "applied"
    REVERTED = "reverted"
    EXPIRED = "expired"


BLOCKLIST_TYPES = {
    "ip": ActionType.BLOCK_IP,
    "domain": ActionType.BLOCK_DOMAIN,
    "url": ActionType.BLOCK_URL,
    "hash": ActionType.BLOCK_HASH,
}
"""Block list names served at ``/api/v1/blocklists/{tenant}/{name}.txt``."""

LABELS: dict[str, tuple[str, str]] = {
    "open": ("ouvert", "open"),
    "contained": ("confiné", "contained"),
    "resolved": ("résolu", "resolved"),
    "closed": ("clos", "closed"),
    "true_positive_impact": ("vrai positif avec impact", "true positive with impact"),
    "true_positive_no_impact": ("vrai positif sans impact", "true positive without impact"),
    "false_positive": ("faux positif", "false positive"),
    "legitimate_activity": ("activité légitime", "legitimate activity"),
    "merged": ("fusionné", "merged"),
    "not_applicable": ("sans objet", "not applicable"),
    "1": ("basse", "low"),
    "2": ("moyenne", "medium"),
    "3": ("haute", "high"),
    "4": ("critique", "critical"),
}
"""French and English wording of statuses, outcomes and criticality levels."""


def label(value: object, language: str) -> str:
    """The French or English label of a status, outcome or level (the value itself if none)."""
    pair = LABELS.get(str(value))
    if pair is None:
        return str(value)
    return pair[0] if language == "fr" else pair[1]
