"""API and CLI types of the tenants slice."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from vigile.tenants.types import (
    DEFAULT_HOLIDAYS,
    DEFAULT_HOURS,
    DEFAULT_TIMEZONE,
    MAX_EVENT_RETENTION_DAYS,
    DayKind,
    TenantStatus,
)

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
RETENTION_HELP = (
    "Days this tenant's events are kept (1 to 36500); null: the platform default "
    "(`VIGILE_EVENT_RETENTION_DAYS`)."
)


class TenantCreate(BaseModel):
    """A new client organisation."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(
        pattern=SLUG_PATTERN,
        description="Short unique identifier: lower-case letters, digits and inner hyphens "
        "(at most 63), e.g. `acme`.",
    )
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default=DEFAULT_TIMEZONE, description="IANA time zone.")
    holidays: str = Field(
        default=DEFAULT_HOLIDAYS,
        description="Public holidays: country, optionally with subdivision (`FR`, `FR-57`, "
        "`FR-6AE`).",
    )
    hours: str = Field(
        default=DEFAULT_HOURS,
        description="Business hours, e.g. `mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00`.",
    )
    twenty_four_seven: bool = Field(
        default=False, description="24/7 subscription: level-4 alerts handled around the clock."
    )
    go_live: date | None = Field(
        default=None, description="Go-live date (local): service levels apply from this day."
    )
    status: TenantStatus = TenantStatus.ACTIVE
    event_retention_days: int | None = Field(
        default=None, ge=1, le=MAX_EVENT_RETENTION_DAYS, description=RETENTION_HELP
    )


class TenantUpdate(BaseModel):
    """Fields to change; those left out keep their value. ``go_live: null`` clears it, and
    ``event_retention_days: null`` goes back to the platform default."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = None
    holidays: str | None = None
    hours: str | None = None
    twenty_four_seven: bool | None = None
    go_live: date | None = None
    status: TenantStatus | None = None
    event_retention_days: int | None = Field(
        default=None, ge=1, le=MAX_EVENT_RETENTION_DAYS, description=RETENTION_HELP
    )


class TenantOut(BaseModel):
    """A client organisation as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    timezone: str
    holidays: str
    hours: str
    twenty_four_seven: bool
    go_live: date | None
    status: TenantStatus
    event_retention_days: int | None = Field(
        description="Days its events are kept; null: the platform default."
    )
    created_at: datetime
    updated_at: datetime


class TenantDayIn(BaseModel):
    """Declare one local date extra closed or extra open (replaces an earlier declaration)."""

    model_config = ConfigDict(extra="forbid")

    kind: DayKind = Field(description="`closed`: no business hours; `open`: a working day.")
    note: str = Field(default="", max_length=200, description="Why, e.g. `bridge day`.")


class TenantDayOut(BaseModel):
    """An extra closed or open day of a tenant."""

    model_config = ConfigDict(from_attributes=True)

    day: date
    kind: DayKind
    note: str
