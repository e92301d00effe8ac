"""Service-level compliance report of one tenant over a period of local dates.

Alerts count in the period of their raise time (in the tenant's time zone, both dates
included) and at their current level. Times to acknowledge are given in business minutes
(open time of the tenant's calendar between raise and acknowledgement) and in wall-clock
minutes; the median is the usual one (mean of the two middle values) and the 90th percentile
uses the nearest-rank method (the smallest value with at least 90 % of values at or below it).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.alerts.models import Alert
from vigile.alerts.schemas import ComplianceReport, LevelCompliance
from vigile.errors import InvalidInput
from vigile.scope import CallerScope
from vigile.service_levels import Level, ServiceTerms
from vigile.tenants import service as tenants


def report(
    session: Session,
    scope: CallerScope,
    slug: str,
    date_from: date,
    date_to: date,
    clock: Callable[[], datetime],
) -> ComplianceReport:
    """Per level: alerts, acknowledged on time, breaches, median and p90 time to acknowledge."""
    scope.require_api()
    if date_to < date_from:
        raise InvalidInput("the period ends before it starts")
    tenant = tenants.get_tenant(session, scope, slug)
    terms = tenants.service_terms(session, scope, tenant.id)
    zone = terms.calendar.zone
    start = datetime.combine(date_from, time(), zone).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(), zone).astimezone(UTC)
    alerts = session.scalars(
        select(Alert).where(
            Alert.tenant_id == tenant.id, Alert.raised_at >= start, Alert.raised_at < end
        )
    ).all()
    now = clock()
    levels = [
        _level(terms, level, [a for a in alerts if a.level == level], now)
        for level in sorted(Level, reverse=True)
    ]
    return ComplianceReport(
        tenant=tenant.slug,
        timezone=tenant.timezone,
        period_from=date_from.isoformat(),
        period_to=date_to.isoformat(),
        generated_at=now,
        levels=levels,
    )


def _level(
    terms: ServiceTerms, level: Level, alerts: list[Alert], now: datetime
) -> LevelCompliance:
    timed = [(a, a.due_at) for a in alerts if a.due_at is not None]
    acks = [
        (a.raised_at, a.acknowledged_at, due) for a, due in timed if a.acknowledged_at is not None
    ]
    on_time = sum(1 for _, ack, due in acks if ack <= due)
    overdue = sum(1 for a, due in timed if a.acknowledged_at is None and now > due)
    business = [_minutes(terms.calendar.open_time_between(r, k)) for r, k, _ in acks]
    wall = [_minutes(k - r) for r, k, _ in acks]
    return LevelCompliance(
        level=int(level),
        label=level.label,
        label_en=level.english_label,
        alerts=len(timed),
        without_sla=len(alerts) - len(timed),
        acknowledged=len(acks),
        acknowledged_on_time=on_time,
        breaches=len(acks) - on_time + overdue,
        pending=len(timed) - len(acks) - overdue,
        median_ack_business_minutes=_median(business),
        p90_ack_business_minutes=_p90(business),
        median_ack_wall_minutes=_median(wall),
        p90_ack_wall_minutes=_p90(wall),
    )


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 2)
