"""Escalating an incident to the client's referents (Annex A: "analyse et escalade")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import orjson
from sqlalchemy.orm import Session

from vigile.incidents import service, timeline
from vigile.incidents.models import Incident
from vigile.incidents.types import LABELS, TimelineKind, label
from vigile.notify import service as notify
from vigile.notify.models import Escalation
from vigile.scope import CallerScope
from vigile.tenants import service as tenants

TEMPLATE = "incident_escalation"


def escalate(
    session: Session,
    scope: CallerScope,
    incident_id: int,
    note: str,
    delay: timedelta,
    clock: Callable[[], datetime],
) -> Escalation:
    """Notify the primary referent now (in this transaction, through the outbox); the backup
    is notified after ``delay`` unless a notification of this escalation is acknowledged."""
    incident = service.for_change(session, scope, incident_id)
    now = clock()
    number = notify.count_escalations(session, timeline.SUBJECT, incident.id) + 1
    escalation, rows = notify.start_escalation(
        session,
        scope,
        key=f"incident:{incident.id}:escalation:{number}",
        tenant_id=incident.tenant_id,
        subject=(timeline.SUBJECT, incident.id),
        template=TEMPLATE,
        context=_context(session, scope, incident, note),
        delay=delay,
        now=now,
    )
    timeline.record(
        session,
        scope,
        incident,
        TimelineKind.ESCALATED,
        now,
        text=note or None,
        details={
            "escalation_id": escalation.id,
            "number": number,
            "backup_due_at": escalation.backup_due_at.isoformat(),
            "notifications": [r.id for r in rows],
        },
    )
    return escalation


def _context(
    session: Session, scope: CallerScope, incident: Incident, note: str
) -> dict[str, object]:
    tenant = tenants.get_tenant_by_id(session, scope, incident.tenant_id)
    # Labels in both languages: the backup may read another language than the primary.
    return {
        "incident_id": incident.id,
        "title": incident.title,
        "criticality": incident.criticality,
        "labels": {lang: {k: label(k, lang) for k in LABELS} for lang in ("fr", "en")},
        "category": incident.category,
        "status": incident.status,
        "analyst": incident.analyst,
        "assets": orjson.loads(incident.assets),
        "summary": incident.summary,
        "note": note,
        "tenant_name": tenant.name,
    }
