"""Database engine and sessions: SQLite (default, WAL) or PostgreSQL, chosen by URL.

Tables of every slice derive from :class:`Base`; a slice reads or writes another slice's rows
only through that slice's ``service.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite stores no offset; values are normalised to UTC on the way in and marked UTC on
    the way out, so code never sees a naive datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every Vigile table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


WAL_CHECKPOINT_PAGES = 16_000
"""SQLite WAL pages (4 KiB) past which a commit checkpoints (SQLite's default: 1,000)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, issue BEGIN (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # FULL: a commit is on disk when it returns (WAL fsync'd). The pipeline fsyncs the spool
    # offset it commits after a batch's alerts; with NORMAL, a power cut could keep that offset
    # and lose the alerts. Writers commit a few times a second, so the fsyncs cost little.
    cursor.execute("PRAGMA synchronous=FULL")
    # Temporary files in memory: the statement journals of the pipeline's multi-row writes
    # (a batch's alerts and marks, in one transaction) spilled past 64 KiB to a file in
    # /var/tmp, written more than the spool; half the server's kernel time under load
    # (bench/ingest.py: server 47 -> 40 us CPU per event, of which system 15 -> 8; fully
    # processed 19.8k -> 21.3-22.8k events/s).
    cursor.execute("PRAGMA temp_store=MEMORY")
    # Checkpoint the WAL every 64 MB rather than 4 MB: the pipeline's marks and evidence
    # dirty ~1,000 random pages a batch, so with the default nearly every batch's commit
    # also ran a checkpoint (copy to the database file, fsync); rarer checkpoints copy a
    # page rewritten meanwhile once. 900 random marks a commit on 300,000: commit 21 -> 13 ms.
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred SQLite transaction that reads, then writes after another writer committed,
    # fails ("database is locked"): WAL cannot upgrade a stale snapshot. Taking the write lock
    # at BEGIN serialises writers instead (busy_timeout waits), which read-then-write
    # sequences such as the audit chain's head need. Transactions are short, so the cost of
    # also serialising read-only ones is small for the embedded database.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys, a busy timeout and
    write-locking transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (API responses read them)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with factory() as session, session.begin():
        yield session


_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _converter(
    dialect: Any, types: Sequence[Any]
) -> Callable[[Sequence[tuple[Any, ...]]], Sequence[tuple[Any, ...]]]:
    """The rows with the bind processors of ``types`` applied, once per distinct object (a
    batch's rows share their times)."""
    procs = [t.dialect_impl(dialect).bind_processor(dialect) for t in types]
    converted = [(i, proc) for i, proc in enumerate(procs) if proc is not None]

    def convert(rows: Sequence[tuple[Any, ...]]) -> Sequence[tuple[Any, ...]]:
        if not converted:
            return rows
        memo: dict[int, tuple[Any, Any]] = {}
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(row)
            for i, proc in converted:
                value = values[i]
                known = memo.get(id(value))
                if known is None or known[0] is not value:
                    known = memo[id(value)] = (value, proc(value))
                values[i] = known[1]
            out.append(tuple(values))
        return out

    return convert


def rows_writer(
    session: Session, sql: Callable[[Callable[[str], str], str], str], types: Sequence[Any]
) -> Callable[[Sequence[tuple[Any, ...]]], None]:
    """A writer of many rows with the driver's executemany, skipping SQLAlchemy's per-row
    parameter handling (~10 us a row): ``sql(quote, mark)`` is the statement (``quote``
    quotes a name, ``mark`` is the driver's placeholder), ``types`` the column types of
    the tuples' values (their bind processors are applied, once per distinct object: a
    batch's rows share their times). Raises ValueError when the driver's parameter
    style is not positional (:func:`writes_raw`: use Core statements then)."""
    connection = session.connection()
    dialect = connection.dialect
    mark = _PLACEHOLDERS.get(dialect.paramstyle)
    if mark is None:
        raise ValueError(f"no positional parameters with {dialect.paramstyle}")
    statement = sql(dialect.identifier_preparer.quote, mark)
    convert = _converter(dialect, types)

    def write(rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:  # (an empty executemany is an error for some drivers)
            connection.exec_driver_sql(statement, list(convert(rows)))

    return write


ROWS_PER_STATEMENT = 100
"""Rows per multi-row INSERT of :func:`rows_inserter` on SQLite (its bound on parameters
is 32,766 since 3.32; 999 before it: columns x rows stays under that for 9 columns)."""


def rows_inserter(
    session: Session,
    table: str,
    columns: Sequence[str],
    types: Sequence[Any],
) -> Callable[[Sequence[tuple[Any, ...]]], None]:
    """:func:`rows_writer` of an INSERT of ``columns`` into ``table``. On SQLite the rows go
    :data:`ROWS_PER_STATEMENT` to a statement rather than one by one through executemany
    (the pipeline's ~1,000 detection marks and ~500 evidence rows a batch: -4 % of the
    instructions of raising a batch's alerts). Raises ValueError as :func:`rows_writer`."""
    connection = session.connection()
    dialect = connection.dialect
    q = dialect.identifier_preparer.quote
    head = f"INSERT INTO {q(table)} ({', '.join(map(q, columns))}) VALUES "
    mark = _PLACEHOLDERS.get(dialect.paramstyle, "?")
    row = f"({', '.join([mark] * len(columns))})"
    each = rows_writer(session, lambda _q, _m: f"{head}{row}", types)
    if dialect.name != "sqlite":
        return each
    convert = _converter(dialect, types)
    statements: dict[int, str] = {}  # by row count: the driver caches each prepared

    def write(rows: Sequence[tuple[Any, ...]]) -> None:
        converted = convert(rows)
        for start in range(0, len(converted), ROWS_PER_STATEMENT):
            chunk = converted[start : start + ROWS_PER_STATEMENT]
            statement = statements.get(len(chunk))
            if statement is None:
                statement = statements[len(chunk)] = f"{head}{', '.join([row] * len(chunk))}"
            connection.exec_driver_sql(statement, tuple(v for r in chunk for v in r))

    return write


def writes_raw(session: Session) -> bool:
    """Whether :func:`rows_writer` works with this session's driver."""
    return session.get_bind().dialect.paramstyle in _PLACEHOLDERS
