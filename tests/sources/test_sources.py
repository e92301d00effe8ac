"""Source health: first/last seen, counts and rate from the pipeline; silence alerts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import FakeClock
from tests.rules.conftest import send, sysmon
from tests.web.conftest import World, build_world
from vigile.alerts.models import Alert, AlertEvent
from vigile.app import create_app
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.detection.engine import ruleset_from_yaml
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.ingest.pipeline import build_worker
from vigile.ingest.runtime import open_spool
from vigile.sources import scheduler
from vigile.sources.models import Source
from vigile.sources.service import SILENT_RULE_ID


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.effective_database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _pipeline(
    settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
    sessions: sessionmaker[Session],
    tenant: int,
    n: int,
) -> None:
    spool = open_spool(settings)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    worker = build_worker(settings, spool, store, sessions, clock, ruleset_from_yaml([]))
    try:
        send(
            settings,
            spool,
            tenant,
            [sysmon(i + int(clock().timestamp()), "x.exe") for i in range(n)],
            clock,
        )
        worker.drain()
    finally:
        worker.detector.close()
        spool.close()
        store.close()


def test_sources_tracked_silence_alerted_once_and_recovery(
    settings: Settings, clock: FakeClock, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    settings = settings.model_copy(update={"worker_processes": 1, "source_silent_minutes": 30})
    world = build_world(settings, clock)
    alpha = world.tenant_ids["alpha"]
    _pipeline(settings, clock, tmp_path, sessions, alpha, 5)
    start = clock()
    clock.now += timedelta(minutes=6)
    _pipeline(settings, clock, tmp_path, sessions, alpha, 3)
    with sessions() as session:
        (row,) = session.scalars(select(Source))
        assert (row.tenant_id, row.receiver, row.host) == (alpha, "native", "ws01")
        assert row.event_count == 8 and row.first_seen == start and row.last_seen == clock()
        assert row.rate_per_minute == pytest.approx(5 / 6, rel=1e-3)  # one full 5-min window
    # Within its interval: nothing; past it: one alert, not repeated by later passes.
    assert scheduler.watch_once(sessions, clock, settings).silenced == 0
    clock.now += timedelta(minutes=31)
    assert scheduler.watch_once(sessions, clock, settings).alerts_created == 1
    clock.now += timedelta(minutes=31)
    assert scheduler.watch_once(sessions, clock, settings).silenced == 0
    with sessions() as session:
        (alert,) = session.scalars(select(Alert).where(Alert.rule_id == SILENT_RULE_ID))
        assert alert.tenant_id == alpha and alert.host == "ws01" and alert.level == 3
    # The source sends again: recovered, noted on the alert's timeline.
    _pipeline(settings, clock, tmp_path, sessions, alpha, 1)
    with sessions() as session:
        row = session.scalars(select(Source)).one()
        assert row.silent_since is None and row.recovered_at == clock()
        texts = session.scalars(select(AlertEvent.text).where(AlertEvent.alert_id == alert.id))
        assert any(t and "sends again" in t for t in texts)


@pytest.fixture
def api(settings: Settings, clock: Callable[[], datetime]) -> Iterator[tuple[TestClient, World]]:
    world = build_world(settings, clock)
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        yield client, world
    app.state.engine.dispose()


def test_sources_api_and_interval_override(
    api: tuple[TestClient, World], clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    client, world = api
    with sessions() as session, session.begin():
        session.add(
            Source(
                tenant_id=world.tenant_ids["alpha"],
                receiver="syslog",
                source_type="cef",
                host="fw",
                first_seen=clock(),
                last_seen=clock(),
                event_count=3,
                window_start=clock(),
                window_count=3,
            )
        )
    listed = client.get("/api/v1/sources", headers=world.headers["client-alpha"]).json()
    (item,) = listed["items"]
    assert item["expected_interval_minutes"] == 60 and item["state"] == "ok"
    url = f"/api/v1/sources/{item['id']}/expected-interval"
    body = {"expected_interval_minutes": 5}
    assert client.put(url, json=body, headers=world.headers["client-alpha"]).status_code == 403
    done = client.put(url, json=body, headers=world.headers["analyst"])
    assert done.status_code == 200 and done.json()["expected_interval_minutes"] == 5
    assert done.json()["interval_overridden"]
    never = client.put(url, json={"expected_interval_minutes": 0}, headers=world.headers["admin"])
    assert never.json()["expected_interval_minutes"] is None
