"""Tunable behaviour of the alerts slice (from settings) and the system caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from vigile.config import Settings
from vigile.scope import CallerScope, Role

SYSTEM = CallerScope(principal="system:alerts", role=Role.ADMIN, tenant_ids=None)
"""The scope of the pipeline and of the scheduler (named in the audit trail)."""

MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a detection's raise time may be (clock differences between hosts)."""


@dataclass(frozen=True)
class AlertPolicy:
    """Deduplication window, due-soon threshold and evidence kept per alert."""

    dedup_window: timedelta = timedelta(minutes=60)
    due_soon_share: float = 0.75
    evidence_max: int = 100

    def __post_init__(self) -> None:
        if self.dedup_window < timedelta(0):
            raise ValueError("dedup_window must not be negative")
        if not 0 < self.due_soon_share <= 1:
            raise ValueError("due_soon_share must be in (0, 1]")
        if self.evidence_max < 1:
            raise ValueError("evidence_max must be at least 1")

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertPolicy:
        return cls(
            dedup_window=timedelta(minutes=settings.alert_dedup_minutes),
            due_soon_share=settings.sla_due_soon_share,
            evidence_max=settings.alert_evidence_max,
        )
