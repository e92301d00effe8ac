"""SLA alert events (``due_soon``, ``breached`` rows of the alerts' timeline, whose
``notified_at`` column is their outbox flag) → messages to the provider's on-duty analysts.

Events are claimed through :mod:`vigile.alerts.outbox`, never from the alerts' tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from vigile.alerts.outbox import claim_sla_events
from vigile.config import Settings
from vigile.notify import service
from vigile.notify.types import Audience, Channel
from vigile.tenants.service import slugs_by_id


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
    events = claim_sla_events(session, now, batch)
    slugs = slugs_by_id(session, {e.tenant_id for e in events})
    for event in events:
        context = {
            "alert_id": event.alert_id,
            "kind": event.kind,
            "tenant": slugs.get(event.tenant_id, "?"),
            "title": event.rule_title if event.rule_title is not None else "?",
            "level": event.level if event.level is not None else "?",
            "due_at": event.due_at.isoformat() if event.due_at else "—",
        }
        recipients = [service.Recipient(Channel.EMAIL, e, "", "on_duty", "fr") for e in emails]
        recipients += [
            service.Recipient(Channel.WEBHOOK, h.url, "", "webhook", h.language) for h in hooks
        ]
        for recipient in recipients:
            service.enqueue(
                session,
                key=f"alert-event:{event.event_id}:{recipient.channel}:{recipient.address.lower()}",
                tenant_id=event.tenant_id,
                audience=Audience.PROVIDER,
                recipient=recipient,
                template="alert_sla",
                context=context,
                subject=("alert", event.alert_id),
                now=now,
            )
    return len(events)
