"""The ingest side of a running process: the spool (opened on first use) and HEC acks.

One :class:`IngestRuntime` per process: the embedded spool is locked to one process, so the
HTTP receivers, the syslog listeners and the worker of `vigile serve` share this object.
"""

from __future__ import annotations

import threading
from pathlib import Path

from vigile.config import Settings
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.store import EventStore
from vigile.ingest.acks import AckRegistry
from vigile.ingest.credentials import CredentialCache
from vigile.spool.local import Spool


def spool_dir(settings: Settings) -> Path:
    """Where the embedded spool lives."""
    return settings.data_dir / "spool"


def open_spool(settings: Settings) -> Spool:
    """The embedded spool with the configured bounds (back-pressure past them)."""
    max_bytes = settings.ingest_spool_max_mb * 1024 * 1024
    segment = min(64 * 1024 * 1024, max(4096, max_bytes // 4))
    return Spool(
        spool_dir(settings),
        segment_bytes=segment,
        max_bytes=max_bytes,
        max_lag=settings.ingest_spool_max_lag or None,
    )


class IngestRuntime:
    """Shared, lazily opened ingest resources of one process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.acks = AckRegistry()
        self.credentials = CredentialCache(settings.ingest_token_cache_seconds)
        self._lock = threading.Lock()
        self._spool: Spool | None = None
        self._store: DuckDbEventStore | None = None

    @property
    def spool(self) -> Spool:
        """The spool, opened on first use (most processes and tests never ingest)."""
        with self._lock:
            if self._spool is None:
                self._spool = open_spool(self.settings)
            return self._spool

    @property
    def event_store(self) -> EventStore:
        """The embedded event store, opened read-write on first use (the worker's)."""
        with self._lock:
            if self._store is None:
                self._store = DuckDbEventStore.open(self.settings)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._spool is not None:
                self._spool.close()
                self._spool = None
            if self._store is not None:
                self._store.close()
                self._store = None
