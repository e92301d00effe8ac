"""Source types: name → parser, and which one applies to a record.

The source type comes, in order, from an explicit field (a HEC ``sourcetype``, a bulk item's
``source_type``), the endpoint or token default, or — for ``auto`` — the record itself: a
JSON object by its shape (EVTX ``Event.System``, EVE ``event_type``, Wazuh ``rule`` +
``agent``, else generic JSON), text by its ``CEF:``/``LEEF:`` marker, else syslog. In auto
mode a JSON record is decoded once, not once to sniff and again to parse.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from vigile.ingest.parsers import evtx, jsonlog, suricata, wazuh
from vigile.ingest.parsers.cef import find_marker, parse_cef
from vigile.ingest.parsers.leef import parse_leef
from vigile.ingest.parsers.model import Event, ParseError, ParseOptions
from vigile.ingest.parsers.syslog import parse_syslog

Parser = Callable[[bytes, ParseOptions], Event]
ObjectParser = Callable[[dict[str, Any], bytes, ParseOptions], Event]

AUTO = "auto"
PARSERS: Mapping[str, Parser] = MappingProxyType(
    {
        "json": jsonlog.parse_json,
        "syslog": parse_syslog,
        "cef": parse_cef,
        "leef": parse_leef,
        "suricata": suricata.parse_suricata,
        "wazuh": wazuh.parse_wazuh,
        "evtx": evtx.parse_evtx,
    }
)
# Names shippers commonly use for the same formats (Splunk source types, Filebeat modules).
ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "_json": "json",
        "ndjson": "json",
        "jsonl": "json",
        "suricata:eve": "suricata",
        "eve": "suricata",
        "wazuh-alerts": "wazuh",
        "wazuh:alerts": "wazuh",
        "winevtx": "evtx",
        "windows:evtx": "evtx",
        "rfc5424": "syslog",
        "rfc3164": "syslog",
        "cisco:asa:cef": "cef",
    }
)
_PRECHECK: Mapping[str, Callable[[dict[str, Any]], None]] = MappingProxyType(
    {
        "evtx": evtx.admission_check,
        "suricata": suricata.precheck,
        "wazuh": wazuh.precheck,
        "json": lambda obj: None,
    }
)
_BY_SHAPE: dict[str, ObjectParser] = {
    "evtx": evtx.from_object,
    "suricata": suricata.from_object,
    "wazuh": wazuh.from_object,
    "json": jsonlog.from_object,
}


@functools.lru_cache(maxsize=256)
def canonical(name: str) -> str:
    """The registered name of a source type or alias; ParseError if unknown."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key != AUTO and key not in PARSERS:
        raise ParseError(f"unknown source type {name[:40]!r}")
    return key


def json_shape(obj: Mapping[str, Any]) -> str:
    """The source type of a decoded JSON object, from its keys."""
    root = obj.get("Event")
    if isinstance(root, dict) and isinstance(root.get("System"), dict):
        return "evtx"
    if "Channel" in obj and "EventID" in obj:
        return "evtx"
    if isinstance(obj.get("event_type"), str) and ("src_ip" in obj or "flow_id" in obj):
        return "suricata"
    if isinstance(obj.get("rule"), dict) and isinstance(obj.get("agent"), dict):
        return "wazuh"
    return "json"


def text_shape(raw: bytes) -> str:
    """The source type of a non-JSON record: CEF, LEEF, else syslog."""
    head = raw[:1024].decode("utf-8", errors="replace")
    if find_marker(head, "CEF:") >= 0:
        return "cef"
    if find_marker(head, "LEEF:") >= 0:
        return "leef"
    return "syslog"


def detect_source_type(
    raw: bytes, *, explicit: str | None = None, default: str | None = None
) -> str:
    """The source type to use: explicit field, else endpoint/token default, else sniffed."""
    for name in (explicit, default):
        if name:
            chosen = canonical(name)
            if chosen != AUTO:
                return chosen
    if raw.lstrip(b" \t\r\n\xef\xbb\xbf").startswith(b"{"):
        return json_shape(jsonlog.load_object(raw))
    return text_shape(raw)


def admit(
    raw: bytes,
    source_type: str = AUTO,
    options: ParseOptions | None = None,
    *,
    explicit: str | None = None,
) -> str:
    """Check a record as far as a receiver must before acknowledging it, and return the
    registered source type that :func:`parse` will apply to it (never ``auto``).

    JSON records are decoded (which proves them well-formed) and checked for the shape their
    source type needs, but not normalised: that work is left to the pipeline's detection
    processes, off the receivers' path. Text records (syslog, CEF, LEEF) are parsed in full,
    parsing being their only check. Raises :class:`ParseError` as :func:`parse` would: a
    record admitted here is one that :func:`parse` accepts (should a parser still fail on
    it, the pipeline quarantines it with the reason).
    """
    chosen = canonical(explicit) if explicit else AUTO
    if chosen == AUTO and source_type:
        chosen = canonical(source_type)
    if chosen == AUTO:
        if not raw.lstrip(b" \t\r\n").startswith(b"{"):
            chosen = text_shape(raw)
        else:
            obj = jsonlog.load_object(raw)
            shape = json_shape(obj)
            _PRECHECK[shape](obj)  # e.g. a nested Windows event naming no channel nor id
            return shape
    options = options or ParseOptions()
    precheck = _PRECHECK.get(chosen)
    if precheck is not None:
        precheck(jsonlog.load_object(raw))
    else:
        PARSERS[chosen](raw, options)
    return chosen


def parse(
    raw: bytes,
    source_type: str = AUTO,
    options: ParseOptions | None = None,
    *,
    explicit: str | None = None,
) -> Event:
    """Parse one record with the source type that applies (see :func:`detect_source_type`)."""
    options = options or ParseOptions()
    for name in (explicit, source_type):
        if name and (chosen := canonical(name)) != AUTO:
            return PARSERS[chosen](raw, options)
    if raw.lstrip(b" \t\r\n").startswith(b"{"):
        obj = jsonlog.load_object(raw)
        return _BY_SHAPE[json_shape(obj)](obj, raw, options)
    return PARSERS[text_shape(raw)](raw, options)
