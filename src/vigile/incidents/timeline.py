"""An incident's timeline: its own entries plus the notifications about it (from ``notify``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.incidents.models import Incident, IncidentEvent
from vigile.incidents.schemas import TimelineEntry
from vigile.incidents.types import TimelineKind
from vigile.notify import service as notify
from vigile.scope import CallerScope

SUBJECT = "incident"


def record(
    session: Session,
    scope: CallerScope,
    incident: Incident,
    kind: TimelineKind,
    at: datetime,
    *,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> IncidentEvent:
    """Append a timeline entry and the matching audit entry (same transaction)."""
    row = IncidentEvent(
        incident_id=incident.id,
        kind=kind.value,
        at=at,
        actor=scope.principal,
        text=text,
        details=orjson.dumps(details or {}, default=str).decode(),
    )
    session.add(row)
    session.flush()
    audit_details = dict(details or {}) | ({"text": text} if text is not None else {})
    audit.record(
        session,
        scope,
        f"incident.{kind.value}",
        "incident",
        incident.id,
        tenant_id=incident.tenant_id,
        details=audit_details,
        clock=lambda: at,
    )
    return row


def entries(session: Session, scope: CallerScope, incident: Incident) -> list[TimelineEntry]:
    """Every step, oldest first: alerts, comments, status changes, actions, notifications
    (queued, sent, failed, acknowledged) and escalations to the backup referent."""
    out = [
        TimelineEntry(
            at=row.at,
            kind=row.kind,
            actor=row.actor,
            text=row.text,
            details=orjson.loads(row.details),
        )
        for row in session.scalars(
            select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
        )
    ]
    messages, escalations = notify.history(session, scope, SUBJECT, incident.id, incident.tenant_id)
    for n in messages:
        who = {
            "notification_id": n.id,
            "to": n.recipient,
            "role": n.recipient_role,
            "channel": n.channel,
        }
        out.append(
            TimelineEntry(at=n.created_at, kind="notification_queued", actor="system", details=who)
        )
        if n.sent_at is not None:
            out.append(
                TimelineEntry(at=n.sent_at, kind="notification_sent", actor="system", details=who)
            )
        elif n.last_error:
            out.append(
                TimelineEntry(
                    at=n.next_attempt_at,
                    kind="notification_retry",
                    actor="system",
                    text=n.last_error,
                    details=who | {"attempts": n.attempts},
                )
            )
        if n.acknowledged_at is not None:
            out.append(
                TimelineEntry(
                    at=n.acknowledged_at,
                    kind="notification_acknowledged",
                    actor=n.acknowledged_by or "?",
                    details=who,
                )
            )
    for e in escalations:
        if e.backup_notified_at is not None:
            out.append(
                TimelineEntry(
                    at=e.backup_notified_at,
                    kind="escalated_to_backup",
                    actor="system",
                    details={"escalation_id": e.id, "due_at": e.backup_due_at.isoformat()},
                )
            )
    out.sort(key=lambda entry: entry.at)
    return out
