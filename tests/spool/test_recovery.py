"""Crash recovery: torn and corrupt tails are cut, acknowledged records all come back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.spool.helpers import read_all
from tests.spool.writer_proc import payload
from vigile.spool.local import Spool

ROOT = Path(__file__).resolve().parents[2]
DATA = [b"rec-%03d-" % i + b"#" * (i * 37 % 200) for i in range(60)]


def _segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.seg"))


def _fill(directory: Path) -> None:
    with Spool(directory, segment_bytes=4096, fsync=False) as spool:
        for i in range(0, len(DATA), 6):
            spool.append_batch("t", DATA[i : i + 6])


def _check_prefix(directory: Path) -> int:
    """Reopen: what survives is an exact prefix of DATA, and appending continues after it."""
    with Spool(directory, segment_bytes=4096) as spool:
        records = read_all(spool)
        assert [r.data for r in records] == DATA[: len(records)]
        assert [r.offset for r in records] == list(range(len(records)))
        assert spool.append_batch("t", [b"after"]) == [len(records)]
    with Spool(directory, segment_bytes=4096) as spool:
        assert read_all(spool)[-1].data == b"after"
    return len(records)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.floats(0.0, 1.0))
def test_torn_tail_at_any_byte(tmp_path_factory, cut: float) -> None:
    directory = tmp_path_factory.mktemp("torn")
    _fill(directory)
    last = _segments(directory)[-1]
    size = last.stat().st_size
    os.truncate(last, int(size * cut))
    kept = _check_prefix(directory)
    base = int(last.name.removesuffix(".seg"))
    assert kept >= base  # earlier segments are untouched


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tail=st.binary(min_size=1, max_size=300), zeros=st.booleans())
def test_garbage_or_zero_filled_tail(tmp_path_factory, tail: bytes, zeros: bool) -> None:
    directory = tmp_path_factory.mktemp("garbage")
    _fill(directory)
    last = _segments(directory)[-1]
    with last.open("ab") as f:
        f.write(bytes(len(tail)) if zeros else tail)
    assert _check_prefix(directory) == len(DATA)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(where=st.floats(0.0, 1.0), flip=st.integers(1, 255))
def test_flipped_byte_cuts_the_log_there(tmp_path_factory, where: float, flip: int) -> None:
    directory = tmp_path_factory.mktemp("flip")
    _fill(directory)
    segments = _segments(directory)
    target = segments[int(where * (len(segments) - 1))]
    raw = bytearray(target.read_bytes())
    raw[int(where * (len(raw) - 1))] ^= flip
    target.write_bytes(bytes(raw))
    with Spool(directory, segment_bytes=4096) as spool:
        assert spool.recovery.problems
    _check_prefix(directory)  # never garbage: a clean prefix


def _run_child(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.spool.writer_proc", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _kill_after(proc: subprocess.Popen[str], lines: int) -> list[str]:
    """Collect ``lines`` acknowledgements, then SIGKILL mid-stream, keeping what was printed."""
    assert proc.stdout is not None
    got = [proc.stdout.readline() for _ in range(lines)]
    os.kill(proc.pid, signal.SIGKILL)
    rest = proc.stdout.read()
    proc.wait()
    return [line for line in got + rest.splitlines() if line.strip()]


def test_kill_9_writer_loses_no_acknowledged_record(tmp_path: Path) -> None:
    acked: dict[int, bytes] = {}
    for run in range(3):  # kill, restart (recovering), write more, kill again …
        for line in _kill_after(_run_child(["write", str(tmp_path), str(run)]), 150 + 50 * run):
            first, n, run_s, thread, seq = map(int, line.split())
            for i in range(n):
                acked[first + i] = payload(run_s, thread, seq, i)
    with Spool(tmp_path, segment_bytes=16 * 1024) as spool:
        stored = {r.offset: r for r in read_all(spool)}
    assert sorted(stored) == list(range(len(stored)))  # contiguous, nothing corrupt
    for offset, data in acked.items():
        record = stored[offset]
        assert record.data == data
        assert record.tenant_id == f"tenant-{data.split(b'-')[1].decode()}"


def test_kill_9_consumer_resumes_from_its_commit(tmp_path: Path) -> None:
    with Spool(tmp_path, segment_bytes=16 * 1024) as spool:
        for i in range(100):
            spool.append_batch("t", [b"%d-%d" % (i, j) for j in range(20)])
    lines = _kill_after(_run_child(["consume", str(tmp_path)]), 30)
    last_commit = max(int(line.split()[1]) for line in lines)
    with Spool(tmp_path, segment_bytes=16 * 1024) as spool:
        committed = spool.committed("detect")
        assert committed is not None and committed >= last_commit
        rest = []
        while batch := spool.read("detect", 500).records:
            rest.extend(batch)
        assert [r.offset for r in rest] == list(range(committed, 2000))
