"""An alert's history: timeline rows, their audit entries, and the deadline of a raise.

Every change is recorded twice in the same transaction: in the alert's timeline
(``alert_events``, which notifications will read) and in the hash-chained audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from vigile.alerts.models import Alert, AlertEvent
from vigile.alerts.types import EventKind
from vigile.audit import service as audit
from vigile.scope import CallerScope
from vigile.service_levels import Deadline, Level, ServiceLevelError, compute_deadline
from vigile.tenants import service as tenants

Clock = Callable[[], datetime]
NO_OPEN_TIME = "calendar has no open time"


def log_event(
    session: Session,
    alert: Alert,
    kind: EventKind,
    actor: str,
    at: datetime,
    *,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> AlertEvent:
    """Append one timeline row (also the notification outbox)."""
    row = AlertEvent(
        alert_id=alert.id,
        tenant_id=alert.tenant_id,
        kind=kind.value,
        at=at,
        actor=actor,
        text=text,
        details=orjson.dumps(details or {}, default=str).decode(),
    )
    session.add(row)
    session.flush()
    return row


def deadline_for(
    session: Session, scope: CallerScope, tenant_id: int, level: Level, raised: datetime
) -> Deadline:
    terms = tenants.service_terms(session, scope, tenant_id)
    try:
        return compute_deadline(terms, level, raised)
    except ServiceLevelError:  # a calendar without open time: keep the alert, say why
        return Deadline(level=level, raised_at=raised, due_at=None, reason=NO_OPEN_TIME)


def record_change(
    session: Session,
    scope: CallerScope,
    alert: Alert,
    kind: EventKind,
    at: datetime,
    *,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> AlertEvent:
    row = log_event(session, alert, kind, scope.principal, at, text=text, details=details)
    audit_details = dict(details or {})
    if text is not None:
        audit_details["text"] = text
    audit.record(
        session,
        scope,
        f"alert.{kind.value}",
        "alert",
        alert.id,
        tenant_id=alert.tenant_id,
        details=audit_details,
        clock=lambda: at,
    )
    return row


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
