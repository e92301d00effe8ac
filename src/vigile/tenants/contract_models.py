"""Tables of a tenant's contract: terms and phases, per-asset prices, perimeter changes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base, utcnow


class TenantContract(Base):
    """The offer's terms for one tenant (go-live and service hours stay on the tenant)."""

    __tablename__ = "tenant_contracts"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    offer_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    build_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    run_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    subscribed_assets: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Bumped when the offer sets a new subscribed count: true-up checks restart from it.
    offer_version: Mapped[int] = mapped_column(Integer, default=1)
    subscription_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    committee_recurrence: Mapped[str | None] = mapped_column(String(16), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AssetPrice(Base):
    """A per-asset yearly price in force from a date (history kept, one price per date)."""

    __tablename__ = "contract_asset_prices"
    __table_args__ = (UniqueConstraint("tenant_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    yearly_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class PerimeterChange(Base):
    """A change of the monitored perimeter declared by the client (or for it): art. 3."""

    __tablename__ = "perimeter_changes"
    __table_args__ = (Index("ix_perimeter_changes_tenant_day", "tenant_id", "changed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    changed_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    affected_assets: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)
