"""``match_evtx_record`` (routing read from the record's text, JSON decoded only for candidate
records) gives exactly what ``match_object`` gives: on every record of the public EVTX corpus,
and on hand-made records whose first keys are not in the usual form."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from vigile.detection.engine import RuleSet
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
            assert _ids(corpus_ruleset.match_evtx_record(raw)[2]) == expected, raw[:300]
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
