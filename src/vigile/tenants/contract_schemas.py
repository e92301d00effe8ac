"""API and CLI types of a tenant's contract: terms, phases, prices, perimeter changes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class CommitteeRecurrence(StrEnum):
    """How often the operational committee meets (art. 5: set in the offer)."""

    MONTHLY = "monthly"
    BIMONTHLY = "bimonthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    YEARLY = "yearly"
    NONE = "none"


RECURRENCE_MONTHS = {
    CommitteeRecurrence.MONTHLY: 1,
    CommitteeRecurrence.BIMONTHLY: 2,
    CommitteeRecurrence.QUARTERLY: 3,
    CommitteeRecurrence.SEMIANNUAL: 6,
    CommitteeRecurrence.YEARLY: 12,
}
"""Months between two committees (``none``: no committee subscribed)."""


class ServiceHours(StrEnum):
    """Business hours only, or level-4 alerts handled around the clock (stored on the tenant)."""

    BUSINESS = "business"
    TWENTY_FOUR_SEVEN = "24x7"


class PerimeterChangeKind(StrEnum):
    """What changed in the monitored perimeter (art. 3 "Evolution de l'infrastructure")."""

    CONFIGURATION = "configuration"
    SETTINGS = "settings"
    SOFTWARE_VERSION = "software_version"
    NEW_SERVICE = "new_service"
    REMOVED_SERVICE = "removed_service"
    OTHER = "other"


class ContractUpdate(BaseModel):
    """Terms to change; those left out keep their value, ``null`` clears a date or reference.

    A new ``subscribed_assets`` is a new offer: the next true-up check compares with it."""

    model_config = ConfigDict(extra="forbid")

    offer_reference: str | None = Field(default=None, max_length=100)
    build_start: date | None = Field(default=None, description="Build (integration) phase start.")
    run_start: date | None = Field(
        default=None, description="Run phase start: reception of the instance or licence."
    )
    go_live: date | None = Field(default=None, description="Service levels apply from this day.")
    service_hours: ServiceHours | None = None
    subscribed_assets: int | None = Field(default=None, ge=0)
    subscription_start: date | None = Field(
        default=None, description="Start of the subscription; its anniversaries end each year."
    )
    committee_recurrence: CommitteeRecurrence | None = None


class PriceIn(BaseModel):
    """A per-asset yearly price in force from a date (the history is kept)."""

    model_config = ConfigDict(extra="forbid")

    yearly_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    effective_from: date
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")


class PriceOut(BaseModel):
    """A per-asset yearly price and the day it takes effect."""

    model_config = ConfigDict(from_attributes=True)

    yearly_price: Decimal
    effective_from: date
    currency: str
    created_by: str


class ContractOut(BaseModel):
    """A tenant's contract as shown to the provider and to the client."""

    tenant: str
    offer_reference: str | None
    build_start: date | None
    run_start: date | None
    go_live: date | None
    service_hours: ServiceHours
    subscribed_assets: int | None
    offer_version: int
    subscription_start: date | None
    committee_recurrence: CommitteeRecurrence | None
    phases: list[str] = Field(description="Phases under way today: build and run may overlap.")
    service_levels_active: bool
    price_in_force: PriceOut | None
    prices: list[PriceOut]


class PerimeterChangeIn(BaseModel):
    """A change of the monitored perimeter, declared by the client or for it."""

    model_config = ConfigDict(extra="forbid")

    changed_on: date = Field(description="When the change happens or happened.")
    kind: PerimeterChangeKind = PerimeterChangeKind.CONFIGURATION
    description: str = Field(min_length=1, max_length=5000)
    affected_assets: list[str] = Field(default_factory=list, max_length=500)


class PerimeterChangeOut(BaseModel):
    """A declared perimeter change (dated, by whom, what, which assets)."""

    id: int
    tenant: str
    changed_on: date
    kind: PerimeterChangeKind
    description: str
    affected_assets: list[str]
    declared_by: str
    declared_at: datetime
