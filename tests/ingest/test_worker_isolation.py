"""A batch whose writing keeps failing because of one event: after a few retries the worker
writes it in parts, quarantines the event that fails alone and goes on; a failure of every
part (a database down) is retried, nothing quarantined."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from tests.ingest.test_deferred_parse import ingest_lines, pipeline_worker, quarantined_records
from tests.ingest.test_worker import sysmon
from vigile.alerts.models import Alert
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.store import EventRows
from vigile.ingest.worker import GROUP, ISOLATE_AFTER


class FailingStore:
    """The event store, failing any write that holds one of ``bad`` (or every write)."""

    def __init__(self, store: DuckDbEventStore, bad: set[str] | None) -> None:
        self.store, self.bad = store, bad

    def add_rows(self, rows: EventRows) -> int:
        ids = set(rows.to_arrow()["event_id"].to_pylist())
        if self.bad is None or ids & self.bad:
            raise ValueError("cannot store this")
        return self.store.add_rows(rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.mark.parametrize(("count", "bad"), [(5, 2), (40, 17), (1, 0)])
def test_the_event_that_fails_alone_is_quarantined_and_the_rest_written(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path, count: int, bad: int
) -> None:
    lines = [orjson.dumps(sysmon(n)) for n in range(count)]
    tenant = ingest_lines(settings, clock, lines)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    worker, close = pipeline_worker(
        settings, clock, FailingStore(store, {hashlib.sha256(lines[bad]).hexdigest()})
    )
    try:
        for _ in range(ISOLATE_AFTER):  # retried as it was: the cause may be passing
            with pytest.raises(ValueError, match="cannot store this"):
                worker.run_once()
        assert quarantined_records(settings) == []
        report = worker.run_once()
        assert report is not None and report.records == count
        assert report.stored == store.count() == count - 1
        assert worker.run_once() is None  # committed: the spool goes on
    finally:
        close()
    rows = quarantined_records(settings)
    assert [(r.tenant_id, r.reason, r.raw.encode()) for r in rows] == [
        (tenant, "pipeline failure: ValueError: cannot store this", lines[bad])
    ]
    engine = make_engine(settings.effective_database_url)
    with make_sessionmaker(engine)() as session:
        # Alerts and store are written apart: every event's alert was raised (the failing
        # one's by the first attempts, its store failing), each once.
        matches = session.scalar(select(func.sum(Alert.match_count)))
        assert matches == count
    engine.dispose()
    store.close()


def test_a_failure_of_every_write_is_retried_and_quarantines_nothing(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    ingest_lines(settings, clock, [orjson.dumps(sysmon(n)) for n in range(20)])
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    failing = FailingStore(store, None)
    worker, close = pipeline_worker(settings, clock, failing)
    try:
        for _ in range(ISOLATE_AFTER + 2):
            with pytest.raises(ValueError, match="cannot store this"):
                worker.run_once()
        assert (worker.spool.committed(GROUP) or 0) == 0 and store.count() == 0  # not one
        assert quarantined_records(settings) == []
        failing.bad = set()  # the database is back: the batch goes through whole
        report = worker.run_once()
        assert report is not None and report.stored == 20
    finally:
        close()
    assert quarantined_records(settings) == []
    store.close()
