"""Child process for the crash tests: appends (or consumes) until killed, printing each ack.

``python -m tests.spool.writer_proc write DIR RUN`` appends from two threads and prints
``first count run thread seq`` after each acknowledged batch; ``consume DIR`` reads, commits
and prints ``committed OFFSET`` after each durable commit.
"""

from __future__ import annotations

import sys
import threading

from vigile.spool.local import Spool


def payload(run: int, thread: int, seq: int, i: int) -> bytes:
    """Deterministic record content, so the parent can check every acknowledged byte."""
    return f"{run}-{thread}-{seq}-{i}-".encode() + b"x" * ((seq * 7 + i) % 300)


def write(directory: str, run: int) -> None:
    spool = Spool(directory, segment_bytes=16 * 1024, max_bytes=1 << 30)
    out = threading.Lock()

    def worker(thread: int) -> None:
        seq = 0
        while True:
            n = 1 + seq % 40
            offsets = spool.append_batch(
                f"tenant-{thread}", [payload(run, thread, seq, i) for i in range(n)]
            )
            with out:
                sys.stdout.write(f"{offsets[0]} {n} {run} {thread} {seq}\n")
                sys.stdout.flush()
            seq += 1

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def consume(directory: str) -> None:
    spool = Spool(directory, segment_bytes=16 * 1024, max_bytes=1 << 30)
    while True:
        batch = spool.read("detect", 17, timeout=1.0)
        if batch.records:
            spool.commit("detect", batch.next_offset)
            sys.stdout.write(f"committed {batch.next_offset}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]))
    else:
        consume(sys.argv[2])
