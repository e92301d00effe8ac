"""Table of the sources slice: what each event source sent, and when (source health)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base


class Source(Base):
    """One source of a tenant: a receiver, a source type and a host (``""``: none given)."""

    __tablename__ = "ingest_sources"
    __table_args__ = (UniqueConstraint("tenant_id", "receiver", "source_type", "host"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    receiver: Mapped[str] = mapped_column(String(32))
    source_type: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime] = mapped_column(index=True)
    event_count: Mapped[int] = mapped_column(BigInteger, default=0)
    window_start: Mapped[datetime]
    window_count: Mapped[int] = mapped_column(Integer, default=0)
    rate_per_minute: Mapped[float | None] = mapped_column(Float, nullable=True)
    expected_interval_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    silent_since: Mapped[datetime | None] = mapped_column(nullable=True)
    silent_alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recovered_at: Mapped[datetime | None] = mapped_column(nullable=True)
