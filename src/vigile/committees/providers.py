"""Where each indicator's figures come from: one provider function per indicator.

Providers read other slices through their services only. Indicators whose slice is not in
service yet (incidents, assets, source health) answer "not available" rather than guess; when
the slice lands, its provider replaces the placeholder in :data:`PROVIDERS`.
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
from vigile.committees import kpis
from vigile.committees.schemas import IncidentRow, IndicatorResult
from vigile.committees.types import Indicator
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.service_levels import TenantCalendar

_PAGE = 1000


@dataclass
class KpiContext:
    """One tenant and one period (local dates, both included) of the tenant's calendar."""

    session: Session
    scope: CallerScope
    tenant: str
    calendar: TenantCalendar
    period_from: date
    period_to: date
    clock: Callable[[], datetime]
    _compliance: ComplianceReport | None = field(default=None, init=False)
    _quality: list[RuleQualityRow] | None = field(default=None, init=False)

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


Provider = Callable[[KpiContext], IndicatorResult]


def _missing(key: Indicator, reason: str) -> Provider:
    return lambda _ctx: kpis.not_available(key, reason)


PROVIDERS: dict[Indicator, Provider] = {
    Indicator.ALERTS_PER_LEVEL: lambda ctx: kpis.alerts_per_level(ctx.compliance()),
    Indicator.SLA_COMPLIANCE: lambda ctx: kpis.sla_compliance(ctx.compliance()),
    Indicator.ACK_TIMES: lambda ctx: kpis.ack_times(ctx.compliance()),
    Indicator.TRUE_POSITIVE_RATE: lambda ctx: kpis.true_positive_rate(ctx.quality()),
    Indicator.TOP_RULES_VOLUME: lambda ctx: kpis.top_rules(ctx.quality(), by_false_positives=False),
    Indicator.TOP_RULES_FALSE_POSITIVES: lambda ctx: kpis.top_rules(
        ctx.quality(), by_false_positives=True
    ),
    Indicator.INCIDENTS_BY_CATEGORY: _missing(Indicator.INCIDENTS_BY_CATEGORY, "no_incidents"),
    Indicator.SOURCE_HEALTH: _missing(Indicator.SOURCE_HEALTH, "no_source_health"),
    Indicator.ASSETS_VS_SUBSCRIBED: _missing(Indicator.ASSETS_VS_SUBSCRIBED, "no_assets"),
}


def compute(ctx: KpiContext, chosen: list[Indicator]) -> list[IndicatorResult]:
    """The chosen indicators, in the chosen order."""
    return [PROVIDERS[key](ctx) for key in chosen]


def true_positives(ctx: KpiContext) -> tuple[str, list[IncidentRow]]:
    """The period's incidents; until incidents are tracked, alerts raised in the period and
    closed as true positives (source ``alerts``)."""
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
            return "alerts", found
