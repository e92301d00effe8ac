"""Incidents: create from an alert, change, attach/detach alerts, merge, comment, hand over to
the CSIRT. Tenant-scoped: clients read their own tenant's incidents; changes are the provider's.

Each change writes a timeline entry and an audit entry in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigile.alerts import service as alerts
from vigile.errors import Conflict, InvalidInput, NotFound
from vigile.incidents import timeline
from vigile.incidents.models import ContainmentAction, Incident, IncidentAlert, IncidentEvidence
from vigile.incidents.schemas import IncidentCreate, IncidentUpdate
from vigile.incidents.types import TRUE_POSITIVES, IncidentStatus, Outcome, TimelineKind
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants

Clock = Callable[[], datetime]
Kind = TimelineKind


def get_incident(session: Session, scope: CallerScope, incident_id: int) -> Incident:
    """One incident; NotFound when missing or outside the caller's tenants."""
    scope.require_api()
    incident = session.get(Incident, incident_id)
    if incident is None or not scope.can_access(incident.tenant_id):
        raise NotFound("incident not found")
    return incident


def for_change(session: Session, scope: CallerScope, incident_id: int) -> Incident:
    """An incident the caller may change (NotFound before Forbidden: no existence leak)."""
    incident = get_incident(session, scope, incident_id)
    scope.require_provider()
    return incident


def list_incidents(
    session: Session,
    scope: CallerScope,
    page: PageRequest,
    *,
    tenant: str | None = None,
    status: IncidentStatus | None = None,
) -> tuple[list[Incident], int]:
    """Incidents the caller may see, newest first."""
    scope.require_api()
    query = select(Incident)
    if scope.tenant_ids is not None:
        query = query.where(Incident.tenant_id.in_(scope.tenant_ids))
    if tenant is not None:
        query = query.where(Incident.tenant_id == tenants.get_tenant(session, scope, tenant).id)
    if status is not None:
        query = query.where(Incident.status == status.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Incident.id.desc()).limit(page.limit).offset(page.offset))
    return list(rows), total


def alert_ids(session: Session, incident_id: int) -> list[int]:
    """Ids of the alerts grouped in an incident."""
    query = select(IncidentAlert.alert_id).where(IncidentAlert.incident_id == incident_id)
    return sorted(session.scalars(query))


def create_incident(
    session: Session, scope: CallerScope, data: IncidentCreate, clock: Clock
) -> Incident:
    """Open an incident, from an alert (tenant, title, level and assets taken from it unless
    given) or for a named tenant."""
    now = clock()
    alert = None
    if data.from_alert is not None:
        alert = alerts.get_alert(session, scope, data.from_alert)
        tenant_id = alert.tenant_id
        if (
            data.tenant is not None
            and tenants.get_tenant(session, scope, data.tenant).id != tenant_id
        ):
            raise InvalidInput("the alert belongs to another tenant")
    elif data.tenant is not None:
        tenant_id = tenants.get_tenant(session, scope, data.tenant).id
    else:
        raise InvalidInput("give a tenant or an alert (from_alert)")
    scope.require_provider()
    assets = list(data.assets)
    if alert is not None:
        for values in orjson.loads(alert.assets or "{}").values():
            assets += [v for v in values if v not in assets]
    title = data.title or (alert.rule_title if alert else None)
    criticality = data.criticality or (alert.level if alert else None)
    if not title or criticality is None:
        raise InvalidInput("title and criticality are required without an alert")
    incident = Incident(
        tenant_id=tenant_id,
        title=title,
        criticality=criticality,
        status=IncidentStatus.OPEN.value,
        category=data.category.value if data.category else None,
        assets=orjson.dumps(assets).decode(),
        indicators=orjson.dumps(data.indicators).decode(),
        summary=data.summary,
        analyst=data.analyst or scope.principal,
        created_at=now,
        created_by=scope.principal,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    timeline.record(
        session,
        scope,
        incident,
        Kind.CREATED,
        now,
        details={"title": title, "criticality": criticality},
    )
    if alert is not None:
        _attach(session, scope, incident, alert.id, now)
    return incident


def update_incident(
    session: Session, scope: CallerScope, incident_id: int, data: IncidentUpdate, clock: Clock
) -> Incident:
    """Change fields and/or status; closing records the outcome (required)."""
    incident = for_change(session, scope, incident_id)
    now = clock()
    given = data.model_dump(exclude_unset=True, mode="json")
    status = given.pop("status", None)
    outcome = given.pop("outcome", None)
    comment = given.pop("outcome_comment", None)
    changed = {}
    for field, value in given.items():
        if value is None:
            continue
        if field in ("assets", "indicators"):
            value = orjson.dumps(value).decode()
        if getattr(incident, field) != value:
            changed[field] = value
            setattr(incident, field, value)
    if changed:
        timeline.record(session, scope, incident, Kind.UPDATED, now, details=changed)
    if status is not None and status != incident.status:
        set_status(
            session,
            scope,
            incident,
            IncidentStatus(status),
            now,
            Outcome(outcome) if outcome else None,
            comment,
        )
    elif outcome is not None:
        if incident.status != IncidentStatus.CLOSED:
            raise InvalidInput("an outcome is recorded when the incident is closed")
        incident.outcome, incident.outcome_comment = outcome, comment
        timeline.record(session, scope, incident, Kind.UPDATED, now, details={"outcome": outcome})
    incident.updated_at = now
    session.flush()
    return incident


def set_status(
    session: Session,
    scope: CallerScope,
    incident: Incident,
    status: IncidentStatus,
    now: datetime,
    outcome: Outcome | None = None,
    comment: str | None = None,
) -> None:
    """Move to ``status``; closing needs an outcome, reopening clears it."""
    before = incident.status
    if status is IncidentStatus.CLOSED:
        if outcome is None:
            raise InvalidInput("closing an incident records its outcome")
        incident.outcome, incident.outcome_comment = outcome.value, comment
        incident.closed_at, incident.closed_by = now, scope.principal
    elif before == IncidentStatus.CLOSED:
        incident.outcome = incident.outcome_comment = None
        incident.closed_at = incident.closed_by = None
    incident.status = status.value
    incident.updated_at = now
    details = {"from": before, "to": status.value}
    if outcome is not None:
        details["outcome"] = outcome.value
    timeline.record(session, scope, incident, Kind.STATUS, now, text=comment, details=details)


def attach_alert(
    session: Session, scope: CallerScope, incident_id: int, alert_id: int, clock: Clock
) -> Incident:
    """Group an alert of the same tenant into the incident."""
    incident = for_change(session, scope, incident_id)
    _attach(session, scope, incident, alert_id, clock())
    return incident


def detach_alert(
    session: Session, scope: CallerScope, incident_id: int, alert_id: int, clock: Clock
) -> Incident:
    """Take an alert out of the incident."""
    incident = for_change(session, scope, incident_id)
    link = session.get(IncidentAlert, alert_id)
    if link is None or link.incident_id != incident.id:
        raise NotFound("alert not in this incident")
    session.delete(link)
    session.flush()
    timeline.record(
        session, scope, incident, Kind.ALERT_DETACHED, clock(), details={"alert_id": alert_id}
    )
    return incident


def merge(
    session: Session, scope: CallerScope, target_id: int, source_id: int, clock: Clock
) -> Incident:
    """Move the source incident's alerts, evidence and actions into the target; the source is
    closed with outcome ``merged``."""
    target = for_change(session, scope, target_id)
    source = for_change(session, scope, source_id)
    if source.id == target.id or source.tenant_id != target.tenant_id:
        raise InvalidInput("merge two different incidents of the same tenant")
    if source.merged_into_id is not None:
        raise Conflict("the source incident was already merged")
    now = clock()
    moved = alert_ids(session, source.id)
    for link in session.scalars(
        select(IncidentAlert).where(IncidentAlert.incident_id == source.id)
    ):
        link.incident_id = target.id
    held = set(
        session.scalars(
            select(IncidentEvidence.event_id).where(IncidentEvidence.incident_id == target.id)
        )
    )
    for item in session.scalars(
        select(IncidentEvidence).where(IncidentEvidence.incident_id == source.id)
    ):
        if item.event_id in held:
            session.delete(item)
        else:
            item.incident_id = target.id
    for action in session.scalars(
        select(ContainmentAction).where(ContainmentAction.incident_id == source.id)
    ):
        action.incident_id = target.id
    source.merged_into_id = target.id
    if source.status != IncidentStatus.CLOSED:
        set_status(
            session,
            scope,
            source,
            IncidentStatus.CLOSED,
            now,
            Outcome.MERGED,
            f"merged into incident {target.id}",
        )
    timeline.record(
        session,
        scope,
        target,
        Kind.MERGED,
        now,
        details={"source_id": source.id, "alert_ids": moved},
    )
    target.updated_at = now
    session.flush()
    return target


def comment(
    session: Session, scope: CallerScope, incident_id: int, text: str, clock: Clock
) -> Incident:
    """Add a comment to the timeline (provider staff)."""
    incident = for_change(session, scope, incident_id)
    timeline.record(session, scope, incident, Kind.COMMENT, clock(), text=text)
    return incident


def hand_to_csirt(
    session: Session, scope: CallerScope, incident_id: int, note: str, clock: Clock
) -> Incident:
    """Flag the incident as handed to incident response (CSIRT): outside the SOC service,
    billed by the CSIRT contract from this date."""
    incident = for_change(session, scope, incident_id)
    if incident.csirt_handed_at is not None:
        raise Conflict("the incident was already handed to incident response")
    now = clock()
    incident.csirt_handed_at, incident.csirt_note, incident.updated_at = now, note, now
    timeline.record(
        session,
        scope,
        incident,
        Kind.CSIRT,
        now,
        text=note or None,
        details={"handed_at": now.isoformat()},
    )
    return incident


def closed_in_period(
    session: Session,
    scope: CallerScope,
    tenant_id: int,
    start: datetime,
    end: datetime,
    *,
    true_positives_only: bool = False,
) -> list[Incident]:
    """Incidents of a tenant closed in ``[start, end)`` (the committee report's "incidents /
    true positives of the period"); merged ones are left out."""
    scope.check_tenant(tenant_id, "tenant")
    query = select(Incident).where(
        Incident.tenant_id == tenant_id,
        Incident.closed_at >= start,
        Incident.closed_at < end,
        Incident.outcome != Outcome.MERGED.value,
    )
    if true_positives_only:
        query = query.where(Incident.outcome.in_([o.value for o in TRUE_POSITIVES]))
    return list(session.scalars(query.order_by(Incident.closed_at)))


def _attach(
    session: Session, scope: CallerScope, incident: Incident, alert_id: int, now: datetime
) -> None:
    alert = alerts.get_alert(session, scope, alert_id)
    if alert.tenant_id != incident.tenant_id:
        raise NotFound("alert not found")  # another tenant's alert does not exist here
    link = session.get(IncidentAlert, alert.id)
    if link is not None:
        if link.incident_id == incident.id:
            return
        raise Conflict(f"alert {alert.id} already belongs to incident {link.incident_id}")
    session.add(
        IncidentAlert(
            alert_id=alert.id, incident_id=incident.id, attached_at=now, attached_by=scope.principal
        )
    )
    session.flush()
    timeline.record(
        session,
        scope,
        incident,
        Kind.ALERT_ATTACHED,
        now,
        details={"alert_id": alert.id, "rule": alert.rule_title, "level": alert.level},
    )
