"""Reads served from the appends held in memory give exactly what reads from the disk give."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.spool.api import Record
from vigile.spool.local import Spool
from vigile.spool.segments import locate, segment_path

OpenSpool = Callable[..., Spool]


def _records(records: list[Record]) -> list[tuple[int, str, bytes]]:
    return [(r.offset, r.tenant_id, r.data) for r in records]


def test_a_reader_that_keeps_up_reads_from_memory(open_spool: OpenSpool) -> None:
    spool = open_spool()
    assert spool.read("g", 10).records == []  # the reader exists: appends are held
    spool.append_batch("t", [b"a", b"b", b"c"])
    spool.append_batch("u", [b"d"])
    batch = spool.read("g", 10)
    assert _records(batch.records) == [
        (0, "t", b"a"),
        (1, "t", b"b"),
        (2, "t", b"c"),
        (3, "u", b"d"),
    ]
    assert spool.stats().read_from_memory == 4
    spool.commit("g", batch.next_offset)
    spool.append_batch("t", [b"e"])
    assert _records(spool.read("g", 10).records) == [(4, "t", b"e")]
    assert spool.stats().read_from_memory == 5


def test_without_a_bound_every_read_goes_to_the_disk(open_spool: OpenSpool) -> None:
    spool = open_spool(tail_bytes=0)
    spool.read("g", 10)
    spool.append_batch("t", [b"a", b"b"])
    assert len(spool.read("g", 10).records) == 2
    assert spool.stats().read_from_memory == 0


def test_past_the_bound_appends_are_left_to_the_disk(open_spool: OpenSpool) -> None:
    # Each append of 3 x 1,000 bytes takes ~3 KiB of frames: the bound holds two.
    spool = open_spool(tail_bytes=7000, segment_bytes=1 << 20)
    spool.read("g", 1)
    for i in range(5):
        spool.append_batch("t", [bytes([65 + i]) * 1000] * 3)
    assert spool.stats().lag == 15
    got = spool.read("g", 100)
    assert [r.offset for r in got.records] == list(range(15))
    assert [r.data[:1] for r in got.records] == [bytes([65 + i // 3]) for i in range(15)]
    assert spool.stats().read_from_memory == 6  # the first two appends; the rest: the disk
    spool.commit("g", got.next_offset)  # releases them: the next appends are held again
    spool.append_batch("t", [b"F" * 1000])
    assert _records(spool.read("g", 100).records) == [(15, "t", b"F" * 1000)]
    assert spool.stats().read_from_memory == 7


_append = st.tuples(
    st.just("append"),
    st.sampled_from(["t", "tenant-2", "é"]),
    st.lists(st.binary(min_size=0, max_size=900), min_size=1, max_size=6),
)
_read = st.tuples(st.just("read"), st.integers(1, 9), st.booleans())
_reopen = st.tuples(st.just("reopen"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_append, _read, _reopen), min_size=1, max_size=40), st.integers(0, 6000))
def test_held_and_disk_reads_agree(steps: list[tuple[Any, ...]], bound: int) -> None:
    """Random appends, reads of random sizes (committed or not) and reopenings, on a spool
    holding appends up to a small bound (so that reads mix memory, gaps and the disk, across
    segment rotations) and on one reading only the disk: the same records, in the same
    batches."""
    with tempfile.TemporaryDirectory() as held_dir, tempfile.TemporaryDirectory() as disk_dir:
        dirs = {"held": (Path(held_dir), bound), "disk": (Path(disk_dir), 0)}
        spools = {
            name: Spool(d, segment_bytes=4096, max_bytes=1 << 24, tail_bytes=b)
            for name, (d, b) in dirs.items()
        }
        try:
            for spool in spools.values():
                spool.read("g", 1)  # a reader from the start (commits nothing)
            for step in steps:
                if step[0] == "append":
                    _, tenant, records = step
                    offsets = {n: s.append_batch(tenant, records) for n, s in spools.items()}
                    assert offsets["held"] == offsets["disk"]
                elif step[0] == "read":
                    _, size, commit = step
                    batches = {n: s.read("g", size) for n, s in spools.items()}
                    assert _records(batches["held"].records) == _records(batches["disk"].records)
                    assert batches["held"].next_offset == batches["disk"].next_offset
                    if commit:
                        for name, spool in spools.items():
                            spool.commit("g", batches[name].next_offset)
                else:  # a restart: nothing held, uncommitted records read again from disk
                    for name, (d, b) in dirs.items():
                        spools[name].close()
                        spools[name] = Spool(d, segment_bytes=4096, max_bytes=1 << 24, tail_bytes=b)
            rest = {n: s.read("g", 10_000) for n, s in spools.items()}
            assert _records(rest["held"].records) == _records(rest["disk"].records)
            assert spools["disk"].stats().read_from_memory == 0
        finally:
            for spool in spools.values():
                spool.close()


def test_a_gap_is_read_from_the_disk_and_what_follows_from_memory(
    open_spool: OpenSpool,
) -> None:
    spool = open_spool(tail_bytes=7000, segment_bytes=1 << 20)
    spool.read("g", 1)
    spool.append_batch("t", [b"A" * 1000] * 3)
    spool.append_batch("t", [b"B" * 1000] * 3)
    first = spool.read("g", 6)  # both held appends, not committed yet
    spool.append_batch("t", [b"C" * 1000] * 3)  # does not fit: left to the disk
    spool.commit("g", first.next_offset)  # releases A and B
    spool.append_batch("t", [b"D" * 1000] * 3)  # held
    assert spool.stats().read_from_memory == 6
    got = spool.read("g", 100)
    assert [(r.offset, r.data[:1]) for r in got.records] == [
        (6, b"C"),
        (7, b"C"),
        (8, b"C"),
        (9, b"D"),
        (10, b"D"),
        (11, b"D"),
    ]
    assert spool.stats().read_from_memory == 9  # C from the disk, D from memory


def test_a_read_stopping_inside_a_held_append_leaves_the_file_position(
    open_spool: OpenSpool,
) -> None:
    """Where a later disk read would resume: the position of the next record's frame."""
    spool = open_spool(segment_bytes=1 << 20)
    spool.read("g", 1)
    spool.append_batch("tenant-é", [b"x" * n for n in (0, 5, 300, 7, 1000)])
    for size in (1, 2, 1):
        spool.read("g", size)
        cursor = spool._cursors["g"]
        path = segment_path(spool.dir, cursor.base)
        assert cursor.pos == locate(path, cursor.base, cursor.offset)
