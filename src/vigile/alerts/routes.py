"""HTTP routes of the alerts slice (``/api/v1/alerts``).

Clients read their own tenant's alerts, compliance and rule exceptions, and may comment on
their alerts; every other change is the provider's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from vigile.alerts import compliance, queries, rules, service, views
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.queries import AlertFilters, AlertSort
from vigile.alerts.schemas import (
    AlertCreate,
    AlertDetail,
    AlertInput,
    AlertOut,
    AssignIn,
    CloseIn,
    CommentIn,
    ComplianceReport,
    LevelIn,
    RaiseResult,
    ReasonIn,
    RuleExceptionIn,
    RuleExceptionOut,
    RuleQualityRow,
    TimelineEntry,
)
from vigile.alerts.types import AlertState, EventKind, RaiseStatus, SlaState
from vigile.errors import Conflict
from vigile.scope import CallerScope
from vigile.tenants import service as tenants
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep, SettingsDep
from vigile.web.pages import Page

router = APIRouter(prefix="/alerts", tags=["alerts"])
LevelNumber = Annotated[int, Field(ge=1, le=4)]


def _detail(
    session: SessionDep, scope: CallerScope, alert_id: int, clock: ClockDep, settings: SettingsDep
) -> AlertDetail:
    alert = service.get_alert(session, scope, alert_id)
    return views.alert_detail(
        session,
        scope,
        alert,
        service.evidence(session, scope, alert_id),
        service.timeline(session, scope, alert_id),
        clock(),
        settings.sla_due_soon_share,
    )


@router.get("", summary="List alerts, by deadline first")
def list_alerts(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    clock: ClockDep,
    settings: SettingsDep,
    tenant: str | None = None,
    level: Annotated[list[LevelNumber] | None, Query()] = None,
    state: Annotated[list[AlertState] | None, Query()] = None,
    sla_state: Annotated[list[SlaState] | None, Query()] = None,
    rule_id: str | None = None,
    raised_from: datetime | None = None,
    raised_to: datetime | None = None,
    assignee: str | None = None,
    sort: AlertSort = AlertSort.DEADLINE,
) -> Page[AlertOut]:
    filters = AlertFilters(
        tenant=tenant,
        levels=tuple(level or ()),
        states=tuple(state or ()),
        sla_states=tuple(sla_state or ()),
        rule_id=rule_id,
        raised_from=raised_from,
        raised_to=raised_to,
        assignee=assignee,
        sort=sort,
    )
    now, share = clock(), settings.sla_due_soon_share
    rows, total = queries.list_alerts(session, scope, filters, page, now, share)
    return Page.of(views.alert_outs(session, scope, rows, now, share), total, page)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Raise an alert (provider)")
def raise_alert(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, body: AlertCreate
) -> RaiseResult:
    tenant = tenants.get_tenant(session, scope, body.tenant)
    detection = AlertInput.model_validate(body.model_dump(exclude={"tenant"}))
    policy = AlertPolicy.from_settings(settings)
    outcome = service.raise_alert(session, scope, tenant.id, detection, clock, policy)
    if outcome.status is RaiseStatus.SUPPRESSED or outcome.alert is None:
        raise Conflict(
            f"rule {body.rule_id!r} is disabled for tenant {body.tenant!r}: "
            f"{outcome.exception_reason}"
        )
    (out,) = views.alert_outs(session, scope, [outcome.alert], clock(), settings.sla_due_soon_share)
    return RaiseResult(status=outcome.status.value, alert=out)


@router.get("/rule-quality", summary="Verdicts per rule and tenant (provider)")
def rule_quality(
    session: SessionDep,
    scope: ScopeDep,
    tenant: str | None = None,
    rule_id: str | None = None,
    raised_from: datetime | None = None,
    raised_to: datetime | None = None,
) -> Page[RuleQualityRow]:
    rows = rules.quality(
        session,
        scope,
        tenant=tenant,
        rule_id=rule_id,
        raised_from=raised_from,
        raised_to=raised_to,
    )
    return Page(items=rows, total=len(rows), limit=len(rows), offset=0)


@router.get("/compliance", summary="Service-level compliance of a tenant over a period")
def compliance_report(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    tenant: str,
    date_from: Annotated[date, Query(alias="from")],
    date_to: Annotated[date, Query(alias="to")],
) -> ComplianceReport:
    return compliance.report(session, scope, tenant, date_from, date_to, clock)


@router.get("/rule-exceptions", summary="Rules disabled per tenant")
def list_exceptions(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    tenant: str | None = None,
    active: bool | None = None,
) -> Page[RuleExceptionOut]:
    rows, total = rules.list_exceptions(session, scope, page, tenant=tenant, active=active)
    return Page.of([rules.exception_out(session, r) for r in rows], total, page)


@router.post(
    "/rule-exceptions",
    status_code=status.HTTP_201_CREATED,
    summary="Disable a rule for one tenant (provider)",
)
def create_exception(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, body: RuleExceptionIn
) -> RuleExceptionOut:
    return rules.exception_out(session, rules.create_exception(session, scope, body, clock))


@router.get("/rule-exceptions/{exception_id}", summary="One rule exception")
def get_exception(session: SessionDep, scope: ScopeDep, exception_id: int) -> RuleExceptionOut:
    return rules.exception_out(session, rules.get_exception(session, scope, exception_id))


@router.delete(
    "/rule-exceptions/{exception_id}", summary="Enable the rule again (provider; kept on record)"
)
def revoke_exception(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, exception_id: int, reason: str = ""
) -> RuleExceptionOut:
    row = rules.revoke_exception(session, scope, exception_id, reason, clock)
    return rules.exception_out(session, row)


@router.get("/{alert_id}", summary="One alert with its evidence and timeline")
def get_alert(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, alert_id: int
) -> AlertDetail:
    return _detail(session, scope, alert_id, clock, settings)


@router.post("/{alert_id}/acknowledge", summary="Take the alert into account (provider)")
def acknowledge(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, alert_id: int
) -> AlertDetail:
    service.acknowledge(session, scope, alert_id, clock)
    return _detail(session, scope, alert_id, clock, settings)


@router.post("/{alert_id}/start", summary="Start working on the alert (provider)")
def start(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, alert_id: int
) -> AlertDetail:
    service.start(session, scope, alert_id, clock)
    return _detail(session, scope, alert_id, clock, settings)


@router.post("/{alert_id}/assign", summary="Assign to an analyst, or unassign (provider)")
def assign(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    alert_id: int,
    body: AssignIn,
) -> AlertDetail:
    service.assign(session, scope, alert_id, body.assignee, clock)
    return _detail(session, scope, alert_id, clock, settings)


@router.post("/{alert_id}/level", summary="Change the criticality level (provider)")
def change_level(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    alert_id: int,
    body: LevelIn,
) -> AlertDetail:
    service.change_level(session, scope, alert_id, body.level, body.reason, clock)
    return _detail(session, scope, alert_id, clock, settings)


@router.post("/{alert_id}/close", summary="Close with a verdict and a comment (provider)")
def close(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    alert_id: int,
    body: CloseIn,
) -> AlertDetail:
    service.close(session, scope, alert_id, body.verdict, body.comment, clock)
    return _detail(session, scope, alert_id, clock, settings)


@router.post("/{alert_id}/reopen", summary="Reopen a closed alert (provider)")
def reopen(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    alert_id: int,
    body: ReasonIn,
) -> AlertDetail:
    service.reopen(session, scope, alert_id, body.reason, clock)
    return _detail(session, scope, alert_id, clock, settings)


@router.post(
    "/{alert_id}/comments",
    status_code=status.HTTP_201_CREATED,
    summary="Comment on an alert (provider, or the client of its tenant)",
)
def add_comment(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, alert_id: int, body: CommentIn
) -> TimelineEntry:
    row = service.comment(session, scope, alert_id, body.text, clock)
    return TimelineEntry(
        id=row.id,
        kind=EventKind(row.kind),
        at=row.at,
        actor=row.actor,
        text=row.text,
        details={},
    )
