"""The embedded database's connection settings."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from vigile.db import make_engine


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
