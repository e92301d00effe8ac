"""The embedded database's connection settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from vigile.db import WAL_CHECKPOINT_PAGES, make_engine


def test_sqlite_commits_are_durable_and_write_locking(tmp_path: Path) -> None:
    """A commit is on disk when it returns (the pipeline commits its spool offset, fsync'd,
    after a batch's alerts: they must not be lost to a power cut while the offset stays)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'v.db'}")
    try:
        with engine.connect() as connection:
            settings = {
                name: connection.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys")
            }
    finally:
        engine.dispose()
    assert settings == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}  # 2: FULL


def _temp_files() -> list[str]:
    """SQLite's open temporary files in this process (created, then unlinked: ``etilqs_``)."""
    fds = Path("/proc/self/fd")
    names = []
    for fd in fds.iterdir():
        try:
            names.append(str(fd.readlink()))
        except OSError:  # closed meanwhile
            continue
    return [name for name in names if "etilqs_" in name]


def _large_statement_in_transaction(connection: Connection) -> list[str]:
    """A multi-row insert at random places of a unique index, in a transaction that has
    written already (as the pipeline's marks are): it needs a statement journal, ~1 MB of
    the index's pages. The temporary files open at its end, before the rollback."""
    numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})"
    if connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == 0:
        connection.exec_driver_sql("CREATE TABLE t (a INTEGER PRIMARY KEY, k TEXT UNIQUE)")
        connection.exec_driver_sql(
            numbers.format(20_000) + " INSERT INTO t (k) SELECT hex(randomblob(32)) FROM n"
        )
    connection.commit()
    connection.exec_driver_sql("INSERT INTO t (k) VALUES ('x')")  # begins the transaction
    connection.exec_driver_sql(
        numbers.format(1_000) + " INSERT INTO t (k) SELECT hex(randomblob(32)) FROM n"
    )
    files = _temp_files()
    connection.rollback()
    return files


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")
def test_sqlite_keeps_temporary_files_in_memory(tmp_path: Path) -> None:
    """Statement journals and transient indices stay in memory: under load the pipeline's
    batches spilled them to a file written more than the spool."""
    engine = make_engine(f"sqlite:///{tmp_path / 'v.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
            assert _large_statement_in_transaction(connection) == []
            # The same statements spill to a file with SQLite's default (the check can fail).
            connection.exec_driver_sql("PRAGMA temp_store=DEFAULT")
            assert _large_statement_in_transaction(connection) != []
    finally:
        engine.dispose()


def test_sqlite_checkpoints_its_wal_past_64_mb_not_4(tmp_path: Path) -> None:
    """~13 MB of commits (thousands of random pages each, as the pipeline's marks dirty)
    stay in the WAL: with SQLite's default (1,000 pages) a commit past 4 MB copies the WAL to
    the database file and the next one starts it over, so it never grows past ~6 MB."""
    path = tmp_path / "v.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pages = connection.execute(text("PRAGMA wal_autocheckpoint")).scalar()
            connection.execute(text("CREATE TABLE t (k BLOB PRIMARY KEY, v BLOB)"))
            connection.commit()
            for _ in range(6):
                rows = [{"k": os.urandom(16), "v": os.urandom(500)} for _ in range(4000)]
                connection.execute(text("INSERT INTO t VALUES (:k, :v)"), rows)
                connection.commit()
            wal = path.with_name("v.db-wal").stat().st_size
    finally:
        engine.dispose()
    assert pages == WAL_CHECKPOINT_PAGES
    assert wal > 10 * 1024 * 1024
