"""Alert deadlines under a tenant's service terms (Annex A).

* deadline = raise time + the level's delay counted in open time only; raised while closed,
  the clock starts at the next opening;
* 24/7 subscription: a **level-4** alert gets its 1 h 30 in wall-clock time from the raise,
  whenever raised (even during business hours: wall-clock time is never longer there); other
  levels keep business hours;
* no deadline before go-live: the go-live date is a local date in the tenant's time zone and
  is compared with the raise time's local date — an alert raised before go-live never gets a
  deadline, even if it is still open afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from vigile.service_levels.calendar import TenantCalendar
from vigile.service_levels.errors import CalendarError
from vigile.service_levels.levels import Level
from vigile.service_levels.wallclock import require_utc

REASON_BEFORE_GO_LIVE = "before go-live"
REASON_NO_GO_LIVE = "no go-live date"


@dataclass(frozen=True)
class ServiceTerms:
    """What a tenant subscribed to: its calendar, the 24/7 option and the go-live date."""

    calendar: TenantCalendar = field(default_factory=TenantCalendar)
    around_the_clock: bool = False
    go_live: date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.calendar, TenantCalendar):
            raise CalendarError(f"calendar must be a TenantCalendar, got {self.calendar!r}")
        if self.go_live is not None and (
            not isinstance(self.go_live, date) or isinstance(self.go_live, datetime)
        ):
            raise CalendarError(
                f"go_live must be a date (local to the tenant), got {self.go_live!r}"
            )

    def in_wall_clock(self, level: Level) -> bool:
        """True when ``level``'s delay is counted in wall-clock time (24/7, level 4)."""
        return self.around_the_clock and Level(level) is Level.CRITICAL


@dataclass(frozen=True)
class Deadline:
    """The deadline of one alert: ``due_at`` (UTC) or ``None`` with ``reason``."""

    level: Level
    raised_at: datetime
    due_at: datetime | None
    reason: str | None = None
    wall_clock: bool = False
    """Counted in wall-clock time (24/7 level 4) rather than in business hours."""

    @property
    def applies(self) -> bool:
        """True when a service level applies (there is a deadline)."""
        return self.due_at is not None


def compute_deadline(terms: ServiceTerms, level: Level | int, raised_at: datetime) -> Deadline:
    """Deadline of an alert of ``level`` raised at ``raised_at`` (aware; result in UTC)."""
    level = Level.parse(level)
    raised = require_utc(raised_at, "raised_at")
    reason = _no_deadline_reason(terms, raised)
    if reason is not None:
        return Deadline(level=level, raised_at=raised, due_at=None, reason=reason)
    if terms.in_wall_clock(level):
        return Deadline(level=level, raised_at=raised, due_at=raised + level.delay, wall_clock=True)
    due = terms.calendar.add_open_time(raised, level.delay)
    return Deadline(level=level, raised_at=raised, due_at=due)


def recompute_deadline(terms: ServiceTerms, deadline: Deadline, level: Level | int) -> Deadline:
    """Deadline after an analyst changes the level: counted again from the original raise."""
    return compute_deadline(terms, level, deadline.raised_at)


def time_used(terms: ServiceTerms, deadline: Deadline, now: datetime) -> timedelta | None:
    """Counted time since the raise (open time, or wall clock for 24/7 level 4); None if no SLA."""
    if deadline.due_at is None:
        return None
    now = require_utc(now, "now")
    if deadline.wall_clock:
        return max(now - deadline.raised_at, timedelta(0))
    return max(terms.calendar.open_time_between(deadline.raised_at, now), timedelta(0))


def time_left(terms: ServiceTerms, deadline: Deadline, now: datetime) -> timedelta | None:
    """Counted time until the deadline; negative when overdue (by that much counted time)."""
    if deadline.due_at is None:
        return None
    now = require_utc(now, "now")
    if deadline.wall_clock:
        return deadline.due_at - now
    return terms.calendar.open_time_between(now, deadline.due_at)


def share_used(terms: ServiceTerms, deadline: Deadline, now: datetime) -> float | None:
    """Fraction of the level's delay used at ``now`` (1.0 at the deadline); None if no SLA."""
    used = time_used(terms, deadline, now)
    return None if used is None else used / deadline.level.delay


def _no_deadline_reason(terms: ServiceTerms, raised: datetime) -> str | None:
    if terms.go_live is None:
        return REASON_NO_GO_LIVE
    if terms.calendar.local_date(raised) < terms.go_live:
        return REASON_BEFORE_GO_LIVE
    return None
