"""Validation of a tenant's calendar settings (time zone, holidays, business hours)."""

from __future__ import annotations

from vigile.errors import InvalidInput
from vigile.service_levels.calendar import TenantCalendar
from vigile.service_levels.errors import ServiceLevelError
from vigile.service_levels.hours import format_hours, parse_hours


def validate_calendar_settings(timezone: str, holidays: str, hours: str) -> tuple[str, str]:
    """Check the three settings together; return (holidays, hours) in canonical form."""
    try:
        calendar = TenantCalendar(
            timezone=timezone, hours=parse_hours(hours), public_holidays=holidays
        )
    except ServiceLevelError as exc:
        raise InvalidInput(str(exc)) from exc
    assert calendar.public_holidays is not None
    return calendar.public_holidays, format_hours(calendar.hours)
