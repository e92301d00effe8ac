"""Flattening of the nested JSON the `evtx` package produces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.detection.event import MISSING, EventView, to_text
from vigile.detection.flatten import (
    _add_data,
    _flatten_payload,
    _scalar,
    _walk_payload,
    flatten_event,
)
from vigile.scan.readers import WorkUnit, read_evtx

NESTED = {
    "Event": {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "G"}},
            "EventID": {"#text": 400, "#attributes": {"Qualifiers": 0}},
            "TimeCreated": {"#attributes": {"SystemTime": "2019-04-27T15:57:25.868863Z"}},
            "EventRecordID": 6575,
            "Execution": {"#attributes": {"ProcessID": 1912, "ThreadID": 996}},
            "Channel": "Windows PowerShell",
            "Computer": "IEWIN7",
        },
        "EventData": {
            "ProcessId": 2772,
            "Data": [{"#text": "Available"}, "HostApplication=powershell"],
        },
    }
}


def test_flatten_system_and_payload() -> None:
    flat = flatten_event(NESTED)
    assert flat["EventID"] == 400
    assert flat["Provider_Name"] == "Microsoft-Windows-Sysmon"
    assert flat["TimeCreated"] == flat["SystemTime"] == "2019-04-27T15:57:25.868863Z"
    assert flat["EventRecordID"] == 6575
    assert flat["Channel"] == "Windows PowerShell"
    assert flat["ProcessID"] == 1912 and flat["ProcessId"] == 2772  # two distinct fields
    assert flat["Data"] == ["Available", "HostApplication=powershell"]


def test_flat_event_passes_through() -> None:
    flat = {"EventID": 1, "Channel": "x", "Image": "a"}
    assert flatten_event(flat) == flat


def test_userdata_nested_fields() -> None:
    event = {
        "Event": {
            "System": {"EventID": 1102, "Channel": "Security"},
            "UserData": {
                "LogFileCleared": {"#attributes": {"xmlns": "x"}, "SubjectUserName": "bob"}
            },
        }
    }
    assert flatten_event(event)["SubjectUserName"] == "bob"


def _walked(event: dict[str, Any]) -> dict[str, Any]:
    """What the element-by-element walk gives for each payload (no shortcut)."""
    out: dict[str, Any] = {}
    root = event["Event"]
    for section in ("EventData", "UserData"):
        payload = root.get(section)
        if isinstance(payload, dict):
            _walk_payload(payload, out)
    return out


def _flattened_payloads(event: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    root = event["Event"]
    for section in ("EventData", "UserData"):
        if isinstance(root.get(section), dict):
            _flatten_payload(root[section], out)
    return out


@pytest.mark.parametrize(
    "payload",
    [
        {"Image": "a", "ProcessId": 1, "Hashes": None, "List": ["x", "y"]},  # shortcut
        {"Image": "a", "Nested": {"Inner": "b"}},  # a dict: walked
        {"Data": [{"#text": "v"}, "w"], "Other": "x"},  # unnamed Data: walked
        {"#attributes": {"xmlns": "x"}, "Field": "v"},  # attributes: walked
        {"Wrapped": {"#text": "v", "#attributes": {"a": 1}}},  # #text element: walked
    ],
)
def test_payload_shortcut_equals_walk(payload: dict[str, Any]) -> None:
    event = {"Event": {"System": {"EventID": 1}, "EventData": payload}}
    assert _flattened_payloads(event) == _walked(event)
    assert list(_flattened_payloads(event)) == list(_walked(event))  # same field order


def test_payload_shortcut_equals_walk_on_corpus(corpus_dir: Path) -> None:
    count = 0
    for path in sorted(corpus_dir.rglob("*.evtx")):
        for raw in read_evtx(WorkUnit(str(path), "evtx")):
            event = orjson.loads(raw)
            flat, walked = _flattened_payloads(event), _walked(event)
            assert flat == walked and list(flat) == list(walked), raw[:300]
            count += 1
    assert count > 1000


def _recursive_payload(payload: Any, out: dict[str, Any]) -> None:
    """The walk as first written (recursive): the reference for the iterative one."""
    if not isinstance(payload, dict):
        if payload is not None:
            _add_data(out, payload)
        return
    for key, value in payload.items():
        if key == "#attributes":
            continue
        if key in ("Data", "#text"):
            _add_data(out, value)
        elif isinstance(value, dict) and "#text" not in value:
            _recursive_payload(value, out)
        else:
            out[key] = _scalar(value)


PAYLOAD_KEYS = st.sampled_from(["Data", "#text", "#attributes", "A", "B", "Image", "x"])
PAYLOADS = st.recursive(
    st.none() | st.integers(-3, 3) | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(PAYLOAD_KEYS, children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(payload=st.dictionaries(PAYLOAD_KEYS, PAYLOADS, max_size=5))
def test_iterative_walk_equals_the_recursive_definition(payload: dict[str, Any]) -> None:
    expected: dict[str, Any] = {}
    _recursive_payload(payload, expected)
    walked: dict[str, Any] = {}
    _walk_payload(payload, walked)
    flattened: dict[str, Any] = {}
    _flatten_payload(payload, flattened)
    assert walked == expected and list(walked) == list(expected)  # same values, same order
    assert flattened == expected and list(flattened) == list(expected)


def test_userdata_nested_as_deep_as_orjson_decodes_is_flattened() -> None:
    # 1,020 levels: past Python's recursion limit, within orjson's (1,024).
    raw = (
        b'{"Event":{"System":{"Channel":"Security","EventID":1102},"UserData":'
        + b'{"a":' * 1016
        + b'{"Deepest":"v"},"Next":"w"'
        + b"}" * 1016
        + b"}}"
    )
    flat = flatten_event(orjson.loads(raw))
    assert flat["Deepest"] == "v" and flat["Next"] == "w"
    assert list(flat)[-2:] == ["Deepest", "Next"]


def test_other_case_lookup_takes_the_first_field() -> None:
    view = EventView({"ProcessID": 20, "ProcessId": 10, "Image": "x"})
    assert view.get("processid") == 20
    assert view.get("PROCESSID") == 20
    assert view.get("ProcessId") == 10  # an exact name first
    assert view.get("missing") is MISSING


def _plain_lower(view: EventView, name: str) -> Any:
    value = view.get(name)
    text = None if value is MISSING else to_text(value)
    if isinstance(text, tuple):
        return tuple(t.lower() for t in text)
    return None if text is None else text.lower()


def test_view_text_and_lower_equal_the_plain_path() -> None:
    fields = {
        "Image": "C:\\Windows\\CMD.exe",
        "ProcessId": 12,
        "Hashes": None,
        "Data": ["A", {"#text": "B"}, 3],
        "Wrapped": {"#text": "XyZ"},
        "Flag": True,
        "lowercase": "Other Case",
    }
    names = [*fields, "LOWERCASE", "IMAGE", "missing"]
    for name in names:
        fresh = EventView(fields)
        value = fresh.get(name)
        assert fresh.text(name) == (None if value is MISSING else to_text(value)), name
        assert EventView(fields).lower(name) == _plain_lower(EventView(fields), name), name
        view = EventView(fields)  # text first, then lower (and the reverse) from the caches
        assert (view.text(name), view.lower(name)) == (fresh.text(name), fresh.lower(name))
