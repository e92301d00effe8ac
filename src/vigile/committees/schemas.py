"""API and CLI types of the committees slice, and the report's data (frozen when sent)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vigile.committees.types import ActionStatus, Indicator, Recurrence, ReportStatus
from vigile.tenants.contract_schemas import PerimeterChangeOut

DEFAULT_INDICATORS = [
    Indicator.ALERTS_PER_LEVEL,
    Indicator.SLA_COMPLIANCE,
    Indicator.ACK_TIMES,
    Indicator.TRUE_POSITIVE_RATE,
    Indicator.INCIDENTS_BY_CATEGORY,
    Indicator.TOP_RULES_VOLUME,
    Indicator.TOP_RULES_FALSE_POSITIVES,
]
"""Indicators of a tenant that chose none yet."""

RecurrenceSource = Literal["contract", "committee_settings", "none"]

# --- settings and schedule ------------------------------------------------------------------


class CommitteeSettingsIn(BaseModel):
    """A tenant's committee terms (provider). Unset fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    recurrence: Recurrence | None = Field(
        default=None, description="The offer's recurrence; null: no committee subscribed."
    )
    first_on: date | None = Field(default=None, description="Date of the first committee.")
    indicators: list[Indicator] | None = Field(
        default=None, description="Indicators chosen during build, in report order."
    )

    @field_validator("indicators")
    @classmethod
    def _unique(cls, value: list[Indicator] | None) -> list[Indicator] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("an indicator is listed twice")
        return value


class CommitteeSettingsOut(BaseModel):
    tenant: str
    recurrence: Recurrence | None
    recurrence_source: RecurrenceSource
    first_on: date | None
    indicators: list[Indicator]


class ScheduleOut(BaseModel):
    """Planned committees of a tenant from its recurrence."""

    tenant: str
    recurrence: Recurrence | None
    recurrence_source: RecurrenceSource
    last_held_on: date | None
    next_dates: list[date]
    late: bool = Field(description="A planned committee date has passed with none held since.")


# --- committees -----------------------------------------------------------------------------


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(min_length=1, max_length=200)
    role: str = Field(default="", max_length=200)


class ActionIn(BaseModel):
    """A new action plan item."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=5000)
    owner: str = Field(min_length=1, max_length=200)
    due_on: date | None = None
    status: ActionStatus = ActionStatus.OPEN


class ActionUpdate(BaseModel):
    """Changes to an action item (provider); closing sets ``closed_on`` (default: today)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=5000)
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    due_on: date | None = None
    status: ActionStatus | None = None
    closed_on: date | None = None


class CommitteeIn(BaseModel):
    """A committee's content (participants, decisions, new action items, notes)."""

    model_config = ConfigDict(extra="forbid")

    period_from: date | None = Field(
        default=None,
        description="First day of the period reported (default: the previous committee's date, "
        "or the go-live date for the first committee).",
    )
    participants: list[ParticipantIn] = Field(default_factory=list)
    decisions: list[str] = Field(default_factory=list)
    actions: list[ActionIn] = Field(default_factory=list, description="New action plan items.")
    notes: str = Field(default="", max_length=20_000)

    @field_validator("decisions")
    @classmethod
    def _decisions(cls, value: list[str]) -> list[str]:
        cleaned = [d.strip() for d in value]
        if any(not d for d in cleaned):
            raise ValueError("a decision is empty")
        return cleaned


class CommitteeCreate(CommitteeIn):
    tenant: str
    held_on: date


class CommitteeUpdate(BaseModel):
    """Edits to a draft (provider). Given lists replace the existing ones; ``actions`` adds."""

    model_config = ConfigDict(extra="forbid")

    held_on: date | None = None
    period_from: date | None = None
    participants: list[ParticipantIn] | None = None
    decisions: list[str] | None = None
    actions: list[ActionIn] = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=20_000)


class ParticipantOut(BaseModel):
    name: str
    organisation: str
    role: str


class ActionOut(BaseModel):
    """An action item; in a report, ``status`` is its status on the committee date."""

    id: int
    title: str
    owner: str
    due_on: date | None
    status: ActionStatus
    closed_on: date | None
    committee_id: int
    decided_on: date = Field(description="Date of the committee that decided it.")
    carried_over: bool = Field(default=False, description="Decided in an earlier committee.")


class CommitteeOut(BaseModel):
    id: int
    tenant: str
    held_on: date
    period_from: date
    period_to: date
    status: ReportStatus
    due_on: date = Field(description="Committee date + 10 business days (provider calendar).")
    overdue: bool = Field(description="Still a draft after its due date.")
    sent_late: bool | None = Field(description="Sent after its due date (null: not sent).")
    sent_at: datetime | None
    sent_by: str | None
    validated_at: datetime | None
    validated_by: str | None
    validation_note: str | None
    participants: list[ParticipantOut]
    decisions: list[str]
    actions: list[ActionOut] = Field(description="Action items decided in this committee.")
    notes: str
    created_by: str


class ValidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=5000)


# --- report data ------------------------------------------------------------------------

CellKind = Literal["level", "int", "pct", "minutes", "text", "code"]
Cell = int | float | str | None


class Column(BaseModel):
    key: str = Field(description="Label key, translated at rendering.")
    kind: CellKind


class Series(BaseModel):
    key: str
    values: list[float]


class Chart(BaseModel):
    """Bars per label (one bar per series, or stacked)."""

    labels: list[Cell]
    label_kind: CellKind
    series: list[Series]
    stacked: bool = False
    unit: CellKind = "int"


class IndicatorResult(BaseModel):
    """One KPI over the period, as a table (and a chart), or why it is not available."""

    key: Indicator
    available: bool = True
    reason: str | None = Field(default=None, description="Label key of why not available.")
    columns: list[Column] = Field(default_factory=list)
    rows: list[list[Cell]] = Field(default_factory=list)
    chart: Chart | None = None


class IncidentRow(BaseModel):
    """An incident, or (until incidents are tracked) an alert closed as true positive."""

    ref: str
    title: str
    level: int
    category: str | None = None
    opened_at: datetime
    closed_at: datetime | None
    host: str | None = None
    outcome: str | None = None


class ReportData(BaseModel):
    """Everything a committee report shows; stored as JSON when the report is sent."""

    tenant: str
    tenant_name: str
    timezone: str
    committee_id: int
    held_on: date
    period_from: date
    period_to: date
    previous_held_on: date | None
    due_on: date
    participants: list[ParticipantOut]
    indicators: list[IndicatorResult]
    incidents_source: Literal["incidents", "alerts"]
    incidents: list[IncidentRow]
    # Art. 3: the client's declared changes, dated within the period (empty in reports sent
    # before this section existed).
    perimeter_changes: list[PerimeterChangeOut] = Field(default_factory=list)
    decisions: list[str]
    actions: list[ActionOut]
    notes: str
    generated_at: datetime
