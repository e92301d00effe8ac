"""HEC bodies: the one-value-per-line fast path reads what the general decoder reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.ingest import hec
from vigile.ingest.intake import parse_batch
from vigile.ingest.parsers import jsonlog

_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_GAPS = st.sampled_from([b"\n", b"\r\n", b"\n\n", b" \n\t", b"\n  \n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_VALUES, _GAPS), max_size=6), st.data())
def test_one_value_per_line_reads_as_the_general_decoder(
    lines: list[tuple[Any, bytes]], data: st.DataObject
) -> None:
    lines_ascii = [(value, data.draw(st.booleans())) for value, _ in lines]
    # The stdlib writes what orjson cannot (integers beyond 64 bits); either reads it back.
    texts = [json.dumps(value, ensure_ascii=ascii).encode() for value, ascii in lines_ascii]
    body = b"".join(text + gap for text, (_, gap) in zip(texts, lines, strict=True))
    values, rest = hec.split_objects(body)
    assert (values, rest) == hec.split_concatenated(body)
    assert rest is None and values == [value for value, _ in lines]


@pytest.mark.parametrize(
    "body",
    [
        b'{"event":"a"}{"event":"b"}\n{"event":"c"}',  # two objects on a line
        b'{\n  "event": "a"\n}\n{"event":"b"}',  # an object over several lines
        b'{"event":"a"}\n{"event": NaN}\n',  # NaN: the stdlib reads it, orjson does not
        b'{"event":"a"}\n{"event":123456789012345678901234567890}',  # beyond 64 bits
        b'{"event":-9223372036854775809}\n',  # just beyond: orjson reads a float
        b'{"event":"a","event":"b"}\n{"event":"c"}',  # duplicate keys: the last wins
        b'{"event":"\\ud800"}\n',  # a lone surrogate
        b'{"event":"caf\xe9"}\n{"event":"b"}',  # invalid UTF-8 (replaced by the stdlib path)
        b'{"event":"a"}\n{"event":"b"',  # a truncated last object: a remainder
        b'{"event":"a"}\r{"event":"b"}',  # CR alone is not a line break
        b'{"event":"a"}\n\x0c{"event":"b"}\n',  # not JSON whitespace
        b"",
        b" \n\r\n",
    ],
)
def test_other_bodies_are_read_by_the_general_decoder(body: bytes) -> None:
    assert hec.split_objects(body) == hec.split_concatenated(body)


def test_the_general_decoder_still_reads_what_the_fast_path_refuses() -> None:
    values, rest = hec.split_objects(b'{"event":"a"}{"event":NaN}\n{"event":"c"}')
    assert rest is None
    assert [v["event"] for v in values[::2]] == ["a", "c"]
    assert json.dumps(values[1]) == '{"event": NaN}'


def test_decoded_events_are_the_same_either_way() -> None:
    lines = [
        {"event": {"EventID": 4688, "Channel": "Security"}, "time": 1732600000.5, "host": "h"},
        {"event": "plain text", "sourcetype": "syslog", "fields": {"site": "paris"}},
        {"event": ""},  # blank: a problem, not an event
        ["not", "an", "object"],
    ]
    body = b"\n".join(orjson.dumps(line) for line in lines)
    fast = hec.decode_events(body)
    # The same objects with no line breaks take the general decoder.
    slow = hec.decode_events(b"".join(orjson.dumps(line) for line in lines))
    assert fast.problems == slow.problems and fast.raws == slow.raws
    assert fast.indexes == slow.indexes
    assert [i and (i.raw, i.source_type, i.time, i.host, i.extra) for i in fast.items] == [
        i and (i.raw, i.source_type, i.time, i.host, i.extra) for i in slow.items
    ]


_EVENTS = [
    {"Event": {"System": {"Channel": "Security", "EventID": 4688}, "EventData": {"A": 1}}},
    {"Event": {"System": "not an object"}},  # JSON, not EVTX
    {"Channel": "Security", "EventID": 4624},  # flat EVTX
    {"event_type": "alert", "src_ip": "10.0.0.1"},  # Suricata EVE
    {"event_type": 3, "src_ip": "10.0.0.1"},  # not EVE: event_type is no string
    {"rule": {"id": "5710"}, "agent": {"name": "web1"}},  # Wazuh
    {"message": "generic"},
    {"nested": {"deep": [{"x": None}]}},
]
_SOURCE_TYPES = [None, "evtx", "suricata", "wazuh", "json", "syslog"]


@pytest.mark.parametrize("source_type", _SOURCE_TYPES)
def test_admission_reads_the_decoded_event_as_it_reads_its_text(
    source_type: str | None,
) -> None:
    """HEC hands admission the object it wrote ``raw`` from: the outcome (source type, or
    rejection and its reason) is the one of decoding ``raw``, for every shape."""
    lines = [{"event": event, "sourcetype": source_type} for event in _EVENTS]
    lines.append({"event": {"v": float("nan")}})  # the stdlib reads NaN; orjson writes null
    body = b"\n".join(json.dumps(line).encode() for line in lines)
    items = [item for item in hec.decode_events(body).items if item is not None]
    assert len(items) == len(lines)
    assert all(item.decoded is not None for item in items)
    with_object = parse_batch(items, receiver="hec", received_at=_NOW)
    for item in items:
        item.decoded = None
    from_text = parse_batch(items, receiver="hec", received_at=_NOW)
    assert [(s.source_type, s.raw, s.id) for s in with_object.accepted] == [
        (s.source_type, s.raw, s.id) for s in from_text.accepted
    ]
    assert with_object.positions == from_text.positions
    assert [(r.index, r.reason) for r in with_object.rejected] == [
        (r.index, r.reason) for r in from_text.rejected
    ]


def test_admission_does_not_decode_a_hec_event_again(monkeypatch: pytest.MonkeyPatch) -> None:
    items = hec.decode_events(b'{"event":{"Channel":"Security","EventID":4688}}\n').items
    assert items[0] is not None and items[0].decoded is not None

    def refuse(raw: bytes) -> dict[str, Any]:
        raise AssertionError("decoded again")

    monkeypatch.setattr(jsonlog, "load_object", refuse)
    intake = parse_batch([items[0]], receiver="hec", received_at=_NOW)
    assert [s.source_type for s in intake.accepted] == ["evtx"]


@pytest.mark.parametrize(
    "event",
    [
        "plain text",  # a string event is its own raw text
        [1, 2],
        123456789012345678901234567890,  # beyond 64 bits: the stdlib writes it
    ],
)
def test_only_objects_orjson_wrote_carry_their_decoded_form(event: Any) -> None:
    body = json.dumps({"event": event}).encode()
    (item,) = hec.decode_events(body).items
    assert item is not None and item.decoded is None
    nested = json.dumps({"event": {"big": event}}).encode()
    (item,) = hec.decode_events(nested).items
    assert item is not None
    assert (item.decoded is None) == isinstance(event, int)  # orjson refuses > 64-bit ints


def test_digit_runs_in_strings_keep_the_fast_path() -> None:
    """Hashes and hex dumps (6 % of the corpus's EVTX events) are strings, not numbers."""
    lines = [
        {
            "event": {
                "Hashes": "SHA256=750AB5E1F3EB18CC42A4A4C7BAB27753F6B26FB9752AD3861833753091044281"
            }
        },
        {"event": {"Binary": "0000000000000000000000000000000000000000"}},
        {"event": {"n": 1}},
    ]
    body = b"\n".join(orjson.dumps(line) for line in lines)
    assert hec._split_lines(body) == lines


def test_a_line_with_a_big_number_is_read_by_the_stdlib_the_others_by_orjson(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big = 123456789012345678901234567890
    lines = [
        {"event": {"n": 1}},
        {"event": {"big": big, "list": [-big]}},
        {"event": "x:" + "9" * 25},
    ]
    body = b"\n".join(json.dumps(line).encode() for line in lines)
    read = hec._split_lines(body)
    assert read == lines and read is not None and read[1]["event"]["big"] == big  # an int
    decoded: list[bytes] = []
    loads = orjson.loads

    def spy(data: bytes) -> Any:
        decoded.append(data)
        return loads(data)

    monkeypatch.setattr(hec.orjson, "loads", spy)
    assert hec._split_lines(body) == lines
    # The string holding ':' then 25 nines is a false alarm: the stdlib reads it, the same.
    assert decoded == [json.dumps(lines[0]).encode()]


@pytest.mark.parametrize(
    "body",
    [
        b'{"event":[1,\n12345678901234567890123]}\n',  # a value over two lines
        b"[\n  12345678901234567890123\n]",
        b'{"event":"a"}\n\n  12345678901234567890123\n',  # a top-level number alone on a line
        b'{"event":1}\n{"event":12345678901234567890123}{"event":2}\n',  # two values on a line
    ],
)
def test_big_numbers_elsewhere_read_as_the_general_decoder_reads_them(body: bytes) -> None:
    assert hec.split_objects(body) == hec.split_concatenated(body)
