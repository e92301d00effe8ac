"""The scheduler's service-level watch: mark breaches (and due-soon alerts) when they happen.

Each mark is a compare-and-set on the alert row, so several schedulers running at once emit
each ``breached`` / ``due_soon`` timeline event once. The events are the notification outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigile.alerts.history import record_change
from vigile.alerts.models import Alert
from vigile.alerts.policy import SYSTEM, AlertPolicy
from vigile.alerts.sla import deadline_of
from vigile.alerts.types import AlertState, EventKind
from vigile.alerts.views import TermsCache
from vigile.scope import CallerScope, Role
from vigile.service_levels import Level, share_used

WATCHER = CallerScope(principal="system:sla-watch", role=Role.ADMIN, tenant_ids=None)
"""The watcher's scope, named in the alerts' timelines and in the audit trail."""


@dataclass(frozen=True)
class WatchResult:
    """How many alerts were marked breached and due soon in one pass."""

    breached: int
    due_soon: int


def mark_breaches(
    session: Session, clock: Callable[[], datetime], policy: AlertPolicy | None = None
) -> WatchResult:
    """Mark unacknowledged alerts past their deadline as breached, and those past the due-soon
    share of their delay as due soon; one timeline event (and audit entry) per mark."""
    policy = policy or AlertPolicy()
    now = clock()
    late = session.scalars(
        select(Alert).where(
            Alert.due_at < now,
            Alert.acknowledged_at.is_(None),
            Alert.breached_at.is_(None),
            Alert.state != AlertState.CLOSED,
        )
    ).all()
    breached = sum(_mark(session, alert, now, breach=True) for alert in late)
    # Counted time never exceeds wall-clock time: an alert raised less than the share of the
    # shortest delay ago cannot be due soon yet.
    horizon = now - Level.CRITICAL.delay * policy.due_soon_share
    running = session.scalars(
        select(Alert).where(
            Alert.due_at >= now,
            Alert.acknowledged_at.is_(None),
            Alert.due_soon_at.is_(None),
            Alert.raised_at <= horizon,
            Alert.state != AlertState.CLOSED,
        )
    ).all()
    terms = TermsCache(session, SYSTEM)
    soon = [
        a
        for a in running
        if (share_used(terms(a.tenant_id), deadline_of(a), now) or 0) >= policy.due_soon_share
    ]
    due_soon = sum(_mark(session, alert, now, breach=False) for alert in soon)
    return WatchResult(breached=breached, due_soon=due_soon)


def _mark(session: Session, alert: Alert, now: datetime, *, breach: bool) -> bool:
    column = Alert.breached_at if breach else Alert.due_soon_at
    value = alert.due_at if breach else now
    moved = session.execute(
        update(Alert)
        .where(Alert.id == alert.id, column.is_(None), Alert.acknowledged_at.is_(None))
        .values({column: value})
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False  # another scheduler did it, or the alert was acknowledged meanwhile
    session.refresh(alert)
    kind = EventKind.BREACHED if breach else EventKind.DUE_SOON
    details = {"level": alert.level, "due_at": alert.due_at.isoformat() if alert.due_at else None}
    record_change(session, WATCHER, alert, kind, now, details=details)
    return True
