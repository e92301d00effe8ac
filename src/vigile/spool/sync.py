"""Group commit: many appenders, one ``fsync`` per round.

An appender that needs its records durable either finds them already covered by a finished
round, or waits for the round in progress, or — when none is running — leads the next one.
The leader snapshots everything written so far, fsyncs it, and wakes every waiter whose
records that snapshot covers: N threads appending at once share about one fsync instead of
paying N. A failed fsync poisons the spool: after the kernel reports a write-back error the
page cache may have dropped the dirty pages, so retrying would "succeed" without the data
(the PostgreSQL "fsyncgate" lesson); the owner must reopen and recover from disk.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Pending:
    """What one round must make durable: written-up-to offset, files, directory flag."""

    upto: int
    fds: list[int]
    close_after: list[int] = field(default_factory=list)
    sync_dir: bool = False


class GroupSync:
    """Leader-based group commit over a caller-provided snapshot of pending writes."""

    def __init__(self, snapshot: Callable[[], Pending], dir_fd_sync: Callable[[], None]) -> None:
        self._snapshot = snapshot
        self._dir_sync = dir_fd_sync
        self.cond = threading.Condition()
        self.durable = 0  # every record below this offset is durable
        self.rounds = 0
        self._leading = False
        self.error: OSError | None = None

    def wait_durable(self, upto: int) -> None:
        """Return once records below ``upto`` are durable; raise the poisoning error if any."""
        with self.cond:
            while True:
                if self.error is not None:
                    raise self.error
                if self.durable >= upto:
                    return
                if not self._leading:
                    self._leading = True
                    break
                self.cond.wait()
        self._lead()
        with self.cond:
            if self.error is not None:
                raise self.error
        if self.durable < upto:  # cannot happen: the snapshot was taken after our write
            self.wait_durable(upto)

    def _lead(self) -> None:
        error: OSError | None = None
        pending = self._snapshot()
        try:
            for fd in pending.fds:
                os.fsync(fd)
            if pending.sync_dir:
                self._dir_sync()
        except OSError as exc:
            error = exc
        finally:
            for fd in pending.close_after:
                os.close(fd)
            with self.cond:
                self._leading = False
                self.rounds += 1
                if error is not None:
                    self.error = error
                else:
                    self.durable = max(self.durable, pending.upto)
                self.cond.notify_all()

    def mark_written(self, upto: int) -> None:
        """Without fsync: written is as durable as it gets; wake readers."""
        with self.cond:
            self.durable = max(self.durable, upto)
            self.cond.notify_all()

    def idle(self) -> None:
        """Wait until no round is running (before closing files)."""
        with self.cond:
            while self._leading:
                self.cond.wait()
