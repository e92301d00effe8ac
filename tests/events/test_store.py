"""The DuckDB store: round trip, idempotency, isolation, pagination, retention, restarts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.events.factory import T0, make_event
from vigile.config import Settings
from vigile.events import duckdb_store
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.query import Condition, parse_conditions
from vigile.events.store import Event, EventQuery, FieldValue, canonical_raw, content_hash, verify
from vigile.pagination import PageRequest

DAY = timedelta(days=1)


def everything(
    tenant_id: int,
    conditions: tuple[Condition, ...] = (),
    page: PageRequest | None = None,
    newest_first: bool = True,
) -> EventQuery:
    return EventQuery(
        frozenset({tenant_id}),
        T0 - 400 * DAY,
        T0 + 400 * DAY,
        conditions,
        page or PageRequest(limit=500),
        newest_first,
    )


def test_round_trip_keeps_fields_metadata_and_raw(store: DuckDbEventStore) -> None:
    fields: dict[str, FieldValue] = {
        "EventID": 4688,
        "CommandLine": 'powershell -enc "ZQBjAGgAbwA="',
        "Ratio": 1.5,
        "Elevated": True,
        "Parent": None,
        "Hashes": ["SHA256=AB", "MD5=CD"],
        "Ünïcode.Field-x": "été ☃",
    }
    raw = "<Event xmlns='…'>  verbatim   text\r\n</Event>"
    event = Event.new(
        7, raw, fields, time=T0, received_at=T0 + DAY, source_type="evtx", source="tok:12"
    )
    assert store.add([event]) == 1
    stored = store.get(7, event.event_id)
    assert stored == event
    assert stored is not None and stored.raw == raw and dict(stored.fields) == fields
    assert stored.time.tzinfo is UTC and stored.event_id == content_hash(raw)
    assert store.days(7) == [T0.date()]


def test_event_id_is_the_hash_of_the_raw_record() -> None:
    event = make_event(1)
    assert event.event_id == content_hash(event.raw) and verify(event)
    assert canonical_raw({"b": 1, "a": [2]}) == '{"a":[2],"b":1}'
    with pytest.raises(ValueError):
        Event.new(1, "x", {}, time=datetime(2026, 1, 1), received_at=T0, source_type="", source="")


def test_storing_the_same_event_twice_keeps_one(store: DuckDbEventStore) -> None:
    batch = [make_event(1, n) for n in range(20)]
    assert store.add(batch) == 20
    assert store.add(batch) == 0  # a replay
    assert store.add(batch[:5] + batch[:5] + [make_event(1, 20)]) == 1  # duplicates in a batch
    assert store.count() == 21
    # The same record sent by another tenant is that tenant's event.
    assert store.add([make_event(2, 0)]) == 1
    assert store.search(everything(1)).total == 21 and store.search(everything(2)).total == 1


def test_events_of_a_tenant_are_never_returned_for_another(store: DuckDbEventStore) -> None:
    store.add([make_event(1, n, CommandLine="mimikatz") for n in range(10)])
    store.add([make_event(2, 100 + n, CommandLine="calc") for n in range(3)])
    alpha_ids = {e.event_id for e in store.search(everything(1)).items}
    beta = store.search(everything(2, conditions=parse_conditions(["CommandLine|contains=mimi"])))
    assert beta.total == 0 and beta.items == []
    assert all(e.tenant_id == 2 for e in store.search(everything(2)).items)
    # Guessing (or knowing) an id of tenant 1 gives nothing to tenant 2.
    assert all(store.get(2, event_id) is None for event_id in alpha_ids)
    assert store.get(1, "0" * 64) is None and store.get(1, "' OR 1=1 --") is None
    both = EventQuery(frozenset({1, 2}), T0 - DAY, T0 + DAY, page=PageRequest(limit=100))
    assert store.search(both).total == 13


def test_pages_are_sorted_by_time_with_a_total(store: DuckDbEventStore) -> None:
    store.add([make_event(1, n) for n in range(25)])
    first = store.search(everything(1, page=PageRequest(limit=10)))
    assert first.total == 25 and len(first.items) == 10
    assert [e.time for e in first.items] == sorted((e.time for e in first.items), reverse=True)
    pages = [
        store.search(everything(1, page=PageRequest(limit=10, offset=o), newest_first=False))
        for o in (0, 10, 20, 30)
    ]
    times = [e.time for p in pages for e in p.items]
    assert times == sorted(times) and len(set(times)) == 25 and pages[3].items == []
    assert all(p.total == 25 for p in pages)


def test_ties_on_time_have_a_stable_order(store: DuckDbEventStore) -> None:
    store.add([make_event(1, n, time=T0) for n in range(6)])
    seen = [
        e.event_id
        for o in range(0, 6, 2)
        for e in store.search(everything(1, page=PageRequest(limit=2, offset=o))).items
    ]
    assert len(set(seen)) == 6


def test_time_range_is_start_inclusive_end_exclusive(store: DuckDbEventStore) -> None:
    store.add([make_event(1, n, time=T0 + n * timedelta(hours=12)) for n in range(6)])
    query = EventQuery(frozenset({1}), T0 + timedelta(hours=12), T0 + timedelta(hours=48))
    got = store.search(query)
    assert [e.time for e in got.items] == [T0 + timedelta(hours=h) for h in (36, 24, 12)]
    with pytest.raises(ValueError):
        EventQuery(frozenset({1}), T0, T0 - DAY)
    with pytest.raises(ValueError):
        EventQuery(frozenset(), T0, T0 + DAY)


def test_retention_deletes_whole_old_days_of_one_tenant(store: DuckDbEventStore) -> None:
    for tenant_id in (1, 2):
        store.add([make_event(tenant_id, n, time=T0 - n * DAY) for n in range(10)])
    deleted = store.purge(1, (T0 - 4 * DAY).date(), received_before=T0)
    assert deleted == 5
    assert store.days(1) == [(T0 - n * DAY).date() for n in range(4, -1, -1)]
    assert len(store.days(2)) == 10  # the other tenant keeps everything


def test_retention_keeps_recently_received_events_stamped_in_the_past(
    store: DuckDbEventStore,
) -> None:
    old = make_event(1, 1, time=T0 - 900 * DAY, received_at=T0)  # a wrong clock, received now
    store.add([old])
    assert store.purge(1, T0.date(), received_before=T0 - DAY) == 0
    assert store.get(1, old.event_id) == old


def test_the_store_survives_a_restart(store_path: Path) -> None:
    first = DuckDbEventStore(store_path)
    events = [make_event(3, n) for n in range(5)]
    first.add(events)
    first.close()
    again = DuckDbEventStore(store_path)
    assert again.get(3, events[2].event_id) == events[2]
    assert again.add(events) == 0  # idempotency holds across restarts
    again.close()
    reader = DuckDbEventStore(store_path, read_only=True)
    assert reader.search(everything(3)).total == 5
    with pytest.raises(PermissionError):
        reader.add(events)
    reader.close()


def test_verify_detects_a_tampered_raw_record(store_path: Path) -> None:
    store = DuckDbEventStore(store_path)
    event = make_event(1, 0, CommandLine="mimikatz sekurlsa::logonpasswords")
    store.add([event])
    store.close()
    with duckdb.connect(str(store_path)) as con:  # someone edits the file behind our back
        con.execute("UPDATE events SET raw = replace(raw, 'mimikatz', 'notepad')")
    store = DuckDbEventStore(store_path)
    tampered = store.get(1, event.event_id)
    store.close()
    assert tampered is not None and tampered.event_id == event.event_id
    assert "notepad" in tampered.raw and not verify(tampered)
    assert verify(event)


def test_large_batches_are_split_and_deduplicated(
    store: DuckDbEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duckdb_store, "CHUNK", 500)
    batch = [make_event(1, n, time=T0 + timedelta(seconds=n)) for n in range(1200)]
    assert store.add(batch) == 1200
    assert store.add([*batch[600:], make_event(1, 5000, time=T0)]) == 1
    assert store.days(1) == [T0.date()]
    assert isinstance(store.days(1)[0], date)


def test_a_second_process_cannot_open_the_writers_file(store_path: Path) -> None:
    store = DuckDbEventStore(store_path)
    code = (
        "import sys; from pathlib import Path\n"
        "from vigile.events.duckdb_store import DuckDbEventStore, EventStoreUnavailable\n"
        "try:\n    DuckDbEventStore(Path(sys.argv[1]), read_only=True)\n"
        "except EventStoreUnavailable:\n    sys.exit(3)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(store_path)], check=False)
    store.close()
    assert result.returncode == 3


def _wal_bytes(store_path: Path) -> int:
    wal = store_path.with_name(store_path.name + ".wal")
    return wal.stat().st_size if wal.exists() else 0


def test_a_batch_of_whole_row_groups_is_written_without_the_wal(store_path: Path) -> None:
    """A full worker batch goes to the file compressed (DuckDB's optimistic write of full row
    groups); a partial one is copied into the WAL (what the row-group size saves)."""
    size = duckdb_store.ROW_GROUP_ROWS
    padding = "x" * 200  # ~3 MB per row group in the WAL
    store = DuckDbEventStore(store_path)
    whole = [make_event(1, n, Padding=f"{n}{padding}") for n in range(2 * size)]
    assert store.add(whole) == 2 * size
    assert _wal_bytes(store_path) < 256 * 1024  # block pointers only
    partial = [make_event(1, n, Padding=f"{n}{padding}") for n in range(2 * size, 3 * size - 1)]
    assert store.add(partial) == size - 1
    assert _wal_bytes(store_path) > 2 * 1024 * 1024  # the rows themselves
    with store._cursor() as cursor:
        groups = cursor.execute(
            "SELECT row_group_id, sum(count) FROM pragma_storage_info('events') "
            "WHERE column_path = '[0]' GROUP BY row_group_id ORDER BY row_group_id"
        ).fetchall()
    assert [count for _, count in groups] == [size, size, size - 1]
    store.close()
    reopened = DuckDbEventStore(store_path, read_only=True)
    assert reopened.count() == 3 * size - 1
    reopened.close()


def test_a_file_written_with_duckdbs_default_row_groups_stays_writable(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:  # as an older Vigile wrote it
        patch.setattr(duckdb_store, "ROW_GROUP_ROWS", 122_880)
        first = DuckDbEventStore(store_path)
        first.add([make_event(1, n) for n in range(10)])
        first.close()
    again = DuckDbEventStore(store_path)
    assert again.add([make_event(1, n) for n in range(20)]) == 10
    assert again.count() == 20
    again.close()


def test_full_worker_batches_are_whole_row_groups() -> None:
    assert Settings.model_fields["worker_batch"].default % duckdb_store.ROW_GROUP_ROWS == 0
    assert duckdb_store.CHUNK % duckdb_store.ROW_GROUP_ROWS == 0
