"""Source health, tenant-scoped: list sources, override their expected interval, and the
silence watch that raises a `source_silent` alert (the contract's "anti-SOC" concern)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigile.alerts import service as alerts
from vigile.alerts.policy import SYSTEM, AlertPolicy
from vigile.alerts.schemas import AlertInput
from vigile.alerts.types import RaiseStatus
from vigile.audit import service as audit
from vigile.errors import NotFound
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.sources.models import Source
from vigile.sources.schemas import SourceOut
from vigile.tenants import service as tenants

SILENT_RULE_ID = "vigile:source_silent"
log = logging.getLogger(__name__)


def list_sources(
    session: Session,
    scope: CallerScope,
    page: PageRequest,
    *,
    tenant: str | None = None,
    silent: bool | None = None,
) -> tuple[list[Source], int]:
    """The caller's tenants' sources, most recently seen first."""
    scope.require_api()
    query = select(Source)
    if tenant is not None:
        query = query.where(Source.tenant_id == tenants.get_tenant(session, scope, tenant).id)
    elif scope.tenant_ids is not None:
        query = query.where(Source.tenant_id.in_(scope.tenant_ids))
    if silent is not None:
        since = Source.silent_since
        query = query.where(since.is_not(None) if silent else since.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (Source.last_seen.desc(), Source.id)
    rows = session.scalars(query.order_by(*order).limit(page.limit).offset(page.offset))
    return list(rows), total


def get_source(session: Session, scope: CallerScope, source_id: int) -> Source:
    scope.require_api()
    row = session.get(Source, source_id)
    if row is None or not scope.can_access(row.tenant_id):
        raise NotFound(f"source {source_id} not found")
    return row


def set_interval(
    session: Session, scope: CallerScope, source_id: int, minutes: int | None
) -> Source:
    """Override (or with None, reset) a source's expected interval (provider staff)."""
    row = get_source(session, scope, source_id)
    scope.require_provider()
    row.expected_interval_s = None if minutes is None else minutes * 60
    session.flush()
    audit.record(
        session,
        scope,
        "source.interval",
        "source",
        row.id,
        tenant_id=row.tenant_id,
        details={"expected_interval_minutes": minutes},
    )
    return row


def expected(row: Source, default_minutes: int) -> timedelta | None:
    """The interval after which the source is silent (None: never)."""
    seconds = (
        row.expected_interval_s if row.expected_interval_s is not None else default_minutes * 60
    )
    return timedelta(seconds=seconds) if seconds > 0 else None


@dataclass(frozen=True)
class SilenceResult:
    silenced: int
    alerts_created: int


def watch_silence(
    session: Session,
    clock: Callable[[], datetime],
    policy: AlertPolicy,
    default_minutes: int,
    level: str,
) -> SilenceResult:
    """Raise `source_silent` for each source silent past its interval (once per silence;
    joined to an open alert of the same source by the alerts' deduplication)."""
    now = clock()
    silenced = created = 0
    for row in list(session.scalars(select(Source).where(Source.silent_since.is_(None)))):
        interval = expected(row, default_minutes)
        if interval is None or now - row.last_seen <= interval:
            continue
        outcome = alerts.raise_alert(
            session, SYSTEM, row.tenant_id, _detection(row, interval, level), clock, policy
        )
        row.silent_since = now
        row.silent_alert_id = outcome.alert.id if outcome.alert is not None else None
        silenced += 1
        created += outcome.status is RaiseStatus.CREATED
    session.flush()
    return SilenceResult(silenced, created)


def _detection(row: Source, interval: timedelta, level: str) -> AlertInput:
    name = f"{row.receiver}/{row.source_type or 'auto'}" + (f" {row.host}" if row.host else "")
    return AlertInput(
        rule_id=SILENT_RULE_ID,
        rule_title=f"Source silent: {name}"[:500],
        rule_level=level,
        events=[
            {
                "vigile.source_id": row.id,
                "vigile.receiver": row.receiver,
                "vigile.source_type": row.source_type,
                "Computer": row.host or None,
                "vigile.last_seen": row.last_seen.isoformat(),
                "vigile.expected_interval_minutes": interval.total_seconds() / 60,
            }
        ],
        key_fields=["vigile.source_id"],
    )


def source_out(session: Session, row: Source, default_minutes: int) -> SourceOut:
    slug = tenants.slugs_by_id(session, {row.tenant_id}).get(row.tenant_id, "?")
    interval = expected(row, default_minutes)
    return SourceOut(
        id=row.id,
        tenant=slug,
        receiver=row.receiver,
        source_type=row.source_type,
        host=row.host,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        event_count=row.event_count,
        rate_per_minute=row.rate_per_minute,
        expected_interval_minutes=interval.total_seconds() / 60 if interval else None,
        interval_overridden=row.expected_interval_s is not None,
        state="silent" if row.silent_since is not None else "ok",
        silent_since=row.silent_since,
        silent_alert_id=row.silent_alert_id,
        recovered_at=row.recovered_at,
    )
