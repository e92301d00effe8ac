"""Fuzzing: every parser returns an event or raises ParseError — nothing else, quickly.

Inputs: random bytes, random text, and valid samples mutated byte by byte (flips, inserts,
deletions, splices with format-significant characters). Each call must finish well within the
deadline (no catastrophic regex backtracking, no hang), and the event it returns must be
storable: JSON-serialisable fields, a timezone-aware UTC timestamp.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingest import samples
from vigile.ingest.parsers.model import Event, ParseError, ParseOptions
from vigile.ingest.parsers.registry import PARSERS, parse

OPTS = ParseOptions(received_at=datetime(2024, 3, 12, 10, tzinfo=UTC), max_record_bytes=4096)
FUZZ = settings(
    max_examples=150, deadline=timedelta(seconds=1), suppress_health_check=list(HealthCheck)
)
SPECIAL = [b"|", b"=", b"\\", b"\t", b"^", b"[", b"]", b'"', b"{", b"}", b":", b" ", b"<", b">"]
SPECIAL += [b"\x00", b"\xff", b"CEF:", b"LEEF:2.0|", b"\\u0000", b"\xef\xbb\xbf", b"x09|"]


def _check(parser: Any, raw: bytes) -> None:
    started = time.monotonic()
    try:
        event = parser(raw, OPTS)
    except ParseError as exc:
        assert isinstance(exc.offset, int) and exc.reason
        return
    finally:
        assert time.monotonic() - started < 1.0
    assert isinstance(event, Event)
    assert event.timestamp.tzinfo is not None and event.timestamp.utcoffset() == timedelta(0)
    assert isinstance(event.raw, bytes) and len(event.raw) <= OPTS.max_record_bytes
    assert all(isinstance(k, str) for k in event.fields)
    orjson.dumps(event.fields)  # storable as JSON


@st.composite
def mutated(draw: st.DrawFn, corpus: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "splice", "cut"]))
        if op == "flip" and pos < len(data):
            data[pos] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        elif op == "splice":
            data[pos:pos] = draw(st.sampled_from(SPECIAL)) * draw(st.integers(1, 50))
        elif op == "cut":
            del data[pos:]
    return bytes(data)


ALL_SAMPLES = [raw for group in samples.ALL.values() for raw in group]
NAMES = sorted(PARSERS)


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(raw=st.binary(max_size=600))
def test_random_bytes(name: str, raw: bytes) -> None:
    _check(PARSERS[name], raw)


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_mutated_samples(name: str, data: st.DataObject) -> None:
    own = samples.ALL[name]
    # Mostly the parser's own format, sometimes another one (wrong source type declared).
    corpus = own if data.draw(st.integers(0, 3)) else ALL_SAMPLES
    _check(PARSERS[name], data.draw(mutated(corpus)))


@FUZZ
@given(text=st.text(max_size=400))
def test_auto_detection_on_text(text: str) -> None:
    _check(lambda raw, opts: parse(raw, "auto", opts), text.encode("utf-8"))


@FUZZ
@given(
    obj=st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**64 - 1)
        | st.floats(allow_nan=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "Event",
                        "System",
                        "EventData",
                        "UserData",
                        "Data",
                        "#text",
                        "#attributes",
                        "EventID",
                        "Channel",
                        "rule",
                        "agent",
                        "data",
                        "win",
                        "system",
                        "eventdata",
                        "event_type",
                        "src_ip",
                        "dns",
                        "http",
                        "timestamp",
                    ]
                )
                | st.text(max_size=8),
                children,
                max_size=5,
            )
        ),
        max_leaves=30,
    )
)
def test_json_shaped_objects(obj: Any) -> None:
    raw = orjson.dumps(obj)
    for name in ("json", "suricata", "wazuh", "evtx"):
        _check(PARSERS[name], raw)
    _check(lambda r, o: parse(r, "auto", o), raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        b'{"Event":{"UserData":' + b'{"a":' * 1020 + b"1" + b"}" * 1022,
        b"<13>" + b"Mar 12 " * 20_000,
        b"CEF:0|" + b"\\|" * 100_000,
        b"CEF:0|a|b|c|d|e|1|" + b"k=" * 100_000,
        b"LEEF:2.0|a|b|c|d|^|" + b"^" * 200_000,
        b'<14>1 2024-03-12T08:15:42Z h a - - [x a="' + b"\\" * 100_000,
        b"<14>1 2024-03-12T08:15:42Z h a - - " + b"[x]" * 50_000,
    ],
    ids=lambda raw: raw[:12].decode(errors="replace"),
)
def test_pathological_inputs_are_fast(raw: bytes) -> None:
    big = ParseOptions(received_at=OPTS.received_at, max_record_bytes=1 << 20)
    for parser in PARSERS.values():
        started = time.monotonic()
        with contextlib.suppress(ParseError):
            parser(raw, big)
        assert time.monotonic() - started < 2.0
