"""Windows EVTX records as the ``evtx`` package renders them (nested JSON).

Field names come from :func:`vigile.detection.flatten.flatten_event`, the same function the
engine and ``vigile scan`` use, so a record parsed here matches exactly as it does offline.
Already-flat Windows events (``Channel``/``EventID`` at the top) are accepted as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evtx import PyEvtxParser

from vigile.detection.flatten import flatten_event
from vigile.ingest.parsers.jsonlog import json_time, load_object
from vigile.ingest.parsers.model import Event, ParseError, ParseOptions, finish

NOT_WINDOWS = "not a Windows event: no Channel or EventID"


def precheck(obj: dict[str, Any]) -> None:
    """Refuse, before any flattening, a decoded object that cannot be a Windows event: a flat
    one without ``Channel`` and ``EventID`` (a nested ``Event`` is checked once flattened)."""
    if not isinstance(obj.get("Event"), dict) and "Channel" not in obj and "EventID" not in obj:
        raise ParseError(NOT_WINDOWS)


def admission_check(obj: dict[str, Any]) -> None:
    """Refuse what :func:`from_object` refuses, at the receiver (so the sender is told): a
    nested event whose flattened fields name no ``Channel`` nor ``EventID``.

    Flattening keeps ``System``'s ``EventID`` key and its plain ``Channel``, so the usual
    record is known good from two look-ups; only the others are flattened here."""
    precheck(obj)
    root = obj.get("Event")
    if not isinstance(root, dict):
        return
    system = root.get("System")
    if isinstance(system, dict) and (
        "EventID" in system or ("Channel" in system and not isinstance(system["Channel"], dict))
    ):
        return
    fields = flatten_event(obj)
    if "Channel" not in fields and "EventID" not in fields:
        raise ParseError(NOT_WINDOWS)


def from_object(obj: dict[str, Any], raw: bytes, options: ParseOptions) -> Event:
    """Normalise a decoded EVTX record (nested or flat)."""
    precheck(obj)
    fields = flatten_event(obj)  # iterative: any depth orjson decodes (1,024 levels)
    if "Channel" not in fields and "EventID" not in fields:
        raise ParseError(NOT_WINDOWS)
    return finish(
        "evtx",
        fields,
        raw,
        options,
        timestamp=json_time(fields.get("TimeCreated"), options),
        host=fields.get("Computer"),
        logsource=None,
    )


def parse_evtx(raw: bytes, options: ParseOptions) -> Event:
    """Parse one EVTX record rendered as JSON."""
    return from_object(load_object(raw), raw, options)


def iter_evtx_file(path: Path) -> Iterator[bytes]:
    """The records of an ``.evtx`` file as JSON bytes, ready for :func:`parse_evtx`.

    A corrupt chunk ends the iteration with a :class:`ParseError` (the file importer reports
    it); the records before it have been yielded.
    """
    try:
        for record in PyEvtxParser(str(path)).records_json():
            if record is not None:
                yield str(record["data"]).encode("utf-8")
    except (RuntimeError, OSError) as exc:
        raise ParseError(f"unreadable EVTX file: {exc}") from None
