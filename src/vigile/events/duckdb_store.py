"""The embedded event store: one DuckDB file under ``<data_dir>/events``.

Field storage — one ``events`` table with the *whole* normalised field dict in a ``fields JSON``
column (exact round trip of str/int/float/bool/None/list values, any field of any source), plus
the fields Sigma rules use most promoted to plain ``VARCHAR`` columns (:data:`PROMOTED`) that
searches read instead of parsing JSON. Measured with ``bench/events.py`` (1M Sysmon-like
events, 10 tenants, 30 days, 2 cores; one tenant searched): ``CommandLine|contains`` over 7 days
takes 15 ms on the promoted column vs 39 ms through JSON (24 h: 7 vs 16 ms); inserts run at
~24,000 events/s, 416 MB on disk. A one-off comparison on 1M rows (no time filter) gave 111 ms
on a column, 236 ms through ``MAP(VARCHAR, VARCHAR)``, 302 ms through JSON. MAP was rejected
because it turns every value into a string (the field dict no longer round-trips) for a small
gain on non-promoted fields only; per-source tables because sources are open-ended (ALTER TABLE
on every new field, UNION of unlike schemas for a cross-source hunt).

Partitions — DuckDB has no table partitions: ``day`` (UTC date of the event time) is a column,
batches are written sorted by (tenant, time), and row-group min/max indexes skip the days a
search does not touch. Retention deletes whole days of a tenant (``DELETE … WHERE day < cutoff``)
and checkpoints to reclaim the space. Idempotency uses no index (an ART primary key halved the
insert rate and doubled the file; a narrow ART key table cost ~13 µs per new event): the
writer holds the 64-bit id prefixes of the days it writes (:data:`KNOWN_KEYS`), so a new event
is known new without reading the store; rows whose prefix is held (replays) or whose day is
not are looked up in DuckDB on the 128-bit key and the full id. (The anti-join of every batch
with all stored rows of its days cost ~90 µs per event with 1M events in the day.)

Writes — the live pipeline's batches arrive as :class:`~vigile.events.store.EventRows`,
columns built by the detection processes, handed to DuckDB as Arrow (no Python value per row
in this process); a batch of whole row groups (:data:`ROW_GROUP_ROWS`) goes to the file
compressed, without the WAL. ``raw`` and ``fields`` are ZSTD-compressed (new stores): the default
analysis (DICT_FSST) made checkpoints cost ~25 µs per corpus event, ZSTD ~5 µs, and the file
is several times smaller; fetching a page of events or one by id reads a ZSTD block (~+10 ms).

Processes — DuckDB lets one process open the file read-write (or several read-only, with no
writer). The process of the live pipeline's writer (``vigile serve``) owns the read-write
store; the API in that process reads through per-thread cursors of the same connection, and
other processes go through the API (or open the file ``read_only`` when no writer runs).
"""

from __future__ import annotations

import functools
import operator
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from vigile.config import Settings
from vigile.errors import VigileError
from vigile.events.query import Condition, Operator
from vigile.events.store import (
    EVENT_ID_PATTERN,
    PROMOTED,
    ROWS_SCHEMA,
    Event,
    EventQuery,
    EventRows,
    SearchResult,
    micros,
)

__all__ = ["PROMOTED", "DuckDbEventStore", "EventStoreUnavailable"]

SCHEMA_VERSION = "1"
CHECKPOINT_WAL = "256MB"
ROW_GROUP_ROWS = 16_384
"""Row-group size of the read-write store (DuckDB's default: 122,880). An insert that fills
row groups has them compressed and written to the file at once ("optimistic writes"); a
smaller one is copied uncompressed into the WAL, read back and compressed at the next
checkpoint. Full batches of the live pipeline (``worker_batch``, a multiple of this) thus skip
the WAL: ~20 → ~14 µs of CPU per stored corpus event, a third of it system time (the WAL's
writes, page faults). Smaller groups compress less and slow searches: 4,096 doubled the file
of ``bench/events.py``; 16,384 adds ~13 % to it, its searches unchanged."""
CHUNK = 3 * ROW_GROUP_ROWS
"""Rows per INSERT of a large batch: whole row groups, written without the WAL."""
CATALOG = "event_store"
"""The name the read-write store's file is attached under (its cursors ``USE`` it)."""
KNOWN_KEYS = 2_000_000
"""How many stored ids (64-bit prefixes) the writer keeps in memory to deduplicate without
reading the stored rows: about 160 MB (CPython ints in sets, ~78 B each). A day with more
events than this is checked against its stored rows (a scan of the day per batch)."""
_COLUMN = {name: f'"f_{name}"' for name in PROMOTED}
_PATHS = "[" + ", ".join(f"'$.\"{name}\"'" for name in PROMOTED) + "]"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_DDL = f"""
CREATE TABLE IF NOT EXISTS events (
    tenant_id INTEGER NOT NULL,
    day DATE NOT NULL,
    ts TIMESTAMP NOT NULL,
    key HUGEINT NOT NULL,
    event_id VARCHAR NOT NULL,
    received_at TIMESTAMP NOT NULL,
    source_type VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    {", ".join(f"{col} VARCHAR" for col in _COLUMN.values())},
    fields JSON NOT NULL USING COMPRESSION zstd,
    raw VARCHAR NOT NULL USING COMPRESSION zstd
);
CREATE TABLE IF NOT EXISTS store_meta (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
"""
_KEY = "key_hi::HUGEINT * 18446744073709551616::HUGEINT + key_lo::HUGEINT"


@functools.lru_cache(maxsize=256)
def _promoted_columns(from_json: int) -> str:
    """The promoted columns' SQL for a chunk: a column of which some row has its bit of
    ``from_json`` set is read through JSON for those rows; the others as they are (a shorter
    statement: DuckDB parses, binds and optimises the INSERT of every chunk)."""
    return ", ".join(
        f"CASE WHEN from_json & {1 << i} = 0 THEN {col} "
        f"ELSE json_extract_string(fields, '$.\"{name}\"') END"
        if from_json & (1 << i)
        else col
        for i, (name, col) in enumerate(_COLUMN.items())
    )


# Of the batch rows at positions ``$check``, those whose (tenant, day, 128-bit key) is stored:
# narrow columns only (a scan of the days' keys), for rows of days whose ids are not held.
_SAME_KEY = (
    "SELECT pos FROM batch b WHERE list_contains($check, pos) AND EXISTS (SELECT 1 FROM events e "
    "WHERE e.day BETWEEN $first AND $last AND e.day = CAST(b.ts AS DATE) "
    f"AND e.tenant_id = b.tenant_id AND e.key = {_KEY})"
)
# Of those, the ones already stored: same tenant, day and full id.
_STORED = (
    "SELECT pos FROM batch b WHERE list_contains($check, pos) AND EXISTS (SELECT 1 FROM events e "
    "WHERE e.day BETWEEN $first AND $last AND e.day = CAST(b.ts AS DATE) "
    f"AND e.tenant_id = b.tenant_id AND e.key = {_KEY} AND e.event_id = b.event_id)"
)
_DAY_KEYS = "SELECT tenant_id, CAST(key >> 64 AS BIGINT) FROM events WHERE day = ?"
_DAY_COUNT = "SELECT count(*) FROM events WHERE day = ?"
_INSERT = (
    f"INSERT INTO events SELECT tenant_id, CAST(ts AS DATE), ts, {_KEY}, event_id, received_at, "
    "source_type, source, {promoted}, fields, raw FROM batch "
    "WHERE NOT list_contains(?::INTEGER[], pos) ORDER BY tenant_id, ts"
)
_JSON = pa.json_(pa.large_string())
_LOW32 = 0xFFFFFFFF
_FIELDS = ROWS_SCHEMA.get_field_index("fields")
_SELECT = (
    "SELECT tenant_id, event_id, epoch_us(ts), epoch_us(received_at), source_type, source, "
    "CAST(fields AS VARCHAR), raw FROM events"
)


class EventStoreUnavailable(VigileError):
    """The store's file cannot be opened (another process owns it read-write, or I/O)."""

    status = 503
    title = "Service unavailable"


def default_path(settings: Settings) -> Path:
    """Where the embedded store lives: ``<data_dir>/events/events.duckdb``."""
    return settings.data_dir / "events" / "events.duckdb"


def _from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


_POSITIONS = pa.array(range(CHUNK), type=pa.int32())


def _positions(count: int) -> pa.Array:
    """0, 1, … ``count - 1``: each row's position in its chunk (which copy comes first).
    A slice of one array made once (converting a ``range`` per chunk was ~1,000
    instructions a stored event)."""
    return _POSITIONS.slice(0, count)


def _or_all(values: pa.ChunkedArray) -> int:
    """The bitwise OR of integers (of their few distinct values)."""
    return functools.reduce(operator.or_, pc.unique(values).to_pylist(), 0)


def _day(days: int) -> date:
    """The date ``days`` days after the Unix epoch."""
    return _EPOCH.date() + timedelta(days=days)


def _later_copies(table: pa.Table) -> list[int]:
    """Positions of the rows of ``table`` whose (tenant, id) an earlier row has."""
    tenants: list[int] = table["tenant_id"].to_pylist()
    prefixes: list[int] = table["key_hi"].to_pylist()
    firsts: dict[tuple[int, int], list[int]] = {}
    ids: list[str] | None = None
    later: list[int] = []
    for pos, tenant_prefix in enumerate(zip(tenants, prefixes, strict=True)):
        earlier = firsts.setdefault(tenant_prefix, [pos])
        if earlier[0] != pos:  # the same prefix earlier in the chunk: compare the ids
            ids = ids if ids is not None else table["event_id"].to_pylist()
            if any(ids[e] == ids[pos] for e in earlier):
                later.append(pos)
            else:
                earlier.append(pos)
    return later


def _key(event_id: str) -> int:
    """First 128 bits of the id as a signed HUGEINT (a compact join key)."""
    return int(event_id[:32], 16) - (1 << 127)


def _event(row: tuple[Any, ...]) -> Event:
    tenant_id, event_id, ts, received, source_type, source, fields, raw = row
    return Event(
        tenant_id=tenant_id,
        event_id=event_id,
        time=_from_micros(ts),
        received_at=_from_micros(received),
        source_type=source_type,
        source=source,
        fields=orjson.loads(fields),
        raw=raw,
    )


def field_expr(name: str) -> str:
    """SQL for a field's text: its promoted column, or JSON extraction (name pre-validated)."""
    return _COLUMN.get(name) or f"json_extract_string(fields, '$.\"{name}\"')"


def condition_sql(condition: Condition) -> tuple[str, list[Any]]:
    """One condition as a SQL predicate with bound parameters (values never inlined). A
    negated one holds wherever the positive one does not hold, absent fields included (the
    positive predicate is NULL there)."""
    sql, params = _positive_sql(condition)
    if condition.negated:
        return f"NOT coalesce(({sql}), FALSE)", params
    return sql, params


def _positive_sql(condition: Condition) -> tuple[str, list[Any]]:
    if condition.op is Operator.EXISTS:
        # The key itself (a null value counts as present), name pre-validated as for field_expr.
        found = f"json_exists(fields, '$.\"{condition.field}\"')"
        return (found if condition.value.lower() == "true" else f"NOT {found}"), []
    expr = field_expr(condition.field)
    if condition.op is Operator.RE:
        flags = "" if condition.cased else "i"
        return f"regexp_matches({expr}, ?, '{flags}')", [condition.value]
    if not condition.cased:
        expr = f"lower({expr})"
    param = "?" if condition.cased else "lower(?)"
    if condition.op is Operator.IN:
        marks = ", ".join([param] * len(condition.values))
        return f"{expr} IN ({marks})", list(condition.values)
    template = {
        Operator.EQUALS: "{e} = {p}",
        Operator.CONTAINS: "contains({e}, {p})",
        Operator.STARTSWITH: "starts_with({e}, {p})",
        Operator.ENDSWITH: "ends_with({e}, {p})",
    }[condition.op]
    return template.format(e=expr, p=param), [condition.value]


def _where(query: EventQuery) -> tuple[str, list[Any]]:
    tenants = sorted(query.tenant_ids)
    clauses = [
        f"tenant_id IN ({', '.join('?' * len(tenants))})",
        "day BETWEEN ? AND ?",
        "ts >= make_timestamp(?::BIGINT)",
        "ts < make_timestamp(?::BIGINT)",
    ]
    params: list[Any] = [*tenants, query.start.date(), query.end.date()]
    params += [micros(query.start), micros(query.end)]
    for condition in query.conditions:
        sql, values = condition_sql(condition)
        clauses.append(sql)
        params += values
    return " AND ".join(clauses), params


def _after(query: EventQuery) -> tuple[str, list[Any]]:
    """The keyset condition of a cursor: after it in the sort order (time, then id)."""
    if query.after is None:
        return "", []
    op = "<" if query.newest_first else ">"
    at = micros(query.after.time)
    sql = (
        f" AND (ts {op} make_timestamp(?::BIGINT) OR "
        f"(ts = make_timestamp(?::BIGINT) AND event_id {op} ?))"
    )
    return sql, [at, at, query.after.event_id]


def _connect(path: Path | None, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to the store's file (in memory without one). The read-write file is
    attached with :data:`ROW_GROUP_ROWS` (an ``ATTACH`` option, not a setting of
    ``connect``), which applies to the row groups this connection writes: files written
    with another size stay readable and get new row groups of this one."""
    if path is None or read_only:
        return duckdb.connect(str(path) if path else ":memory:", read_only=read_only)
    con = duckdb.connect(":memory:")
    try:
        literal = str(path).replace("'", "''")
        con.execute(f"ATTACH '{literal}' AS {CATALOG} (ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
        con.execute(f"USE {CATALOG}")
    except BaseException:
        con.close()
        raise
    return con


class DuckDbEventStore:
    """:class:`~vigile.events.store.EventStore` on an embedded DuckDB file (or in memory)."""

    def __init__(
        self, path: Path | None = None, *, read_only: bool = False, known_keys: int = KNOWN_KEYS
    ) -> None:
        if path is not None and not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.read_only = read_only
        self._attached = path is not None and not read_only
        try:
            self._con = _connect(path, read_only=read_only)
        except duckdb.IOException as exc:  # typically: another process holds the file
            raise EventStoreUnavailable(f"cannot open the event store {path}: {exc}") from exc
        self._write_lock = threading.Lock()
        self.known_keys = known_keys
        self._known: OrderedDict[int, dict[int, set[int]]] = OrderedDict()
        self._known_count = 0
        self._too_large: set[int] = set()
        if not read_only:
            # Checkpoints rewrite the row groups they touch: one per 16 MB of WAL (DuckDB's
            # default) re-compressed the growing row group again and again (20,000 corpus
            # EVTX events in batches of 2,000: -15 % CPU per event, a third less file).
            self._con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_WAL}'")
            self._con.execute(_DDL)
            self._con.execute(
                "INSERT INTO store_meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                [SCHEMA_VERSION],
            )

    @classmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> DuckDbEventStore:
        """The store of ``settings`` (file under ``<data_dir>/events``)."""
        return cls(default_path(settings), read_only=read_only)

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for the calling thread (DuckDB connections are not shared)."""
        cursor = self._con.cursor()
        try:
            if self._attached:  # a cursor starts on the connection's in-memory catalog
                cursor.execute(f"USE {CATALOG}")
            yield cursor
        finally:
            cursor.close()

    def _writable(self) -> None:
        if self.read_only:
            raise PermissionError("the event store is open read-only")

    # --- writes -----------------------------------------------------------------------

    def add(self, events: Sequence[Event]) -> int:
        return self.add_rows(EventRows.of(events))

    def add_rows(self, rows: EventRows) -> int:
        self._writable()
        table = rows.to_arrow()
        added = 0
        with self._write_lock, self._cursor() as cursor:
            for start in range(0, table.num_rows, CHUNK):
                added += self._insert(cursor, table.slice(start, CHUNK))
        return added

    def _insert(self, cursor: duckdb.DuckDBPyConnection, table: pa.Table) -> int:
        """Store one chunk on its Arrow columns (DuckDB converts no Python value; the GIL is
        released while it inserts): the chunk's first copy of each (tenant, id), minus the
        rows already stored on their day, sorted by (tenant, time).

        Deduplication needs no read of the stored rows for a new event of a day in
        :attr:`_known` (the 64-bit id prefixes of every event stored that day): only the rare
        rows whose prefix is known (replays) or whose day is not held are looked up in DuckDB,
        on the full id. Only this process writes, under ``_write_lock``, so nothing can be
        stored between that look-up and the insert."""
        count = table.num_rows
        if not count:
            return 0
        # Vectorised: the rows sorted by (day, tenant) once, then per (day, tenant) of the
        # chunk one C-level set intersection with the held prefixes, on slices of two lists;
        # Python touches the rows of a replay only. (Arrow calls per group cost ~20k
        # instructions per event on replicated corpus events, ~100 days in a chunk.)
        days = table["ts"].combine_chunks().cast(pa.date32()).cast(pa.int32())
        prefixes = table["key_hi"].combine_chunks()
        check: list[int] = []  # rows whose 64-bit prefix is held: compare the full ids
        unheld: list[int] = []  # rows of days not held: first look for their 128-bit key
        learnt: list[tuple[int, int, list[int]]] = []
        # One int64 key per row: the day in the high half, the tenant's 32 bits in the low.
        tenants = pc.bit_wise_and(table["tenant_id"].combine_chunks().cast(pa.int64()), _LOW32)
        keys = pc.add(pc.shift_left(days.cast(pa.int64()), 32), tenants)
        order = pc.sort_indices(keys)
        runs = pc.run_end_encode(keys.take(order), run_end_type=pa.int32())
        positions: list[int] = order.to_pylist()
        ordered: list[int] = prefixes.take(order).to_pylist()
        # Copies of a row in the chunk share its prefix (a Python set of the prefixes costs
        # less than Arrow's count_distinct did: ~650 instructions a stored event).
        skip = _later_copies(table) if len(set(ordered)) < count else []
        start = 0
        for key, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
            day, tenant = key >> 32, key & _LOW32
            tenant -= (tenant >> 31) << 32  # back to a signed 32-bit id
            rows, group = positions[start:end], ordered[start:end]
            start = end
            known = self._known_keys(cursor, day)
            if known is None:
                unheld += rows
                continue
            seen = known.get(tenant, set()).intersection(group)
            if seen:
                check += [pos for pos, prefix in zip(rows, group, strict=True) if prefix in seen]
            learnt.append((day, tenant, group))
        # The fields are orjson's output: typed JSON, DuckDB stores them without a re-parse.
        fields = pa.chunked_array(
            [pa.ExtensionArray.from_storage(_JSON, c) for c in table["fields"].chunks], _JSON
        )
        batch = table.append_column("pos", _positions(count)).set_column(_FIELDS, "fields", fields)
        cursor.register("batch", batch)
        try:
            if unheld:
                check += self._select(cursor, _SAME_KEY, unheld, days)
            if check:
                skip += self._select(cursor, _STORED, check, days)
            insert = _INSERT.format(promoted=_promoted_columns(_or_all(table["from_json"])))
            row = cursor.execute(insert, [skip]).fetchone()
        except BaseException:
            self._forget()  # whatever was stored, the next batch reads it again
            raise
        finally:
            cursor.unregister("batch")
        # Hold the chunk's prefixes (those of skipped rows are held already, or are a stored
        # row's of the chunk: a superset only costs a look-up).
        for day, tenant, group in learnt:
            known = self._known.get(day)  # None if evicted meanwhile
            if known is not None:
                mine = known.setdefault(tenant, set())
                size = len(mine)
                mine.update(group)
                self._known_count += len(mine) - size
        self._evict()
        return int(row[0]) if row else 0

    @staticmethod
    def _select(
        cursor: duckdb.DuckDBPyConnection, query: str, check: list[int], days: pa.Array
    ) -> list[int]:
        """The positions ``query`` selects among ``check`` (on the days of those rows)."""
        span = pc.min_max(days.take(check)).as_py()
        params = {"check": check, "first": _day(span["min"]), "last": _day(span["max"])}
        return [pos for (pos,) in cursor.execute(query, params).fetchall()]

    def _known_keys(
        self, cursor: duckdb.DuckDBPyConnection, day: int
    ) -> dict[int, set[int]] | None:
        """The id prefixes stored on ``day`` (days since the epoch) per tenant, read once into
        :attr:`_known`; None for a day too large to hold (its rows are looked up in DuckDB)."""
        known = self._known.get(day)
        if known is not None:
            self._known.move_to_end(day)
            return known
        if day in self._too_large:
            return None
        on = _day(day)
        if int(cursor.execute(_DAY_COUNT, [on]).fetchall()[0][0]) > self.known_keys:
            self._too_large.add(day)
            return None
        loaded: dict[int, set[int]] = {}
        stored_keys: pa.Table = cursor.sql(_DAY_KEYS, params=[on]).to_arrow_table()
        for tenant, prefix in zip(*(c.to_pylist() for c in stored_keys.columns), strict=True):
            loaded.setdefault(tenant, set()).add(prefix)
        self._known[day] = loaded
        self._known_count += sum(map(len, loaded.values()))
        self._evict(keep=day)
        return loaded

    def _evict(self, keep: int | None = None) -> None:
        """Forget the least recently used days (``keep`` last) while more ids than
        :attr:`known_keys` are held; a day that alone outgrew it is left to DuckDB."""
        order = [day for day in self._known if day != keep]
        if keep is not None and keep in self._known:
            order.append(keep)
        for day in order:
            if self._known_count <= self.known_keys:
                break
            size = sum(map(len, self._known.pop(day).values()))
            self._known_count -= size
            if size > self.known_keys:
                self._too_large.add(day)

    def _forget(self) -> None:
        """Drop every held id (they are read again from the store when needed)."""
        self._known.clear()
        self._known_count = 0
        self._too_large.clear()

    def purge(self, tenant_id: int, before: date, received_before: datetime) -> int:
        self._writable()
        with self._write_lock, self._cursor() as cursor:
            row = cursor.execute(
                "DELETE FROM events WHERE tenant_id = ? AND day < ? "
                "AND received_at < make_timestamp(?::BIGINT)",
                [tenant_id, before, micros(received_before.astimezone(UTC))],
            ).fetchone()
            deleted = int(row[0]) if row else 0
            if deleted:
                self._forget()  # held ids of deleted events would only cost look-ups: free them
                cursor.execute("CHECKPOINT")
        return deleted

    # --- reads ------------------------------------------------------------------------

    def search(self, query: EventQuery) -> SearchResult:
        where, params = _where(query)
        order = "DESC" if query.newest_first else "ASC"
        rows: list[tuple[Any, ...]] = []
        with self._cursor() as cursor:
            cursor.execute("BEGIN TRANSACTION")  # one snapshot for the count and the page
            count = cursor.execute(f"SELECT count(*) FROM events WHERE {where}", params)
            total_row = count.fetchone()
            total = int(total_row[0]) if total_row else 0
            after, after_params = _after(query)
            if total > query.page.offset or after:
                rows = cursor.execute(
                    f"{_SELECT} WHERE {where}{after} ORDER BY ts {order}, event_id {order} "
                    "LIMIT ? OFFSET ?",
                    [*params, *after_params, query.page.limit, query.page.offset],
                ).fetchall()
            cursor.execute("COMMIT")
        return SearchResult(items=[_event(r) for r in rows], total=total)

    def get(self, tenant_id: int, event_id: str) -> Event | None:
        if not EVENT_ID_PATTERN.fullmatch(event_id):
            return None
        with self._cursor() as cursor:
            row = cursor.execute(
                f"{_SELECT} WHERE tenant_id = ? AND key = ?::HUGEINT AND event_id = ?",
                [tenant_id, _key(event_id), event_id],
            ).fetchone()
        return _event(row) if row else None

    def days(self, tenant_id: int) -> list[date]:
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT DISTINCT day FROM events WHERE tenant_id = ? ORDER BY day", [tenant_id]
            ).fetchall()
        return [r[0] for r in rows]

    def count(self) -> int:
        """Events stored, all tenants (for operators and benchmarks)."""
        with self._cursor() as cursor:
            row = cursor.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        if not self.read_only:
            with self._write_lock:
                self._con.execute("CHECKPOINT")
        self._con.close()

    def count_purgeable(self, tenant_id: int, before: date, received_before: datetime) -> int:
        """What :meth:`purge` would delete, counted (same predicate, nothing deleted)."""
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT count(*) FROM events WHERE tenant_id = ? AND day < ? "
                "AND received_at < make_timestamp(?::BIGINT)",
                [tenant_id, before, micros(received_before.astimezone(UTC))],
            ).fetchone()
        return int(row[0]) if row else 0
