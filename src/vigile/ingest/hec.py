"""Splunk HTTP Event Collector payloads and answers (pure).

``/services/collector/event`` carries concatenated JSON objects (``{"event": …}{"event": …}``,
with or without whitespace between them), each with optional ``time``, ``host``, ``source``,
``sourcetype``, ``index`` and indexed ``fields``. ``/services/collector/raw`` carries plain
lines. Answers use HEC's status codes so that Splunk clients react as they would to Splunk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import re2

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
_BIG_NUMBER = re2.compile(rb"(?m)(?:^|[:\[,])[ \t\r\n]*-?[0-9]{19}")
"""A number of 19 digits or more: maybe beyond 64 bits, which orjson reads as a float where the
stdlib decoder keeps the integer. Only where a JSON number can start (a line's start, after
``:``, ``[`` or ``,``): the digit runs of strings (hashes, hex dumps: 6 % of the corpus's EVTX
events) do not count, except the rare one after such a character, which only sends its
line to the stdlib decoder. (RE2: ~2 ms for a 1.4 MB body, Python's re took 14-23.)"""


@dataclass(slots=True)
class HecBatch:
    """Decoded events (``None`` where an object is unusable) and per-object problems."""

    items: list[Incoming | None] = field(default_factory=list)
    problems: dict[int, tuple[int, str]] = field(default_factory=dict)
    """Position → (HEC code, reason), for objects that are not events."""
    raws: dict[int, bytes] = field(default_factory=dict)
    """Position → bytes of an unusable object (for the quarantine)."""
    indexes: set[str] = field(default_factory=set)


def split_objects(body: bytes) -> tuple[list[Any], bytes | None]:
    """The JSON values of a concatenated body, and the undecodable remainder if any."""
    values = _split_lines(body)
    return (values, None) if values is not None else split_concatenated(body)


def split_concatenated(body: bytes) -> tuple[list[Any], bytes | None]:
    """:func:`split_objects` by the general decoder: values one after the other, with or
    without whitespace between them, whatever the stdlib decoder reads."""
    text = body.decode("utf-8", errors="replace")
    values: list[Any] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            return values, None
        try:
            value, pos = _decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError):
            return values, text[pos:].encode("utf-8")
        values.append(value)


def _split_lines(body: bytes) -> list[Any] | None:
    """The values of a body holding one JSON value per line (what most HEC clients send),
    decoded by orjson, or by the stdlib decoder for a line that may hold a number of 19
    digits or more (which orjson may read as a float, see :data:`_BIG_NUMBER`); ``None`` when
    some line is not exactly one value so read (several objects on a line, an object over
    several lines, NaN, lone surrogates, invalid UTF-8…): the general decoder then reads the
    whole body. Where this path reads a value, the general decoder reads the same one."""
    suspects = [m.start() for m in _BIG_NUMBER.finditer(body)]  # usually none
    values: list[Any] = []
    at = 0  # where the line starts in the body
    next_suspect = 0
    for line in body.split(b"\n"):
        end = at + len(line)
        stdlib = False
        while next_suspect < len(suspects) and suspects[next_suspect] <= end:
            stdlib = True  # a match starting on this line (a value spanning lines fails)
            next_suspect += 1
        at = end + 1
        if not line.strip(b" \t\r"):
            if stdlib:
                return None  # digits after a blank line: a value over several lines
            continue
        try:
            values.append(_decoder.decode(line.decode("utf-8")) if stdlib else orjson.loads(line))
        except (orjson.JSONDecodeError, ValueError, RecursionError):  # JSON or Unicode errors
            return None
    return values


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
    try:
        chosen = registry.canonical(name)
    except ParseError:
        return None
    return None if chosen in ("json", registry.AUTO) else chosen


def to_incoming(obj: dict[str, Any], default_source_type: str | None) -> Incoming:
    """One HEC event object as a record (``event`` must be present and non-empty)."""
    event = obj["event"]
    decoded: dict[str, Any] | None = None
    if isinstance(event, str):  # a lone surrogate ("\\ud800") is kept as that escape
        raw = event.encode("utf-8", "backslashreplace")
    elif type(event) is dict:
        try:
            raw = orjson.dumps(event)
            decoded = event  # raw is its JSON text: admission need not decode raw again
        except TypeError:  # orjson.JSONEncodeError: see json_text
            raw = json_text(event)
    else:
        raw = json_text(event)
    extra: dict[str, Any] = {}
    fields = obj.get("fields")
    if isinstance(fields, dict):
        extra.update({_clean(str(k)): storable(v) for k, v in fields.items()})
    for key in ("source", "sourcetype", "index"):
        if isinstance(obj.get(key), str):
            extra.setdefault(key, _clean(obj[key]))
    host = obj.get("host")
    host = _clean(host) if isinstance(host, str) else None
    return Incoming(
        raw=raw,
        source_type=_source_type(obj.get("sourcetype")) or default_source_type,
        time=_time(obj.get("time")),
        host=host if isinstance(host, str) and host else None,
        extra=extra,
        decoded=decoded,
    )


def decode_events(body: bytes, default_source_type: str | None = None) -> HecBatch:
    """Decode an ``/event`` body; unusable objects are recorded as problems, not raised."""
    values, rest = split_objects(body)
    out = HecBatch()
    for i, value in enumerate(values):
        problem: tuple[int, str] | None = None
        if not isinstance(value, dict):
            problem = (INVALID_FORMAT, "not a JSON object")
        elif "event" not in value:
            problem = (EVENT_REQUIRED, "Event field is required")
        elif value["event"] in ("", None, {}, []):
            problem = (EVENT_BLANK, "Event field cannot be blank")
        if problem is not None:
            out.items.append(None)
            out.problems[i] = problem
            out.raws[i] = json_text(value)
            continue
        assert isinstance(value, dict)
        if isinstance(value.get("index"), str):
            out.indexes.add(_clean(value["index"]))
        out.items.append(to_incoming(value, default_source_type))
    if rest is not None:
        out.problems[len(values)] = (INVALID_FORMAT, "invalid JSON")
        out.raws[len(values)] = rest
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
