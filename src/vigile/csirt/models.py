"""Tables of the CSIRT slice: subscription, credit purchases and consumptions, time spent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base, utcnow


class CsirtSubscription(Base):
    """A tenant's incident-response subscription (one per tenant) and its notice, if any."""

    __tablename__ = "csirt_subscriptions"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    start: Mapped[date] = mapped_column(Date)
    term_months: Mapped[int] = mapped_column(Integer)
    notice_received: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CreditPurchase(Base):
    """Prepaid credits bought on a date."""

    __tablename__ = "csirt_credit_purchases"
    __table_args__ = (Index("ix_csirt_credit_purchases_tenant_day", "tenant_id", "purchased_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    purchased_on: Mapped[date] = mapped_column(Date)
    credits: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class CreditConsumption(Base):
    """Credits used on a date, for an incident."""

    __tablename__ = "csirt_credit_consumptions"
    __table_args__ = (Index("ix_csirt_credit_consumptions_tenant_day", "tenant_id", "consumed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    consumed_on: Mapped[date] = mapped_column(Date)
    credits: Mapped[int] = mapped_column(Integer)
    incident: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class TimeEntry(Base):
    """Time spent on incident response or with a third party on an incident, for billing."""

    __tablename__ = "csirt_time_entries"
    __table_args__ = (Index("ix_csirt_time_entries_tenant_day", "tenant_id", "worked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    incident: Mapped[str] = mapped_column(String(100))
    person: Mapped[str] = mapped_column(String(200))
    worked_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
