"""The worker: spool → detection → event store and alerts, exactly once across replays."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.conftest import build_world
from vigile.alerts.models import Alert
from vigile.app import create_app
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.detection.engine import ruleset_from_yaml
from vigile.events import service as events
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.store import EventRows
from vigile.ingest.detect import Detector
from vigile.ingest.models import DetectionMark
from vigile.ingest.runtime import open_spool
from vigile.ingest.worker import GROUP, Worker
from vigile.pagination import PageRequest
from vigile.scope import CallerScope, Role

RULE = """
title: Whoami execution
id: 11111111-2222-3333-4444-555555555555
status: test
level: high
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\\\\whoami.exe'
    condition: selection
"""


def sysmon(n: int, image: str = "C:\\Windows\\System32\\whoami.exe") -> dict[str, object]:
    return {
        "EventID": 1,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Image": image,
        "CommandLine": f"whoami /all #{n}",
        "Computer": f"ws{n % 2}",
        "UtcTime": "2026-11-26 08:00:00.000",
        "User": "CORP\\bob",
    }


def client_scope(tenant_id: int) -> CallerScope:
    return CallerScope("user:client", Role.CLIENT, frozenset({tenant_id}))


@pytest.fixture
def app_client(settings: Settings, clock: Callable[[], datetime]) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


def test_events_stored_and_alerts_raised_once(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    world = build_world(settings, clock)
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        for name in ("ingest-alpha", "ingest-beta"):
            body = b"".join(orjson.dumps(sysmon(i)) + b"\n" for i in range(4))
            body += orjson.dumps(sysmon(9, "C:\\Windows\\notepad.exe")) + b"\n"
            response = client.post("/api/v1/ingest", content=body, headers=world.headers[name])
            assert response.status_code == 200 and response.json()["accepted"] == 5
        # Resending the same lines: same ids, nothing new downstream.
        client.post("/api/v1/ingest", content=body, headers=world.headers["ingest-beta"])
    app.state.engine.dispose()

    ruleset = ruleset_from_yaml([RULE])
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    spool = open_spool(settings)
    worker = Worker(spool, store, sessions, Detector(ruleset), clock, batch=4)
    # A crash after storing and raising but before the offset commit: the batch is replayed.
    pending = worker._start(spool.read(GROUP, 100))
    assert pending is not None
    worker._process(pending)
    spool.close()
    spool = open_spool(settings)
    worker = Worker(spool, store, sessions, Detector(ruleset), clock, batch=4)
    assert worker.drain() == 15
    assert worker.drain() == 0

    alpha, beta = world.tenant_ids["alpha"], world.tenant_ids["beta"]
    with sessions() as session:
        marks = session.scalar(select(func.count()).select_from(DetectionMark))
        assert marks == 8  # 4 whoami events x 2 tenants, once each
        alerts = list(session.scalars(select(Alert).order_by(Alert.id)))
        # Deduplicated per host (ws0, ws1) and tenant, with deadlines.
        assert sorted((a.tenant_id, a.host) for a in alerts) == [
            (alpha, "ws0"),
            (alpha, "ws1"),
            (beta, "ws0"),
            (beta, "ws1"),
        ]
        assert [a.match_count for a in alerts] == [2] * 4
        assert all(a.sla_reason for a in alerts)  # the deadline was computed (or why not)
        assert {a.rule_id for a in alerts} == {"11111111-2222-3333-4444-555555555555"}
        # Tenant isolation in the store: alpha's client sees alpha's five events only.
        window = {
            "start": datetime(2026, 11, 1, tzinfo=UTC),
            "end": datetime(2026, 12, 1, tzinfo=UTC),
        }
        found = events.search(
            store, client_scope(alpha), session, now=clock(), page=PageRequest(limit=100), **window
        )
        assert found.total == 5 and {e.tenant_id for e in found.items} == {alpha}
        hidden = events.search(
            store,
            client_scope(alpha),
            session,
            now=clock(),
            where=["CommandLine|contains=whoami"],
            **window,
        )
        assert {e.tenant_id for e in hidden.items} == {alpha}
    assert store.count() == 10
    spool.close()
    store.close()
    engine.dispose()


def send_sysmon(settings: Settings, clock: Callable[[], datetime], count: int) -> None:
    """Ingest ``count`` Sysmon events for tenant alpha of a new world (one request)."""
    world = build_world(settings, clock)
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        body = b"".join(orjson.dumps(sysmon(i)) + b"\n" for i in range(count))
        response = client.post(
            "/api/v1/ingest", content=body, headers=world.headers["ingest-alpha"]
        )
        assert response.status_code == 200 and response.json()["accepted"] == count
    app.state.engine.dispose()


class _FailOnce:
    """An event store whose first ``add_rows`` fails (a transient error mid-batch)."""

    def __init__(self, store: DuckDbEventStore) -> None:
        self.store, self.failed = store, False

    def add_rows(self, rows: EventRows) -> int:
        if not self.failed:
            self.failed = True
            raise RuntimeError("transient")
        return self.store.add_rows(rows)


def test_a_failed_batch_is_retried_not_skipped(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    send_sysmon(settings, clock, 6)
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    spool = open_spool(settings)
    failing: Any = _FailOnce(store)
    worker = Worker(spool, failing, sessions, Detector(ruleset_from_yaml([RULE])), clock, batch=2)
    with pytest.raises(RuntimeError):
        worker.run_once()
    assert worker.drain() == 6  # the failed batch first, then the rest
    assert store.count() == 6 and spool.committed(GROUP) is not None
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(DetectionMark)) == 6
    spool.close()
    store.close()
    engine.dispose()
