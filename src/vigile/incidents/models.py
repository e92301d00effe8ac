"""Tables of the incidents slice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base


class Incident(Base):
    """Alerts of one tenant confirmed as a threat."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    criticality: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    assets: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    indicators: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    summary: Mapped[str] = mapped_column(Text, default="")
    analyst: Mapped[str | None] = mapped_column(String(150), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    csirt_handed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    csirt_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    closed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class IncidentAlert(Base):
    """An alert grouped into an incident (an alert belongs to one incident at a time)."""

    __tablename__ = "incident_alerts"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    attached_at: Mapped[datetime]
    attached_by: Mapped[str] = mapped_column(String(200))


class IncidentEvent(Base):
    """One entry of an incident's timeline."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[str] = mapped_column(Text, default="{}")


class IncidentEvidence(Base):
    """An event from the event store kept with the incident: its content hash (the event id)
    and a copy of the raw record, so the export can be verified after the store's retention."""

    __tablename__ = "incident_evidence"
    __table_args__ = (UniqueConstraint("incident_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    event_time: Mapped[datetime]
    source_type: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    raw: Mapped[str] = mapped_column(Text)
    attached_at: Mapped[datetime]
    attached_by: Mapped[str] = mapped_column(String(200))


class ContainmentAction(Base):
    """A containment action and who moved it through each state, when."""

    __tablename__ = "containment_actions"
    __table_args__ = (Index("ix_containment_actions_list", "tenant_id", "type", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(2000))
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    connector: Mapped[str] = mapped_column(String(32))
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    applied_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reverted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reverted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    expired_at: Mapped[datetime | None] = mapped_column(nullable=True)
    connector_response: Mapped[str | None] = mapped_column(Text, nullable=True)


class ActionPolicy(Base):
    """Whether an action type needs a second person's approval for a tenant (default: yes)."""

    __tablename__ = "containment_policies"
    __table_args__ = (UniqueConstraint("tenant_id", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    approval_required: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


class BlocklistToken(Base):
    """A read-only credential for a tenant's block lists (firewalls poll with it)."""

    __tablename__ = "blocklist_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
