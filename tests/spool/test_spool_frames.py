"""Frame layouts: records written with a digest (before ``NO_DIGEST``) and without one."""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.spool.helpers import read_all
from vigile.spool import frames
from vigile.spool.api import record_id
from vigile.spool.local import Spool
from vigile.spool.segments import scan, segment_path


def _old_frame(offset: int, tenant: str, data: bytes) -> bytes:
    """A frame as appends wrote it before ``NO_DIGEST``: flags 0 and the record's SHA-256."""
    digest = hashlib.sha256(tenant.encode() + b"\x00" + data).digest()
    return frames.encode(offset, tenant.encode(), data, digest)


OLD = [(b"old-%d-" % i) * (i % 7) for i in range(40)]


def _old_spool(directory: Path) -> None:
    directory.mkdir()
    path = segment_path(directory, 0)
    path.write_bytes(b"".join(_old_frame(i, "acme", data) for i, data in enumerate(OLD)))


def test_old_frames_are_read_and_appends_continue_after_them(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    _old_spool(directory)
    with Spool(directory, segment_bytes=1 << 20) as spool:
        assert spool.recovery.problems == []
        assert spool.append_batch("globex", [b"new-1", b"new-2"]) == [40, 41]
        records = read_all(spool)
    assert [r.data for r in records] == [*OLD, b"new-1", b"new-2"]
    assert [r.tenant_id for r in records] == ["acme"] * 40 + ["globex"] * 2
    assert [r.id for r in records] == [record_id(r.tenant_id, r.data) for r in records]
    # The new frames hold no digest: 32 bytes fewer each than the old layout.
    size = segment_path(directory, 0).stat().st_size
    old = sum(len(_old_frame(0, "acme", d)) for d in OLD)
    assert size - old == 2 * (frames.BASE_SIZE + len(b"globex") + 5)


def test_record_id_is_the_content_hash_of_tenant_and_data(tmp_path: Path) -> None:
    with Spool(tmp_path / "s", segment_bytes=4096) as spool:
        spool.append_batch("acme", [b"x"])
        (record,) = read_all(spool)
    expected = hashlib.sha256(b"acme\x00x").hexdigest()
    assert record.id == record_id("acme", b"x") == expected


@pytest.mark.parametrize("digest", [None, bytes(range(32))])
def test_decode_and_decode_run_agree_on_both_layouts(digest: bytes | None) -> None:
    buf = b"".join(frames.encode(7 + i, b"t", b"d%d" % i, digest) for i in range(3))
    run, end = frames.decode_run(buf, 0, 7, 100)
    assert run == [(7 + i, b"t", b"d%d" % i) for i in range(3)] and end == len(buf)
    first = frames.decode(buf, 0, 7)
    assert (first.tenant, first.digest, first.data) == ("t", digest, b"d0")
    assert frames.frame_size(buf, 0) == first.end
    with pytest.raises(frames.Incomplete):
        frames.decode(buf[: first.end - 1], 0, 7)
    assert frames.decode_run(buf[: first.end - 1], 0, 7, 100) == ([], 0)


def _with_flags(frame: bytes, flags: int) -> bytes:
    """``frame`` with other flags and a checksum that matches them."""
    raw = bytearray(frame)
    raw[1] = flags
    raw[8:12] = zlib.crc32(raw[12:], zlib.crc32(raw[:8])).to_bytes(4, "little")
    return bytes(raw)


@pytest.mark.parametrize("flags", [0x02, 0x03, 0x80])
def test_unknown_flags_are_bad_frames(tmp_path: Path, flags: int) -> None:
    good = frames.encode(0, b"t", b"data")
    bad = _with_flags(frames.encode(1, b"t", b"more"), flags)
    assert frames.decode(_with_flags(bad, frames.NO_DIGEST), 0, 1).data == b"more"
    with pytest.raises(frames.BadFrame):
        frames.decode(bytes(bad), 0, 1)
    with pytest.raises(frames.BadFrame):
        frames.decode_run(bytes(bad), 0, 1, 2)
    path = tmp_path / "0.seg"
    path.write_bytes(good + bytes(bad))
    result = scan(path, 0)
    assert (result.count, result.end) == (1, len(good)) and result.problem


def test_a_flipped_flag_fails_the_checksum(tmp_path: Path) -> None:
    """Turning a digest-less frame into one that claims a digest (or back) never passes."""
    for digest in (None, bytes(32)):
        raw = bytearray(frames.encode(0, b"tenant", b"x" * 64, digest))
        raw[1] ^= frames.NO_DIGEST
        with pytest.raises((frames.BadFrame, frames.Incomplete)):
            frames.decode(bytes(raw), 0, 0)
        path = tmp_path / "f.seg"
        path.write_bytes(bytes(raw))
        assert scan(path, 0).count == 0
        os.remove(path)


@settings(max_examples=200, deadline=None)
@given(
    first=st.integers(0, 2**63 - 1000),
    tenant=st.binary(min_size=1, max_size=255),
    records=st.lists(st.binary(max_size=300), max_size=20),
)
def test_encode_batch_is_encode_parts_of_each_record(
    first: int, tenant: bytes, records: list[bytes]
) -> None:
    expected = [
        part for i, r in enumerate(records) for part in frames.encode_parts(first + i, tenant, r)
    ]
    assert frames.encode_batch(first, tenant, records) == expected
