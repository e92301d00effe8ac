"""Local wall-clock times versus UTC instants, including daylight-saving gaps and folds.

Rule used everywhere: a wall-clock time ``W`` happens at the **first instant at which the
local clock shows ``W`` or later**. So in a spring-forward gap (02:30 does not exist in Paris on
the last Sunday of March) ``W`` happens at the jump itself (03:00 CEST), and in an autumn fold
(02:30 happens twice) it happens at the first occurrence. An opening interval then runs from the
instant its start happens to the instant its end happens, and the real elapsed time between them
is what counts — a night opening 00:00-06:00 lasts 5 h in March and 7 h in October.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vigile.service_levels.errors import NaiveDatetimeError


def require_utc(moment: datetime, what: str = "time") -> datetime:
    """Return ``moment`` converted to UTC; refuse a naive datetime with a clear message."""
    if not isinstance(moment, datetime):
        raise NaiveDatetimeError(f"{what} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{what} {moment.isoformat()} has no UTC offset: give a timezone-aware time, "
            "e.g. 2026-12-28T09:00:00+01:00 or 2026-12-28T08:00:00Z"
        )
    return moment.astimezone(UTC)


def wall_time(day: date, minute: int) -> datetime:
    """Naive local datetime ``minute`` minutes after midnight of ``day`` (1440 = next midnight)."""
    return datetime.combine(day, time()) + timedelta(minutes=minute)


def local_wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """Naive local wall-clock reading of an aware instant."""
    return moment.astimezone(zone).replace(tzinfo=None)


def first_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """UTC instant at which the clock of ``zone`` first shows the naive ``wall`` time or later."""
    later = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if local_wall(later, zone) == wall:
        # Exists (fold=0 picks the first of two occurrences in an autumn fold).
        return later
    # In a gap: the two folds give instants on both sides of the jump; the clock shows
    # ``wall`` or later from the jump onwards. Bisect to the jump (transitions fall on seconds).
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(later, other), max(later, other)
    if local_wall(low, zone) >= wall:  # pragma: no cover - defensive, not seen in tzdata
        return low
    low_s, high_s = int(low.timestamp()), int(high.timestamp())
    while high_s - low_s > 1:
        middle_s = (low_s + high_s) // 2
        if local_wall(datetime.fromtimestamp(middle_s, UTC), zone) >= wall:
            high_s = middle_s
        else:
            low_s = middle_s
    return datetime.fromtimestamp(high_s, UTC)
