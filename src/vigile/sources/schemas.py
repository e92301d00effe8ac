"""API types of the sources slice."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SourceOut(BaseModel):
    """One source of a tenant and its health."""

    id: int
    tenant: str
    receiver: str
    source_type: str
    host: str
    first_seen: datetime
    last_seen: datetime
    event_count: int
    rate_per_minute: float | None = Field(description="Events/min over the last full window.")
    expected_interval_minutes: float | None = Field(
        description="Silent longer than this raises `source_silent` (None: never)."
    )
    interval_overridden: bool
    state: str = Field(description="`ok` or `silent`.")
    silent_since: datetime | None
    silent_alert_id: int | None
    recovered_at: datetime | None


class IntervalIn(BaseModel):
    expected_interval_minutes: int | None = Field(
        ge=0, description="Per-source override (0: never silent; null: the default)."
    )
