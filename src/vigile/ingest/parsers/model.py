"""What a parser produces (:class:`Event`), what it is told (:class:`ParseOptions`), and the
one error it may raise (:class:`ParseError`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

TRUNCATED = "vigile.truncated"


class ParseError(Exception):
    """A record that cannot be parsed: ``reason`` and the byte/char ``offset`` where it fails."""

    def __init__(self, reason: str, offset: int = 0) -> None:
        super().__init__(f"{reason} (at offset {offset})")
        self.reason = reason
        self.offset = offset


@dataclass(frozen=True, slots=True)
class LogSource:
    """The Sigma log source an event belongs to (``None`` parts are unknown/any)."""

    product: str | None = None
    category: str | None = None
    service: str | None = None


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Per-source settings a receiver passes to the parsers.

    ``received_at`` is the clock: the timestamp of records that carry none, and the reference
    for guessing the year of RFC 3164 dates. ``default_tz`` is the zone of timestamps written
    without an offset (RFC 3164, many appliances). ``logsource`` — what the source binding or
    token declares — overrides a parser's own guess.
    """

    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    default_tz: tzinfo = UTC
    max_record_bytes: int = 256 * 1024
    max_field_chars: int = 64 * 1024
    logsource: LogSource | None = None

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        if self.max_record_bytes < 64 or self.max_field_chars < 16:
            raise ValueError("limits too small")


@dataclass(slots=True)
class Event:
    """A normalised event (not frozen, though treat it as such: one is built per record, and
    a frozen dataclass's ``__init__`` costs an ``object.__setattr__`` call per field, ~11k
    instructions; it was never hashable, its fields being a dict).

    ``fields`` holds the field names Sigma rules use for this log source (flat; nested JSON
    as dotted names). ``logsource`` is ``None`` for Windows events: the engine routes those by
    ``Channel``/``EventID``. ``raw`` is the record as received (cut to the size cap when
    ``truncated``, in which case ``fields[TRUNCATED]`` is ``True`` too, so it is searchable).
    """

    source_type: str
    fields: dict[str, Any]
    timestamp: datetime
    host: str | None
    raw: bytes
    logsource: LogSource | None = None
    truncated: bool = False


def finish(
    source_type: str,
    fields: dict[str, Any],
    raw: bytes,
    options: ParseOptions,
    *,
    timestamp: datetime | None,
    host: Any,
    logsource: LogSource | None,
    truncated: bool = False,
) -> Event:
    """Build the event: cap field sizes, flag truncation, default time, UTC, override source."""
    limit = options.max_field_chars
    # Field values are decoded from the record, never longer (in characters) than it is in
    # bytes: a record within the limit has no field to cut (the loop cost ~2 us per event).
    if len(raw) > limit:
        for key, value in fields.items():
            if isinstance(value, str) and len(value) > limit:
                fields[key] = value[:limit]
                truncated = True
    if len(raw) > options.max_record_bytes:
        raw = raw[: options.max_record_bytes]
        truncated = True
    if truncated:
        fields[TRUNCATED] = True
    when = timestamp if timestamp is not None else options.received_at
    return Event(
        source_type=source_type,
        fields=fields,
        timestamp=when.astimezone(UTC),
        host=str(host) if host not in (None, "", "-") else None,
        raw=raw,
        logsource=options.logsource if options.logsource is not None else logsource,
        truncated=truncated,
    )


def cut_text(raw: bytes, options: ParseOptions) -> tuple[str, bool]:
    """Text formats: cut at the size cap, decode (invalid UTF-8 replaced), strip framing."""
    truncated = len(raw) > options.max_record_bytes
    text = raw[: options.max_record_bytes].decode("utf-8", errors="replace")
    return text.rstrip("\r\n\x00"), truncated
