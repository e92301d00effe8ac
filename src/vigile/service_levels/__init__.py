"""Service levels: business-hours calendars, deadlines and breaches. Pure compute.

Imports only the standard library, ``zoneinfo`` and ``holidays``. Every instant given or
returned is a timezone-aware datetime (returned in UTC); naive datetimes are refused.
"""

from vigile.service_levels.business_time import MAX_CLOSED_DAYS
from vigile.service_levels.calendar import (
    DEFAULT_HOLIDAYS,
    DEFAULT_TIMEZONE,
    TenantCalendar,
    parse_holiday_spec,
)
from vigile.service_levels.deadlines import (
    REASON_BEFORE_GO_LIVE,
    REASON_NO_GO_LIVE,
    Deadline,
    ServiceTerms,
    compute_deadline,
    recompute_deadline,
    share_used,
    time_left,
    time_used,
)
from vigile.service_levels.errors import (
    CalendarError,
    NaiveDatetimeError,
    NoOpenTimeError,
    OpeningHoursError,
    ServiceLevelError,
    UnknownLevelError,
)
from vigile.service_levels.hours import (
    DEFAULT_HOURS,
    DEFAULT_HOURS_TEXT,
    WeeklyHours,
    format_hours,
    format_intervals,
    parse_hours,
    parse_intervals,
)
from vigile.service_levels.levels import Level
from vigile.service_levels.wallclock import require_utc

__all__ = [
    "DEFAULT_HOLIDAYS",
    "DEFAULT_HOURS",
    "DEFAULT_HOURS_TEXT",
    "DEFAULT_TIMEZONE",
    "MAX_CLOSED_DAYS",
    "REASON_BEFORE_GO_LIVE",
    "REASON_NO_GO_LIVE",
    "CalendarError",
    "Deadline",
    "Level",
    "NaiveDatetimeError",
    "NoOpenTimeError",
    "OpeningHoursError",
    "ServiceLevelError",
    "ServiceTerms",
    "TenantCalendar",
    "UnknownLevelError",
    "WeeklyHours",
    "compute_deadline",
    "format_hours",
    "format_intervals",
    "parse_holiday_spec",
    "parse_hours",
    "parse_intervals",
    "recompute_deadline",
    "require_utc",
    "share_used",
    "time_left",
    "time_used",
]
