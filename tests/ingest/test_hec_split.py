"""HEC bodies: the one-object-per-line fast reader reads what the general reader reads, and
keeps each object event as sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.ingest import hec
from vigile.ingest.intake import Incoming, parse_batch

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
_ENVELOPES = st.fixed_dictionaries(
    {},
    optional={
        "event": _VALUES | st.sampled_from(["", None, {}, []]),
        "time": _SCALARS,
        "host": _SCALARS,
        "source": _SCALARS,
        "sourcetype": st.sampled_from(["_json", "evtx", "syslog", "nonsense", 3]),
        "index": st.text(max_size=5) | st.integers(),
        "fields": st.dictionaries(st.text(max_size=5), _VALUES, max_size=3),
        "other": _VALUES,
    },
)
_GAPS = st.sampled_from([b"\n", b"\r\n", b"\n\n", b" \n\t", b"\n  \n"])
_SEPARATORS = st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")])


def _records(body: bytes) -> tuple[object, ...]:
    out = hec.decode_events(body)
    items = [i and (i.raw, i.source_type, i.time, i.host, i.extra) for i in out.items]
    return items, out.problems, out.raws, out.indexes


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_ENVELOPES | _VALUES, _GAPS), max_size=6), st.data())
def test_one_object_per_line_reads_as_the_general_reader(
    lines: list[tuple[Any, bytes]], data: st.DataObject
) -> None:
    """A body of one object per line takes the fast reader; the same objects on one line
    take the general one: the same records, problems and indexes."""
    texts = [
        json.dumps(
            value, ensure_ascii=data.draw(st.booleans()), separators=data.draw(_SEPARATORS)
        ).encode()
        for value, _ in lines
    ]
    body = b"".join(text + gap for text, (_, gap) in zip(texts, lines, strict=True))
    assert hec._fast(body, None) is not None or any(not isinstance(v, dict) for v, _ in lines)
    assert _records(body) == _records(b" ".join(texts))  # one line: the general reader


@pytest.mark.parametrize(
    "body",
    [
        b'{"event":"a"}{"event":"b"}\n{"event":"c"}',  # two objects on a line
        b'{\n  "event": "a"\n}\n{"event":"b"}',  # an object over several lines
        b'{"event":"a"}\n{"event": NaN}\n',  # NaN: the stdlib reads it, orjson does not
        b'{"event":"a"}\n{"event":123456789012345678901234567890}',  # beyond 64 bits
        b'{"event":"a","event":"b"}\n{"event":"c"}',  # duplicate keys: the last wins
        b'{"event":"\\ud800"}\n',  # a lone surrogate
        b'{"event":"caf\xe9"}\n{"event":"b"}',  # invalid UTF-8 (replaced by the stdlib path)
        b'{"event":{"a":"caf\xe9"}}\n{"event":"b"}',
        b'{"event":"a"}\n{"event":"b"',  # a truncated last object: a remainder
        b'{"event":"a"}\r{"event":"b"}',  # CR alone is not a line break
        b'{"event":"a"}\n\x0c{"event":"b"}\n',  # not JSON whitespace
        b'[1]\n{"event":"b"}',
        b"",
        b" \n\r\n",
    ],
)
def test_other_bodies_are_read_by_the_general_reader(body: bytes) -> None:
    """Where the fast reader reads a body at all, it reads what the general one reads."""
    fast = hec._fast(body, None)
    general, _ = hec._general(body, None)
    assert fast is None or [r for r, _, _ in fast] == [r for r, _, _ in general]


def test_the_general_reader_still_reads_what_the_fast_one_refuses() -> None:
    batch = hec.decode_events(b'{"event":"a"}{"event":{"n":NaN}}\n{"event":"c","host":"h"}')
    assert not batch.problems and len(batch.items) == 3
    first, second, third = batch.items
    assert first is not None and second is not None and third is not None
    assert (first.raw, third.raw, third.host) == (b"a", b"c", "h")
    assert second.raw == b'{"n":null}'  # written again (orjson writes NaN as null)


def test_an_object_event_is_kept_as_sent() -> None:
    """The record of an object event is its text in the body, spacing and number spelling
    included (a number beyond 64 bits keeps its digits), whichever reader reads it."""
    event = b'{"b": 1,  "a": [1.50, 123456789012345678901234567890], "c": "\\u00e9"}'
    for body in (
        b'{"time": 1732600000, "event": ' + event + b', "host": "h"}\n',
        b'{"event":"x"}{"host": "h", "event": ' + event + b"}",  # the general reader
        b'{"host": "h",\n "event":\n' + event + b"\n}",
    ):
        items = [i for i in hec.decode_events(body).items if i is not None and i.host == "h"]
        assert [i.raw for i in items] == [event], body
        intake = parse_batch(items, receiver="hec", received_at=_NOW)
        assert [s.raw for s in intake.accepted] == [event]


def test_decoded_events_are_the_same_either_way() -> None:
    lines = [
        {"event": {"EventID": 4688, "Channel": "Security"}, "time": 1732600000.5, "host": "h"},
        {"event": "plain text", "sourcetype": "syslog", "fields": {"site": "paris"}},
        {"event": ""},  # blank: a problem, not an event
        {"event": 0, "index": "main"},  # not blank
        {"host": "no event"},
        ["not", "an", "object"],
    ]
    body = b"\n".join(orjson.dumps(line) for line in lines)
    fast = hec.decode_events(body)
    # The same objects with no line breaks take the general reader.
    slow = hec.decode_events(b"".join(orjson.dumps(line) for line in lines))
    assert fast.problems == slow.problems and fast.raws == slow.raws
    assert sorted(fast.problems) == [2, 4, 5] and fast.indexes == slow.indexes == {"main"}
    assert fast.raws[5] == b'["not","an","object"]'
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
def test_hec_events_are_admitted_as_bulk_documents_are(source_type: str | None) -> None:
    """An object event is admitted on its text as sent, as a bulk document is: the same
    source type, or rejection and its reason, for every shape."""
    lines = [{"event": event, "sourcetype": source_type} for event in _EVENTS]
    lines.append({"event": {"v": float("nan")}})  # the stdlib reads NaN, orjson does not
    body = b"\n".join(json.dumps(line).encode() for line in lines)
    items = [item for item in hec.decode_events(body).items if item is not None]
    assert [item.raw for item in items] == [json.dumps(e).encode() for e in _EVENTS] + [
        b'{"v":null}'  # written again by the stdlib path
    ]
    from_hec = parse_batch(items, receiver="hec", received_at=_NOW)
    as_bulk = [Incoming(item.raw, source_type=item.source_type) for item in items]
    from_bulk = parse_batch(as_bulk, receiver="hec", received_at=_NOW)
    assert [(s.source_type, s.raw, s.id) for s in from_hec.accepted] == [
        (s.source_type, s.raw, s.id) for s in from_bulk.accepted
    ]
    assert [(r.index, r.reason) for r in from_hec.rejected] == [
        (r.index, r.reason) for r in from_bulk.rejected
    ]
    assert from_hec.accepted or source_type == "syslog"


def test_an_object_event_is_decoded_once_on_the_receiving_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The HEC reader leaves an object event as text (msgspec), admission decodes it."""
    decoded: list[bytes] = []
    loads = orjson.loads

    def spy(data: bytes) -> Any:
        decoded.append(data)
        return loads(data)

    monkeypatch.setattr(orjson, "loads", spy)
    event = b'{"Channel":"Security","EventID":4688}'
    items = hec.decode_events(b'{"time":1732600000,"event":' + event + b"}\n").items
    assert items[0] is not None and decoded == []
    intake = parse_batch([items[0]], receiver="hec", received_at=_NOW)
    assert [s.source_type for s in intake.accepted] == ["evtx"] and decoded == [event]


@pytest.mark.parametrize(
    "event", ["plain text", [1, 2], 123456789012345678901234567890, {"big": 10**30}]
)
def test_events_are_kept_as_sent_strings_as_their_text(event: Any) -> None:
    body = json.dumps({"event": event}).encode()
    (item,) = hec.decode_events(body).items
    assert item is not None
    assert item.raw == (event.encode() if isinstance(event, str) else json.dumps(event).encode())


@pytest.mark.parametrize("depth", [100, 999, 1000, 5000])
def test_deeply_nested_events_are_read_or_refused_never_raised(depth: int) -> None:
    """msgspec and the stdlib stop at ~1,000 levels (RecursionError): past them, the object
    is an invalid-JSON problem; below, the event is read as sent."""
    event = b'{"a":' + b"[" * depth + b"]" * depth + b"}"
    body = b'{"event":"first"}\n{"event":' + event + b"}\n"
    batch = hec.decode_events(body)
    first, *rest = batch.items
    assert first is not None and first.raw == b"first"
    if batch.problems:
        assert list(batch.problems.values()) == [(hec.INVALID_FORMAT, "invalid JSON")]
    else:
        assert [item and item.raw for item in rest] == [event]
