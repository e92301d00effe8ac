"""Service-level state of an alert at an instant, from its stored deadline and tenant terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from vigile.alerts.models import Alert
from vigile.alerts.types import SlaState
from vigile.service_levels import Deadline, Level, ServiceTerms, share_used, time_left


@dataclass(frozen=True)
class SlaStatus:
    """State, and for a running clock the time left (business and wall clock) and share used."""

    state: SlaState
    left_open: timedelta | None = None
    left_wall: timedelta | None = None
    share_used: float | None = None


def deadline_of(alert: Alert) -> Deadline:
    """The stored deadline of an alert as the service-levels module sees it."""
    return Deadline(
        level=Level(alert.level),
        raised_at=alert.raised_at,
        due_at=alert.due_at,
        reason=alert.sla_reason,
        wall_clock=alert.wall_clock,
    )


def sla_status(alert: Alert, terms: ServiceTerms, now: datetime, due_soon: float) -> SlaStatus:
    """``no_sla``, ``met``/``breached`` once acknowledged, else ``running``/``due_soon``/…

    Acknowledging exactly at the deadline meets it; the clock is breached strictly after.
    """
    due = alert.due_at
    if due is None:
        return SlaStatus(SlaState.NO_SLA)
    if alert.acknowledged_at is not None:
        met = alert.acknowledged_at <= due
        return SlaStatus(SlaState.MET if met else SlaState.BREACHED)
    deadline = deadline_of(alert)
    left_open = time_left(terms, deadline, now)
    used = share_used(terms, deadline, now)
    if now > due or alert.breached_at is not None:
        state = SlaState.BREACHED
    elif used is not None and used >= due_soon:
        state = SlaState.DUE_SOON
    else:
        state = SlaState.RUNNING
    return SlaStatus(state, left_open=left_open, left_wall=due - now, share_used=used)
