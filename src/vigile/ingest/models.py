"""Tables of the ingest slice: quarantined records, the pipeline's detection marks and how far
it has observed the spool."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base, utcnow


class QuarantinedRecord(Base):
    """A received record that could not be parsed, kept (cut to a bound) with the reason."""

    __tablename__ = "ingest_quarantine"
    __table_args__ = (Index("ix_ingest_quarantine_tenant_time", "tenant_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    receiver: Mapped[str] = mapped_column(String(32))
    source_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(String(500))
    raw: Mapped[str] = mapped_column(Text)
    raw_bytes: Mapped[int] = mapped_column(Integer)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    credential: Mapped[str | None] = mapped_column(String(200), nullable=True)


class DetectionMark(Base):
    """That the pipeline raised rule ``rule_id`` for event ``event_id``: a replay of the spool
    after a crash finds the mark and raises nothing twice (written with the alert)."""

    __tablename__ = "ingest_detections"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ObservedBatches(Base):
    """How far the pipeline has observed a spool (source health counted): every batch ending
    at or before ``next_offset``. Written with the batch's source counts, so that a batch
    replayed after a crash (observed, then killed before its offset commit) is counted once."""

    __tablename__ = "ingest_observed"

    spool_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """:attr:`~vigile.spool.api.SpoolBackend.identity` (offsets of another spool differ)."""
    next_offset: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
