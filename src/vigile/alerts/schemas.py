"""API and CLI types of the alerts slice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from vigile.alerts.types import AlertState, EventKind, SlaState, Verdict
from vigile.service_levels import Level, UnknownLevelError
from vigile.tenants.contract_schemas import PerimeterChangeOut


class AlertInput(BaseModel):
    """A detection to raise as an alert: the rule, its level, the matching event(s)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str = Field(min_length=1, max_length=200, description="Rule identifier (Sigma id).")
    rule_title: str = Field(min_length=1, max_length=500)
    rule_level: str = Field(
        description="Sigma level (`informational`…`critical`) or criticality 1-4 / name."
    )
    rule_version: str | None = Field(default=None, max_length=64)
    events: list[dict[str, Any]] = Field(min_length=1, description="The matching event(s).")
    raised_at: AwareDatetime | None = Field(
        default=None, description="When the detection fired (default: now); not in the future."
    )
    key_fields: list[str] = Field(
        default_factory=list,
        description="The rule's salient fields: with the host, they decide which matches join "
        "the same open alert (default: the user account).",
    )

    @field_validator("rule_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        criticality(value)
        return value.strip().lower()


def criticality(rule_level: str) -> Level:
    """Criticality of a rule level: a Sigma level, or a level number/name (1-4, critique…)."""
    try:
        return Level.from_sigma(rule_level)
    except UnknownLevelError:
        try:
            return Level.parse(rule_level)
        except UnknownLevelError as exc:
            raise ValueError(str(exc)) from None


class AlertCreate(AlertInput):
    """An alert raised through the API (provider staff, third-party tools)."""

    tenant: str = Field(description="Slug of the tenant the detection belongs to.")


class SlaView(BaseModel):
    """Service level of an alert at the time of the response."""

    state: SlaState
    due_at: datetime | None
    due_at_local: str | None = Field(description="Deadline in the tenant's time zone.")
    reason: str | None = Field(description="Why there is no deadline (before go-live…).")
    wall_clock: bool = Field(description="Counted in wall-clock time (24/7, level 4).")
    minutes_left_open: float | None = Field(
        description="Counted minutes left: business minutes, or wall clock for a 24/7 level 4 "
        "(negative: late)."
    )
    minutes_left_wall: float | None = Field(description="Wall-clock minutes left.")
    share_used: float | None
    breached_at: datetime | None


class AlertOut(BaseModel):
    """An alert as lists show it."""

    id: int
    tenant: str
    rule_id: str
    rule_title: str
    rule_version: str | None
    level: int
    level_label: str = Field(description="e.g. `Niveau 4 (critique)`.")
    level_label_en: str = Field(description="e.g. `Level 4 (critical)`.")
    original_level: int
    state: AlertState
    host: str | None
    assets: dict[str, list[str]]
    raised_at: datetime
    last_seen_at: datetime
    match_count: int
    deadline: datetime | None
    sla_state: SlaState
    sla: SlaView
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    assignee: str | None
    verdict: Verdict | None
    closed_at: datetime | None
    close_comment: str | None


class EvidenceOut(BaseModel):
    """A matching event kept with the alert."""

    content_hash: str
    seen_at: datetime
    event: dict[str, Any]


class TimelineEntry(BaseModel):
    """One entry of an alert's timeline (lifecycle changes, comments, breaches)."""

    id: int
    kind: EventKind
    at: datetime
    actor: str
    text: str | None
    details: dict[str, Any]


class AlertDetail(AlertOut):
    """One alert with its evidence and timeline."""

    evidence: list[EvidenceOut]
    timeline: list[TimelineEntry]
    perimeter_changes: list[PerimeterChangeOut] = Field(
        default_factory=list,
        description="The client's perimeter changes dated within the days before the alert "
        "was raised (contract art. 3: analysts see them beside alerts).",
    )


class RaiseResult(BaseModel):
    """What raising a detection did: a new alert, or joined an open one."""

    status: str
    alert: AlertOut


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str | None = Field(description="Username of a provider analyst; null unassigns.")


class LevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=1, le=4, description="New criticality level (4 = critique).")
    reason: str = Field(min_length=1, max_length=2000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Verdict
    comment: str = Field(min_length=1, max_length=10_000)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


class RuleExceptionIn(BaseModel):
    """Disable one rule for one tenant."""

    model_config = ConfigDict(extra="forbid")
    tenant: str
    rule_id: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class RuleExceptionOut(BaseModel):
    id: int
    tenant: str
    rule_id: str
    reason: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    active: bool


class RuleQualityRow(BaseModel):
    """Verdicts of one rule for one tenant over a period (alerts raised in the period)."""

    tenant: str
    rule_id: str
    rule_title: str
    alerts: int
    open: int
    true_positive: int
    benign_positive: int
    false_positive: int
    duplicate: int
    true_positive_rate: float | None = Field(description="TP / closed (duplicates excluded).")
    false_positive_rate: float | None = Field(description="FP / closed (duplicates excluded).")
    excepted: bool = Field(description="The rule is disabled for this tenant now.")


class LevelCompliance(BaseModel):
    """Compliance of one criticality level over the period."""

    level: int
    label: str
    label_en: str
    alerts: int = Field(description="Alerts raised in the period with a service level.")
    without_sla: int = Field(description="Alerts raised before go-live (no service level).")
    acknowledged: int
    acknowledged_on_time: int
    breaches: int = Field(description="Acknowledged late, or not acknowledged past deadline.")
    pending: int = Field(description="Not acknowledged yet, deadline not reached.")
    median_ack_business_minutes: float | None
    p90_ack_business_minutes: float | None
    median_ack_wall_minutes: float | None
    p90_ack_wall_minutes: float | None


class ComplianceReport(BaseModel):
    """Service-level compliance of one tenant between two local dates (inclusive)."""

    tenant: str
    timezone: str
    period_from: str
    period_to: str
    generated_at: datetime
    levels: list[LevelCompliance]
