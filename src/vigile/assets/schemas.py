"""API and CLI types of the assets slice."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from vigile.assets.types import AssetKind


class AssetIn(BaseModel):
    """An asset declared by the client or the provider (declaring again updates it)."""

    model_config = ConfigDict(extra="forbid")

    kind: AssetKind
    name: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=500)
    monitored: bool = Field(default=True, description="Declared as monitored (counted).")


class AssetOut(BaseModel):
    """An asset of the inventory."""

    id: int
    tenant: str
    kind: AssetKind
    name: str
    description: str
    declared: bool
    declared_monitored: bool
    first_seen: datetime | None
    last_seen: datetime | None
    monitored: bool = Field(description="Counted as monitored now (window or declaration).")


class ImportResult(BaseModel):
    """What a CSV import changed."""

    created: int
    updated: int


class AssetSummary(BaseModel):
    """Monitored assets against the subscription on a day (a committee indicator)."""

    tenant: str
    on: date
    window_days: int
    counted_kinds: list[AssetKind]
    monitored: int
    subscribed: int | None
    above_subscription: int | None
    by_kind: dict[str, int] = Field(description="Monitored assets by kind (every kind).")
    inventory: int
    last_check_on: date | None
    last_check_amount: str | None


class CheckIn(BaseModel):
    """A true-up check: on a date, measured (or with ``monitored`` given), recorded or not."""

    model_config = ConfigDict(extra="forbid")

    at: date
    monitored: int | None = Field(default=None, ge=0, description="Override the measure.")
    dry_run: bool = False


class CheckOut(BaseModel):
    """A true-up check and its regularisation (art. 4)."""

    id: int | None = Field(description="Recorded check id (null for a dry run).")
    tenant: str
    at: date
    monitored: int
    measured: int = Field(description="Monitored assets measured from the inventory.")
    subscribed: int = Field(description="Subscribed count before this check.")
    previous: int | None = Field(description="Monitored at the previous check (same offer).")
    increase: int
    increase_pct: float | None = Field(description="Increase in % of subscribed (2 decimals).")
    threshold_pct: int
    regularisation_due: bool
    above_subscription: int
    unit_price: str | None = Field(description="Per-asset yearly price in force on the date.")
    year_start: date
    year_end: date = Field(description="Next anniversary (not counted).")
    days_left: int
    days_in_year: int
    amount: str = Field(description='Regularisation, e.g. "846.25"; "0.00" when not due.')
    subscribed_after: int
    recorded: bool
    notes: list[str] = Field(description="Explanations, French / English.")

    @staticmethod
    def money(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"


class CheckRow(BaseModel):
    """A recorded true-up check."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    checked_on: date
    monitored: int
    measured: int
    subscribed_before: int
    subscribed_after: int
    previous: int | None
    increase: int
    regularisation_due: bool
    excess: int
    unit_price: Decimal | None
    year_start: date
    year_end: date
    amount: Decimal
    created_by: str
    created_at: datetime
