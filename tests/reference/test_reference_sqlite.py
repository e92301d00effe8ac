"""The reference evaluator itself, on tiny hand-made rules and events."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from bench.reference_sqlite import (
    ReferenceEvaluator,
    ReferenceResult,
    convert_rules,
    flatten_event,
)

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def evtx_event(
    event_id: int | dict[str, Any] | str,
    channel: str,
    event_data: dict[str, Any] | None = None,
    user_data: dict[str, Any] | None = None,
    **system: Any,
) -> dict[str, Any]:
    """An event in the nested shape the `evtx` package produces."""
    body: dict[str, Any] = {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {
            "Provider": {"#attributes": {"Name": "Test-Provider", "Guid": "{0}"}},
            "EventID": event_id,
            "Channel": channel,
            "Computer": "host1",
            "Execution": {"#attributes": {"ProcessID": 4, "ThreadID": 8}},
            "TimeCreated": {"#attributes": {"SystemTime": "2024-01-01T00:00:00.000000Z"}},
            **system,
        },
    }
    if event_data is not None:
        body["EventData"] = event_data
    if user_data is not None:
        body["UserData"] = user_data
    return {"Event": body}


def write_rule(folder: Path, name: str, logsource: str, detection: str) -> None:
    """Write a minimal Sigma rule file (the id is derived from the name)."""
    number = sum(ord(c) for c in name)
    (folder / f"{name}.yml").write_text(
        f"title: {name}\n"
        f"id: 00000000-0000-4000-8000-{number:012d}\n"
        "status: test\n"
        "level: high\n"
        f"logsource:\n{logsource}\n"
        f"detection:\n{detection}\n",
        encoding="utf-8",
    )


def rule_id(name: str) -> str:
    """The id :func:`write_rule` gives a rule."""
    return f"00000000-0000-4000-8000-{sum(ord(c) for c in name):012d}"


PROC = "    category: process_creation\n    product: windows"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    write_rule(
        folder,
        "whoami",
        PROC,
        "    sel:\n        Image|endswith: '\\whoami.exe'\n    condition: sel",
    )
    write_rule(
        folder,
        "not_absent",
        PROC,
        "    sel:\n        Image|endswith: '.exe'\n"
        "    filter:\n        NoSuchField: x\n    condition: sel and not filter",
    )
    write_rule(
        folder,
        "regex",
        PROC,
        "    sel:\n        CommandLine|re: '-[eE]nc(odedcommand)? [A-Za-z0-9+/=]{8,}'\n"
        "    condition: sel",
    )
    write_rule(
        folder,
        "logon",
        "    product: windows\n    service: security",
        "    sel:\n        EventID: 4624\n        LogonType|gte: 10\n    condition: sel",
    )
    write_rule(
        folder,
        "keywords",
        "    product: windows",
        "    keywords:\n        - 'MIMI*KATZ'\n    condition: keywords",
    )
    write_rule(
        folder,
        "placeholder",
        PROC,
        "    sel:\n        Image|expand: '%unknown_placeholder%'\n    condition: sel",
    )
    write_rule(
        folder,
        "linux",
        "    product: linux\n    category: process_creation",
        "    sel:\n        Image|endswith: '/whoami'\n    condition: sel",
    )
    write_rule(
        folder,
        "classic",
        "    product: windows\n    category: ps_classic_start",
        "    sel:\n        Data|contains: 'HostName=ConsoleHost'\n    condition: sel",
    )
    return folder


def events() -> list[tuple[tuple[str, int], dict[str, Any]]]:
    proc = {"Image": "C:\\Windows\\System32\\WHOAMI.EXE", "ProcessId": "1234"}
    return [
        (("a.evtx", 1), evtx_event(1, SYSMON, proc)),
        # Same EventID in another channel: the logsource condition must exclude it.
        (("a.evtx", 2), evtx_event(1, "Security", proc)),
        (
            ("a.evtx", 3),
            evtx_event(
                {"#attributes": {"Qualifiers": 0}, "#text": 1},
                SYSMON,
                {"Image": "C:\\x\\cmd.exe", "CommandLine": "powershell -enc SQBFAFgAIAAoA"},
            ),
        ),
        (("b.evtx", 7), evtx_event(4624, "Security", {"LogonType": 10})),
        (("b.evtx", 8), evtx_event(4624, "Security", {"LogonType": 3, "Note": "x mimi-katz y"})),
        (
            ("c.evtx", 1),
            evtx_event(
                400,
                "Windows PowerShell",
                {"Data": {"#text": ["Available", "None", "HostName=ConsoleHost\n\tX=1"]}},
            ),
        ),
    ]


def test_flatten_event_system_and_payload_fields() -> None:
    record = flatten_event(
        evtx_event({"#attributes": {"Qualifiers": 16384}, "#text": 7036}, "System", {"A": "b"})
    )
    assert record.values["eventid"] == 7036
    assert record.values["qualifiers"] == 16384
    assert record.values["provider_name"] == "Test-Provider"
    assert record.values["channel"] == "System"
    assert record.values["systemtime"] == "2024-01-01T00:00:00.000000Z"
    assert record.spellings["a"] == "A"
    assert "xmlns" not in record.values


def test_flatten_event_case_collision_keeps_payload_value() -> None:
    record = flatten_event(evtx_event(1, SYSMON, {"ProcessId": "1234"}))
    assert record.values["processid"] == "1234"
    assert record.spellings["processid"] == "ProcessId"
    assert "processid" in record.collisions


def test_flatten_event_payload_channel_wins_system_channel_kept() -> None:
    cleared = {"LogFileCleared": {"Channel": "Security", "SubjectUserName": "bob"}}
    record = flatten_event(evtx_event(104, "System", user_data=cleared))
    assert record.values["channel"] == "Security"
    assert record.values["system_channel"] == "System"
    assert record.values["subjectusername"] == "bob"


@pytest.mark.parametrize(("mode", "expected"), [("drop", None), ("join", "a\nb")])
def test_flatten_event_unnamed_data_list(mode: str, expected: str | None) -> None:
    record = flatten_event(evtx_event(800, "Windows PowerShell", {"Data": ["a", "b"]}), mode)  # type: ignore[arg-type]
    assert record.data_list
    assert record.values.get("data") == expected


def test_flatten_event_already_flat() -> None:
    record = flatten_event({"EventID": 1, "Channel": "Security", "Flag": True})
    assert record.values == {
        "eventid": 1,
        "channel": "Security",
        "flag": "true",
        "system_channel": "Security",
    }


def test_convert_rules_records_failures_and_caches(rules_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = convert_rules([rules_dir], cache)
    by_id = {r.rule_id: r for r in first}
    assert by_id[rule_id("keywords")].error is None
    assert "placeholder" in str(by_id[rule_id("placeholder")].error).lower()
    whoami = by_id[rule_id("whoami")]
    assert whoami.error is None
    assert "System_Channel" in whoami.fields and "EventID" in whoami.fields
    assert not by_id[rule_id("linux")].applicable
    assert list(cache.iterdir())
    assert convert_rules([rules_dir], cache) == first


def test_evaluate_per_rule_matches(rules_dir: Path) -> None:
    result = ReferenceEvaluator.from_paths([rules_dir]).evaluate(events())
    assert result.events == len(events())
    assert result.matches[rule_id("whoami")] == [("a.evtx", 1)]
    # "not filter" on a field no event has: read as absent, so the filter is false.
    assert result.matches[rule_id("not_absent")] == [("a.evtx", 1), ("a.evtx", 3)]
    assert any("NoSuchField" in c for c in result.caveats[rule_id("not_absent")])
    assert result.matches[rule_id("regex")] == [("a.evtx", 3)]
    assert result.matches[rule_id("logon")] == [("b.evtx", 7)]
    # Keywords: a case-insensitive search, wildcards honoured, in any one field value.
    assert result.matches[rule_id("keywords")] == [("b.evtx", 8)]
    assert rule_id("placeholder") in result.failures
    assert rule_id("linux") in result.not_applicable
    assert rule_id("linux") not in result.counts
    # Unnamed Data list dropped by default: the rule cannot fire (and says so).
    assert result.counts[rule_id("classic")] == 0
    assert any("Data" in c for c in result.caveats[rule_id("classic")])


def test_evaluate_join_mode_matches_data_contains(rules_dir: Path) -> None:
    result = ReferenceEvaluator.from_paths([rules_dir], data_list="join").evaluate(events())
    assert result.matches[rule_id("classic")] == [("c.evtx", 1)]


def test_load_and_sql_errors_are_recorded_not_raised(rules_dir: Path) -> None:
    # pySigma rejects a regex Python's `re` cannot compile when it loads the rule.
    write_rule(
        rules_dir,
        "badregex",
        PROC,
        "    sel:\n        CommandLine|re: '(?<name>x)'\n    condition: sel",
    )
    rules = convert_rules([rules_dir])
    whoami = next(r for r in rules if r.rule_id == rule_id("whoami"))
    broken = replace(whoami, rule_id="broken", error=None, where=["NoSuchFunction(Image)"])
    result = ReferenceEvaluator([*rules, broken]).evaluate(events())
    bad = next(r.rule_id for r in rules if r.path.endswith("badregex.yml"))
    assert result.failures[bad].startswith("load:")
    assert result.failures["broken"].startswith("sql:")
    assert result.counts[rule_id("whoami")] == 1


def test_result_json_round_trip(rules_dir: Path) -> None:
    result = ReferenceEvaluator.from_paths([rules_dir]).evaluate(events())
    again = ReferenceResult.from_json(result.to_json())
    assert again.matches == result.matches
    assert again.not_applicable == result.not_applicable
    assert again.failures == result.failures
