"""Walking a calendar's open intervals: open/closed tests, adding and measuring open time.

Everything walks whole intervals, one local date at a time, never minute by minute. A walk
with no end gives up with :class:`NoOpenTimeError` after ``MAX_CLOSED_DAYS`` consecutive dates
without open time, so a calendar with no hours (or closed for years) cannot loop forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from vigile.service_levels.errors import NoOpenTimeError
from vigile.service_levels.wallclock import require_utc

if TYPE_CHECKING:
    from vigile.service_levels.calendar import TenantCalendar, UtcInterval

MAX_CLOSED_DAYS = 2 * 366
"""Consecutive closed dates after which an unbounded walk concludes there is no open time."""

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


def open_intervals(
    calendar: TenantCalendar, start: datetime, end: datetime | None = None
) -> Iterator[UtcInterval]:
    """Open UTC intervals clipped to ``[start, end)`` in order; unbounded if ``end`` is None."""
    start = require_utc(start, "start")
    stop = None if end is None else require_utc(end, "end")
    if stop is not None and stop <= start:
        return
    # Start one local date early: a fold around midnight can put the tail of the previous
    # date's intervals after ``start`` (intervals are ordered across dates, see wallclock).
    day = calendar.local_date(start) - _ONE_DAY
    last_day = None if stop is None else calendar.local_date(stop) + _ONE_DAY
    if stop is None and not calendar.has_open_time_from(day):
        raise NoOpenTimeError(
            f"the calendar has no opening hours after {start.isoformat()}: "
            "no business-hours deadline can be computed"
        )
    closed_run = 0
    while last_day is None or day <= last_day:
        found = False
        for opens, closes in calendar.open_intervals_on(day):
            if closes <= start:
                continue
            if stop is not None and opens >= stop:
                return
            found = True
            yield max(opens, start), closes if stop is None else min(closes, stop)
        closed_run = 0 if found else closed_run + 1
        if stop is None and closed_run > MAX_CLOSED_DAYS:
            raise NoOpenTimeError(
                f"the calendar has no open time for {MAX_CLOSED_DAYS} days after "
                f"{_local(calendar, day - timedelta(days=closed_run))}: check its hours and "
                "extra closed days"
            )
        day += _ONE_DAY


def is_open(calendar: TenantCalendar, moment: datetime) -> bool:
    """True when ``moment`` is inside an opening interval (intervals are start-inclusive)."""
    moment = require_utc(moment, "moment")
    tiny = timedelta(microseconds=1)
    return next(open_intervals(calendar, moment, moment + tiny), None) is not None


def next_opening(calendar: TenantCalendar, moment: datetime) -> datetime:
    """``moment`` if open, else the next instant the calendar opens (``NoOpenTimeError``)."""
    for opens, _ in open_intervals(calendar, moment):
        return opens
    raise AssertionError("unreachable: an unbounded walk yields or raises")  # pragma: no cover


def add_open_time(calendar: TenantCalendar, start: datetime, duration: timedelta) -> datetime:
    """Instant when ``duration`` of open time has elapsed from ``start``.

    The clock starts at the next opening when ``start`` is closed. A deadline that uses up the
    last minute of an interval is that interval's closing instant, not the next opening.
    """
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    remaining = duration
    for opens, closes in open_intervals(calendar, start):
        available = closes - opens
        if remaining <= available:
            return opens + remaining
        remaining -= available
    raise AssertionError("unreachable: an unbounded walk yields or raises")  # pragma: no cover


def open_time_between(calendar: TenantCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time within ``[start, end)``; the negative of the reverse when ``end < start``."""
    start, end = require_utc(start, "start"), require_utc(end, "end")
    if end < start:
        return -open_time_between(calendar, end, start)
    total = _ZERO
    for opens, closes in open_intervals(calendar, start, end):
        total += closes - opens
    return total


def _local(calendar: TenantCalendar, day: date) -> str:
    return f"{day.isoformat()} ({calendar.timezone})"
