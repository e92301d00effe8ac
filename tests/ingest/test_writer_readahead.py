"""The worker's read-ahead: batches analysed ahead of the one being written, in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from vigile.events.store import EventRows
from vigile.ingest.detect import Matched
from vigile.ingest.worker import GROUP, READ_AHEAD, Worker
from vigile.spool.api import Batch, Record


class _Spool:
    """An in-memory spool: ``durable`` records readable, a read cursor, commits noted."""

    def __init__(self, durable: int) -> None:
        self.durable, self.offset, self.commits = durable, 0, list[int]()

    def read(self, group: str, max_records: int, timeout: float = 0.0) -> Batch:
        assert group == GROUP
        stop = min(self.durable, self.offset + max_records)
        records = [Record(i, "1", b"%d" % i) for i in range(self.offset, stop)]
        self.offset = stop
        return Batch(records, stop)

    def commit(self, group: str, offset: int) -> None:
        self.commits.append(offset)


class _Detector:
    """Analyses nothing (no events, no hits) and notes what was submitted, in order."""

    processes = 2
    ruleset: Any = type("Rules", (), {"rules": []})()

    def __init__(self) -> None:
        self.submitted: list[list[bytes]] = []
        self.waited: list[list[bytes]] = []

    def submit(self, records: Sequence[tuple[int, bytes]]) -> Callable[[], Matched]:
        data = [d for _, d in records]
        self.submitted.append(data)
        return lambda: self.waited.append(data) or Matched()

    def close(self) -> None:
        pass


class _Store:
    def add_rows(self, rows: EventRows) -> int:
        return 0


def _worker(spool: _Spool, detector: _Detector) -> Worker:
    clock = lambda: datetime(2026, 11, 26, tzinfo=UTC)  # noqa: E731
    return Worker(spool, _Store(), None, detector, clock, batch=10)  # type: ignore[arg-type]


def test_full_batches_are_read_ahead_and_processed_in_order() -> None:
    spool, detector = _Spool(durable=100), _Detector()
    worker = _worker(spool, detector)
    report = worker.run_once()
    assert report is not None and report.records == 10
    # The current batch and READ_AHEAD more were submitted before the first was written.
    assert len(detector.submitted) == 1 + READ_AHEAD and spool.commits == [10]
    assert worker.drain() == 90
    assert spool.commits == list(range(10, 101, 10))
    assert detector.waited == detector.submitted  # each batch analysed once, in order
    assert [d for batch in detector.waited for d in batch] == [b"%d" % i for i in range(100)]


def test_no_reading_ahead_past_a_partial_batch() -> None:
    spool, detector = _Spool(durable=25), _Detector()
    worker = _worker(spool, detector)
    worker.run_once()
    # 10 now, then 10 and the partial 5 ahead: nothing more is read after a partial batch.
    assert [len(b) for b in detector.submitted] == [10, 10, 5]
    spool.durable = 60
    worker.run_once()  # the second batch; the partial one is still ahead, nothing read
    assert [len(b) for b in detector.submitted] == [10, 10, 5]
    worker.run_once()  # the partial one: the next full ones are read ahead again
    assert [len(b) for b in detector.submitted] == [10, 10, 5, *[10] * READ_AHEAD]
    assert worker.drain() == 35 and spool.commits[-1] == 60


def test_after_a_rules_reload_every_batch_read_ahead_is_resubmitted_at_once() -> None:
    spool, first, second = _Spool(durable=100), _Detector(), _Detector()
    reloads: list[_Detector] = []  # what the next reload returns (none: rules unchanged)
    worker = Worker(
        spool,
        _Store(),
        None,  # type: ignore[arg-type]
        first,  # type: ignore[arg-type]
        lambda: datetime(2026, 11, 26, tzinfo=UTC),
        batch=10,
        reload=lambda: reloads.pop() if reloads else None,  # type: ignore[arg-type,return-value]
        reload_every=0.0,
    )
    worker.run_once()  # the first batch written, READ_AHEAD more submitted
    assert len(first.submitted) == 1 + READ_AHEAD
    reloads.append(second)
    worker.run_once()
    # The batches ahead were all resubmitted before the next one was written or read.
    assert second.submitted[:READ_AHEAD] == first.submitted[1:]
    assert first.waited == first.submitted[:1]  # the old rules wrote the first batch only
    assert worker.drain() == 80 and spool.commits == list(range(10, 101, 10))
    assert second.waited == second.submitted  # each batch matched once by the new rules
    assert [d for batch in second.waited for d in batch] == [b"%d" % i for i in range(10, 100)]
