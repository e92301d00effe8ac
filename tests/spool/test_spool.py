"""Embedded spool: round trip, ordering, threads, consumers, retention, back-pressure."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.spool.helpers import read_all
from vigile.spool import sync
from vigile.spool.api import SpoolBackend, SpoolError, SpoolFull, record_id
from vigile.spool.local import Spool

OpenSpool = Callable[..., Spool]


def test_round_trip_keeps_order_tenant_and_content_ids(open_spool: OpenSpool) -> None:
    spool = open_spool()
    assert spool.append_batch("acme", [b"a", b"", b"c" * 5000]) == [0, 1, 2]
    assert spool.append_batch("globex", [b"d"]) == [3]
    records = read_all(spool)
    assert [r.offset for r in records] == [0, 1, 2, 3]
    assert [r.data for r in records] == [b"a", b"", b"c" * 5000, b"d"]
    assert [r.tenant_id for r in records] == ["acme"] * 3 + ["globex"]
    assert records[0].id == record_id("acme", b"a")
    assert record_id("acme", b"a") != record_id("globex", b"a")  # tenant is in the id


def test_is_a_spool_backend(open_spool: OpenSpool) -> None:
    backend: SpoolBackend = open_spool()
    assert backend.append_batch("t", []) == []


def test_read_batches_and_next_offset(open_spool: OpenSpool) -> None:
    spool = open_spool()
    spool.append_batch("t", [str(i).encode() for i in range(10)])
    first = spool.read("g", 4)
    assert [r.offset for r in first.records] == [0, 1, 2, 3] and first.next_offset == 4
    assert [r.offset for r in spool.read("g", 100).records] == list(range(4, 10))
    empty = spool.read("g", 100)
    assert empty.records == [] and empty.next_offset == 10


def test_concurrent_appenders_share_fsyncs(open_spool: OpenSpool) -> None:
    spool = open_spool(segment_bytes=64 * 1024, max_bytes=1 << 26)
    per_thread: dict[int, list[tuple[int, bytes]]] = {}

    def work(t: int) -> None:
        got = per_thread.setdefault(t, [])
        for seq in range(150):
            data = [f"{t}:{seq}:{i}".encode() for i in range(3)]
            got.extend(zip(spool.append_batch(f"t{t}", data), data, strict=True))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    stored = {r.offset: r.data for r in read_all(spool)}
    assert sorted(stored) == list(range(4 * 150 * 3))
    for got in per_thread.values():
        assert [o for o, _ in got] == sorted(o for o, _ in got)  # a thread's order is kept
        assert all(stored[o] == d for o, d in got)
    stats = spool.stats()
    assert stats.appends == 600
    assert stats.sync_rounds < stats.appends  # group commit: rounds are shared


def test_consumer_restart_redelivers_uncommitted(tmp_path: Path) -> None:
    with Spool(tmp_path, segment_bytes=4096) as spool:
        spool.append_batch("t", [b"%d" % i for i in range(50)])
        batch = spool.read("g", 20)
        spool.commit("g", batch.next_offset)
        spool.read("g", 20)  # read, never committed: must come back
    with Spool(tmp_path, segment_bytes=4096) as spool:
        assert spool.committed("g") == 20
        assert [r.offset for r in read_all(spool)] == list(range(20, 50))


def test_groups_are_independent(open_spool: OpenSpool) -> None:
    spool = open_spool()
    spool.append_batch("t", [b"x", b"y"])
    spool.commit("a", spool.read("a", 10).next_offset)
    assert [r.data for r in read_all(spool, "b")] == [b"x", b"y"]


def test_commit_validation(open_spool: OpenSpool) -> None:
    spool = open_spool()
    spool.append_batch("t", [b"x"])
    with pytest.raises(ValueError, match="durable end"):
        spool.commit("g", 2)
    spool.commit("g", 1)
    with pytest.raises(ValueError, match="before"):
        spool.commit("g", 0)
    with pytest.raises(ValueError, match="group name"):
        spool.read("../etc", 1)
    with pytest.raises(ValueError, match="tenant"):
        spool.append_batch("", [b"x"])


def test_commit_ahead_moves_the_cursor(open_spool: OpenSpool) -> None:
    spool = open_spool()
    spool.append_batch("t", [b"%d" % i for i in range(5)])
    spool.commit("g", 3)
    assert [r.offset for r in spool.read("g", 10).records] == [3, 4]


def test_retention_waits_for_every_group(tmp_path: Path, open_spool: OpenSpool) -> None:
    spool = open_spool(segment_bytes=4096)
    spool.read("a", 1)
    spool.read("b", 1)  # both groups exist from the start
    for _ in range(20):
        spool.append_batch("t", [b"z" * 1000] * 2)
    segments = lambda: sorted(p.name for p in (tmp_path / "spool").glob("*.seg"))  # noqa: E731
    before = segments()
    assert len(before) > 5
    spool.commit("a", spool.read("a", 1000).next_offset)
    assert segments() == before  # b still needs them
    spool.commit("b", 30)
    after = segments()
    assert len(after) < len(before)
    assert int(after[0].removesuffix(".seg")) <= 30  # the segment holding offset 30 is kept
    assert [r.offset for r in read_all(spool, "b")] == list(range(30, 40))
    spool.commit("b", 40)
    assert len(segments()) == 1  # the active segment always stays


def test_backpressure_on_bytes_then_recovers(open_spool: OpenSpool) -> None:
    spool = open_spool(segment_bytes=4096, max_bytes=16384)
    spool.read("g", 1)
    with pytest.raises(SpoolFull):
        for _ in range(100):
            spool.append_batch("t", [b"q" * 900])
    before = spool.stats().next_offset
    with pytest.raises(SpoolFull):
        spool.append_batch("t", [b"q" * 900])
    assert spool.stats().next_offset == before  # nothing written
    spool.commit("g", spool.read("g", 1000).next_offset)  # consumers catch up
    assert spool.append_batch("t", [b"q" * 900]) == [before]


def test_backpressure_on_lag(open_spool: OpenSpool) -> None:
    spool = open_spool(max_lag=10)
    spool.read("g", 1)
    spool.append_batch("t", [b"x"] * 10)
    with pytest.raises(SpoolFull, match="lag"):
        spool.append_batch("t", [b"x"])
    spool.commit("g", 5)
    assert spool.append_batch("t", [b"x"] * 5) == list(range(10, 15))


def test_blocking_read_wakes_on_append(open_spool: OpenSpool) -> None:
    spool = open_spool()
    timer = threading.Timer(0.05, lambda: spool.append_batch("t", [b"late"]))
    timer.start()
    started = time.monotonic()
    batch = spool.read("g", 10, timeout=5.0)
    assert [r.data for r in batch.records] == [b"late"]
    assert time.monotonic() - started < 2.0
    assert spool.read("g", 10, timeout=0.01).records == []


def test_one_process_per_directory(open_spool: OpenSpool, tmp_path: Path) -> None:
    open_spool()
    with pytest.raises(SpoolError, match="another process"):
        Spool(tmp_path / "spool")


def test_fsync_failure_poisons_until_reopen(
    open_spool: OpenSpool, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = open_spool()
    spool.append_batch("t", [b"ok"])

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sync.os, "fsync", broken)
    with pytest.raises(SpoolError, match="fsync"):
        spool.append_batch("t", [b"lost?"])
    monkeypatch.setattr(sync.os, "fsync", os.fsync)
    with pytest.raises(SpoolError, match="reopen"):
        spool.append_batch("t", [b"more"])


def test_offsets_survive_reopen_and_rotation(tmp_path: Path) -> None:
    for round_ in range(3):
        with Spool(tmp_path, segment_bytes=4096) as spool:
            offsets = spool.append_batch("t", [b"r%d" % round_ + b"." * 3000] * 3)
            assert offsets == [3 * round_, 3 * round_ + 1, 3 * round_ + 2]
    with Spool(tmp_path, segment_bytes=4096) as spool:
        assert len(read_all(spool)) == 9
