"""Alert rows as the API and CLI show them, with their service-level state at an instant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import orjson
from sqlalchemy.orm import Session

from vigile.alerts.models import Alert, AlertEvent, AlertEvidence
from vigile.alerts.schemas import AlertDetail, AlertOut, EvidenceOut, SlaView, TimelineEntry
from vigile.alerts.sla import SlaStatus, sla_status
from vigile.alerts.types import AlertState, EventKind, Verdict
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.service_levels import Level, ServiceTerms
from vigile.tenants import perimeter_service as perimeter
from vigile.tenants import service as tenants

# How far back a perimeter change is shown beside an alert (a new service or version change
# often explains a burst of alerts in the following days).
PERIMETER_LOOKBACK = timedelta(days=30)


class TermsCache:
    """Service terms per tenant, built once per request or command."""

    def __init__(self, session: Session, scope: CallerScope) -> None:
        self._session, self._scope = session, scope
        self._terms: dict[int, ServiceTerms] = {}

    def __call__(self, tenant_id: int) -> ServiceTerms:
        if tenant_id not in self._terms:
            self._terms[tenant_id] = tenants.service_terms(self._session, self._scope, tenant_id)
        return self._terms[tenant_id]


def statuses(
    alerts: Iterable[Alert], terms: TermsCache, now: datetime, due_soon: float
) -> dict[int, SlaStatus]:
    """SLA status of each alert at ``now``, by alert id."""
    return {a.id: sla_status(a, terms(a.tenant_id), now, due_soon) for a in alerts}


def alert_outs(
    session: Session, scope: CallerScope, alerts: list[Alert], now: datetime, due_soon: float
) -> list[AlertOut]:
    """API views of ``alerts`` at ``now``."""
    terms = TermsCache(session, scope)
    slugs = tenants.slugs_by_id(session, {a.tenant_id for a in alerts})
    result = []
    for alert in alerts:
        alert_terms = terms(alert.tenant_id)
        status = sla_status(alert, alert_terms, now, due_soon)
        result.append(_out(alert, slugs[alert.tenant_id], alert_terms, status))
    return result


def alert_detail(
    session: Session,
    scope: CallerScope,
    alert: Alert,
    evidence: list[AlertEvidence],
    events: list[AlertEvent],
    now: datetime,
    due_soon: float,
) -> AlertDetail:
    """One alert with its evidence, timeline and the perimeter changes that may explain it."""
    (out,) = alert_outs(session, scope, [alert], now, due_soon)
    raised_on = alert.raised_at.date()
    changes, _ = perimeter.list_changes(
        session,
        scope,
        out.tenant,
        PageRequest(limit=50),
        raised_on - PERIMETER_LOOKBACK,
        raised_on + timedelta(days=1),
    )
    return AlertDetail(
        **out.model_dump(),
        evidence=[
            EvidenceOut(content_hash=e.content_hash, seen_at=e.seen_at, event=orjson.loads(e.event))
            for e in evidence
        ],
        timeline=[
            TimelineEntry(
                id=e.id,
                kind=EventKind(e.kind),
                at=e.at,
                actor=e.actor,
                text=e.text,
                details=orjson.loads(e.details),
            )
            for e in events
        ],
        perimeter_changes=changes,
    )


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 2)


def _out(alert: Alert, slug: str, terms: ServiceTerms, status: SlaStatus) -> AlertOut:
    level = Level(alert.level)
    due_local = (
        terms.calendar.to_local(alert.due_at).isoformat(timespec="seconds")
        if alert.due_at
        else None
    )
    sla = SlaView(
        state=status.state,
        due_at=alert.due_at,
        due_at_local=due_local,
        reason=alert.sla_reason,
        wall_clock=alert.wall_clock,
        minutes_left_open=_minutes(status.left_open),
        minutes_left_wall=_minutes(status.left_wall),
        share_used=None if status.share_used is None else round(status.share_used, 4),
        breached_at=alert.breached_at,
    )
    return AlertOut(
        id=alert.id,
        tenant=slug,
        rule_id=alert.rule_id,
        rule_title=alert.rule_title,
        rule_version=alert.rule_version,
        level=alert.level,
        level_label=level.label,
        level_label_en=level.english_label,
        original_level=alert.original_level,
        state=AlertState(alert.state),
        host=alert.host,
        assets=orjson.loads(alert.assets),
        raised_at=alert.raised_at,
        last_seen_at=alert.last_seen_at,
        match_count=alert.match_count,
        deadline=alert.due_at,
        sla_state=status.state,
        sla=sla,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        assignee=alert.assignee,
        verdict=Verdict(alert.verdict) if alert.verdict else None,
        closed_at=alert.closed_at,
        close_comment=alert.close_comment,
    )
