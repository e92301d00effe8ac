"""The alerts' SLA events as an outbox for notifications.

``due_soon`` and ``breached`` rows of the alert timeline carry a ``notified_at`` flag; a
consumer (the notify slice) claims unflagged rows here, by compare-and-set, so that concurrent
senders claim each event once. Other slices read these events only through this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigile.alerts.models import Alert, AlertEvent
from vigile.alerts.types import EventKind

SLA_KINDS = (EventKind.DUE_SOON.value, EventKind.BREACHED.value)


@dataclass(frozen=True)
class SlaEvent:
    """A claimed SLA event with what a message about it shows."""

    event_id: int
    kind: str
    tenant_id: int
    alert_id: int
    rule_title: str | None
    level: int | None
    due_at: datetime | None


def claim_sla_events(session: Session, now: datetime, batch: int = 500) -> list[SlaEvent]:
    """Flag up to ``batch`` unnotified SLA events as notified at ``now`` and return them
    (in the caller's transaction: if it rolls back, the events stay unclaimed)."""
    events = session.scalars(
        select(AlertEvent)
        .where(AlertEvent.kind.in_(SLA_KINDS), AlertEvent.notified_at.is_(None))
        .order_by(AlertEvent.id)
        .limit(batch)
    ).all()
    claimed: list[SlaEvent] = []
    for event in events:
        moved = session.execute(
            update(AlertEvent)
            .where(AlertEvent.id == event.id, AlertEvent.notified_at.is_(None))
            .values(notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue
        alert = session.get(Alert, event.alert_id)
        claimed.append(
            SlaEvent(
                event_id=event.id,
                kind=event.kind,
                tenant_id=event.tenant_id,
                alert_id=event.alert_id,
                rule_title=alert.rule_title if alert else None,
                level=alert.level if alert else None,
                due_at=alert.due_at if alert else None,
            )
        )
    return claimed
