"""Turning incident rows into API types."""

from __future__ import annotations

import orjson
from sqlalchemy.orm import Session

from vigile.incidents import service
from vigile.incidents.models import ContainmentAction, Incident, IncidentEvidence
from vigile.incidents.schemas import ActionOut, EvidenceOut, IncidentOut
from vigile.incidents.types import ActionState, ActionType, IncidentStatus
from vigile.tenants.service import slugs_by_id


def incident_out(session: Session, incident: Incident, slug: str | None = None) -> IncidentOut:
    slug = slug or slugs_by_id(session, {incident.tenant_id})[incident.tenant_id]
    return IncidentOut(
        id=incident.id,
        tenant=slug,
        title=incident.title,
        criticality=incident.criticality,
        status=IncidentStatus(incident.status),
        category=incident.category,
        assets=orjson.loads(incident.assets),
        indicators=orjson.loads(incident.indicators),
        summary=incident.summary,
        analyst=incident.analyst,
        outcome=incident.outcome,
        outcome_comment=incident.outcome_comment,
        csirt_handed_at=incident.csirt_handed_at,
        csirt_note=incident.csirt_note,
        merged_into_id=incident.merged_into_id,
        alert_ids=service.alert_ids(session, incident.id),
        created_at=incident.created_at,
        created_by=incident.created_by,
        updated_at=incident.updated_at,
        closed_at=incident.closed_at,
    )


def incidents_out(session: Session, rows: list[Incident]) -> list[IncidentOut]:
    slugs = slugs_by_id(session, {r.tenant_id for r in rows})
    return [incident_out(session, r, slugs[r.tenant_id]) for r in rows]


def action_out(session: Session, action: ContainmentAction, slug: str | None = None) -> ActionOut:
    slug = slug or slugs_by_id(session, {action.tenant_id})[action.tenant_id]
    return ActionOut(
        id=action.id,
        tenant=slug,
        incident_id=action.incident_id,
        type=ActionType(action.type),
        target=action.target,
        reason=action.reason,
        expires_at=action.expires_at,
        state=ActionState(action.state),
        connector=action.connector,
        proposed_by=action.proposed_by,
        proposed_at=action.proposed_at,
        approved_by=action.approved_by,
        approved_at=action.approved_at,
        applied_by=action.applied_by,
        applied_at=action.applied_at,
        reverted_by=action.reverted_by,
        reverted_at=action.reverted_at,
        expired_at=action.expired_at,
        connector_response=action.connector_response,
    )


def actions_out(session: Session, rows: list[ContainmentAction]) -> list[ActionOut]:
    slugs = slugs_by_id(session, {r.tenant_id for r in rows})
    return [action_out(session, r, slugs[r.tenant_id]) for r in rows]


def evidence_out(item: IncidentEvidence) -> EvidenceOut:
    return EvidenceOut(
        event_id=item.event_id,
        content_hash=item.content_hash,
        event_time=item.event_time,
        source_type=item.source_type,
        source=item.source,
        attached_at=item.attached_at,
        attached_by=item.attached_by,
    )
