"""Benchmark of the embedded spool with fsync on: appends/s and records/s.

For batch sizes 1, 100 and 1000 and 1 or 4 appending threads, appends 200-byte records for
``--seconds`` per case into a fresh spool and prints the acknowledged rates, the number of
fsync rounds per append (below 1 means group commit shares rounds between threads), and the
read-back rate of one consumer.

Usage: ``python bench/spool.py [--seconds S] [--dir PATH]`` (``--dir`` picks the disk).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from vigile.spool.local import Spool  # noqa: E402

RECORD = b"<134>1 2024-05-01T12:00:00Z host app 1 - - " + b"x" * 156


def run_case(directory: Path, batch: int, threads: int, seconds: float) -> dict[str, float]:
    """One case: appenders for ``seconds``, then a full read-back."""
    spool = Spool(directory, segment_bytes=64 * 1024 * 1024, max_bytes=1 << 36, fsync=True)
    records = [RECORD] * batch
    stop = time.monotonic() + seconds
    counts = [0] * threads

    def work(t: int) -> None:
        n = 0
        while time.monotonic() < stop:
            spool.append_batch(f"tenant-{t}", records)
            n += 1
        counts[t] = n

    started = time.monotonic()
    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    elapsed = time.monotonic() - started
    stats = spool.stats()
    read_start = time.monotonic()
    read = 0
    while batch_ := spool.read("bench", 5000).records:
        read += len(batch_)
    read_elapsed = time.monotonic() - read_start
    spool.close()
    appends = sum(counts)
    return {
        "appends/s": appends / elapsed,
        "records/s": appends * batch / elapsed,
        "fsync/append": stats.sync_rounds / max(appends, 1),
        "read rec/s": read / read_elapsed if read_elapsed else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    print(f"record {len(RECORD)} bytes, fsync on, {args.seconds:g} s per case")
    print(
        f"{'batch':>6} {'threads':>7} {'appends/s':>11} {'records/s':>11} "
        f"{'fsync/append':>12} {'read rec/s':>11}"
    )
    for batch in (1, 100, 1000):
        for threads in (1, 4):
            tmp = Path(tempfile.mkdtemp(prefix="vigile-spool-bench-", dir=args.dir))
            try:
                r = run_case(tmp, batch, threads, args.seconds)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            print(
                f"{batch:>6} {threads:>7} {r['appends/s']:>11,.0f} {r['records/s']:>11,.0f} "
                f"{r['fsync/append']:>12.2f} {r['read rec/s']:>11,.0f}"
            )


if __name__ == "__main__":
    main()
