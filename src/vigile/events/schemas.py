"""API types of the events slice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from vigile.events.store import Event, verify


class EventOut(BaseModel):
    """A stored event: metadata, normalised fields and the raw record kept verbatim."""

    event_id: str = Field(description="SHA-256 (hex) of the raw record: the event's content hash.")
    tenant: str
    time: datetime = Field(description="Event time (UTC).")
    received_at: datetime
    source_type: str
    source: str
    fields: dict[str, Any]
    raw: str
    intact: bool = Field(description="Whether the raw record still hashes to `event_id`.")

    @classmethod
    def of(cls, event: Event, tenant: str) -> EventOut:
        return cls(
            event_id=event.event_id,
            tenant=tenant,
            time=event.time,
            received_at=event.received_at,
            source_type=event.source_type,
            source=event.source,
            fields=dict(event.fields),
            raw=event.raw,
            intact=verify(event),
        )


class RetentionTenantOut(BaseModel):
    """One tenant's retention as a pass applied it (or would, in a dry run)."""

    tenant: str
    retention_days: int
    tenant_setting: bool = Field(description="Its own retention (else the platform default).")
    first_day_kept: date = Field(description="Events of earlier days (UTC) go.")
    deleted: int = Field(description="Events deleted (a dry run: that would be).")


class RetentionRunOut(BaseModel):
    """A retention pass run on demand (what `vigile serve` does hourly)."""

    dry_run: bool
    total: int
    tenants: list[RetentionTenantOut]
