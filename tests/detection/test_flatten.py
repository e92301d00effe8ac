"""Flattening of the nested JSON the `evtx` package produces."""

from __future__ import annotations

from vigile.detection.flatten import flatten_event

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
