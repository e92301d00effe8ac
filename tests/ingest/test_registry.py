"""Source type: explicit field, endpoint default, or sniffed from the record."""

from __future__ import annotations

import pytest

from tests.ingest import samples
from vigile.ingest.parsers.model import ParseError
from vigile.ingest.parsers.registry import PARSERS, detect_source_type, parse


@pytest.mark.parametrize("source_type", sorted(samples.ALL))
def test_auto_detects_every_sample(source_type: str) -> None:
    for raw in samples.ALL[source_type]:
        assert detect_source_type(raw) == source_type
        event = parse(raw)
        assert event.source_type == source_type
        assert event == PARSERS[source_type](raw, _same_clock(event))


def _same_clock(event):
    from vigile.ingest.parsers.model import ParseOptions

    return ParseOptions(received_at=event.timestamp)


def test_explicit_beats_default_beats_sniffing() -> None:
    raw = samples.SURICATA[0]
    assert detect_source_type(raw, explicit="json", default="wazuh") == "json"
    assert detect_source_type(raw, default="json") == "json"
    assert detect_source_type(raw, explicit="auto", default="auto") == "suricata"
    assert parse(raw, "json").source_type == "json"
    assert parse(raw, "auto", explicit="suricata:eve").source_type == "suricata"  # alias


def test_unknown_source_type_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="unknown source type"):
        parse(b"x", "bogus")


def test_flat_windows_json_is_evtx() -> None:
    raw = b'{"Channel": "Security", "EventID": 4624, "Computer": "dc1", "LogonType": 3}'
    event = parse(raw)
    assert event.source_type == "evtx" and event.logsource is None and event.host == "dc1"
