"""Validation of a tenant's calendar settings (time zone, holidays, business hours)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from vigile.errors import InvalidInput


def validate_calendar_settings(timezone: str, holidays: str, hours: str) -> str:
    """Check the three settings; return the business hours in canonical form."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown time zone {timezone!r} (use an IANA name such as 'Europe/Paris')"
        ) from exc
    country, _, subdivision = holidays.upper().partition("-")
    try:
        holidays_lib.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError as exc:
        raise InvalidInput(
            f"unknown holiday calendar {holidays!r} (e.g. 'FR', 'FR-57', 'FR-6AE')"
        ) from exc
    return hours
