"""Event rows handed over through shared-memory files: exact round trip, nothing left behind
(after loading, on failure, at a pool's close, after a dead server), and the detection pool
really using them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.events.factory import make_event
from tests.ingest.test_analyse import RULE, batch
from vigile.detection.engine import ruleset_from_yaml
from vigile.events.store import EventRows
from vigile.ingest import shared_rows
from vigile.ingest.detect import Detector, analyse
from vigile.ingest.shared_rows import PREFIX, owner_prefix, share, sweep


def rows_of(*counts: int) -> EventRows:
    """Rows in as many Arrow batches as ``counts`` (each sealed apart), odd sizes."""
    rows = EventRows()
    n = 0
    for count in counts:
        part = EventRows.of([make_event(1, n + i, Note="x" * (i % 7)) for i in range(count)])
        n += count
        rows.extend(part)
    return rows


def test_rows_round_trip_and_the_file_goes_at_loading(tmp_path: Path) -> None:
    rows = rows_of(3, 17, 1)
    shared = share(rows, tmp_path, owner_prefix(os.getpid(), "t"))
    assert shared is not None
    path = Path(shared.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = shared.load()
    assert not path.exists()
    assert loaded.to_arrow().equals(rows.to_arrow())
    assert list(tmp_path.iterdir()) == []


def test_empty_rows_round_trip(tmp_path: Path) -> None:
    shared = share(EventRows(), tmp_path, "p-")
    assert shared is not None
    assert len(shared.load()) == 0
    assert list(tmp_path.iterdir()) == []


def test_no_directory_means_the_pipe(tmp_path: Path) -> None:
    assert share(rows_of(2), tmp_path / "missing", "p-") is None


def test_a_write_that_fails_leaves_no_file(tmp_path: Path) -> None:
    """A full tmpfs, played by a file-size limit in a child process (writes past it fail
    with EFBIG, as they would with ENOSPC)."""
    code = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "from tests.ingest.test_shared_rows import rows_of\n"
        "from vigile.ingest.shared_rows import share\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))\n"
        "print(share(rows_of(50), Path(sys.argv[1]), 'p-'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "None"
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_dead_servers_files_and_a_closing_pools_own(tmp_path: Path) -> None:
    dead_pid = _dead_pid()
    mine, other = owner_prefix(os.getpid(), "a"), owner_prefix(os.getpid(), "b")
    reused = f"{PREFIX}{os.getpid()}.1-x-1"  # this pid, but another process's start time
    left = (f"{PREFIX}{dead_pid}-x-1", f"{PREFIX}{dead_pid}.5-x-1", reused)
    for name in (*left, f"{mine}1", f"{other}1", "unrelated", f"{PREFIX}junk.x-1"):
        (tmp_path / name).write_bytes(b"rows")
    assert sweep(tmp_path) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{mine}1", f"{other}1", "unrelated", f"{PREFIX}junk.x-1"]
    )
    assert sweep(tmp_path, own=mine) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{other}1", "unrelated", f"{PREFIX}junk.x-1"]
    )


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    return int(ended.stdout)


def test_a_new_pool_removes_the_files_of_a_server_killed_meanwhile() -> None:
    directory = shared_rows.default_directory()
    assert directory is not None
    left = directory / f"{owner_prefix(_dead_pid(), 'k')}1"
    left.write_bytes(b"rows of a server killed before it mapped them")
    detector = Detector(ruleset_from_yaml([RULE]), processes=2)
    try:
        assert not left.exists()  # at its start, not only at its close
    finally:
        detector.close()


def _pool_files(detector: Detector) -> list[Path]:
    assert detector._shared is not None
    directory, prefix = detector._shared
    return sorted(directory.glob(f"{prefix}*"))


def _wait_for_files(detector: Detector, count: int) -> list[Path]:
    deadline = time.monotonic() + 60
    while len(found := _pool_files(detector)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_the_pool_hands_rows_over_shared_memory_and_removes_them() -> None:
    assert shared_rows.default_directory() is not None  # /dev/shm on this kind of machine
    ruleset = ruleset_from_yaml([RULE])
    records = batch()
    detector = Detector(ruleset, processes=2)
    try:
        result = detector.submit(records)
        assert len(_wait_for_files(detector, 2)) == 2  # one file per process's chunk
        got = result()
        assert _pool_files(detector) == []
    finally:
        detector.close()
    assert got.rows.to_arrow().equals(analyse(ruleset, records).rows.to_arrow())


def test_closing_the_pool_removes_rows_never_collected() -> None:
    detector = Detector(ruleset_from_yaml([RULE]), processes=2)
    try:
        detector.submit(batch())  # the result is never asked for
        files = _wait_for_files(detector, 2)
        assert len(files) == 2
    finally:
        detector.close()
    assert not any(path.exists() for path in files)


def test_without_shared_memory_the_rows_go_through_the_pipe() -> None:
    ruleset = ruleset_from_yaml([RULE])
    records = batch()
    detector = Detector(ruleset, processes=2, shared=False)
    try:
        assert detector._shared is None
        got = detector.submit(records)()
    finally:
        detector.close()
    assert got.rows.to_arrow().equals(analyse(ruleset, records).rows.to_arrow())
