"""Log-source routing reads ``System.Channel``/``System.EventID``, not payload fields.

A log-cleared event (System 104 from Microsoft-Windows-Eventlog) carries
``UserData.LogFileCleared.Channel``: the log that was cleared. The flat ``Channel`` field is that
payload value (a rule's own ``Channel`` test reads it), but the event belongs to the System log.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from vigile.detection.engine import RuleSet, ruleset_from_yaml
from vigile.detection.flatten import flatten_event
from vigile.scan.service import scan_unit, system_channel

ANY_CLEARED = """
title: Eventlog Cleared
id: a62b37e0-45d3-48d9-a517-90c1a1b0186b
level: medium
logsource: {product: windows, service: system}
detection:
    selection:
        EventID: 104
        Provider_Name: 'Microsoft-Windows-Eventlog'
    filter_main_covered:
        Channel: ['Security', 'System', 'Windows PowerShell']
    condition: selection and not 1 of filter_main_*
"""

IMPORTANT_CLEARED = """
title: Important Windows Eventlog Cleared
id: 100ef69e-3327-481c-8e5c-6d80d9507556
level: high
logsource: {product: windows, service: system}
detection:
    selection:
        EventID: 104
        Provider_Name: 'Microsoft-Windows-Eventlog'
        Channel: ['Security', 'System', 'Windows PowerShell']
    condition: selection
"""


def cleared(log: str) -> dict[str, Any]:
    """A System-channel 104 event whose payload names the cleared ``log``."""
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Eventlog"}},
                "EventID": 104,
                "EventRecordID": 5074,
                "Channel": "System",
                "Computer": "WS1",
                "TimeCreated": {"#attributes": {"SystemTime": "2021-01-01T00:00:00Z"}},
            },
            "UserData": {
                "LogFileCleared": {
                    "#attributes": {"xmlns": "http://manifests.microsoft.com/win/2004/08"},
                    "SubjectUserName": "bob",
                    "Channel": log,
                }
            },
        }
    }


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    rs = ruleset_from_yaml([ANY_CLEARED, IMPORTANT_CLEARED])
    assert rs.report.compiled == 2, rs.report.failed
    return rs


def _titles(matched: list[Any]) -> list[str]:
    return [r.title for r in matched]


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        ("Microsoft-Windows-Bits-Client/Operational", ["Eventlog Cleared"]),
        ("Security", ["Important Windows Eventlog Cleared"]),
        ("system", ["Important Windows Eventlog Cleared"]),
    ],
)
def test_payload_channel_does_not_route(rules: RuleSet, log: str, expected: list[str]) -> None:
    event = cleared(log)
    assert flatten_event(event)["Channel"] == log  # the rule's own Channel test reads this
    assert _titles(rules.match(event)) == expected
    _, matched = rules.match_json(orjson.dumps(event))
    assert _titles(matched) == expected


@pytest.mark.parametrize("log", ["Microsoft-Windows-Bits-Client/Operational", "Security"])
def test_flattened_record_routes_like_the_nested_one(rules: RuleSet, log: str) -> None:
    # The live pipeline matches flattened fields (parsed at ingest, then spooled as JSON).
    event = cleared(log)
    flat = orjson.loads(orjson.dumps(flatten_event(event)))
    assert flat["Channel"] == log
    assert _titles(rules.match(flat)) == _titles(rules.match(event))
    assert _titles(rules.match(flat)) != []


def test_system_channel_still_routes(rules: RuleSet) -> None:
    event = cleared("Security")
    event["Event"]["System"]["Channel"] = "Application"  # not the rules' log source
    assert rules.match(event) == []
    assert rules.match_json(orjson.dumps(event))[1] == []


def test_flat_event_routes_on_its_channel(rules: RuleSet) -> None:
    flat = {"Channel": "System", "EventID": 104, "Provider_Name": "Microsoft-Windows-Eventlog"}
    assert _titles(rules.match(flat)) == ["Important Windows Eventlog Cleared"]
    assert rules.match({**flat, "Channel": "Application"}) == []


def test_scan_reports_the_system_channel(rules: RuleSet, tmp_path: Any) -> None:
    from vigile.scan.readers import WorkUnit

    path = tmp_path / "cleared.jsonl"
    path.write_bytes(orjson.dumps(cleared("Microsoft-Windows-Bits-Client/Operational")) + b"\n")
    result = scan_unit(WorkUnit(str(path), "jsonl", 0, path.stat().st_size), rules, 0)
    assert [(d.rule_title, d.channel, d.record_id) for d in result.detections] == [
        ("Eventlog Cleared", "System", 5074)
    ]
    assert system_channel(cleared("x")) == "System"
    assert system_channel({"Channel": "Security"}) is None
