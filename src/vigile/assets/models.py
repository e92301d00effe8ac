"""Tables of the assets slice: the inventory and the true-up checks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base, utcnow


class Asset(Base):
    """One asset of a tenant's perimeter: declared, discovered from events, or both."""

    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "name"),
        Index("ix_assets_tenant_seen", "tenant_id", "last_seen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(500), default="")
    declared: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_monitored: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    declared_at: Mapped[datetime | None] = mapped_column(nullable=True)
    first_seen: Mapped[datetime | None] = mapped_column(nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AssetCheck(Base):
    """A recorded true-up check and its regularisation (art. 4)."""

    __tablename__ = "asset_checks"
    __table_args__ = (Index("ix_asset_checks_tenant_day", "tenant_id", "checked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    checked_on: Mapped[date] = mapped_column(Date)
    offer_version: Mapped[int] = mapped_column(Integer)
    monitored: Mapped[int] = mapped_column(Integer)
    measured: Mapped[int] = mapped_column(Integer)
    subscribed_before: Mapped[int] = mapped_column(Integer)
    subscribed_after: Mapped[int] = mapped_column(Integer)
    previous: Mapped[int | None] = mapped_column(Integer, nullable=True)
    increase: Mapped[int] = mapped_column(Integer)
    regularisation_due: Mapped[bool] = mapped_column(Boolean)
    excess: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    year_start: Mapped[date] = mapped_column(Date)
    year_end: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
