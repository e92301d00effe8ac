"""Tables of the referents slice: one row per referent *period* (history is kept)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base


class Referent(Base):
    """A tenant's primary or backup referent from ``valid_from`` until ``valid_to`` (None:
    current). Naming a new one closes the current row; rows are never deleted."""

    __tablename__ = "tenant_referents"
    __table_args__ = (Index("ix_tenant_referents_current", "tenant_id", "role", "valid_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(2))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None] = mapped_column(nullable=True)
    declared_by: Mapped[str] = mapped_column(String(200))
    ended_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
