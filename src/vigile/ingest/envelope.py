"""The spooled form of an accepted record, shared by the receivers and the worker.

Receivers check a record (:func:`vigile.ingest.parsers.registry.admit`) and spool it *raw*,
with what parsing it needs (:class:`Spooled`): normalising it (flattening, field mapping) is
left to the pipeline's detection processes, which have a core of their own, instead of the
receivers, which share the server's GIL with the API and the worker. :meth:`Envelope.decode`
turns a spooled record back into the parsed event.

The event id is a content hash of the raw record as kept (cut to the size cap), not of the
receive time: a client re-sending the same batch, or a replay after a crash, yields the same
ids and the event store keeps one copy.

Three layouts are read. A :class:`Spooled` record is ``MAGIC``, a u32 header size, the header,
then the raw bytes untouched (no escaping of the record inside JSON); the top bit of the size
(:data:`BINARY`) tells the current binary header from the JSON header written before it. The
first layout (one JSON document with the parsed fields, starting with ``{``) may still be held
by a spool written before an upgrade.

The binary header (little endian): ``id_len u16 | id | common_len u16 | common | options``,
where ``common`` is ``max_record_bytes u32`` then the receiver, the receive time (ISO) and the
source type, each as ``len u16 | utf-8`` — the same for every record of a batch, so it is
built and read once per batch (cached) — and ``options``, the rest of the header, is empty or
the JSON object ``{"t", "host", "x"}`` of the transport's time, host and fields.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from vigile.events.store import content_hash
from vigile.ingest.parsers import registry
from vigile.ingest.parsers.model import Event, LogSource, ParseOptions

MAGIC = b"\x02VE"
"""First bytes of a :class:`Spooled` record (a first-layout record starts with ``{``)."""
_LENGTH = struct.Struct("<I")
BINARY = 0x8000_0000
"""Flag of the header size: a binary header (else JSON)."""
_START = struct.Struct("<3sIH")  # MAGIC, header size | BINARY, id length
_START_SIZE = _START.size
_SIZE_END = len(MAGIC) + _LENGTH.size  # where the header starts (its size counts from there)
_U16 = struct.Struct("<H")
_MAX = struct.Struct("<I")


def raw_text(raw: bytes) -> str:
    """The raw record as the event store keeps it (invalid UTF-8 replaced)."""
    return raw.decode("utf-8", errors="replace")


def event_id(raw: bytes) -> str:
    """The id the event store gives this record (hex SHA-256 of its kept text)."""
    if raw.isascii():  # the text's UTF-8 is these bytes: no decoding round trip
        return hashlib.sha256(raw).hexdigest()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:  # the kept text has replacement characters: hash its UTF-8
        return content_hash(raw_text(raw))
    # Valid UTF-8 decodes and encodes back to the same bytes: no re-encoding of the text.
    return hashlib.sha256(raw).hexdigest()


def kept_id(raw: bytes, max_record_bytes: int) -> str:
    """:func:`event_id` of the record as parsers keep it (cut to ``max_record_bytes``)."""
    return event_id(raw[:max_record_bytes])


@functools.lru_cache(maxsize=64)
def _iso(value: datetime) -> str:
    """ISO text of a time (cached: a batch's records share their receive time)."""
    return value.isoformat()


@functools.lru_cache(maxsize=64)
def _from_iso(text: str) -> datetime:
    """:meth:`datetime.fromisoformat` (cached: a batch's records share their receive time)."""
    return datetime.fromisoformat(text)


@functools.lru_cache(maxsize=64)
def _options(received_at: datetime, max_record_bytes: int) -> ParseOptions:
    """Parse options of a record (shared by the records received together)."""
    return ParseOptions(received_at=received_at, max_record_bytes=max_record_bytes)


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return _U16.pack(len(raw)) + raw


@functools.lru_cache(maxsize=64)
def _common(receiver: str, received_at: datetime, source_type: str, max_record_bytes: int) -> bytes:
    """The binary header's part shared by a batch's records, with its length (cached)."""
    body = b"".join(
        (
            _MAX.pack(max_record_bytes),
            _text(receiver),
            _text(_iso(received_at)),
            _text(source_type),
        )
    )
    return _U16.pack(len(body)) + body


@functools.lru_cache(maxsize=64)
def _read_common(block: bytes) -> tuple[str, datetime, str, int]:
    """Receiver, receive time, source type and size cap from a ``common`` block (cached:
    a batch's records share it); ValueError when it is not one."""
    try:
        (max_record_bytes,) = _MAX.unpack_from(block)
        at, texts = _MAX.size, []
        for _ in range(3):
            (size,) = _U16.unpack_from(block, at)
            at += _U16.size + size
            if at > len(block):
                raise ValueError("spooled record header out of bounds")
            texts.append(block[at - size : at].decode("utf-8"))
    except struct.error as exc:
        raise ValueError(f"spooled record header: {exc}") from None
    if at != len(block):
        raise ValueError("spooled record header: trailing bytes")
    receiver, received, source_type = texts
    return receiver, datetime.fromisoformat(received), source_type, max_record_bytes


@dataclass(slots=True)
class Spooled:
    """An admitted record as it waits in the spool: raw, and what parsing it needs (not
    frozen: one is built per record on both sides, and a frozen dataclass's ``__init__``
    costs a ``object.__setattr__`` call per field)."""

    id: str
    receiver: str
    received_at: datetime
    source_type: str
    """A registered parser name (never ``auto``: resolved when the record was admitted)."""
    raw: bytes
    """As received (parsers cut it to ``max_record_bytes``)."""
    max_record_bytes: int
    time: datetime | None = None
    """Event time given by the transport, used when the record has none."""
    host: str | None = None
    """Host given by the transport, used when the record has none."""
    extra: dict[str, Any] | None = None
    """Fields added by the transport; the record's own win."""

    def encode(self) -> bytes:
        """``MAGIC``, header size, binary header, raw bytes (see the module docstring)."""
        ident = self.id.encode("utf-8")
        common = _common(self.receiver, self.received_at, self.source_type, self.max_record_bytes)
        if self.time is None and self.host is None and not self.extra:
            options = b""
        else:
            options = orjson.dumps(
                {
                    "t": self.time.isoformat() if self.time else None,
                    "host": self.host,
                    "x": self.extra or None,
                },
                default=str,
                option=orjson.OPT_NON_STR_KEYS,
            )
        size = 2 + len(ident) + len(common) + len(options)
        start = _START.pack(MAGIC, BINARY | size, len(ident))
        return b"".join((start, ident, common, options, self.raw))

    def encode_json(self) -> bytes:
        """The layout written before the binary header: ``MAGIC``, header length, JSON
        header, raw bytes. Kept to test that spools written with it are still read."""
        header = {
            "id": self.id,
            "rx": self.receiver,
            "rcv": _iso(self.received_at),
            "st": self.source_type,
            "max": self.max_record_bytes,
            "t": self.time.isoformat() if self.time else None,
            "host": self.host,
            "x": self.extra or None,
        }
        head = orjson.dumps(header, default=str, option=orjson.OPT_NON_STR_KEYS)
        return b"".join((MAGIC, _LENGTH.pack(len(head)), head, self.raw))

    @classmethod
    def decode(cls, data: bytes) -> Spooled:
        """The record spooled as ``data`` (ValueError/KeyError/TypeError when not one)."""
        try:
            magic, size, id_len = _START.unpack_from(data)
        except struct.error:
            raise ValueError("not a spooled record") from None
        if magic != MAGIC:
            raise ValueError("not a spooled record")
        if not size & BINARY:
            return cls._decode_json(data, size)
        # Module constants, not Struct.size look-ups: this runs for every spooled record.
        end = _SIZE_END + (size ^ BINARY)
        at = _START_SIZE + id_len
        if end > len(data) or at + 2 > end:
            raise ValueError("spooled record header out of bounds")
        ident = data[_START_SIZE:at].decode("utf-8")
        common_len = data[at] | data[at + 1] << 8  # u16, little endian
        start = at + 2
        at = start + common_len
        if at > end:
            raise ValueError("spooled record header out of bounds")
        receiver, received_at, source_type, max_record_bytes = _read_common(data[start:at])
        time = host = extra = None
        if at < end:
            options: dict[str, Any] = orjson.loads(data[at:end])
            when = options["t"]
            time = _from_iso(when) if when else None
            host, extra = options["host"], options["x"]
        return cls(
            ident,
            receiver,
            received_at,
            source_type,
            data[end:],
            max_record_bytes,
            time,
            host,
            extra,
        )

    @classmethod
    def _decode_json(cls, data: bytes, size: int) -> Spooled:
        start = len(MAGIC) + _LENGTH.size
        doc: dict[str, Any] = orjson.loads(data[start : start + size])
        when = doc.get("t")
        return cls(
            id=doc["id"],
            receiver=doc["rx"],
            received_at=_from_iso(doc["rcv"]),
            source_type=doc["st"],
            raw=data[start + size :],
            max_record_bytes=int(doc["max"]),
            time=_from_iso(when) if when else None,
            host=doc.get("host"),
            extra=doc.get("x"),
        )

    def parse(self) -> Envelope:
        """The normalised event (:class:`~vigile.ingest.parsers.model.ParseError` when the
        record, admitted on a shallower check, cannot be normalised)."""
        options = _options(self.time or self.received_at, self.max_record_bytes)
        event = registry.parse(self.raw, self.source_type, options)
        if self.host and event.host is None:
            event = dataclasses.replace(event, host=self.host)
        if self.extra:
            event = dataclasses.replace(event, fields={**self.extra, **event.fields})
        return Envelope(self.id, self.receiver, self.received_at, event)


@dataclass(slots=True)
class Envelope:
    """One accepted event, parsed (not frozen, as :class:`Spooled`: one is built per event in
    the detection processes; read-only by convention)."""

    id: str
    receiver: str
    received_at: datetime
    event: Event

    def encode(self) -> bytes:
        """The first layout: compact JSON with the parsed fields (non-JSON values such as
        bytes in fields become strings). Kept to read and test spools written with it."""
        ev = self.event
        ls = ev.logsource
        doc = {
            "id": self.id,
            "rx": self.receiver,
            "rcv": self.received_at.isoformat(),
            "st": ev.source_type,
            "ts": ev.timestamp.isoformat(),
            "host": ev.host,
            "ls": [ls.product, ls.category, ls.service] if ls is not None else None,
            "tr": ev.truncated,
            "f": ev.fields,
            "raw": raw_text(ev.raw),
        }
        return orjson.dumps(doc, default=str, option=orjson.OPT_NON_STR_KEYS)

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        """The event spooled as ``data``, in either layout: ValueError/KeyError/TypeError
        when ``data`` is neither, ParseError when a :class:`Spooled` record cannot be
        normalised."""
        if data.startswith(MAGIC):
            return Spooled.decode(data).parse()
        doc: dict[str, Any] = orjson.loads(data)
        ls = doc.get("ls")
        event = Event(
            source_type=doc["st"],
            fields=doc["f"],
            timestamp=datetime.fromisoformat(doc["ts"]),
            host=doc.get("host"),
            raw=str(doc.get("raw", "")).encode("utf-8"),
            logsource=LogSource(*ls) if ls else None,
            truncated=bool(doc.get("tr")),
        )
        return cls(
            id=doc["id"],
            receiver=doc["rx"],
            received_at=datetime.fromisoformat(doc["rcv"]),
            event=event,
        )
