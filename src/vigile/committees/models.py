"""Tables of the committees slice: per-tenant settings, committees, their participants,
decisions and action plan items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base, utcnow


class CommitteeSettings(Base):
    """A tenant's committee terms: recurrence, first date, indicators chosen during build."""

    __tablename__ = "committee_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True
    )
    recurrence: Mapped[str | None] = mapped_column(String(16), nullable=True)
    first_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    indicators: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of Indicator
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class Committee(Base):
    """One operational committee held with a client, and the status of its report."""

    __tablename__ = "committees"
    __table_args__ = (UniqueConstraint("tenant_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    held_on: Mapped[date] = mapped_column(Date)
    period_from: Mapped[date | None] = mapped_column(Date, nullable=True)  # override
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sent_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    validated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    validated_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    validation_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    snapshot: Mapped[str | None] = mapped_column(Text, nullable=True)  # report frozen at send
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CommitteeParticipant(Base):
    """Someone who attended a committee."""

    __tablename__ = "committee_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(
        ForeignKey("committees.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")


class CommitteeDecision(Base):
    """A decision taken in committee."""

    __tablename__ = "committee_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(
        ForeignKey("committees.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class CommitteeAction(Base):
    """An action plan item decided in a committee, carried over until it is closed."""

    __tablename__ = "committee_actions"
    __table_args__ = (Index("ix_committee_actions_tenant_closed", "tenant_id", "closed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    committee_id: Mapped[int] = mapped_column(
        ForeignKey("committees.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
