"""Source health counts each event once, also when a batch is replayed after a crash.

The worker observes a batch (source counts), then commits its spool offset: a crash between
the two replays the batch at the next start. The counts and how far the spool is observed are
written in one transaction, and the restarted worker reads the replayed records as the batch
that was observed (never as part of a larger one), so that batch is recognised and skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.ingest.test_worker import RULE, sysmon
from tests.web.conftest import World, build_world
from vigile.app import create_app
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.detection.engine import ruleset_from_yaml
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.store import EventRows
from vigile.ingest.detect import Matched
from vigile.ingest.observers import BatchObserver, observed_through
from vigile.ingest.pipeline import build_worker
from vigile.ingest.runtime import open_spool
from vigile.ingest.worker import GROUP, Worker
from vigile.sources.models import Source
from vigile.sources.tracker import Seen
from vigile.spool.local import Spool


class _Killed(Exception):
    """Stands for the process dying between a batch's observation and its offset commit."""


def _send(settings: Settings, clock: Callable[[], datetime], world: World, numbers: range) -> None:
    """Ingest the Sysmon events ``numbers`` for tenant alpha (one request)."""
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        body = b"".join(orjson.dumps(sysmon(n)) + b"\n" for n in numbers)
        response = client.post(
            "/api/v1/ingest?source_type=evtx", content=body, headers=world.headers["ingest-alpha"]
        )
        assert response.status_code == 200 and response.json()["accepted"] == len(numbers)
    app.state.engine.dispose()


def _counts(settings: Settings) -> dict[str, int]:
    engine = make_engine(settings.effective_database_url)
    with make_sessionmaker(engine)() as session:
        rows = session.scalars(select(Source))
        counts = {row.host: row.event_count for row in rows}
    engine.dispose()
    return counts


def _worker(
    settings: Settings,
    spool: Spool,
    store: DuckDbEventStore,
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    batch: int,
) -> Worker:
    """The pipeline's worker (one process) with the test rule, reading ``batch`` records."""
    return build_worker(
        settings.model_copy(update={"worker_batch": batch, "worker_processes": 1}),
        spool,
        store,
        sessions,
        clock,
        ruleset_from_yaml([RULE]),
    )


def _run(
    settings: Settings,
    clock: Callable[[], datetime],
    tmp_path: Path,
    *,
    batch: int,
    kill_after: int | None = None,
) -> int:
    """A worker's life: process batches until the spool is drained or, with ``kill_after``,
    die right before committing that many-th batch's offset. Records processed."""
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    spool = open_spool(settings)
    commit, commits = spool.commit, 0

    def dying_commit(group: str, offset: int) -> None:
        nonlocal commits
        commits += 1
        if commits == kill_after:
            raise _Killed
        commit(group, offset)

    spool.commit = dying_commit  # type: ignore[method-assign]
    worker = _worker(settings, spool, store, sessions, clock, batch)
    try:
        return worker.drain()
    except _Killed:
        return -1
    finally:
        worker.close()
        spool.close()
        store.close()
        engine.dispose()


@pytest.mark.parametrize("restart_batch", [4, 1000])
def test_a_batch_replayed_after_a_crash_is_counted_once(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path, restart_batch: int
) -> None:
    _send(settings, clock, build_world(settings, clock), range(10))
    # Batches of 4: the first is stored, alerted and observed, then the process dies.
    assert _run(settings, clock, tmp_path, batch=4, kill_after=1) == -1
    assert _counts(settings) == {"ws0": 2, "ws1": 2}
    # The restart replays it, with the same batch size or a larger one (which would have
    # read the observed batch and more together): each event is counted once.
    assert _run(settings, clock, tmp_path, batch=restart_batch) == 10
    assert _counts(settings) == {"ws0": 5, "ws1": 5}
    stored = DuckDbEventStore(tmp_path / "events.duckdb", read_only=True)
    assert stored.count() == 10
    stored.close()


def test_a_new_spool_in_the_same_place_is_observed_from_its_start(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    world = build_world(settings, clock)
    _send(settings, clock, world, range(6))
    assert _run(settings, clock, tmp_path, batch=100) == 6
    first = Spool(settings.data_dir / "spool")
    old_id = first.identity
    first.close()
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    assert observed_through(sessions, old_id) == 6
    # The spool is emptied by hand (its offsets start again from 0): its records are new.
    for path in (settings.data_dir / "spool").iterdir():
        path.unlink()
    _send(settings, clock, world, range(100, 104))
    assert _run(settings, clock, tmp_path, batch=100) == 4
    assert _counts(settings) == {"ws0": 5, "ws1": 5}
    second = Spool(settings.data_dir / "spool")
    assert second.identity != old_id and observed_through(sessions, second.identity) == 4
    second.close()
    engine.dispose()


def test_recorded_positions_only_move_forward(
    settings: Settings, clock: Callable[[], datetime]
) -> None:
    tenant = build_world(settings, clock).tenant_ids["alpha"]
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    at = clock()
    seen = {(tenant, "native", "evtx", "h1"): Seen(3, at, at)}
    observed = Matched(sources=seen)
    spool_a, spool_b = (BatchObserver(sessions, clock, c * 32) for c in "ab")
    spool_a(observed, 10)
    spool_a(observed, 10)  # replayed: skipped
    spool_a(observed, 7)  # before it: skipped
    spool_b(observed, 7)  # another spool
    spool_a(observed, 12)
    BatchObserver(sessions, clock)(observed, 3)  # no spool position: always counted
    assert _counts(settings) == {"h1": 12}
    assert observed_through(sessions, "a" * 32) == 12
    assert observed_through(sessions, "b" * 32) == 7
    assert observed_through(sessions, "c" * 32) is None
    engine.dispose()


def test_the_spool_keeps_its_identity_across_opens(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s", fsync=False)
    name = spool.identity
    spool.close()
    again = Spool(tmp_path / "s", fsync=False)
    assert again.identity == name and len(name) == 32
    again.close()
    (tmp_path / "s" / "ID").write_text("garbage")
    repaired = Spool(tmp_path / "s", fsync=False)
    assert repaired.identity not in {name, "garbage"}
    assert repaired.committed(GROUP) is None
    repaired.close()
    other = Spool(tmp_path / "t", fsync=False)
    assert other.identity != name
    other.close()


def test_a_store_failing_after_the_batch_was_observed_counts_it_once(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    """The worker observes a batch while the event store still writes it; should that write
    fail, the batch is retried (not committed meanwhile) and its sources not counted again."""
    _send(settings, clock, build_world(settings, clock), range(10))
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    add_rows, calls = store.add_rows, 0

    def failing_once(rows: EventRows) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("disk full")
        return add_rows(rows)

    store.add_rows = failing_once  # type: ignore[method-assign]
    spool = open_spool(settings)
    worker = _worker(settings, spool, store, sessions, clock, 1000)
    try:
        with pytest.raises(OSError, match="disk full"):
            worker.run_once()
        assert _counts(settings) == {"ws0": 5, "ws1": 5}  # observed before the store failed
        assert spool.committed(GROUP) == 0 and store.count() == 0
        report = worker.run_once()
        assert report is not None and report.stored == 10
        assert spool.committed(GROUP) == 10 and store.count() == 10
        assert _counts(settings) == {"ws0": 5, "ws1": 5}
    finally:
        worker.close()
        spool.close()
        store.close()
        engine.dispose()
