"""API/IO types of the incidents slice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vigile.incidents.types import ActionState, ActionType, Category, IncidentStatus, Outcome

Criticality = Field(ge=1, le=4, description="1 low, 2 medium, 3 high, 4 critical")


class IncidentCreate(BaseModel):
    """A new incident, from an alert (its tenant, title and level by default) or from scratch."""

    tenant: str | None = None
    from_alert: int | None = None
    title: str | None = Field(default=None, max_length=500)
    criticality: int | None = Field(default=None, ge=1, le=4)
    category: Category | None = None
    summary: str = ""
    analyst: str | None = None
    assets: list[str] = Field(default_factory=list)
    indicators: list[str] = Field(default_factory=list)


class IncidentUpdate(BaseModel):
    """Changes to an incident; closing needs an ``outcome``."""

    title: str | None = Field(default=None, max_length=500)
    criticality: int | None = Field(default=None, ge=1, le=4)
    status: IncidentStatus | None = None
    category: Category | None = None
    summary: str | None = None
    analyst: str | None = None
    assets: list[str] | None = None
    indicators: list[str] | None = None
    outcome: Outcome | None = None
    outcome_comment: str | None = None


class IncidentOut(BaseModel):
    """An incident as the API shows it."""

    id: int
    tenant: str
    title: str
    criticality: int
    status: IncidentStatus
    category: str | None
    assets: list[str]
    indicators: list[str]
    summary: str
    analyst: str | None
    outcome: str | None
    outcome_comment: str | None
    csirt_handed_at: datetime | None
    csirt_note: str | None
    merged_into_id: int | None
    alert_ids: list[int]
    created_at: datetime
    created_by: str
    updated_at: datetime
    closed_at: datetime | None


class TimelineEntry(BaseModel):
    """One step of an incident's history, in time order."""

    at: datetime
    kind: str
    actor: str
    text: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class AlertRef(BaseModel):
    alert_id: int


class MergeIn(BaseModel):
    source_id: int = Field(description="The incident merged into this one (then closed).")


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=20000)


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=20000)


class EvidenceIn(BaseModel):
    event_id: str = Field(pattern=r"^[0-9a-f]{64}$")


class EvidenceOut(BaseModel):
    event_id: str
    content_hash: str
    event_time: datetime
    source_type: str
    source: str
    attached_at: datetime
    attached_by: str


class ActionIn(BaseModel):
    """A containment action proposed for an incident."""

    incident_id: int
    type: ActionType
    target: str = Field(max_length=2000)
    reason: str = Field(min_length=1, max_length=5000)
    expires_at: datetime | None = None


class ActionOut(BaseModel):
    id: int
    tenant: str
    incident_id: int
    type: ActionType
    target: str
    reason: str
    expires_at: datetime | None
    state: ActionState
    connector: str
    proposed_by: str
    proposed_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    applied_by: str | None
    applied_at: datetime | None
    reverted_by: str | None
    reverted_at: datetime | None
    expired_at: datetime | None
    connector_response: str | None


class PolicyIn(BaseModel):
    approval_required: bool


class PolicyOut(BaseModel):
    tenant: str
    type: ActionType
    approval_required: bool
