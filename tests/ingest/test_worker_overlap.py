"""The running worker raises a batch's alerts while the one before is still being stored:
offsets are still committed in order, each only once its batch's events are stored, and a
store failing meanwhile retries that batch before any later one (events and alerts once)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from tests.ingest.test_worker import RULE, send_sysmon
from vigile.alerts.models import Alert
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.detection.engine import ruleset_from_yaml
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.store import EventRows
from vigile.ingest.detect import Detector
from vigile.ingest.models import DetectionMark
from vigile.ingest.runtime import open_spool
from vigile.ingest.worker import GROUP, Worker

EVENTS = 20


class _SlowStore:
    """An event store that takes its time (the alerts of the next batch overtake it) and
    whose second write fails."""

    def __init__(self, store: DuckDbEventStore) -> None:
        self.store, self.calls = store, 0

    def add_rows(self, rows: EventRows) -> int:
        self.calls += 1
        time.sleep(0.05)
        if self.calls == 2:
            raise OSError("disk full")
        return self.store.add_rows(rows)


def test_batches_overlap_and_commit_in_order_once_stored(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    send_sysmon(settings, clock, EVENTS)
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    spool = open_spool(settings)
    commit = spool.commit
    commits: list[tuple[int, int, int]] = []  # (offset, events stored, marks) at each commit

    def checked_commit(group: str, offset: int) -> None:
        with sessions() as session:
            marks = session.scalar(select(func.count()).select_from(DetectionMark)) or 0
        commits.append((offset, store.count(), marks))
        commit(group, offset)

    spool.commit = checked_commit  # type: ignore[method-assign]
    slow = _SlowStore(store)
    detector = Detector(ruleset_from_yaml([RULE]), processes=2)  # reads ahead
    worker = Worker(spool, slow, sessions, detector, clock, batch=2)  # type: ignore[arg-type]
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop, 0.05))
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while (spool.committed(GROUP) or 0) < EVENTS and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(30)
        worker.close()
    try:
        offsets = [offset for offset, _, _ in commits]
        assert offsets == sorted(set(offsets)) and offsets[-1] == EVENTS
        # Committed only once every event below the offset is stored.
        assert all(stored >= offset for offset, stored, _ in commits)
        # Overlap: some batch was committed after the next one's alerts were raised.
        assert any(marks > offset for offset, _, marks in commits)
        assert slow.calls > EVENTS // 2  # the failed write was retried
        assert store.count() == EVENTS
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(DetectionMark)) == EVENTS
            assert session.scalar(select(func.sum(Alert.match_count))) == EVENTS
    finally:
        spool.close()
        store.close()
        engine.dispose()
