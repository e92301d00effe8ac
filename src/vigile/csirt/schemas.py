"""API and CLI types of the CSIRT slice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class WorkKind(StrEnum):
    """Time billed on an incident: our response, or collaboration with a third party (art. 3)."""

    INCIDENT_RESPONSE = "incident_response"
    THIRD_PARTY_COLLABORATION = "third_party_collaboration"


class SubscribeIn(BaseModel):
    """Start (or replace) a tenant's CSIRT subscription."""

    model_config = ConfigDict(extra="forbid")

    start: dt.date
    term_months: int = Field(ge=1, le=120)


class NoticeIn(BaseModel):
    """A termination notice (registered letter) received on a date."""

    model_config = ConfigDict(extra="forbid")

    received: dt.date


class StatusOut(BaseModel):
    """Where a subscription stands on a date."""

    tenant: str
    at: dt.date
    start: dt.date
    term_months: int
    term_start: dt.date
    term_end: dt.date
    notice_deadline: dt.date = Field(description="Last day a notice may be received for this term.")
    notice_received: dt.date | None
    notice_in_time: bool | None
    ends_on: dt.date | None = Field(description="Last day of service once a notice is received.")
    active: bool


class PurchaseIn(BaseModel):
    """Prepaid credits bought on a date."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    credits: int = Field(ge=1, le=1_000_000)
    reference: str = Field(default="", max_length=100)


class ConsumptionIn(BaseModel):
    """Credits used on a date, for an incident."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    credits: int = Field(ge=1, le=1_000_000)
    incident: str | None = Field(default=None, max_length=100)


class PurchaseState(BaseModel):
    """A purchase as of a date."""

    date: dt.date
    credits: int
    remaining: int
    consumed: int
    expired: int
    expires: dt.date


class CreditsOut(BaseModel):
    """The credits balance on a date and each purchase made by then."""

    tenant: str
    at: dt.date
    balance: int
    bought: int
    consumed: int
    expired: int
    purchases: list[PurchaseState]


class ConsumptionOut(BaseModel):
    """A recorded consumption."""

    id: int
    tenant: str
    date: dt.date
    credits: int
    incident: str | None
    balance_after: int = Field(description="Balance at the end of that date.")


class TimeEntryIn(BaseModel):
    """Time spent on an incident, for billing."""

    model_config = ConfigDict(extra="forbid")

    incident: str = Field(min_length=1, max_length=100)
    person: str = Field(min_length=1, max_length=200)
    date: dt.date
    hours: Decimal = Field(gt=0, le=24, decimal_places=2)
    hourly_rate: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    kind: WorkKind = WorkKind.INCIDENT_RESPONSE
    description: str = Field(default="", max_length=2000)


class TimeEntryOut(BaseModel):
    """Recorded time and its amount (hours × rate, to the cent, half up)."""

    id: int
    tenant: str
    incident: str
    person: str
    date: dt.date
    hours: str
    hourly_rate: str
    amount: str
    kind: WorkKind
    description: str
    created_at: dt.datetime
