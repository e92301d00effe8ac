"""HTTP routes of incidents (``/api/v1/incidents``). Clients read their tenant's incidents."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Response, status

from vigile.events.routes import StoreDep
from vigile.incidents import escalation, evidence, export, service, timeline, views
from vigile.incidents.schemas import (
    AlertRef,
    EvidenceIn,
    EvidenceOut,
    IncidentCreate,
    IncidentOut,
    IncidentUpdate,
    MergeIn,
    NoteIn,
    TextIn,
    TimelineEntry,
)
from vigile.incidents.types import IncidentStatus
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep, SettingsDep
from vigile.web.pages import Page

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.get("", summary="Incidents you can see, newest first")
def list_incidents(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    tenant: str | None = None,
    status: IncidentStatus | None = None,
) -> Page[IncidentOut]:
    rows, total = service.list_incidents(session, scope, page, tenant=tenant, status=status)
    return Page.of(views.incidents_out(session, rows), total, page)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Open an incident (from an alert)")
def create_incident(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, body: IncidentCreate
) -> IncidentOut:
    return views.incident_out(session, service.create_incident(session, scope, body, clock))


@router.get("/{incident_id}", summary="One incident")
def get_incident(session: SessionDep, scope: ScopeDep, incident_id: int) -> IncidentOut:
    return views.incident_out(session, service.get_incident(session, scope, incident_id))


@router.patch("/{incident_id}", summary="Change an incident; closing records the outcome")
def update_incident(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, incident_id: int, body: IncidentUpdate
) -> IncidentOut:
    incident = service.update_incident(session, scope, incident_id, body, clock)
    return views.incident_out(session, incident)


@router.post("/{incident_id}/alerts", summary="Attach an alert of the same tenant")
def attach_alert(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, incident_id: int, body: AlertRef
) -> IncidentOut:
    incident = service.attach_alert(session, scope, incident_id, body.alert_id, clock)
    return views.incident_out(session, incident)


@router.delete("/{incident_id}/alerts/{alert_id}", summary="Detach an alert")
def detach_alert(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, incident_id: int, alert_id: int
) -> IncidentOut:
    incident = service.detach_alert(session, scope, incident_id, alert_id, clock)
    return views.incident_out(session, incident)


@router.post("/{incident_id}/merge", summary="Merge another incident into this one")
def merge(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, incident_id: int, body: MergeIn
) -> IncidentOut:
    return views.incident_out(
        session, service.merge(session, scope, incident_id, body.source_id, clock)
    )


@router.post("/{incident_id}/comments", summary="Comment on the timeline")
def comment(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, incident_id: int, body: TextIn
) -> IncidentOut:
    return views.incident_out(
        session, service.comment(session, scope, incident_id, body.text, clock)
    )


@router.post("/{incident_id}/csirt", summary="Flag as handed to incident response (CSIRT)")
def hand_to_csirt(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, incident_id: int, body: NoteIn
) -> IncidentOut:
    incident = service.hand_to_csirt(session, scope, incident_id, body.note, clock)
    return views.incident_out(session, incident)


@router.post("/{incident_id}/escalate", summary="Escalate to the client's referents")
def escalate(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    incident_id: int,
    body: NoteIn,
) -> list[TimelineEntry]:
    delay = timedelta(minutes=settings.escalation_ack_minutes)
    escalation.escalate(session, scope, incident_id, body.note, delay, clock)
    incident = service.get_incident(session, scope, incident_id)
    return timeline.entries(session, scope, incident)


@router.get("/{incident_id}/timeline", summary="Alerts, comments, status, actions, notifications")
def get_timeline(session: SessionDep, scope: ScopeDep, incident_id: int) -> list[TimelineEntry]:
    return timeline.entries(session, scope, service.get_incident(session, scope, incident_id))


@router.get("/{incident_id}/evidence", summary="Events kept as evidence, with their hashes")
def list_evidence(session: SessionDep, scope: ScopeDep, incident_id: int) -> list[EvidenceOut]:
    return [views.evidence_out(e) for e in evidence.list_evidence(session, scope, incident_id)]


@router.post(
    "/{incident_id}/evidence",
    status_code=status.HTTP_201_CREATED,
    summary="Keep an event of the event store as evidence",
)
def attach_evidence(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    store: StoreDep,
    incident_id: int,
    body: EvidenceIn,
) -> EvidenceOut:
    row = evidence.attach_event(session, store, scope, incident_id, body.event_id, clock)
    return views.evidence_out(row)


@router.get("/{incident_id}/export", summary="Export (json, html or pdf; fr or en) with hashes")
def export_incident(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    incident_id: int,
    format: Annotated[Literal["json", "html", "pdf"], Query()] = "json",
    lang: Annotated[Literal["fr", "en"], Query()] = "fr",
) -> Response:
    doc = export.document(session, scope, incident_id, clock())
    name = f"incident-{incident_id}-{lang}"
    if format == "html":
        return Response(export.html(doc, lang), media_type="text/html; charset=utf-8")
    if format == "pdf":
        headers = {"Content-Disposition": f'attachment; filename="{name}.pdf"'}
        return Response(export.pdf(doc, lang), media_type="application/pdf", headers=headers)
    return Response(orjson.dumps(doc), media_type="application/json")
