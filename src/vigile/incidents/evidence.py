"""Evidence: events attached from the event store keep their content hash (the event id) and a
copy of the raw record; :func:`verify` recomputes the hash for the export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.errors import Conflict
from vigile.events import service as events
from vigile.events.store import EventStore, content_hash
from vigile.incidents import service, timeline
from vigile.incidents.models import IncidentEvidence
from vigile.incidents.types import TimelineKind
from vigile.scope import CallerScope
from vigile.tenants import service as tenants


@dataclass(frozen=True)
class Checked:
    """An evidence row and whether its raw copy still hashes to the recorded hash."""

    item: IncidentEvidence
    computed_hash: str

    @property
    def intact(self) -> bool:
        return self.computed_hash == self.item.content_hash == self.item.event_id


def attach_event(
    session: Session,
    store: EventStore,
    scope: CallerScope,
    incident_id: int,
    event_id: str,
    clock: Callable[[], datetime],
) -> IncidentEvidence:
    """Keep an event of the incident's tenant as evidence (NotFound if the store lacks it)."""
    incident = service.for_change(session, scope, incident_id)
    slug = tenants.get_tenant_by_id(session, scope, incident.tenant_id).slug
    event = events.get(store, scope, session, slug, event_id)
    exists = session.scalar(
        select(IncidentEvidence.id).where(
            IncidentEvidence.incident_id == incident.id, IncidentEvidence.event_id == event_id
        )
    )
    if exists is not None:
        raise Conflict("this event is already evidence of the incident")
    now = clock()
    row = IncidentEvidence(
        incident_id=incident.id,
        event_id=event.event_id,
        content_hash=content_hash(event.raw),
        event_time=event.time,
        source_type=event.source_type,
        source=event.source,
        raw=event.raw,
        attached_at=now,
        attached_by=scope.principal,
    )
    session.add(row)
    session.flush()
    timeline.record(
        session,
        scope,
        incident,
        TimelineKind.EVIDENCE,
        now,
        details={"event_id": event.event_id, "content_hash": row.content_hash},
    )
    return row


def list_evidence(session: Session, scope: CallerScope, incident_id: int) -> list[IncidentEvidence]:
    """The incident's evidence, oldest event first."""
    incident = service.get_incident(session, scope, incident_id)
    query = select(IncidentEvidence).where(IncidentEvidence.incident_id == incident.id)
    return list(session.scalars(query.order_by(IncidentEvidence.event_time, IncidentEvidence.id)))


def verify(items: list[IncidentEvidence]) -> list[Checked]:
    """Recompute each raw copy's SHA-256."""
    return [Checked(item, content_hash(item.raw)) for item in items]
