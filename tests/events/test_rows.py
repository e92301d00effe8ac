"""EventRows (the live pipeline's batches) and the store's deduplication of them."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.events.factory import T0, make_event
from vigile.events import duckdb_store
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.store import (
    PROMOTED,
    ROWS_SCHEMA,
    Event,
    EventRows,
    FieldValue,
    micros,
)

DAY = timedelta(days=1)


def rows_of(*events: Event, raws: list[bytes] | None = None) -> EventRows:
    """The rows of ``events`` added from plain values (with ``raws``: these raw records)."""
    rows = EventRows()
    for i, event in enumerate(events):
        rows.add(
            event.tenant_id,
            event.event_id,
            micros(event.time),
            micros(event.received_at),
            event.source_type,
            event.source,
            event.fields,
            event.raw if raws is None else raws[i],
        )
    return rows


def with_id(event: Event, event_id: str, **changes: Any) -> Event:
    """``event`` under another id (the store does not recompute ids: only its key matters)."""
    values = {**event.__dict__, "event_id": event_id, **changes}
    return Event(**values)


def test_add_with_plain_values_equals_append() -> None:
    events = [make_event(1, n, CommandLine=f"cmd {n}", Ratio=0.5) for n in range(3)]
    appended = EventRows.of(events)
    assert rows_of(*events).to_arrow().equals(appended.to_arrow())
    assert len(appended) == 3
    with pytest.raises(ValueError):
        EventRows().add(1, "not an id", 0, 0, "t", "s", {}, "raw")


GOOD_ID = "0123456789abcdef" * 4


BAD_IDS = [
    GOOD_ID.upper(),
    GOOD_ID[:63],
    GOOD_ID + "0",
    GOOD_ID + "\n",
    " " + GOOD_ID[1:],
    GOOD_ID[:62] + " 0",
    GOOD_ID[:63] + "g",
    "",
]


@pytest.mark.parametrize("event_id", [*BAD_IDS, b"\x01" * 32])
def test_only_64_lower_case_hex_digits_make_an_id(event_id: Any) -> None:
    with pytest.raises(ValueError):
        EventRows().add(1, event_id, 0, 0, "t", "s", {}, "raw")


@pytest.mark.parametrize("event_id", BAD_IDS)
def test_events_refuse_the_ids_that_rows_refuse(event_id: str) -> None:
    """The same rule on both paths (a trailing newline passed ``^…$`` before)."""
    with pytest.raises(ValueError):
        Event(1, event_id, T0, T0, "t", "s", {}, "raw")
    assert Event(1, GOOD_ID, T0, T0, "t", "s", {}, "raw").event_id == GOOD_ID


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=5))
def test_key_columns_are_the_ids_first_128_bits_signed(digests: list[bytes]) -> None:
    rows = EventRows()
    for digest in digests:
        rows.add(1, digest.hex(), 0, 0, "t", "s", {}, "raw")
    table = rows.to_arrow()
    keys = [
        hi * 2**64 + lo
        for hi, lo in zip(table["key_hi"].to_pylist(), table["key_lo"].to_pylist(), strict=True)
    ]
    assert keys == [int(digest[:16].hex(), 16) - 2**127 for digest in digests]


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
    )
)
def test_micros_is_the_floor_of_the_time_since_the_epoch_in_microseconds(when: datetime) -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert micros(when) == (when - epoch) // timedelta(microseconds=1)


def plain_table(rows: list[tuple[Event, str]]) -> pa.Table:
    """The columns of ``(event, raw text)`` rows converted value by value by Arrow (the
    reference for the columns :class:`EventRows` builds from buffers)."""
    built = EventRows.of([event for event, _ in rows]).to_arrow()
    columns = {name: built[name] for name in ROWS_SCHEMA.names}
    columns["fields"] = pa.array(
        [orjson.dumps(e.fields).decode() for e, _ in rows], type=pa.large_string()
    )
    columns["raw"] = pa.array([text for _, text in rows], type=pa.large_string())
    return pa.table(columns, schema=ROWS_SCHEMA)


@pytest.mark.parametrize(
    "raws",
    [
        [b"plain ascii", b"", b"caf\xc3\xa9 \xe2\x98\x83"],
        [b"ok", b"bad \xff\xfe utf-8", b"cut \xe2\x98", b"caf\xc3\xa9"],
    ],
    ids=["valid", "invalid-utf8"],
)
def test_raw_bytes_are_kept_as_their_replaced_text(raws: list[bytes]) -> None:
    """Rows built from received bytes equal Arrow's conversion of their decoded text
    (invalid UTF-8 replaced, as ``bytes.decode(errors="replace")`` does)."""
    events = [make_event(1, n, Note="é ☃" if n % 2 else "x") for n in range(len(raws))]
    rows = rows_of(*events, raws=raws)
    texts = [raw.decode("utf-8", errors="replace") for raw in raws]
    got = pickle.loads(pickle.dumps(rows)).to_arrow()
    assert got.equals(plain_table(list(zip(events, texts, strict=True))))
    assert got["raw"].to_pylist() == texts


def test_rows_pickle_and_extend_in_order() -> None:
    first = EventRows.of([make_event(1, n) for n in range(3)])
    second = EventRows.of([make_event(2, n) for n in range(2)])
    copy = pickle.loads(pickle.dumps(first))
    assert copy.to_arrow().equals(first.to_arrow())
    copy.extend(pickle.loads(pickle.dumps(second)))
    copy.append(make_event(3, 0))
    expected = EventRows.of(
        [*(make_event(1, n) for n in range(3)), *(make_event(2, n) for n in range(2))]
    )
    expected.append(make_event(3, 0))
    assert len(copy) == 6 and copy.to_arrow().equals(expected.to_arrow())


promoted_values = st.one_of(
    st.none(),
    st.text(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=3), st.floats(-2, 2)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(-5, 5), max_size=2),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(PROMOTED), promoted_values), min_size=1))
def test_promoted_columns_hold_what_a_json_condition_reads(
    tmp_path_factory: pytest.TempPathFactory, values: list[dict[str, FieldValue]]
) -> None:
    store = DuckDbEventStore(tmp_path_factory.mktemp("promoted") / "events.duckdb")
    events = [make_event(1, n, extra=fields) for n, fields in enumerate(values)]
    assert store.add(events) == len(events)
    columns = ", ".join(
        f"{duckdb_store.field_expr(name)} IS NOT DISTINCT FROM "
        f"json_extract_string(fields, '$.\"{name}\"')"
        for name in PROMOTED
    )
    with store._cursor() as cursor:
        checks = cursor.execute(f"SELECT {columns} FROM events").fetchall()
    store.close()
    assert checks and all(all(row) for row in checks)


def test_round_trip_of_every_field_type_through_rows(store: DuckDbEventStore) -> None:
    fields: dict[str, FieldValue] = {
        "EventID": 2**63,
        "Channel": "a\x00b ☃",
        "Computer": None,
        "Image": 1.5,
        "User": ["x", 1, None],
        "CommandLine": "",
        "Elevated": False,
    }
    event = make_event(1, 0, extra=fields)
    assert store.add_rows(rows_of(event)) == 1
    assert store.get(1, event.event_id) == event
    hits = store.search(
        duckdb_store_query(1, ["Image=1.5", "EventID=9223372036854775808", 'User|contains="x"'])
    )
    assert hits.total == 1


def duckdb_store_query(tenant_id: int, where: list[str]) -> Any:
    from vigile.events.query import parse_conditions
    from vigile.events.store import EventQuery

    return EventQuery(frozenset({tenant_id}), T0 - DAY, T0 + DAY, parse_conditions(where))


@pytest.mark.parametrize("known_keys", [duckdb_store.KNOWN_KEYS, 12, 8, 4, 0])
def test_duplicates_are_skipped_whether_ids_are_held_or_not(
    store_path: Path, known_keys: int
) -> None:
    """Held ids (the default), budgets for two days, one day (the others evicted), less
    than a day (looked up in DuckDB), none."""
    store = DuckDbEventStore(store_path, known_keys=known_keys)
    days = [
        [make_event(1, n, time=T0 - d * DAY + n * timedelta(minutes=1)) for n in range(6)]
        for d in range(3)
    ]
    for batch in days:
        assert store.add(batch) == 6
    for batch in days:  # replays, mixed with a new event and duplicates inside the batch
        fresh = make_event(2, 99, time=batch[0].time)
        assert store.add([*batch[:3], fresh, fresh, *batch]) == 1
    assert store.count() == 18 + 3
    store.close()
    again = DuckDbEventStore(store_path, known_keys=known_keys)  # nothing held after a restart
    assert again.add([e for batch in days for e in batch]) == 0
    again.close()


@pytest.mark.parametrize("known_keys", [duckdb_store.KNOWN_KEYS, 0])
def test_a_chunk_of_many_days_and_tenants_interleaved_is_deduplicated_per_tenant(
    store_path: Path, known_keys: int
) -> None:
    """Rows of several days (one before 1970) and tenants (the largest id too) in one chunk,
    in no order: replays are found on their own (day, tenant) only."""
    store = DuckDbEventStore(store_path, known_keys=known_keys)
    tenants, offsets = (1, 2, 2**31 - 1), (0, 1, 40, 21_000)
    first = [
        make_event(t, n, time=T0 - d * DAY + n * timedelta(minutes=1))
        for n in range(3)
        for d in offsets
        for t in tenants
    ]
    assert store.add(first) == len(first)
    later = [make_event(t, 7, time=T0 - d * DAY) for d in offsets for t in tenants]
    mixed = [e for pair in zip(first[::-1], later * 3, strict=False) for e in pair]
    assert store.add(mixed) == len(later)
    assert store.add([*later, *first]) == 0
    assert store.count() == len(first) + len(later)
    assert all(len(store.days(t)) == len(offsets) for t in tenants)
    store.close()


@pytest.mark.parametrize("known_keys", [duckdb_store.KNOWN_KEYS, 0])
def test_ids_sharing_a_64_bit_prefix_are_different_events(
    store_path: Path, known_keys: int
) -> None:
    store = DuckDbEventStore(store_path, known_keys=known_keys)
    base = make_event(1, 0)
    twin = with_id(make_event(1, 1), base.event_id[:16] + "0" * 48)
    other = with_id(make_event(1, 2), base.event_id[:32] + "f" * 32)  # same 128-bit key
    assert store.add([base, twin, twin]) == 2
    assert store.add([other, base, twin]) == 1
    assert store.add([other]) == 0
    assert [store.get(1, e.event_id) for e in (base, twin, other)] == [base, twin, other]
    store.close()


def test_events_purged_can_be_stored_again(store: DuckDbEventStore) -> None:
    old = [make_event(1, n, time=T0 - 10 * DAY, received_at=T0 - 10 * DAY) for n in range(3)]
    assert store.add(old) == 3
    assert store.purge(1, (T0 - 5 * DAY).date(), received_before=T0) == 3
    assert store.add(old) == 3 and store.add(old) == 0


def test_a_failed_insert_leaves_no_stale_held_id(
    store: DuckDbEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = [make_event(1, n) for n in range(4)]
    monkeypatch.setattr(duckdb_store, "_INSERT", "INSERT INTO no_such_table VALUES (?)")
    with pytest.raises(duckdb.Error):
        store.add(batch)
    monkeypatch.undo()
    assert store.add(batch) == 4 and store.add(batch) == 0


def test_times_before_1970_are_stored_on_their_day(store_path: Path) -> None:
    zero = datetime(1601, 1, 1, tzinfo=UTC)  # the zero of Windows FILETIME
    event = make_event(1, 0, time=zero, received_at=T0)
    store = DuckDbEventStore(store_path)
    assert store.add([event]) == 1 and store.add([event]) == 0
    assert store.days(1) == [zero.date()]
    store.close()
    again = DuckDbEventStore(store_path)  # the day's ids read back from the store
    assert again.add([event, make_event(1, 1, time=zero - timedelta(microseconds=1))]) == 1
    assert again.days(1) == [(zero - DAY).date(), zero.date()]
    again.close()


def test_batches_merged_from_parts_are_deduplicated_across_parts(
    store: DuckDbEventStore,
) -> None:
    a, b, c = (make_event(1, n) for n in range(3))
    rows = rows_of(a, b)
    rows.extend(pickle.loads(pickle.dumps(rows_of(b, c, make_event(2, 0)))))
    assert store.add_rows(rows) == 4  # b once; a's record sent by tenant 2 is tenant 2's
    merged = rows_of(c)
    merged.extend(rows_of(a, make_event(2, 0)))
    assert store.add_rows(merged) == 0 and store.count() == 4
