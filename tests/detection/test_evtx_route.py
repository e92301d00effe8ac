"""``match_evtx_record`` (routing read from the record's text, JSON decoded only for candidate
records) gives exactly what ``match_object`` gives: on every record of the public EVTX corpus,
and on hand-made records whose first keys are not in the usual form."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from vigile.detection.engine import RuleSet, ruleset_from_yaml
from vigile.detection.flatten import SYSTEM_CHANNEL, flatten_event, payload_fields
from vigile.detection.model import Rule
from vigile.scan.readers import InputError, WorkUnit, read_evtx


def _ids(rules: list[Rule]) -> list[str]:
    return [r.id for r in rules]


def test_same_matches_as_decoding_on_the_corpus(corpus_ruleset: RuleSet, corpus_dir: Path) -> None:
    records = 0
    matched = 0
    for path in sorted(corpus_dir.rglob("*.evtx")):
        try:
            texts = list(read_evtx(WorkUnit(str(path), "evtx")))
        except InputError:
            continue
        for raw in texts:
            expected = _ids(corpus_ruleset.match_object(raw)[2])
            _, fields, rules = corpus_ruleset.match_evtx_record(raw)
            assert _ids(rules) == expected, raw[:300]
            if rules:  # the fields of a match are the whole flat event (the scan's output)
                assert fields == flatten_event(orjson.loads(raw)), raw[:300]
            records += 1
            matched += bool(expected)
    assert records > 10_000 and matched > 500


def _record(system: str, payload: str = '"EventData":{"Image":"C:\\\\x\\\\mimikatz.exe"}') -> bytes:
    return ('{"Event":{"System":{' + system + "}," + payload + "}}").encode()


@pytest.mark.parametrize(
    "raw",
    [
        # The usual forms, compact and indented.
        _record('"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"'),
        _record('"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"'),
        _record(
            '"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},"Channel":"System"',
            '"EventData":{"ImagePath":"cmd /c echo x > \\\\\\\\.\\\\pipe\\\\y"}',
        ),
        # System's channel is null: a payload Channel must not route the record.
        _record(
            '"EventID":104,"Channel":null',
            '"UserData":{"LogFileCleared":{"Channel":"Security"}}',
        ),
        # Not an integer event id, or an escaped channel name: the decoding path decides.
        _record('"EventID":1.5,"Channel":"Microsoft-Windows-Sysmon/Operational"'),
        _record('"EventID":"1","Channel":"Microsoft-Windows-Sysmon/Operational"'),
        _record('"EventID":"01","Channel":"Microsoft-Windows-Sysmon/Operational"'),
        _record(
            '"EventID":{"#attributes":{"Qualifiers":"0"},"#text":"7045"},"Channel":"System"',
            '"EventData":{"ImagePath":"powershell -nop -w hidden -c iex x"}',
        ),
        _record('"EventID":"1a","Channel":"Microsoft-Windows-Sysmon/Operational"'),
        _record('"EventID":1,"Channel":"Microsoft-Windows-Sysmon\\/Operational"'),
        _record('"EventID":1'),
        b'{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Image":"x\\\\mimikatz.exe"}',
    ],
)
def test_same_matches_on_unusual_records(corpus_ruleset: RuleSet, raw: bytes) -> None:
    orjson.loads(raw)  # every case is valid JSON
    expected = _ids(corpus_ruleset.match_object(raw)[2])
    assert _ids(corpus_ruleset.match_evtx_record(raw)[2]) == expected


def test_unusual_records_do_match(corpus_ruleset: RuleSet) -> None:
    # The forms above are not vacuous: such records raise detections.
    sysmon = _record(
        '"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"',
        '"EventData":{"CommandLine":"mimikatz.exe sekurlsa::logonpasswords exit"}',
    )
    assert corpus_ruleset.match_evtx_record(sysmon)[2]
    service = _record(
        '"Provider":{"#attributes":{"Name":"Service Control Manager"}},'
        '"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},"Channel":"System"',
        '"EventData":{"ImagePath":"powershell -nop -w hidden -c iex x"}',
    )
    assert corpus_ruleset.match_evtx_record(service)[2]


PAYLOAD_RULE = """
title: payload
id: 00000000-0000-0000-0000-000000000100
logsource:
    product: windows
    category: process_creation
detection:
{detection}
level: high
"""

EVIL = "    sel:\n        Image|endswith: '\\evil.exe'\n"
IMAGE = {"Image": "C:\\evil.exe"}


def _sysmon(payload: dict[str, str], computer: str = "WS1") -> bytes:
    system = (
        '"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational",'
        f'"Computer":"{computer}","Execution":{{"#attributes":{{"ProcessID":4}}}}'
    )
    return _record(system, '"EventData":' + orjson.dumps(payload).decode())


@pytest.mark.parametrize(
    ("detection", "raw", "expected"),
    [
        # Payload fields only: decided without System.
        (EVIL + "    condition: sel", _sysmon(IMAGE), 1),
        # A System field (Computer) next to a payload one: read from the whole event.
        (EVIL + "        Computer: 'DC1'\n    condition: sel", _sysmon(IMAGE, "DC1"), 1),
        (EVIL + "        Computer: 'DC1'\n    condition: sel", _sysmon(IMAGE, "WS1"), 0),
        # A negated System field test: absent from the payload, present in the event.
        (EVIL + "    f:\n        ProcessID: 4\n    condition: sel and not f", _sysmon(IMAGE), 0),
        # Other-case name of a System field: found in the whole event only.
        (EVIL + "        computer: 'WS1'\n    condition: sel", _sysmon(IMAGE), 1),
        # A payload field named like a System one hides it in both.
        (
            EVIL + "        Computer: 'PAYLOAD'\n    condition: sel",
            _sysmon({**IMAGE, "Computer": "PAYLOAD"}, "DC1"),
            1,
        ),
        # Keywords read every field, System's too.
        ("    keywords:\n        - 'WS1'\n    condition: keywords", _sysmon(IMAGE), 1),
    ],
)
def test_payload_first_matching_equals_the_whole_event(
    detection: str, raw: bytes, expected: int
) -> None:
    ruleset = ruleset_from_yaml([PAYLOAD_RULE.format(detection=detection)])
    whole = ruleset.match_object(raw)[2]
    _, fields, rules = ruleset.match_evtx_record(raw)
    assert _ids(rules) == _ids(whole) and len(rules) == expected
    if rules:
        assert fields == flatten_event(orjson.loads(raw))


def test_payload_fields_are_the_flat_values() -> None:
    raw = _record(
        '"EventID":1,"Channel":"System","Computer":"WS1"',
        '"EventData":{"EventID":"42","Computer":"X","Data":["a","b"],'
        '"\\u0000System.Channel":"forged","Channel":"Security"}',
    )
    obj = orjson.loads(raw)
    payload, flat = payload_fields(obj), flatten_event(obj)
    assert payload is not None and set(payload) < set(flat) and SYSTEM_CHANNEL not in payload
    assert all(flat[k] == v for k, v in payload.items()) and payload["EventID"] == 42
    assert payload_fields({"Image": "x"}) is None
