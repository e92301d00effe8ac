"""The event store's contract: stored events, searches, and the ``EventStore`` protocol.

An event is a normalised flat dict of fields (Sigma field names) plus metadata, and its raw
record kept verbatim. Its id is the SHA-256 (hex) of that raw record, so storing the same
record twice keeps one copy, and :func:`verify` recomputes the hash to prove that the evidence
was not altered. Ids are unique per tenant: the store's key is ``(tenant_id, event_id)``.

Every read takes the tenant ids to search *explicitly* (never "all"): the service derives them
from the caller's scope, so a backend cannot forget the tenant filter.

Time contract: ``time`` (event time, UTC) must be a function of the raw record (the time it
carries, or the time it was first spooled), because deduplication looks for an existing copy
on the same day only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import orjson

from vigile.events.query import Condition
from vigile.pagination import PageRequest

FieldValue = str | int | float | bool | None | list[Any]
EVENT_ID_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def canonical_raw(record: Mapping[str, Any]) -> str:
    """Canonical text of a record that arrived already structured (sorted keys, compact).

    Records that arrive as text (a syslog line, an NDJSON line, EVTX XML) are kept as received;
    this is only for producers that have no text to keep.
    """
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode()


def content_hash(raw: str) -> str:
    """The event id: hex SHA-256 of the raw record's UTF-8 bytes."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Event:
    """One stored event. Build new ones with :meth:`new` (it computes the id)."""

    tenant_id: int
    event_id: str
    time: datetime
    received_at: datetime
    source_type: str
    source: str
    fields: Mapping[str, FieldValue]
    raw: str

    def __post_init__(self) -> None:
        if not EVENT_ID_PATTERN.match(self.event_id):
            raise ValueError("event_id must be 64 lower-case hex digits")
        object.__setattr__(self, "time", _utc(self.time, "time"))
        object.__setattr__(self, "received_at", _utc(self.received_at, "received_at"))

    @classmethod
    def new(
        cls,
        tenant_id: int,
        raw: str,
        fields: Mapping[str, FieldValue],
        *,
        time: datetime,
        received_at: datetime,
        source_type: str,
        source: str,
    ) -> Event:
        """An event whose id is the content hash of ``raw``."""
        return cls(
            tenant_id=tenant_id,
            event_id=content_hash(raw),
            time=time,
            received_at=received_at,
            source_type=source_type,
            source=source,
            fields=dict(fields),
            raw=raw,
        )

    @property
    def day(self) -> date:
        """The day partition holding the event (UTC date of the event time)."""
        return self.time.date()


def verify(event: Event) -> bool:
    """Whether the raw record still hashes to the event's id (evidence intact)."""
    return content_hash(event.raw) == event.event_id


@dataclass(slots=True)
class EventRows:
    """A batch of events in columns (times in UTC microseconds, fields as JSON text).

    Built where the events are decoded anyway (the detection processes) so that the writer
    hands a batch to its backend without one Python object per event: the same content as
    :class:`Event` values, validated by the code that builds it (ids are content hashes).
    """

    tenant_ids: list[int] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    received: list[int] = field(default_factory=list)
    source_types: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.event_ids)

    def append(self, event: Event) -> None:
        """Add one event (its fields serialised here)."""
        self.tenant_ids.append(event.tenant_id)
        self.event_ids.append(event.event_id)
        self.times.append(micros(event.time))
        self.received.append(micros(event.received_at))
        self.source_types.append(event.source_type)
        self.sources.append(event.source)
        self.fields.append(orjson.dumps(dict(event.fields)).decode())
        self.raws.append(event.raw)

    def extend(self, other: EventRows) -> None:
        """Add the rows of ``other`` after these."""
        for column in dataclasses.fields(self):
            getattr(self, column.name).extend(getattr(other, column.name))

    @classmethod
    def of(cls, events: Sequence[Event]) -> EventRows:
        rows = cls()
        for event in events:
            rows.append(event)
        return rows


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(value: datetime) -> int:
    """Microseconds since the Unix epoch (UTC) of an aware datetime."""
    return (value - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class EventQuery:
    """A search: tenants (explicit, non-empty), ``[start, end)`` on event time, AND of
    conditions, one page sorted by time (newest first unless ``newest_first`` is False)."""

    tenant_ids: frozenset[int]
    start: datetime
    end: datetime
    conditions: tuple[Condition, ...] = ()
    page: PageRequest = field(default_factory=PageRequest)
    newest_first: bool = True

    def __post_init__(self) -> None:
        if not self.tenant_ids:
            raise ValueError("a search names at least one tenant")
        object.__setattr__(self, "start", _utc(self.start, "start"))
        object.__setattr__(self, "end", _utc(self.end, "end"))
        if self.end < self.start:
            raise ValueError("end must not be before start")


@dataclass(frozen=True)
class SearchResult:
    """One page of events and the total number matching the search."""

    items: list[Event]
    total: int


class EventStore(Protocol):
    """What a backend provides (embedded DuckDB now; a ClickHouse one can follow).

    Writes come from one writer (the live pipeline); reads may come from any thread of the
    process that owns the store.
    """

    def add(self, events: Sequence[Event]) -> int:
        """Store a batch; events already stored (same tenant and id) are skipped.
        Returns how many were new."""
        ...

    def add_rows(self, rows: EventRows) -> int:
        """:meth:`add` for events already in columns (the live pipeline's batches)."""
        ...

    def search(self, query: EventQuery) -> SearchResult:
        """Events of ``query.tenant_ids`` only, matching the query."""
        ...

    def get(self, tenant_id: int, event_id: str) -> Event | None:
        """One event of ``tenant_id`` by id, or None."""
        ...

    def days(self, tenant_id: int) -> list[date]:
        """The day partitions holding events of ``tenant_id``, oldest first."""
        ...

    def purge(self, tenant_id: int, before: date, received_before: datetime) -> int:
        """Delete the tenant's days older than ``before`` (events received before
        ``received_before`` only). Returns the number of events deleted."""
        ...

    def close(self) -> None:
        """Flush and release the store."""
        ...

    def count_purgeable(self, tenant_id: int, before: date, received_before: datetime) -> int:
        """How many events :meth:`purge` would delete with the same arguments (dry runs)."""
        ...
