"""Wazuh alert JSON: Windows event channel alerts back to Sigma's Windows field names.

Wazuh lower-cases the first letter of every Windows field (``data.win.eventdata.commandLine``,
``data.win.system.eventID``); Sigma rules use the Windows names (``CommandLine``, ``EventID``),
so EventData fields get their first letter upper-cased again and System fields the names
``vigile.detection.flatten`` gives to native EVTX records. Those events carry no log source:
the engine routes them by ``Channel``/``EventID`` like EVTX. Every other alert keeps its
fields dotted (``rule.level``, ``agent.name``, ``data.srcip`` …), log source product
``wazuh``. The alert's own metadata (``rule.*``, ``agent.*``, ``full_log`` …) is kept too.
"""

from __future__ import annotations

from typing import Any

from vigile.ingest.parsers.jsonlog import flatten, json_time, load_object
from vigile.ingest.parsers.model import Event, LogSource, ParseError, ParseOptions, finish

SYSTEM = {
    "eventID": "EventID",
    "providerName": "Provider_Name",
    "providerGuid": "Provider_Guid",
    "channel": "Channel",
    "computer": "Computer",
    "eventRecordID": "EventRecordID",
    "processID": "ProcessID",
    "threadID": "ThreadID",
    "level": "Level",
    "task": "Task",
    "opcode": "Opcode",
    "keywords": "Keywords",
    "version": "Version",
    "securityUserID": "UserID",
    "message": "Message",
    "severityValue": "SeverityValue",
}


def _windows(win: dict[str, Any], fields: dict[str, Any]) -> Any:
    system = win.get("system")
    if isinstance(system, dict):
        for key, value in system.items():
            if key == "systemTime":
                fields["TimeCreated"] = fields["SystemTime"] = value
            elif key in SYSTEM:
                fields[SYSTEM[key]] = value
    eventdata = win.get("eventdata")
    if isinstance(eventdata, dict):
        # Payload fields win over System fields of the same name, as in flatten_event.
        for key, value in eventdata.items():
            if key:
                fields[key[0].upper() + key[1:]] = value
    eid = fields.get("EventID")
    if isinstance(eid, str) and eid.isdigit():
        fields["EventID"] = int(eid)
    return fields.get("SystemTime")


def precheck(obj: dict[str, Any]) -> None:
    """Refuse a decoded object that is not a Wazuh alert (no ``rule`` object)."""
    if not isinstance(obj.get("rule"), dict):
        raise ParseError("Wazuh alert without a rule object")


def from_object(obj: dict[str, Any], raw: bytes, options: ParseOptions) -> Event:
    """Normalise a decoded Wazuh alert."""
    precheck(obj)
    data = obj.get("data")
    win = data.get("win") if isinstance(data, dict) else None
    agent = obj.get("agent")
    host = agent.get("name") if isinstance(agent, dict) else None
    if isinstance(win, dict):
        rest = {k: v for k, v in obj.items() if k != "data"}
        fields = flatten(rest)
        when = json_time(_windows(win, fields), options)
        logsource = None
        host = fields.get("Computer") or host
    else:
        fields = flatten(obj)
        when = None
        decoder = fields.get("decoder.name")
        logsource = LogSource("wazuh", None, decoder if isinstance(decoder, str) else None)
    return finish(
        "wazuh",
        fields,
        raw,
        options,
        timestamp=when or json_time(obj.get("timestamp"), options),
        host=host,
        logsource=logsource,
    )


def parse_wazuh(raw: bytes, options: ParseOptions) -> Event:
    """Parse one Wazuh alert (``alerts.json`` line)."""
    return from_object(load_object(raw), raw, options)
