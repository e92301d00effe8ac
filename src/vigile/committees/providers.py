"""Where each indicator's figures come from: one provider function per indicator.

Providers read other slices through their services only: alerts (levels, service levels,
verdicts, rules), incidents, assets (count vs subscribed, at the end of the period) and sources
(health at report time). An indicator a deployment cannot compute answers
:func:`kpis.not_available` rather than a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from vigile.alerts import compliance, queries, rules
from vigile.alerts.queries import AlertFilters, AlertSort
from vigile.alerts.schemas import ComplianceReport, RuleQualityRow
from vigile.alerts.types import AlertState, Verdict
from vigile.assets import service as assets
from vigile.assets.types import Counting
from vigile.committees import kpis
from vigile.committees.schemas import IncidentRow, IndicatorResult
from vigile.committees.types import Indicator
from vigile.incidents import service as incidents
from vigile.incidents.models import Incident
from vigile.incidents.types import TRUE_POSITIVES
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.service_levels import TenantCalendar
from vigile.sources import service as sources

_PAGE = 1000


@dataclass
class KpiContext:
    """One tenant and one period (local dates, both included) of the tenant's calendar."""

    session: Session
    scope: CallerScope
    tenant: str
    tenant_id: int
    calendar: TenantCalendar
    period_from: date
    period_to: date
    clock: Callable[[], datetime]
    counting: Counting = field(default_factory=Counting)
    _compliance: ComplianceReport | None = field(default=None, init=False)
    _quality: list[RuleQualityRow] | None = field(default=None, init=False)
    _incidents: list[Incident] | None = field(default=None, init=False)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.period_from, time(), self.calendar.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive end: midnight after the last day."""
        last = self.period_to + timedelta(days=1)
        return datetime.combine(last, time(), self.calendar.zone).astimezone(UTC)

    def compliance(self) -> ComplianceReport:
        if self._compliance is None:
            self._compliance = compliance.report(
                self.session, self.scope, self.tenant, self.period_from, self.period_to, self.clock
            )
        return self._compliance

    def quality(self) -> list[RuleQualityRow]:
        if self._quality is None:
            self._quality = rules.quality(
                self.session,
                self.scope,
                tenant=self.tenant,
                raised_from=self.start,
                raised_to=self.end,
            )
        return self._quality

    def incidents(self) -> list[Incident]:
        """Incidents closed in the period (merged ones left out)."""
        if self._incidents is None:
            self._incidents = incidents.closed_in_period(
                self.session, self.scope, self.tenant_id, self.start, self.end
            )
        return self._incidents


def _true_positive(incident: Incident) -> bool:
    return incident.outcome in {o.value for o in TRUE_POSITIVES}


Provider = Callable[[KpiContext], IndicatorResult]


def _assets(ctx: KpiContext) -> IndicatorResult:
    summary = assets.asset_summary(
        ctx.session, ctx.scope, ctx.tenant_id, ctx.period_to, ctx.counting
    )
    return kpis.assets_vs_subscribed(summary.monitored, summary.subscribed, summary.inventory)


def _sources(ctx: KpiContext) -> IndicatorResult:
    found: list[tuple[str, str, int, bool]] = []
    offset = 0
    while True:
        page = PageRequest(limit=_PAGE, offset=offset)
        rows, total = sources.list_sources(ctx.session, ctx.scope, page, tenant=ctx.tenant)
        found += [(r.host, r.source_type, r.event_count, r.silent_since is not None) for r in rows]
        offset += _PAGE
        if offset >= total:
            return kpis.source_health(found)


PROVIDERS: dict[Indicator, Provider] = {
    Indicator.ALERTS_PER_LEVEL: lambda ctx: kpis.alerts_per_level(ctx.compliance()),
    Indicator.SLA_COMPLIANCE: lambda ctx: kpis.sla_compliance(ctx.compliance()),
    Indicator.ACK_TIMES: lambda ctx: kpis.ack_times(ctx.compliance()),
    Indicator.TRUE_POSITIVE_RATE: lambda ctx: kpis.true_positive_rate(ctx.quality()),
    Indicator.TOP_RULES_VOLUME: lambda ctx: kpis.top_rules(ctx.quality(), by_false_positives=False),
    Indicator.TOP_RULES_FALSE_POSITIVES: lambda ctx: kpis.top_rules(
        ctx.quality(), by_false_positives=True
    ),
    Indicator.INCIDENTS_BY_CATEGORY: lambda ctx: kpis.incidents_by_category(
        [(i.category, _true_positive(i)) for i in ctx.incidents()]
    ),
    Indicator.SOURCE_HEALTH: _sources,
    Indicator.ASSETS_VS_SUBSCRIBED: _assets,
}


def compute(ctx: KpiContext, chosen: list[Indicator]) -> list[IndicatorResult]:
    """The chosen indicators, in the chosen order."""
    return [PROVIDERS[key](ctx) for key in chosen]


def true_positives(ctx: KpiContext) -> tuple[str, list[IncidentRow]]:
    """The period's incidents closed as true positives (refs ``I-…``), then the alerts raised
    in the period and closed as true positives that belong to none of them (refs ``A-…``).
    The source is ``incidents`` when there is at least one incident, else ``alerts``."""
    found = [
        IncidentRow(
            ref=f"I-{i.id}",
            title=i.title,
            level=i.criticality,
            category=f"category_{i.category or 'other'}",
            opened_at=i.created_at,
            closed_at=i.closed_at,
            outcome=i.outcome,
        )
        for i in ctx.incidents()
        if _true_positive(i)
    ]
    covered = {
        alert_id
        for i in ctx.incidents()
        if _true_positive(i)
        for alert_id in incidents.alert_ids(ctx.session, i.id)
    }
    alerts = [a for a in _true_positive_alerts(ctx) if int(a.ref[2:]) not in covered]
    return ("incidents" if found else "alerts"), found + alerts


def _true_positive_alerts(ctx: KpiContext) -> list[IncidentRow]:
    filters = AlertFilters(
        tenant=ctx.tenant,
        states=(AlertState.CLOSED,),
        raised_from=ctx.start,
        raised_to=ctx.end,
        sort=AlertSort.OLDEST,
    )
    found: list[IncidentRow] = []
    offset, now = 0, ctx.clock()
    while True:
        page = PageRequest(limit=_PAGE, offset=offset)
        alerts, total = queries.list_alerts(ctx.session, ctx.scope, filters, page, now, 0.75)
        found += [
            IncidentRow(
                ref=f"A-{a.id}",
                title=a.rule_title,
                level=a.level,
                opened_at=a.raised_at,
                closed_at=a.closed_at,
                host=a.host,
                outcome=a.close_comment,
            )
            for a in alerts
            if a.verdict == Verdict.TRUE_POSITIVE.value
        ]
        offset += _PAGE
        if offset >= total:
            return found
