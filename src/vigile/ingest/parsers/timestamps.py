"""Timestamp parsing shared by the parsers; every failure is a :class:`ParseError`.

Results are timezone-aware; a time written without an offset is in ``default_tz``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from vigile.ingest.parsers.model import ParseError

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# "Feb 14 19:04:54", "Feb  4 2024 19:04:54.123", optional trailing zone name (ignored: ambiguous)
_BSD = re.compile(
    r"(?P<mon>[A-Za-z]{3}) +(?P<day>\d{1,2})(?: +(?P<year>\d{4}))? +"
    r"(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d{1,9}))?"
)


def aware(value: datetime, default_tz: tzinfo) -> datetime:
    """Attach ``default_tz`` to a naive datetime."""
    return value if value.tzinfo is not None else value.replace(tzinfo=default_tz)


def parse_iso(text: str, default_tz: tzinfo, offset: int = 0) -> datetime:
    """RFC 3339 / ISO 8601 (``Z``, ``+0000``, ``+02:00``, up to 9 fraction digits)."""
    try:
        value = datetime.fromisoformat(text.strip())
        return aware(value, default_tz).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ParseError(f"invalid timestamp {text[:40]!r}", offset) from None


def parse_epoch(value: float, offset: int = 0) -> datetime:
    """Seconds or milliseconds since the epoch (values above 1e11 are milliseconds)."""
    try:
        seconds = value / 1000 if abs(value) > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        raise ParseError(f"invalid epoch timestamp {value!r}", offset) from None


def match_bsd(text: str, pos: int = 0) -> re.Match[str] | None:
    """Match a BSD (RFC 3164) timestamp at ``pos``."""
    return _BSD.match(text, pos)


def from_bsd(
    match: re.Match[str], received_at: datetime, default_tz: tzinfo, offset: int = 0
) -> datetime:
    """The datetime of a BSD timestamp; a missing year is inferred from ``received_at``.

    The year is the receiver's, unless that puts the event more than a day in the future:
    then it is last year's (a December message read in January).
    """
    month = _MONTHS.get(match["mon"].lower())
    if month is None:
        raise ParseError(f"unknown month {match['mon']!r}", offset)
    frac = (match["frac"] or "0")[:6].ljust(6, "0")
    local_now = received_at.astimezone(default_tz)
    years = [int(match["year"])] if match["year"] else [local_now.year, local_now.year - 1]
    valid = []
    for year in years:
        try:
            valid.append(
                datetime(
                    year,
                    month,
                    int(match["day"]),
                    int(match["h"]),
                    int(match["m"]),
                    int(match["s"]),
                    int(frac),
                    tzinfo=default_tz,
                ).astimezone(UTC)
            )
        except (ValueError, OverflowError):
            continue  # Feb 29 of a non-leap year, or out of range
    if not valid:
        raise ParseError(f"invalid date {match.group(0)!r}", offset)
    limit = received_at + timedelta(days=1)
    return next((v for v in valid if v <= limit), valid[0])
