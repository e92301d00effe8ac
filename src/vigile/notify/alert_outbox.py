"""SLA alert events (``due_soon``, ``breached`` rows of the alerts' timeline, whose
``notified_at`` column is their outbox flag) → messages to the provider's on-duty analysts.

This module reads the alerts slice's tables directly (the outbox contract documented on
``alert_events``); a ``vigile.alerts.service`` function should take its place.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigile.alerts.models import Alert, AlertEvent
from vigile.alerts.types import EventKind
from vigile.config import Settings
from vigile.notify import service
from vigile.notify.types import Audience, Channel
from vigile.tenants.service import slugs_by_id

KINDS = (EventKind.DUE_SOON.value, EventKind.BREACHED.value)


def on_duty(settings: Settings) -> list[str]:
    """On-duty analysts' e-mail addresses (``VIGILE_NOTIFY_ON_DUTY``)."""
    return [a.strip() for a in settings.notify_on_duty.split(",") if a.strip()]


def collect(session: Session, settings: Settings, now: datetime, batch: int = 500) -> int:
    """Turn unnotified SLA events into outbox messages (one per on-duty contact); each event
    is flagged by compare-and-set, so concurrent senders enqueue it once."""
    emails = on_duty(settings)
    hooks = service.webhooks(session, None)
    if not emails and not hooks:
        return 0
    events = session.scalars(
        select(AlertEvent)
        .where(AlertEvent.kind.in_(KINDS), AlertEvent.notified_at.is_(None))
        .order_by(AlertEvent.id)
        .limit(batch)
    ).all()
    slugs = slugs_by_id(session, {e.tenant_id for e in events})
    done = 0
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
        context = {
            "alert_id": event.alert_id,
            "kind": event.kind,
            "tenant": slugs.get(event.tenant_id, "?"),
            "title": alert.rule_title if alert else "?",
            "level": alert.level if alert else "?",
            "due_at": alert.due_at.isoformat() if alert and alert.due_at else "—",
        }
        recipients = [service.Recipient(Channel.EMAIL, e, "", "on_duty", "fr") for e in emails]
        recipients += [
            service.Recipient(Channel.WEBHOOK, h.url, "", "webhook", h.language) for h in hooks
        ]
        for recipient in recipients:
            service.enqueue(
                session,
                key=f"alert-event:{event.id}:{recipient.channel}:{recipient.address.lower()}",
                tenant_id=event.tenant_id,
                audience=Audience.PROVIDER,
                recipient=recipient,
                template="alert_sla",
                context=context,
                subject=("alert", event.alert_id),
                now=now,
            )
        done += 1
    return done
