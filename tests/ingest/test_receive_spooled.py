"""The spooled layouts of an admitted record: the binary header written now, the JSON header
written before it (a spool filled before an upgrade holds such records), both read back."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigile.events.store import content_hash
from vigile.ingest import envelope
from vigile.ingest.envelope import BINARY, MAGIC, Envelope, Spooled

CHECK = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
NOW = datetime(2026, 11, 26, 9, 30, 1, 250, tzinfo=UTC)
TEXT = st.text(max_size=40)
TIMES = st.datetimes(
    min_value=datetime(1990, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=10,
)
SPOOLED = st.builds(
    Spooled,
    id=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64) | TEXT,
    receiver=st.sampled_from(["bulk", "hec", "syslog", "native", "file"]) | TEXT,
    received_at=TIMES,
    source_type=st.sampled_from(["evtx", "json", "syslog"]) | TEXT,
    raw=st.binary(max_size=200),
    max_record_bytes=st.integers(0, 2**32 - 1),
    time=st.none() | TIMES,
    host=st.none() | TEXT,
    extra=st.none() | st.dictionaries(TEXT, JSONISH, min_size=1, max_size=3),
)


@CHECK
@given(record=SPOOLED)
def test_binary_and_json_headers_decode_to_the_same_record(record: Spooled) -> None:
    binary, old = record.encode(), record.encode_json()
    assert binary.startswith(MAGIC) and binary.endswith(record.raw)
    assert int.from_bytes(binary[3:7], "little") & BINARY
    assert not int.from_bytes(old[3:7], "little") & BINARY
    assert Spooled.decode(binary) == record
    assert Spooled.decode(old) == record


def test_a_batch_shares_its_header_block_and_records_stay_apart() -> None:
    records = [Spooled(f"{i:064x}", "bulk", NOW, "evtx", b'{"n":%d}' % i, 262144) for i in range(3)]
    encoded = [r.encode() for r in records]
    assert [Spooled.decode(e) for e in encoded] == records
    # The receive time is written once per batch (cached) and read back as one object.
    assert len({id(Spooled.decode(e).received_at) for e in encoded}) == 1


def test_transport_fields_survive_both_headers_and_apply_when_parsed() -> None:
    when = datetime(2026, 11, 20, 8, tzinfo=UTC)
    record = Spooled(
        "a" * 64, "hec", NOW, "json", b'{"user": "bob"}', 1024, when, "edge-1", {"x": 1}
    )
    for data in (record.encode(), record.encode_json()):
        env = Envelope.decode(data)
        assert (env.id, env.receiver, env.received_at) == ("a" * 64, "hec", NOW)
        assert env.event.timestamp == when and env.event.host == "edge-1"
        assert env.event.fields == {"x": 1, "user": "bob"}


def _cut_and_flipped(data: bytes) -> list[bytes]:
    out = [data[:n] for n in range(len(data) - 4)]
    for i in range(3, min(len(data), 120)):
        for bit in (0x01, 0x80):
            raw = bytearray(data)
            raw[i] ^= bit
            out.append(bytes(raw))
    return out


@pytest.mark.parametrize("host", [None, "edge-1"])
def test_damaged_records_raise_only_the_errors_the_pipeline_expects(host: Any) -> None:
    record = Spooled("b" * 64, "syslog", NOW, "syslog", b"<13>hello", 2048, None, host)
    for data in _cut_and_flipped(record.encode()):
        with contextlib.suppress(ValueError, KeyError, TypeError):
            Spooled.decode(data)


def test_header_out_of_bounds_is_refused() -> None:
    data = bytearray(Spooled("c" * 64, "bulk", NOW, "json", b"{}", 10).encode())
    data[3:7] = (BINARY | 10_000).to_bytes(4, "little")
    with pytest.raises(ValueError, match="out of bounds"):
        Spooled.decode(bytes(data))
    for block in (b"\x00\x00\x00\x00\x05\x00ab", b"\x00", b"\x00" * 5):
        with pytest.raises(ValueError):
            envelope._read_common(block)


UTF8_EDGES = [b"caf\xc3\xa9", b"\xed\xa0\x80", b"\xf0\x9f\x98\x80", b"\xc3", b"\xff", b"\xe2\x82"]


@CHECK
@given(
    parts=st.lists(
        st.binary(max_size=8) | st.text(max_size=8).map(str.encode) | st.sampled_from(UTF8_EDGES),
        max_size=8,
    )
)
def test_event_id_is_the_hash_of_the_kept_text(parts: list[bytes]) -> None:
    """The shortcuts (ASCII, valid UTF-8: hash the bytes) give the id of the text kept."""
    raw = b"".join(parts)
    assert envelope.event_id(raw) == content_hash(envelope.raw_text(raw))
