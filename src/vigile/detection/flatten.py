"""Flatten events into the flat field dictionary the engine matches on.

The `evtx` package renders a record as nested JSON (``Event.System``, ``Event.EventData`` …).
Sigma rules address EVTX fields by their bare names, so :func:`flatten_event` produces::

    EventID, Channel, Computer, Provider_Name, Provider_Guid, EventRecordID, TimeCreated
    (= SystemTime), SystemTime, Level, Task, Opcode, Keywords, Version, ProcessID, ThreadID,
    UserID, ActivityID, RelatedActivityID
    + every EventData / UserData field by its own name (nested UserData is walked);
    unnamed ``<Data>`` elements become the field ``Data`` (a string, or a list of strings).

Field names keep their case: Sysmon's ``EventData.ProcessId`` and System's
``Execution.ProcessID`` stay two fields. When an EventData field has the same name as a System
field, the EventData value wins (rules that use it mean the payload). The log source of an
evtx-shaped event is *not* read from here: the engine routes on ``System.Channel`` /
``System.EventID`` (a log-cleared event's ``UserData.LogFileCleared.Channel`` names the cleared
log, and becomes the flat ``Channel`` that a rule's own ``Channel`` test reads). An
already-flat event (no ``Event`` key) is returned unchanged, so JSON-lines input may come in
either shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ATTRS = "#attributes"
_TEXT = "#text"

# The event's *System* channel, kept under this internal name when a payload field named
# ``Channel`` (e.g. ``UserData.LogFileCleared.Channel``, the log that was cleared) takes the
# flat ``Channel``: routing reads it, so a flattened event routes like the nested record.
SYSTEM_CHANNEL = "\x00System.Channel"


def _scalar(value: Any) -> Any:
    """Unwrap ``{"#text": x, "#attributes": …}`` to ``x``."""
    if isinstance(value, dict):
        if _TEXT in value:
            return value[_TEXT]
        if not value or set(value) == {_ATTRS}:
            return None
    return value


def _flatten_system(system: Mapping[str, Any], out: dict[str, Any]) -> None:
    for key, value in system.items():
        if isinstance(value, dict):
            attrs = value.get(_ATTRS)
            if key == "EventID":
                out["EventID"] = value.get(_TEXT)
                if isinstance(attrs, dict) and "Qualifiers" in attrs:
                    out["Qualifiers"] = attrs["Qualifiers"]
                continue
            if isinstance(attrs, dict):
                if key == "Provider":
                    for akey, avalue in attrs.items():
                        out["Provider_" + akey] = avalue
                elif key != "TimeCreated":
                    out.update(attrs)  # Execution, Security, Correlation: by their own names
                else:
                    for akey, avalue in attrs.items():
                        if akey == "SystemTime":
                            out["TimeCreated"] = avalue
                        out[akey] = avalue
            if _TEXT in value:
                out[key] = value[_TEXT]
        else:
            out[key] = value


def _add_data(out: dict[str, Any], value: Any) -> None:
    """Unnamed ``<Data>`` elements: one string, or a list of strings, under ``Data``."""
    if isinstance(value, list):
        items = [_scalar(v) for v in value]
        out["Data"] = items[0] if len(items) == 1 else items
    else:
        out["Data"] = _scalar(value)


# Keys of a payload that the general walk treats specially.
_PAYLOAD_SPECIAL = frozenset({_ATTRS, _TEXT, "Data"})


def _flatten_payload(payload: Any, out: dict[str, Any]) -> None:
    """EventData / UserData: fields by their own names, walking nested UserData elements."""
    if not isinstance(payload, dict):
        if payload is not None:
            _add_data(out, payload)
        return
    if _named_fields_only(payload):
        # Most EventData (every Sysmon event): named fields, no element to walk or unwrap;
        # for these the walk below copies each value as is (``_scalar`` of a non-dict).
        out.update(payload)
        return
    _walk_payload(payload, out)


def _named_fields_only(payload: dict[str, Any]) -> bool:
    return _PAYLOAD_SPECIAL.isdisjoint(payload) and dict not in set(map(type, payload.values()))


def _walk_payload(payload: dict[str, Any], out: dict[str, Any]) -> None:
    """:func:`_flatten_payload` of a dict, element by element, depth first in document order.

    Iterative (a stack of the elements being read): a record may nest as deep as orjson
    decodes (1,024 levels), past Python's recursion limit."""
    stack = [iter(payload.items())]
    while stack:
        for key, value in stack[-1]:
            if key == _ATTRS:
                continue
            if key == "Data" or key == _TEXT:
                _add_data(out, value)
            elif isinstance(value, dict) and _TEXT not in value:
                if _named_fields_only(value):
                    out.update(value)
                else:
                    stack.append(iter(value.items()))  # read it now, then the rest of this
                    break
            else:
                out[key] = _scalar(value)
        else:
            stack.pop()


def flatten_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """Return the flat field dictionary of an `evtx`-shaped or already-flat event."""
    root = event.get("Event")
    if not isinstance(root, dict):
        return dict(event)
    out: dict[str, Any] = {}
    system = root.get("System")
    if isinstance(system, dict):
        _flatten_system(system, out)
    system_channel = out.get("Channel")
    for section in ("EventData", "UserData"):
        if section in root:
            _flatten_payload(root[section], out)
    if system_channel is not None and out.get("Channel") != system_channel:
        out[SYSTEM_CHANNEL] = system_channel
    eid = out.get("EventID")
    if isinstance(eid, str) and eid.isdigit():
        out["EventID"] = int(eid)
    return out
