"""Tables of the alerts slice: alerts, their matching events, their timeline, rule exceptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base, utcnow


class Alert(Base):
    """A detection for one tenant, driven to a verdict within its service level."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_dedup", "tenant_id", "rule_id", "dedup_key", "state"),
        Index("ix_alerts_due", "due_at", "acknowledged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(200), index=True)
    rule_title: Mapped[str] = mapped_column(String(500))
    rule_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sigma_level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    level: Mapped[int] = mapped_column(Integer)
    original_level: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    assets: Mapped[str] = mapped_column(Text, default="{}")  # JSON: hosts, users, ips
    raised_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
    match_count: Mapped[int] = mapped_column(Integer, default=1)
    # Service level, computed at raise (and again when the level changes).
    due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sla_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    wall_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    due_soon_at: Mapped[datetime | None] = mapped_column(nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(150), nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(32), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    close_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertEvidence(Base):
    """One matching event of an alert, kept as canonical JSON with its SHA-256."""

    __tablename__ = "alert_evidence"
    __table_args__ = (UniqueConstraint("alert_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(Text)
    seen_at: Mapped[datetime]


class AlertEvent(Base):
    """One entry of an alert's timeline; ``notified_at`` makes the table a notification outbox."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[str] = mapped_column(Text, default="{}")
    notified_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)


class RuleException(Base):
    """A rule disabled for one tenant, with a reason; revoking it enables the rule again."""

    __tablename__ = "rule_exceptions"
    __table_args__ = (Index("ix_rule_exceptions_active", "tenant_id", "rule_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
