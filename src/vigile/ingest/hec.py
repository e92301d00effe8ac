"""Splunk HTTP Event Collector payloads and answers (pure).

``/services/collector/event`` carries concatenated JSON objects (``{"event": …}{"event": …}``,
with or without whitespace between them), each with optional ``time``, ``host``, ``source``,
``sourcetype``, ``index`` and indexed ``fields``. ``/services/collector/raw`` carries plain
lines. Answers use HEC's status codes so that Splunk clients react as they would to Splunk.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson

from vigile.ingest.intake import Incoming
from vigile.ingest.parsers import registry
from vigile.ingest.parsers.jsonlog import json_text, storable
from vigile.ingest.parsers.model import ParseError

# HEC status codes (Splunk documentation, "Troubleshoot HTTP Event Collector").
SUCCESS = 0
TOKEN_REQUIRED = 2
INVALID_AUTHORIZATION = 3
INVALID_TOKEN = 4
NO_DATA = 5
INVALID_FORMAT = 6
SERVER_BUSY = 9
CHANNEL_MISSING = 10
EVENT_REQUIRED = 12
EVENT_BLANK = 13
HEALTHY = 17
UNHEALTHY = 18

_decoder = json.JSONDecoder()


class _Envelope(msgspec.Struct):
    """A HEC event object as the fast reader takes it: the ``event`` value left as its text
    (a slice of the body, not decoded into Python objects), the other keys read (unknown
    ones ignored)."""

    event: msgspec.Raw = msgspec.Raw()
    time: Any = None
    host: Any = None
    source: Any = None
    sourcetype: Any = None
    index: Any = None
    fields: Any = None


_ENVELOPE = msgspec.json.Decoder(_Envelope)
_BLANK: tuple[Any, ...] = ("", None, {}, [])
_STRING, _CONTAINERS = ord('"'), (ord("{"), ord("["))


@dataclass(slots=True)
class HecBatch:
    """Decoded events (``None`` where an object is unusable) and per-object problems."""

    items: list[Incoming | None] = field(default_factory=list)
    problems: dict[int, tuple[int, str]] = field(default_factory=dict)
    """Position → (HEC code, reason), for objects that are not events."""
    raws: dict[int, bytes] = field(default_factory=dict)
    """Position → bytes of an unusable object (for the quarantine)."""
    indexes: set[str] = field(default_factory=set)


def split_concatenated(body: bytes) -> tuple[list[tuple[Any, bytes]], bytes | None]:
    """The JSON values of a body, one after the other with or without whitespace between
    them (whatever the stdlib decoder reads), each with its text (UTF-8; invalid bytes
    replaced), and the undecodable remainder if any."""
    text = body.decode("utf-8", errors="replace")
    values: list[tuple[Any, bytes]] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            return values, None
        try:
            value, stop = _decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError):
            return values, text[pos:].encode("utf-8", "backslashreplace")
        values.append((value, text[pos:stop].encode("utf-8", "backslashreplace")))
        pos = stop


def _clean(text: str) -> str:
    """Text that UTF-8 can encode: a lone surrogate (from a ``\\ud800`` escape) is kept as
    that escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("ascii", "replace")
    return text


def _time(value: Any) -> datetime | None:
    """HEC ``time``: epoch seconds (int, float or numeric string)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        seconds = float(value)
        return datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _source_type(name: Any) -> str | None:
    """A HEC source type we know, else ``None`` (sniffed); Splunk names are free-form.

    Splunk's generic ``_json`` says "JSON", not "generic JSON": the shape still tells EVTX,
    Suricata and Wazuh records apart, so it is sniffed too.
    """
    if not isinstance(name, str) or not name:
        return None
    return _known_source_type(name)


@functools.lru_cache(maxsize=1024)
def _known_source_type(name: str) -> str | None:
    """:func:`_source_type` of a name (cached: a shipper sends the same few on every event)."""
    try:
        chosen = registry.canonical(name)
    except ParseError:
        return None
    return None if chosen in ("json", registry.AUTO) else chosen


class _Fields:
    """A decoded event object seen as an :class:`_Envelope` (its keys as attributes)."""

    __slots__ = ("_obj",)

    def __init__(self, obj: dict[str, Any]) -> None:
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        return self._obj.get(name)


Read = Incoming | tuple[int, str]
"""An event object's record, or its problem (HEC code, reason)."""


def _incoming(raw: bytes, obj: Any, default: str | None) -> Incoming:
    """The record of an event object (``obj``: its :class:`_Envelope` or :class:`_Fields`)."""
    fields, source, sourcetype, index = obj.fields, obj.source, obj.sourcetype, obj.index
    extra: dict[str, Any] = (
        {_clean(str(k)): storable(v) for k, v in fields.items()} if isinstance(fields, dict) else {}
    )
    # Indexed fields win over the envelope's keys of the same name.
    if isinstance(source, str) and "source" not in extra:
        extra["source"] = _clean(source)
    if isinstance(sourcetype, str) and "sourcetype" not in extra:
        extra["sourcetype"] = _clean(sourcetype)
    if isinstance(index, str) and "index" not in extra:
        extra["index"] = _clean(index)
    host = obj.host
    time = obj.time
    # Positional: this runs for every event (keywords cost more per call).
    return Incoming(
        raw,
        _source_type(sourcetype) or default,
        None if time is None else _time(time),
        (_clean(host) or None) if isinstance(host, str) else None,
        extra,
    )


def _read(envelope: _Envelope, default: str | None) -> Read | None:
    """The record of an event object read by the fast reader, or its problem; ``None`` when
    its event is a string orjson cannot read (a lone surrogate): the stdlib decoder reads
    that object instead.

    An object event's record is its text as sent, not decoded here: admission decodes it
    once, as it does a bulk document (decoding it here and holding the objects of the
    whole body until admission cost twice the time). A string event's record is the
    string; any other event's, its JSON text as sent."""
    text = bytes(envelope.event)
    if not text:
        return EVENT_REQUIRED, "Event field is required"
    first = text[0]
    if first == _STRING:
        try:
            event = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
        if not event:
            return EVENT_BLANK, "Event field cannot be blank"
        return _incoming(event.encode("utf-8"), envelope, default)
    # msgspec has checked the value's syntax: {} and [] are blank, with any spacing.
    if text == b"null" or (first in _CONTAINERS and not text[1:-1].strip(b" \t\r\n")):
        return EVENT_BLANK, "Event field cannot be blank"
    return _incoming(text, envelope, default)


def _decoded(obj: dict[str, Any], default: str | None) -> Read:
    """:func:`_read` of an event object only the stdlib decoder reads: its event written
    again (in the stdlib's escaped spelling where orjson cannot write it, see
    :func:`json_text`)."""
    if "event" not in obj:
        return EVENT_REQUIRED, "Event field is required"
    event = obj["event"]
    if event in _BLANK:
        return EVENT_BLANK, "Event field cannot be blank"
    if isinstance(event, str):  # a lone surrogate ("\\ud800") is kept as that escape
        return _incoming(event.encode("utf-8", "backslashreplace"), _Fields(obj), default)
    return _incoming(json_text(event), _Fields(obj), default)


_UNREADABLE = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


def _fast(body: bytes, default: str | None) -> list[tuple[Read, bytes, Any]] | None:
    """The event objects of a body holding one JSON object per line (what HEC clients
    send): each read, its line and its ``index``, the envelope read by msgspec. ``None``
    when some line is not one object so read (several objects on a line, an object over
    several lines, a value that is no object, NaN, invalid UTF-8, a lone surrogate…): the
    general reader then takes the whole body."""
    if not body.isascii():
        try:  # msgspec does not check the UTF-8 of the event it leaves as text
            body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    out: list[tuple[Read, bytes, Any]] = []
    for line in body.split(b"\n"):
        if not line.strip(b" \t\r"):
            continue
        try:
            envelope = _ENVELOPE.decode(line)
        except _UNREADABLE:
            return None
        read = _read(envelope, default)
        if read is None:
            return None
        out.append((read, line, envelope.index))
    return out


def _general(
    body: bytes, default: str | None
) -> tuple[list[tuple[Read, bytes, Any]], bytes | None]:
    """:func:`_fast` for any body: the stdlib decoder splits it, each object's text is read
    as the fast reader reads a line (or, where orjson cannot, from the stdlib's value)."""
    values, rest = split_concatenated(body)
    out: list[tuple[Read, bytes, Any]] = []
    for value, text in values:
        if not isinstance(value, dict):
            out.append(((INVALID_FORMAT, "not a JSON object"), text, None))
            continue
        try:
            read = _read(_ENVELOPE.decode(text), default)
        except _UNREADABLE:
            read = None
        out.append((_decoded(value, default) if read is None else read, text, value.get("index")))
    return out, rest


def decode_events(body: bytes, default_source_type: str | None = None) -> HecBatch:
    """Decode an ``/event`` body; unusable objects are recorded as problems, not raised.

    Bodies of one object per line take the fast reader; any other the stdlib decoder, which
    reads the same objects into the same records (see :func:`_general`)."""
    out = HecBatch()
    read = _fast(body, default_source_type)
    rest = None
    if read is None:
        read, rest = _general(body, default_source_type)
    for i, (item, text, index) in enumerate(read):
        if isinstance(item, Incoming):
            if isinstance(index, str):
                out.indexes.add(_clean(index))
            out.items.append(item)
        else:
            out.items.append(None)
            out.problems[i] = item
            out.raws[i] = text.strip(b" \t\r")  # a line's, as the object's text
    if rest is not None:
        out.problems[len(read)] = (INVALID_FORMAT, "invalid JSON")
        out.raws[len(read)] = rest
        out.items.append(None)
    return out


def decode_raw(body: bytes, source_type: str | None, host: str | None) -> list[Incoming]:
    """A ``/raw`` body: one event per non-empty line."""
    return [
        Incoming(raw=line, source_type=_source_type(source_type), host=host)
        for line in body.split(b"\n")
        if line.strip()
    ]


def answer(code: int, text: str, **extra: Any) -> dict[str, Any]:
    """A HEC response body."""
    return {"text": text, "code": code, **extra}
