"""Weekly opening hours: the ``DAYS HH:MM-HH:MM[,…]; …`` text form, parser and formatter.

Times are local wall-clock minutes since midnight; an interval is ``(start, end)`` with
``0 <= start < end <= 1440`` (``24:00`` closes at midnight). Within a day, intervals that touch
(``09:00-12:00,12:00-18:00``) are merged, but intervals that overlap are refused: an overlap in a
contractual schedule is almost always a typing mistake, and silently merging would hide it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from vigile.service_levels.errors import OpeningHoursError

Interval = tuple[int, int]
"""Local opening interval in minutes since midnight, end exclusive (1440 = 24:00)."""

DayHours = tuple[Interval, ...]

MINUTES_PER_DAY = 24 * 60
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS_TEXT = "mon-fri 09:00-18:00"
CLOSED_TEXT = "closed"
EXPECTED_FORM = (
    'expected "DAYS HH:MM-HH:MM[,HH:MM-HH:MM…][; DAYS …]", '
    'e.g. "mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00", where DAYS is a day '
    "(mon tue wed thu fri sat sun), a range (mon-fri) or a list (sat,sun), "
    'and 24:00 closes at midnight (or "closed" for no opening hours)'
)

# Accept full English names and French names too; the canonical form uses DAY_NAMES.
_DAY_ALIASES: dict[str, int] = {}
for _i, _names in enumerate(
    (
        ("mon", "monday", "lun", "lundi"),
        ("tue", "tuesday", "mar", "mardi"),
        ("wed", "wednesday", "mer", "mercredi"),
        ("thu", "thursday", "jeu", "jeudi"),
        ("fri", "friday", "ven", "vendredi"),
        ("sat", "saturday", "sam", "samedi"),
        ("sun", "sunday", "dim", "dimanche"),
    )
):
    for _name in _names:
        _DAY_ALIASES[_name] = _i

_GROUP_RE = re.compile(r"^(?P<days>[^\s,\-]+(?:\s*[,\-]\s*[^\s,\-]+)*)\s+(?P<ranges>\S.*)$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class WeeklyHours:
    """Opening intervals for each weekday, Monday first (index = ``date.weekday()``)."""

    days: tuple[DayHours, ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise OpeningHoursError(f"weekly hours need 7 days, got {len(self.days)}")
        normal = tuple(normalize_intervals(day, DAY_NAMES[i]) for i, day in enumerate(self.days))
        object.__setattr__(self, "days", normal)

    @classmethod
    def parse(cls, text: str) -> WeeklyHours:
        """Parse the text form; see :func:`parse_hours`."""
        return parse_hours(text)

    def on(self, weekday: int) -> DayHours:
        """Intervals of a weekday (0 = Monday)."""
        return self.days[weekday]

    @property
    def is_closed(self) -> bool:
        """True when no weekday has any opening interval."""
        return not any(self.days)

    @property
    def open_minutes_per_week(self) -> int:
        """Nominal open minutes in a week (ignoring holidays and DST)."""
        return sum(end - start for day in self.days for start, end in day)

    def __str__(self) -> str:
        return format_hours(self)


def normalize_intervals(intervals: Iterable[Interval], where: str = "") -> DayHours:
    """Sort, validate and merge touching intervals; refuse overlapping or out-of-range ones."""
    label = f" on {where}" if where else ""
    ordered = sorted((int(start), int(end)) for start, end in intervals)
    merged: list[Interval] = []
    for start, end in ordered:
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise OpeningHoursError(
                f"invalid interval {_fmt(start)}-{_fmt(end)}{label}: "
                "the start must be before the end, within 00:00-24:00"
            )
        if merged and start < merged[-1][1]:
            previous = merged[-1]
            raise OpeningHoursError(
                f"overlapping intervals{label}: {_fmt(previous[0])}-{_fmt(previous[1])} "
                f"and {_fmt(start)}-{_fmt(end)}; write them as one interval"
            )
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def parse_hours(text: str) -> WeeklyHours:
    """Parse ``DAYS HH:MM-HH:MM[,HH:MM-HH:MM…]`` groups separated by ``;``.

    A day may appear in several groups (its intervals are combined). Day ranges may wrap
    around the week (``fri-mon``). Raises :class:`OpeningHoursError` naming the problem.
    """
    if not isinstance(text, str):
        raise OpeningHoursError(f"opening hours must be text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise _error(text, "the text is empty")
    if stripped.lower() == CLOSED_TEXT:
        return WeeklyHours(((),) * 7)
    per_day: list[list[Interval]] = [[] for _ in range(7)]
    for number, group in enumerate(stripped.split(";"), start=1):
        group = group.strip()
        if not group:
            if number > 1 and stripped.endswith(";") and group == "":
                continue  # tolerate a trailing ';'
            raise _error(text, f"group {number} is empty (two ';' in a row?)")
        match = _GROUP_RE.match(group)
        if match is None:
            raise _error(text, f"group {group!r} is not DAYS followed by a space and HH:MM-HH:MM")
        try:
            days = _parse_days(match["days"])
            intervals = _parse_ranges(match["ranges"])
        except OpeningHoursError as exc:
            raise _error(text, f"in group {group!r}: {exc}") from None
        for day in days:
            per_day[day].extend(intervals)
    try:
        return WeeklyHours(tuple(tuple(day) for day in per_day))
    except OpeningHoursError as exc:
        raise _error(text, str(exc)) from None


def parse_intervals(text: str) -> DayHours:
    """Parse the intervals of one day, e.g. ``08:30-12:00,13:30-18:00``."""
    try:
        return normalize_intervals(_parse_ranges(text))
    except OpeningHoursError as exc:
        raise OpeningHoursError(
            f"invalid intervals {text!r}: {exc}; expected HH:MM-HH:MM[,HH:MM-HH:MM…]"
        ) from None


def format_intervals(intervals: DayHours) -> str:
    """Canonical text of one day's intervals, e.g. ``08:30-12:00,13:30-18:00``."""
    return ",".join(f"{_fmt(start)}-{_fmt(end)}" for start, end in intervals)


def format_hours(hours: WeeklyHours) -> str:
    """Canonical text: days with identical hours grouped, groups ordered by first weekday."""
    if hours.is_closed:
        return CLOSED_TEXT
    groups: dict[DayHours, list[int]] = {}
    for day, intervals in enumerate(hours.days):
        if intervals:
            groups.setdefault(intervals, []).append(day)
    parts = sorted((days[0], _format_days(days), ivs) for ivs, days in groups.items())
    return "; ".join(f"{days} {format_intervals(ivs)}" for _, days, ivs in parts)


def _error(text: str, problem: str) -> OpeningHoursError:
    return OpeningHoursError(f"invalid opening hours {text!r}: {problem}; {EXPECTED_FORM}")


def _day(name: str) -> int:
    try:
        return _DAY_ALIASES[name.strip().lower()]
    except KeyError:
        raise OpeningHoursError(
            f"unknown day {name.strip()!r} (days are {' '.join(DAY_NAMES)})"
        ) from None


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for item in text.split(","):
        if "-" in item:
            first, _, last = item.partition("-")
            start, stop = _day(first), _day(last)
            span = (stop - start) % 7  # wraps around the week: fri-mon is fri,sat,sun,mon
            days.extend((start + k) % 7 for k in range(span + 1))
        else:
            days.append(_day(item))
    return days


def _parse_ranges(text: str) -> list[Interval]:
    intervals: list[Interval] = []
    for item in text.split(","):
        start_text, sep, end_text = item.strip().partition("-")
        if not sep:
            raise OpeningHoursError(f"{item.strip()!r} is not an interval HH:MM-HH:MM")
        start = _minutes(start_text, is_end=False)
        end = _minutes(end_text, is_end=True)
        if start >= end:
            raise OpeningHoursError(
                f"interval {item.strip()!r} ends before it starts "
                "(write 24:00 to close at midnight; split intervals crossing midnight)"
            )
        intervals.append((start, end))
    return intervals


def _minutes(text: str, *, is_end: bool) -> int:
    match = _TIME_RE.match(text.strip())
    if match is None:
        raise OpeningHoursError(f"{text.strip()!r} is not a time HH:MM")
    hour, minute = int(match[1]), int(match[2])
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not is_end)):
        raise OpeningHoursError(
            f"{text.strip()!r} is not a valid time (00:00 to 23:59; 24:00 only as a closing time)"
        )
    return hour * 60 + minute


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _format_days(days: list[int]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[day] for day in run)
    return ",".join(parts)


DEFAULT_HOURS = parse_hours(DEFAULT_HOURS_TEXT)
"""Monday to Friday, 09:00-18:00: used when a tenant declares no opening hours."""
