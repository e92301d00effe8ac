"""Alerts: lifecycle and comments, tenant-scoped; raising lives in :mod:`vigile.alerts.raising`
(one detection) and :mod:`vigile.alerts.batch` (the pipeline's batches), re-exported here.

Every change is recorded twice in the same transaction: in the alert's timeline
(``alert_events``, which notifications will read) and in the hash-chained audit trail
(:mod:`vigile.alerts.history`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from vigile.alerts.batch import Detection, Raised, raise_alerts, raise_many
from vigile.alerts.history import NO_OPEN_TIME, Clock, deadline_for, iso, log_event, record_change
from vigile.alerts.models import Alert, AlertEvent, AlertEvidence
from vigile.alerts.raising import RaiseOutcome, raise_alert
from vigile.alerts.types import AlertState, EventKind, Verdict
from vigile.auth import service as auth
from vigile.errors import Conflict, InvalidInput, NotFound
from vigile.scope import CallerScope, Role
from vigile.service_levels import Level


def get_alert(session: Session, scope: CallerScope, alert_id: int) -> Alert:
    """One alert; NotFound when it does not exist or belongs to a tenant outside the scope."""
    scope.require_api()
    alert = session.get(Alert, alert_id)
    if alert is None or not scope.can_access(alert.tenant_id):
        raise NotFound(f"alert {alert_id} not found")
    return alert


def acknowledge(session: Session, scope: CallerScope, alert_id: int, clock: Clock) -> Alert:
    """Take the alert into account (what the service level measures): who and when."""
    alert = _for_change(session, scope, alert_id)
    if alert.state != AlertState.NEW:
        raise Conflict(f"alert {alert_id} is already {alert.state}")
    _acknowledge(session, scope, alert, clock())
    alert.state = AlertState.ACKNOWLEDGED.value
    return alert


def start(session: Session, scope: CallerScope, alert_id: int, clock: Clock) -> Alert:
    """Start working on the alert (acknowledging it first when still new)."""
    alert = _for_change(session, scope, alert_id)
    if alert.state not in (AlertState.NEW, AlertState.ACKNOWLEDGED):
        raise Conflict(f"alert {alert_id} is {alert.state}; cannot start it")
    now = clock()
    if alert.acknowledged_at is None:
        _acknowledge(session, scope, alert, now)
    alert.state = AlertState.IN_PROGRESS.value
    record_change(session, scope, alert, EventKind.STARTED, now)
    return alert


def assign(
    session: Session, scope: CallerScope, alert_id: int, assignee: str | None, clock: Clock
) -> Alert:
    """Give the alert to a provider analyst who can see its tenant (None: unassign)."""
    alert = _for_change(session, scope, alert_id)
    if alert.state == AlertState.CLOSED:
        raise Conflict(f"alert {alert_id} is closed; reopen it first")
    if assignee is not None:
        user = auth.get_user(session, scope, assignee)
        if user.role == Role.CLIENT or not user.is_active:
            raise InvalidInput(f"{assignee!r} is not an active member of the provider's staff")
        if not auth.scope_for_user(session, user).can_access(alert.tenant_id):
            raise InvalidInput(f"{assignee!r} cannot see this alert's tenant")
    before, alert.assignee = alert.assignee, assignee
    record_change(
        session, scope, alert, EventKind.ASSIGNED, clock(), details={"from": before, "to": assignee}
    )
    return alert


def change_level(
    session: Session, scope: CallerScope, alert_id: int, level: int, reason: str, clock: Clock
) -> Alert:
    """Change the criticality; the deadline is computed again from the original raise time."""
    alert = _for_change(session, scope, alert_id)
    new_level = Level.parse(level)
    if new_level == alert.level:
        raise Conflict(f"alert {alert_id} is already level {alert.level}")
    now = clock()
    deadline = deadline_for(session, scope, alert.tenant_id, new_level, alert.raised_at)
    before = {"level": alert.level, "due_at": iso(alert.due_at)}
    alert.level = int(new_level)
    alert.due_at, alert.sla_reason = deadline.due_at, deadline.reason
    alert.wall_clock, alert.due_soon_at = deadline.wall_clock, None
    due, acked = deadline.due_at, alert.acknowledged_at
    if due is None:
        alert.breached_at = None
    elif acked is not None:
        alert.breached_at = due if acked > due else None
    else:  # still running: keep a recorded breach only if the new deadline is past too
        alert.breached_at = due if alert.breached_at is not None and now > due else None
    after = {"level": alert.level, "due_at": iso(alert.due_at)}
    details = {"from": before, "to": after, "reason": reason}
    record_change(session, scope, alert, EventKind.LEVEL_CHANGED, now, text=reason, details=details)
    return alert


def close(
    session: Session,
    scope: CallerScope,
    alert_id: int,
    verdict: Verdict,
    comment: str,
    clock: Clock,
) -> Alert:
    """Close with a verdict and a comment (acknowledging first when still new)."""
    alert = _for_change(session, scope, alert_id)
    if alert.state == AlertState.CLOSED:
        raise Conflict(f"alert {alert_id} is already closed")
    now = clock()
    if alert.acknowledged_at is None:
        _acknowledge(session, scope, alert, now)
    alert.state = AlertState.CLOSED.value
    alert.verdict, alert.close_comment = verdict.value, comment
    alert.closed_at, alert.closed_by = now, scope.principal
    details = {"verdict": verdict.value}
    record_change(session, scope, alert, EventKind.CLOSED, now, text=comment, details=details)
    return alert


def reopen(session: Session, scope: CallerScope, alert_id: int, reason: str, clock: Clock) -> Alert:
    """Reopen a closed alert (back in progress); the previous verdict stays in the timeline."""
    alert = _for_change(session, scope, alert_id)
    if alert.state != AlertState.CLOSED:
        raise Conflict(f"alert {alert_id} is not closed")
    details = {"previous_verdict": alert.verdict, "closed_by": alert.closed_by}
    alert.state = AlertState.IN_PROGRESS.value
    alert.verdict = alert.close_comment = alert.closed_by = None
    alert.closed_at = None
    record_change(session, scope, alert, EventKind.REOPENED, clock(), text=reason, details=details)
    return alert


def comment(
    session: Session, scope: CallerScope, alert_id: int, text: str, clock: Clock
) -> AlertEvent:
    """Add a comment. Clients may comment on their own alerts (context for the analysts)."""
    alert = get_alert(session, scope, alert_id)
    return record_change(session, scope, alert, EventKind.COMMENT, clock(), text=text)


def timeline(session: Session, scope: CallerScope, alert_id: int) -> list[AlertEvent]:
    """The alert's timeline, oldest first."""
    alert = get_alert(session, scope, alert_id)
    query = select(AlertEvent).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)
    return list(session.scalars(query))


def evidence(session: Session, scope: CallerScope, alert_id: int) -> list[AlertEvidence]:
    """The matching events kept with the alert, oldest first."""
    alert = get_alert(session, scope, alert_id)
    query = select(AlertEvidence).where(AlertEvidence.alert_id == alert.id)
    return list(session.scalars(query.order_by(AlertEvidence.id)))


# --- helpers ------------------------------------------------------------------------------


def _for_change(session: Session, scope: CallerScope, alert_id: int) -> Alert:
    alert = get_alert(session, scope, alert_id)  # NotFound before Forbidden: no existence leak
    scope.require_provider()
    return alert


def _acknowledge(session: Session, scope: CallerScope, alert: Alert, now: datetime) -> None:
    alert.acknowledged_at, alert.acknowledged_by = now, scope.principal
    late = alert.due_at is not None and now > alert.due_at
    record_change(session, scope, alert, EventKind.ACKNOWLEDGED, now, details={"late": late})
    if late and alert.breached_at is None:
        alert.breached_at = alert.due_at
        details = {"due_at": iso(alert.due_at), "level": alert.level, "acknowledged_late": True}
        record_change(session, scope, alert, EventKind.BREACHED, now, details=details)


__all__ = [
    "NO_OPEN_TIME",
    "Clock",
    "Detection",
    "RaiseOutcome",
    "Raised",
    "acknowledge",
    "assign",
    "change_level",
    "close",
    "comment",
    "evidence",
    "get_alert",
    "log_event",
    "raise_alert",
    "raise_alerts",
    "raise_many",
    "reopen",
    "start",
    "timeline",
]
