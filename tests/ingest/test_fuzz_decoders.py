"""Fuzzing the receivers' body decoders (HEC ``/event`` and ``/raw``, Elasticsearch ``_bulk``):
whatever the body, they return quickly — HEC decoders never raise (a bad object becomes a
problem with its HEC code), ``_bulk`` raises only :class:`BulkFormatError` (answered 400) — and
what they return is what a receiver can spool: each record's raw bytes, a usable time."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingest.conftest import spooled, token_of
from tests.web.conftest import World
from vigile.ingest import bulk, hec
from vigile.ingest.intake import Incoming

FUZZ = settings(
    max_examples=300, deadline=timedelta(seconds=2), suppress_health_check=list(HealthCheck)
)

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),  # beyond 64 bits too
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_hec_object = st.fixed_dictionaries(
    {},
    optional={
        "event": _json,
        "time": _json,
        "host": _json,
        "sourcetype": st.one_of(st.sampled_from(["_json", "evtx", "syslog", "cef"]), _json),
        "index": _json,
        "fields": _json,
        "source": _json,
    },
)
_pieces = st.one_of(
    _hec_object.map(lambda o: _dumps(o)),
    _json.map(lambda o: _dumps(o)),
    st.binary(max_size=30),
    st.sampled_from([b"{", b"}", b"[", b"]", b'"', b"\\", b"\n", b"NaN", b"1e999", b"\xff"]),
    st.just(b"[" * 2000 + b"]" * 2000),  # deep nesting
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()  # the stdlib writes NaN, Infinity and big integers


def _check_incoming(item: Incoming) -> None:
    assert isinstance(item.raw, bytes)
    assert item.time is None or item.time.utcoffset() == timedelta(0)
    orjson.dumps(item.extra, default=str)


@FUZZ
@given(body=st.lists(_pieces, max_size=6).map(b"".join))
def test_hec_event_decoder_never_raises(body: bytes) -> None:
    started = time.monotonic()
    batch = hec.decode_events(body, None)
    assert time.monotonic() - started < 2.0
    assert len(batch.items) >= len(batch.problems)
    for position, item in enumerate(batch.items):
        if item is None:
            assert position in batch.problems and isinstance(batch.raws[position], bytes)
        else:
            _check_incoming(item)


def test_hec_decoder_keeps_lone_surrogates_as_escapes() -> None:
    body = (
        b'{"event": "a\\ud800b", "host": "h\\udfff", "index": "i\\ud800",'
        b' "fields": {"k\\ud800": "v\\udc00", "n": 123456789012345678901234}}'
        b'{"event": {"x\\ud800": [1e999, -123456789012345678901234]}}'
    )
    batch = hec.decode_events(body, None)
    assert not batch.problems and len(batch.items) == 2
    first, second = batch.items
    assert first is not None and second is not None
    assert first.raw == b"a\\ud800b" and first.host == "h\\udfff"
    assert batch.indexes == {"i\\ud800"}
    assert first.extra["k\\ud800"] == '"v\\udc00"'
    assert first.extra["n"] == "123456789012345678901234"
    for item in (first, second):
        _check_incoming(item)
    assert b"123456789012345678901234" in second.raw


@FUZZ
@given(body=st.lists(_pieces, max_size=6).map(b"\n".join))
def test_hec_raw_decoder_never_raises(body: bytes) -> None:
    for item in hec.decode_raw(body, None, None):
        _check_incoming(item)


_actions = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "index": st.fixed_dictionaries({}, optional={"_index": _json, "_id": _json}),
            "create": st.fixed_dictionaries({}, optional={"_index": _json, "_id": _json}),
            "delete": st.fixed_dictionaries({}, optional={"_id": _json}),
            "update": _json,
        },
    ),
    _json,
)


@FUZZ
@given(
    lines=st.lists(
        st.one_of(_actions.map(_dumps), _json.map(_dumps), st.binary(max_size=20)), max_size=8
    )
)
def test_bulk_decoder_raises_only_format_errors(lines: list[bytes]) -> None:
    body = b"\n".join(lines)
    started = time.monotonic()
    try:
        request = bulk.decode(body, "logs", None)
    except bulk.BulkFormatError as exc:
        assert str(exc)
        return
    finally:
        assert time.monotonic() - started < 2.0
    for item in request.items:
        assert item.error is not None or item.record is not None
        if item.record is not None:
            _check_incoming(item.record)


def test_hec_receiver_spools_what_orjson_cannot_write(
    lite_client: TestClient, lite_world: World
) -> None:
    """Through the real route: values the stdlib decoder accepts but orjson cannot write are
    spooled (or quarantined with a reason), never a 500."""
    body = (
        b'{"event": {"CommandLine": "a\\ud800b", "n": 123456789012345678901234}, "host": "h",'
        b' "fields": {"k": 123456789012345678901234}}'
        b'{"event": "plain \\udfff text"}'
        b"123456789012345678901234"
    )
    headers = {"Authorization": f"Splunk {token_of(lite_world, 'ingest-alpha')}"}
    response = lite_client.post("/services/collector/event", content=body, headers=headers)
    # Rejected with a reason each (the lone surrogate cannot be stored as JSON; a bare
    # number is not an event), the valid event of the same request kept.
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["accepted"] == 1
    assert {r["event"] for r in answer["rejected"]} == {0, 2}
    assert all(r["reason"] for r in answer["rejected"])
    envelopes = [env for _, env in spooled(lite_client)]
    assert [env.event.raw for env in envelopes] == [b"plain \\udfff text"]


@FUZZ
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    b'{"create":{}}',
                    b'{"index":{"_index":"a","_id":7}}',
                    b'{"create":{"source_type":"json","_index":3}}',
                    b'{"index":{"_id":null,"source_type":5}}',
                    b'{"delete":{"_id":"x"}}',
                ]
            ),
            st.sampled_from([b'{"a":1}', b"not json", b'{"b":"\\u00e9"}']),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_bulk_repeated_action_lines_read_as_each_alone(pairs: list[tuple[bytes, bytes]]) -> None:
    """Action lines read once per request (repeated ones shared) give each item what
    decoding its pair in a request of its own gives."""
    chunks = [
        action + b"\n" + (b"" if b"delete" in action else doc + b"\n") for action, doc in pairs
    ]
    together = bulk.decode(b"".join(chunks), "logs", "syslog").items
    alone = [item for chunk in chunks for item in bulk.decode(chunk, "logs", "syslog").items]
    assert together == alone
