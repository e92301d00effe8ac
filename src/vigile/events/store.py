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

import hashlib
import re
import struct
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any, Protocol

import orjson
import pyarrow as pa  # type: ignore[import-untyped]

from vigile.events.query import Condition
from vigile.pagination import PageRequest

FieldValue = str | int | float | bool | None | list[Any]
EVENT_ID_PATTERN = re.compile(r"[0-9a-f]{64}")
"""An event id, matched with ``fullmatch`` (``$`` would also accept a trailing newline)."""


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
        if not EVENT_ID_PATTERN.fullmatch(self.event_id):
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


PROMOTED = (
    "EventID",
    "Channel",
    "Computer",
    "Provider_Name",
    "Image",
    "CommandLine",
    "ParentImage",
    "ParentCommandLine",
    "OriginalFileName",
    "User",
    "TargetFilename",
    "TargetObject",
    "SourceIp",
    "DestinationIp",
    "DestinationHostname",
    "QueryName",
)
"""The fields Sigma rules use most: a backend keeps their text in columns of their own, the
text a JSON condition would read (see :class:`EventRows`)."""

ROWS_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.int32()),
        ("key_hi", pa.int64()),
        ("key_lo", pa.uint64()),
        ("event_id", pa.string()),
        ("ts", pa.timestamp("us")),
        ("received_at", pa.timestamp("us")),
        ("source_type", pa.string()),
        ("source", pa.string()),
        *((f"f_{name}", pa.large_string()) for name in PROMOTED),
        ("from_json", pa.uint32()),
        ("fields", pa.large_string()),
        ("raw", pa.large_string()),
    ]
)
"""The columns of :meth:`EventRows.to_arrow`: ``key_hi``/``key_lo`` are the id's first 128
bits as a signed 128-bit integer (``key_hi * 2**64 + key_lo``); times are UTC microseconds;
``f_<name>`` is the text of a :data:`PROMOTED` field, ``NULL`` when absent or null, unless bit
``i`` of ``from_json`` is set: then the value is a number or a structure whose JSON text only
the backend's JSON functions render exactly, and ``f_<PROMOTED[i]>`` must be read from
``fields`` (JSON text, as produced by orjson)."""

_HALF64 = 1 << 63


class EventRows:
    """A batch of events in columns, built where the events are decoded anyway (the detection
    processes) so that the writer's process does no work per event.

    :meth:`add` (or :meth:`append`) does all the per-row work: the fields serialised, promoted
    fields' text extracted, times as integers, the id's key. A batch pickles as Arrow IPC
    buffers (one per appended run), so unpickling it in the writer's process is a copy of a few
    buffers, not thousands of ``str`` objects, and :meth:`to_arrow` hands a backend columns it
    scans without per-value conversion. Validated like :class:`Event` by the code that builds
    it (ids are content hashes).
    """

    __slots__ = ("_batches", "_rows")

    def __init__(self) -> None:
        self._batches: list[pa.RecordBatch] = []
        self._rows: list[tuple[Any, ...]] = []
        """Rows added since the last :meth:`_seal`, as tuples of the schema's values (one
        tuple per event, turned into columns at once: cheaper than a list append per
        column)."""

    def __len__(self) -> int:
        held: int = sum(b.num_rows for b in self._batches)
        return held + len(self._rows)

    def add(
        self,
        tenant_id: int,
        event_id: str,
        time_us: int,
        received_us: int,
        source_type: str,
        source: str,
        fields: Mapping[str, FieldValue],
        raw: str | bytes,
    ) -> None:
        """Add one event from plain values (times in UTC microseconds, see :func:`micros`;
        ``raw`` as text, or as received: kept as its UTF-8 text, invalid bytes replaced)."""
        hi, lo = _KEY.unpack_from(_id_bytes(event_id))
        fields = fields if type(fields) is dict else dict(fields)
        text = orjson.dumps(fields)  # raises on values JSON cannot hold, as before
        from_json = 0
        promoted: Sequence[str | None] = _NONE_PROMOTED
        # Usually a few of them. (The view's ``&`` looks the 16 names up in the dict; a
        # frozenset's ``intersection`` would iterate over the dict's keys.)
        names = fields.keys() & _PROMOTED_NAMES
        if names:
            values: list[str | None] = [None] * len(PROMOTED)
            for name in names:
                value = fields[name]
                kind = type(value)
                if kind is str:
                    values[_PROMOTED_INDEX[name]] = value  # type: ignore[assignment]
                elif kind is bool:
                    values[_PROMOTED_INDEX[name]] = "true" if value else "false"
                elif kind is int:
                    values[_PROMOTED_INDEX[name]] = str(value)
                elif value is not None:  # float, list, dict, subclasses: only the backend's
                    from_json |= 1 << _PROMOTED_INDEX[name]  # JSON functions render them exactly
            promoted = values
        self._rows.append(
            (
                tenant_id,
                hi - _HALF64,
                lo,
                event_id,
                time_us,
                received_us,
                source_type,
                source,
                *promoted,
                from_json,
                text,
                raw.encode() if isinstance(raw, str) else raw,
            )
        )

    def drop_last(self) -> None:
        """Remove the row added last (the caller's later work on its event failed). Rows
        are sealed only by the calls that read them, so it is still in :attr:`_rows`."""
        self._rows.pop()

    def append(self, event: Event) -> None:
        """Add one event (see :meth:`add`)."""
        self.add(
            event.tenant_id,
            event.event_id,
            micros(event.time),
            micros(event.received_at),
            event.source_type,
            event.source,
            event.fields,
            event.raw,
        )

    def _seal(self) -> None:
        """Turn the rows added since the last call into an Arrow record batch."""
        if self._rows:
            columns = list(zip(*self._rows, strict=True))
            arrays = [
                pa.array(values, type=column.type)
                for values, column in zip(columns[: _FROM_JSON + 1], ROWS_SCHEMA, strict=False)
            ]
            arrays.append(_utf8(columns[_FROM_JSON + 1]))  # orjson's output: valid UTF-8
            arrays.append(_utf8(columns[_FROM_JSON + 2], check=True))
            self._batches.append(pa.RecordBatch.from_arrays(arrays, schema=ROWS_SCHEMA))
            self._rows = []

    def extend(self, other: EventRows) -> None:
        """Add the rows of ``other`` after these (no copy of the values)."""
        self._seal()
        other._seal()
        self._batches.extend(other._batches)

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table of :data:`ROWS_SCHEMA`, in the order they were added."""
        self._seal()
        return pa.Table.from_batches(self._batches, schema=ROWS_SCHEMA)

    def __reduce__(self) -> tuple[Any, tuple[list[bytes]]]:
        self._seal()
        return _rows_from_ipc, ([b.serialize().to_pybytes() for b in self._batches],)

    def write_stream(self, sink: Any) -> None:
        """Write the rows to ``sink`` (a binary file) as an Arrow IPC stream: the arrays'
        buffers as they are, no serialised copy first; :meth:`of_stream` reads it back."""
        self._seal()
        with pa.ipc.new_stream(sink, ROWS_SCHEMA) as writer:
            for batch in self._batches:
                writer.write_batch(batch)

    @classmethod
    def of_stream(cls, source: Any) -> EventRows:
        """Rows of an IPC stream of :meth:`write_stream` (a buffer: the arrays point into it,
        no copy). ValueError if it holds other columns."""
        reader = pa.ipc.open_stream(source)
        if not reader.schema.equals(ROWS_SCHEMA):
            raise ValueError("not a stream of event rows")
        rows = cls()
        rows._batches = list(reader)
        return rows

    @classmethod
    def of_arrow(cls, table: pa.Table) -> EventRows:
        """Rows of a table of :data:`ROWS_SCHEMA` (as :meth:`to_arrow` gives, or a slice)."""
        rows = cls()
        rows._batches = table.to_batches()
        return rows

    @classmethod
    def of(cls, events: Sequence[Event]) -> EventRows:
        rows = cls()
        for event in events:
            rows.append(event)
        return rows


_FROM_JSON = 8 + len(PROMOTED)
_NONE_PROMOTED: tuple[None, ...] = (None,) * len(PROMOTED)
_PROMOTED_NAMES = frozenset(PROMOTED)
_PROMOTED_INDEX = {name: i for i, name in enumerate(PROMOTED)}
_KEY = struct.Struct(">QQ")
"""The id's first 128 bits, as two unsigned 64-bit integers."""


def _id_bytes(event_id: str) -> bytes:
    """The 32 bytes of an event id; ValueError unless it is 64 lower-case hex digits (what
    else ``bytes.fromhex`` accepts, spaces or upper case, does not spell the id back)."""
    try:
        binary = bytes.fromhex(event_id)
    except (ValueError, TypeError):
        binary = b""
    if len(binary) != 32 or binary.hex() != event_id:
        raise ValueError("event_id must be 64 lower-case hex digits")
    return binary


def _utf8(values: Sequence[bytes], *, check: bool = False) -> pa.Array:
    """A ``large_string`` array of UTF-8 byte strings, built from their concatenation and
    offsets (no per-value conversion by Arrow; ~2 % of a detection process's instructions).
    ``check``: values may be invalid UTF-8, such values are decoded with replacement first."""
    offsets = array("q", accumulate(map(len, values), initial=0))
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(values))]
    built = pa.Array.from_buffers(pa.large_string(), len(values), buffers)
    if check:
        try:
            built.validate(full=True)
        except pa.ArrowInvalid:  # rare: replace the invalid bytes, as bytes.decode does
            return _utf8([v.decode("utf-8", errors="replace").encode() for v in values])
    return built


def _rows_from_ipc(buffers: list[bytes]) -> EventRows:
    """Unpickle :class:`EventRows`: the Arrow arrays point into ``buffers`` (no copy)."""
    rows = EventRows()
    rows._batches = [pa.ipc.read_record_batch(pa.py_buffer(b), ROWS_SCHEMA) for b in buffers]
    return rows


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(value: datetime) -> int:
    """Microseconds since the Unix epoch (UTC) of an aware datetime."""
    # The timedelta's parts (normalised: 0 <= seconds < 86400, 0 <= microseconds < 10**6):
    # a third of the instructions of a floor division by one microsecond (Python ints).
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the sort key (event time, id) of its last event."""

    time: datetime
    event_id: str

    def __post_init__(self) -> None:
        if not EVENT_ID_PATTERN.fullmatch(self.event_id):
            raise ValueError("event_id must be 64 lower-case hex digits")
        object.__setattr__(self, "time", _utc(self.time, "time"))

    @classmethod
    def of(cls, event: Event) -> Cursor:
        return cls(event.time, event.event_id)

    def encode(self) -> str:
        """Opaque text for APIs: ``<UTC microseconds>.<id>``."""
        return f"{micros(self.time)}.{self.event_id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor :meth:`encode` wrote (ValueError otherwise)."""
        at, sep, event_id = text.partition(".")
        if not sep or not at.lstrip("-").isdigit() or len(at) > 20:
            raise ValueError("not a cursor")
        return cls(_EPOCH + timedelta(microseconds=int(at)), event_id)


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
    after: Cursor | None = None
    """Keyset paging: only events after this one in the sort order (the page's ``offset``
    then counts from there). Deep pages cost what the first does, and events stored
    meanwhile neither shift nor repeat them."""

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
