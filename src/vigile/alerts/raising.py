"""Raising one detection as an alert: joined to the open alert of the same rule and key
fields, or new with its deadline (the pipeline's batches: :mod:`vigile.alerts.batch`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.alerts import evidence as ev
from vigile.alerts.history import Clock, deadline_for, iso, record_change
from vigile.alerts.intake import add_evidence, join
from vigile.alerts.models import Alert
from vigile.alerts.policy import MAX_CLOCK_SKEW, AlertPolicy
from vigile.alerts.rules import active_exception
from vigile.alerts.schemas import AlertInput, criticality
from vigile.alerts.types import AlertState, EventKind, RaiseStatus
from vigile.errors import InvalidInput
from vigile.scope import CallerScope
from vigile.service_levels import Deadline, Level, require_utc
from vigile.tenants import service as tenants


@dataclass(frozen=True)
class RaiseOutcome:
    """A new alert, an open alert joined (deduplicated), or nothing: the rule is excepted."""

    status: RaiseStatus
    alert: Alert | None
    exception_reason: str | None = None


def raise_alert(
    session: Session,
    scope: CallerScope,
    tenant_id: int,
    detection: AlertInput,
    clock: Clock,
    policy: AlertPolicy | None = None,
) -> RaiseOutcome:
    """Raise ``detection`` for a tenant: join the open alert of the same rule and key fields
    within the deduplication window, or open a new alert with its deadline; skip a rule the
    provider disabled for this tenant."""
    policy = policy or AlertPolicy()
    scope.require_provider()
    tenant = tenants.get_tenant_by_id(session, scope, tenant_id)
    now = clock()
    raised = require_utc(detection.raised_at or now, "raised_at")
    if raised > now + MAX_CLOCK_SKEW:
        raise InvalidInput(f"raised_at {raised.isoformat()} is in the future")
    level = criticality(detection.rule_level)
    excepted = active_exception(session, tenant.id, detection.rule_id)
    if excepted is not None:
        return RaiseOutcome(RaiseStatus.SUPPRESSED, None, excepted.reason)
    key = ev.dedup_key(detection.rule_id, detection.events[0], detection.key_fields)
    assets = ev.extract_assets(detection.events)
    if policy.dedup_window:
        joined = session.scalar(
            select(Alert)
            .where(
                Alert.tenant_id == tenant.id,
                Alert.rule_id == detection.rule_id,
                Alert.dedup_key == key,
                Alert.state != AlertState.CLOSED,
                Alert.last_seen_at >= raised - policy.dedup_window,
                Alert.raised_at <= raised + policy.dedup_window,
            )
            .order_by(Alert.id.desc())
            .limit(1)
        )
        if joined is not None:
            join(session, joined, detection, assets, raised, policy)
            return RaiseOutcome(RaiseStatus.JOINED, joined)
    deadline = deadline_for(session, scope, tenant.id, level, raised)
    alert = _new_alert(tenant.id, detection, key, assets, level, raised, deadline)
    session.add(alert)
    session.flush()
    add_evidence(session, alert, detection.events, raised, policy)
    details = {"rule_id": alert.rule_id, "level": alert.level, "due_at": iso(alert.due_at)}
    record_change(
        session, scope, alert, EventKind.RAISED, now, details=details | {"sla": deadline.reason}
    )
    return RaiseOutcome(RaiseStatus.CREATED, alert)


def _new_alert(
    tenant_id: int,
    detection: AlertInput,
    key: str,
    assets: ev.Assets,
    level: Level,
    raised: datetime,
    deadline: Deadline,
) -> Alert:
    return Alert(
        tenant_id=tenant_id,
        rule_id=detection.rule_id,
        rule_title=detection.rule_title,
        rule_version=detection.rule_version,
        sigma_level=detection.rule_level,
        level=int(level),
        original_level=int(level),
        state=AlertState.NEW.value,
        dedup_key=key,
        host=assets.hosts[0] if assets.hosts else None,
        assets=orjson.dumps(assets.to_dict()).decode(),
        raised_at=raised,
        last_seen_at=raised,
        match_count=1,
        due_at=deadline.due_at,
        sla_reason=deadline.reason,
        wall_clock=deadline.wall_clock,
    )
