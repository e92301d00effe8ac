"""Committee dates, pure: report due dates in business days, and the schedule.

A **business day** of the provider's calendar is a local date with opening hours (weekly
hours, minus public holidays and extra closed days; see :class:`TenantCalendar`). The report is
due on the ``n``-th business day *after* the committee date: the committee day itself never
counts, whatever its kind. A committee on Friday 18 December 2026 with the French calendar is
due on Tuesday 5 January 2027 (Christmas and New Year's Day skipped, as are weekends).
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta

from vigile.committees.types import Recurrence
from vigile.service_levels import TenantCalendar

_MAX_SCAN_DAYS = 3660
"""A calendar with no business day in ten years is a configuration error."""


def is_business_day(calendar: TenantCalendar, day: date) -> bool:
    """True when ``day`` has opening hours in ``calendar``."""
    return bool(calendar.hours_on(day))


def add_business_days(calendar: TenantCalendar, start: date, days: int) -> date:
    """The ``days``-th business day after ``start`` (``start`` excluded)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    current, counted = start, 0
    for _ in range(_MAX_SCAN_DAYS):
        current += timedelta(days=1)
        if is_business_day(calendar, current):
            counted += 1
            if counted == days:
                return current
    raise ValueError("the provider's calendar has no business days")


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def schedule(first_on: date, recurrence: Recurrence, *, after: date, count: int = 4) -> list[date]:
    """The next ``count`` planned committee dates strictly after ``after``.

    Planned dates are ``first_on`` + k × the recurrence (k = 0, 1, …), each computed from
    ``first_on`` so that a 31st stays a month end rather than drifting.
    """
    if count < 1:
        return []
    months = recurrence.months
    # Jump close to ``after`` instead of walking from the first date.
    k = max(0, ((after.year - first_on.year) * 12 + after.month - first_on.month) // months - 1)
    dates: list[date] = []
    while len(dates) < count:
        planned = add_months(first_on, k * months)
        if planned > after:
            dates.append(planned)
        k += 1
    return dates
