"""Assembling and running the worker: rule set, event store, detector, thread.

`vigile serve` runs it in a thread of the server process (sharing the spool and the event
store with the receivers and the API: the embedded spool and DuckDB each allow one writing
process); `vigile worker` runs it alone in the foreground.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from vigile.alerts.policy import AlertPolicy
from vigile.config import Settings
from vigile.detection.engine import RuleSet
from vigile.events.store import EventStore
from vigile.ingest.detect import Detector
from vigile.ingest.gc_tuning import tune_pipeline_process
from vigile.ingest.observers import BatchObserver, observed_through
from vigile.ingest.runtime import IngestRuntime
from vigile.ingest.worker import Worker
from vigile.rules.active import ActiveRules
from vigile.spool.api import SpoolBackend

log = logging.getLogger(__name__)
GIL_SWITCH_SECONDS = 0.001


def build_worker(
    settings: Settings,
    spool: SpoolBackend,
    store: EventStore,
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    ruleset: RuleSet | None = None,
) -> Worker:
    """A worker with the rules in force (imported rule sets + ``VIGILE_RULES``; or exactly
    ``ruleset`` for every tenant), detection processes, batch size, and the observers of
    each batch (source health, assets seen)."""
    observe = BatchObserver(sessions, clock, spool.identity)
    replay_to = observed_through(sessions, spool.identity)
    policy = AlertPolicy.from_settings(settings)
    if ruleset is not None:
        detector = Detector(ruleset, settings.worker_processes)
        return Worker(
            spool,
            store,
            sessions,
            detector,
            clock,
            policy=policy,
            batch=settings.worker_batch,
            observe=observe,
            replay_to=replay_to,
        )
    active = ActiveRules(settings, sessions)
    detector = Detector(active.build(), settings.worker_processes)

    def reload() -> Detector | None:
        return Detector(active.build(), settings.worker_processes) if active.refresh() else None

    return Worker(
        spool,
        store,
        sessions,
        detector,
        clock,
        policy=policy,
        batch=settings.worker_batch,
        in_force=active.in_force,
        rule_version=active.rule_version,
        reload=reload,
        reload_every=settings.rules_refresh_seconds,
        observe=observe,
        replay_to=replay_to,
    )


class PipelineThread:
    """The worker in a background thread (built there: compiling rules takes a while)."""

    def __init__(self, build: Callable[[], Worker]) -> None:
        self._build = build
        self._stop = threading.Event()
        self.worker: Worker | None = None
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="vigile-pipeline", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        try:
            self.worker = self._build()
        finally:
            self.ready.set()
        tune_pipeline_process()
        self.worker.run(self._stop)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        if self.worker is not None:
            self.worker.close()


def start_in_app(
    state: Any, settings: Settings, clock: Callable[[], datetime]
) -> PipelineThread | None:
    """Start the worker of a `vigile serve` app (unless ``worker_enabled`` is off). The app's
    event store is shared if it has one (``state.event_store``); else the ingest runtime
    opens it and lends it to the API."""
    if not settings.worker_enabled:
        return None
    runtime: IngestRuntime = state.ingest
    store: EventStore | None = getattr(state, "event_store", None)
    if store is None:
        store = state.event_store = runtime.event_store
    spool = runtime.spool
    # The worker thread shares the GIL with the receivers: a shorter switch interval than
    # CPython's 5 ms bounds how long a receiver returning from I/O (socket, fsync) waits
    # behind the worker's Python code, i.e. the ack latency under load.
    sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_SECONDS))
    thread = PipelineThread(lambda: build_worker(settings, spool, store, state.sessions, clock))
    thread.start()
    return thread
