"""A tenant's business calendar: time zone, weekly hours, public holidays, extra days.

Which hours a local date has, in this order of precedence:

1. an extra **closed** day is closed (a date may not be both extra closed and extra open);
2. an extra **open** day has its weekday's hours, or — when that weekday has none (a Saturday
   for a Monday-Friday tenant) — ``extra_open_day_hours``, which defaults to the hours of the
   first weekday that has any (Monday usually), so an exceptional working day looks like a
   normal one; it opens even on a public holiday (that is what declaring it is for);
3. a public holiday is closed;
4. otherwise the weekday's hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from vigile.service_levels import business_time
from vigile.service_levels.errors import CalendarError
from vigile.service_levels.hours import (
    DEFAULT_HOURS,
    DayHours,
    WeeklyHours,
    normalize_intervals,
    parse_intervals,
)
from vigile.service_levels.wallclock import first_instant, require_utc, wall_time

DEFAULT_TIMEZONE = "Europe/Paris"
DEFAULT_HOLIDAYS = "FR"
_FALLBACK_OPEN_DAY: DayHours = ((9 * 60, 18 * 60),)

UtcInterval = tuple[datetime, datetime]


@dataclass(frozen=True)
class TenantCalendar:
    """Business hours of one tenant; validates itself on construction (``CalendarError``).

    ``public_holidays`` is ``COUNTRY`` or ``COUNTRY-SUBDIVISION`` as the ``holidays`` library
    names them (``FR``, ``FR-57`` Moselle, ``FR-6AE`` Alsace), or ``None`` for no holidays.
    """

    timezone: str = DEFAULT_TIMEZONE
    hours: WeeklyHours = DEFAULT_HOURS
    public_holidays: str | None = DEFAULT_HOLIDAYS
    closed_days: frozenset[date] = frozenset()
    open_days: frozenset[date] = frozenset()
    extra_open_day_hours: DayHours | None = None
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", _zone(self.timezone))
        if not isinstance(self.hours, WeeklyHours):
            raise CalendarError(
                f"hours must be WeeklyHours (use parse_hours), got {type(self.hours).__name__}"
            )
        object.__setattr__(self, "public_holidays", _holiday_spec(self.public_holidays))
        closed = _dates(self.closed_days, "closed_days")
        opened = _dates(self.open_days, "open_days")
        both = sorted(closed & opened)
        if both:
            listed = ", ".join(d.isoformat() for d in both[:5])
            raise CalendarError(f"dates declared both extra closed and extra open: {listed}")
        object.__setattr__(self, "closed_days", closed)
        object.__setattr__(self, "open_days", opened)
        extra = self.extra_open_day_hours
        if isinstance(extra, str):
            extra = parse_intervals(extra)  # lenient: accept "09:00-18:00" text
        if extra is not None:
            extra = normalize_intervals(extra, "extra open days")
            if not extra:
                raise CalendarError("extra_open_day_hours must contain at least one interval")
        object.__setattr__(self, "extra_open_day_hours", extra)

    # -- which local hours a date has -------------------------------------------------------

    def holiday_name(self, day: date) -> str | None:
        """Name of the public holiday on ``day``, if any."""
        if self.public_holidays is None:
            return None
        country, subdivision = _split_spec(self.public_holidays)
        return _holidays_of_year(country, subdivision, day.year).get(day)

    def is_holiday(self, day: date) -> bool:
        """True when ``day`` is a public holiday of the tenant's country/subdivision."""
        return self.holiday_name(day) is not None

    def hours_on(self, day: date) -> DayHours:
        """Local opening intervals of a calendar date after holidays and extra days."""
        if day in self.closed_days:
            return ()
        weekly = self.hours.on(day.weekday())
        if day in self.open_days:
            return weekly or self.default_open_day_hours
        if self.is_holiday(day):
            return ()
        return weekly

    @property
    def default_open_day_hours(self) -> DayHours:
        """Hours of an extra open day whose weekday has none (see module docstring)."""
        if self.extra_open_day_hours is not None:
            return self.extra_open_day_hours
        return next((day for day in self.hours.days if day), _FALLBACK_OPEN_DAY)

    def has_open_time_from(self, day: date) -> bool:
        """False only when no date from ``day`` on can ever be open (no hours at all)."""
        return not self.hours.is_closed or any(d >= day for d in self.open_days)

    def open_intervals_on(self, day: date) -> tuple[UtcInterval, ...]:
        """UTC instants of ``day``'s opening intervals, in order; empty ones (DST gap) dropped."""
        return _utc_intervals(self.zone, day, self.hours_on(day))

    # -- instants ---------------------------------------------------------------------------

    def local_date(self, moment: datetime) -> date:
        """Calendar date of an aware instant in the tenant's time zone."""
        return require_utc(moment).astimezone(self.zone).date()

    def to_local(self, moment: datetime) -> datetime:
        """An aware instant shown in the tenant's time zone (for display with its offset)."""
        return require_utc(moment).astimezone(self.zone)

    def is_open(self, moment: datetime) -> bool:
        """True when ``moment`` lies inside an opening interval."""
        return business_time.is_open(self, moment)

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` itself if open, else the start of the next opening (UTC)."""
        return business_time.next_opening(self, moment)

    def open_intervals(self, start: datetime, end: datetime | None = None) -> Iterator[UtcInterval]:
        """Open UTC intervals clipped to ``[start, end)`` (unbounded when ``end`` is None)."""
        return business_time.open_intervals(self, start, end)

    def add_open_time(self, start: datetime, duration: timedelta) -> datetime:
        """Instant at which ``duration`` of open time has elapsed since ``start``."""
        return business_time.add_open_time(self, start, duration)

    def open_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time in ``[start, end)``; negative when ``end`` is before ``start``."""
        return business_time.open_time_between(self, start, end)


def parse_holiday_spec(spec: str) -> tuple[str, str | None]:
    """Split and validate ``FR`` / ``FR-57`` / ``FR-6AE`` into (country, library subdivision)."""
    normal = _holiday_spec(spec)
    if normal is None:
        raise CalendarError("no public-holiday calendar given")
    return _split_spec(normal)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise CalendarError(
            f"unknown time zone {name!r}: expected an IANA name such as "
            f"{DEFAULT_TIMEZONE!r} or 'America/New_York'"
        ) from None


def _split_spec(spec: str) -> tuple[str, str | None]:
    country, _, subdivision = spec.partition("-")
    return country, subdivision or None


def _holiday_spec(spec: str | None) -> str | None:
    """Normalise and validate a holiday spec against the ``holidays`` library."""
    if spec is None:
        return None
    if not isinstance(spec, str) or not spec.strip():
        raise CalendarError(f"public holidays must be text like 'FR' or 'FR-57', got {spec!r}")
    country, subdivision = _split_spec(spec.strip())
    country = country.upper()
    supported = holidays_lib.list_supported_countries()
    if country not in supported:
        raise CalendarError(
            f"unknown public-holiday country {country!r} in {spec!r}: expected an ISO 3166 "
            "country code known to the holidays library, e.g. 'FR', 'FR-57' (Moselle), "
            "'FR-6AE' (Alsace)"
        )
    if subdivision is None:
        return country
    entity = holidays_lib.country_holidays(country)
    aliases: dict[str, str] = dict(getattr(entity, "subdivisions_aliases", {}))
    codes = {code: code for code in supported[country]} | aliases
    # The library is case-sensitive ('6AE', 'Alsace'); accept any case, store its code.
    matches = [code for name, code in codes.items() if name.lower() == subdivision.lower()]
    if not matches:
        known = ", ".join(supported[country]) or "none"
        raise CalendarError(
            f"unknown subdivision {subdivision!r} of {country} in {spec!r}: the holidays library "
            f"knows {known} (for France: 57 = Moselle, 6AE = Alsace, written 'FR-57', 'FR-6AE')"
        )
    return f"{country}-{matches[0]}"


def _dates(values: Iterable[date], what: str) -> frozenset[date]:
    result: set[date] = set()
    for value in values:
        # datetime is a date subclass; a datetime here is almost surely a mistake.
        if not isinstance(value, date) or isinstance(value, datetime):
            raise CalendarError(f"{what} must contain dates, got {value!r}")
        result.add(value)
    return frozenset(result)


@lru_cache(maxsize=1024)
def _holidays_of_year(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    # The library computes whole years; cache them as plain dicts (it is slow and not frozen).
    entity = holidays_lib.country_holidays(country, subdiv=subdivision, years=year)
    return {day: str(name) for day, name in entity.items() if day.year == year}


@lru_cache(maxsize=8192)
def _utc_intervals(zone: ZoneInfo, day: date, intervals: DayHours) -> tuple[UtcInterval, ...]:
    result: list[UtcInterval] = []
    for start, end in intervals:
        opens = first_instant(wall_time(day, start), zone)
        closes = first_instant(wall_time(day, end), zone)
        if opens < closes:  # an interval entirely inside a DST gap has no real time
            result.append((opens, closes))
    return tuple(result)
