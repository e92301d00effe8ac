"""`POST /api/v1/events/purge`: the retention pass on demand, in the running server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import db_url  # noqa: F401  (both SQL backends here: tenants and audit)
from tests.events.factory import make_event
from tests.web.conftest import World, build_world
from vigile.app import create_app
from vigile.audit.models import AuditEntry
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.events.duckdb_store import DuckDbEventStore, default_path
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantUpdate

DAY = timedelta(days=1)


def _seed(settings: Settings, world: World, now: datetime) -> None:
    """Per tenant, events 0 to 29 days old; alpha keeps 7 days, beta the default (a year)."""
    store = DuckDbEventStore(default_path(settings))
    for slug in ("alpha", "beta"):
        tenant_id = world.tenant_ids[slug]
        store.add([make_event(tenant_id, n, time=now - n * DAY) for n in range(30)])
    store.close()
    engine = make_engine(settings.effective_database_url)
    with transaction(make_sessionmaker(engine)) as session:
        update = TenantUpdate(event_retention_days=7)
        tenants.update_tenant(session, local_operator("test"), "alpha", update)
    engine.dispose()


def _purge_audit(settings: Settings) -> list[AuditEntry]:
    engine = make_engine(settings.effective_database_url)
    with make_sessionmaker(engine)() as session:
        query = select(AuditEntry).where(AuditEntry.action == "events.purge")
        entries = list(session.scalars(query.order_by(AuditEntry.seq)))
    engine.dispose()
    return entries


def test_an_administrator_purges_the_running_servers_store(
    settings: Settings, clock: Callable[[], datetime]
) -> None:
    world = build_world(settings, clock)
    _seed(settings, world, clock())
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        admin = world.headers["admin"]
        dry = client.post("/api/v1/events/purge?dry_run=true", headers=admin)
        assert dry.status_code == 200, dry.text
        answer = dry.json()
        assert answer["dry_run"] is True and answer["total"] == 22
        rows = {row["tenant"]: row for row in answer["tenants"]}
        assert (rows["alpha"]["retention_days"], rows["alpha"]["tenant_setting"]) == (7, True)
        assert rows["alpha"]["first_day_kept"] == (clock() - 7 * DAY).date().isoformat()
        assert (rows["alpha"]["deleted"], rows["beta"]["deleted"]) == (22, 0)
        assert rows["beta"]["tenant_setting"] is False
        assert app.state.event_store.count() == 60  # a dry run deletes nothing
        assert _purge_audit(settings) == []

        done = client.post("/api/v1/events/purge", headers=admin)
        assert done.status_code == 200, done.text
        assert done.json()["dry_run"] is False and done.json()["total"] == 22
        assert app.state.event_store.count() == 38
        again = client.post("/api/v1/events/purge", headers=admin)
        assert again.json()["total"] == 0
    app.state.engine.dispose()
    (entry,) = _purge_audit(settings)  # one entry per tenant that lost events, in the caller's name
    assert entry.tenant_id == world.tenant_ids["alpha"] and entry.object_id == "alpha"
    assert entry.actor.startswith("user:admin/token:")  # the admin, through their token
    assert orjson.loads(entry.details)["deleted"] == 22


def test_only_administrators_purge(settings: Settings, clock: Callable[[], datetime]) -> None:
    world = build_world(settings, clock)
    _seed(settings, world, clock())
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        refusals = ("analyst", "analyst-alpha", "client-alpha", "api-client-alpha", "ingest-alpha")
        for name in refusals:
            refused = client.post("/api/v1/events/purge", headers=world.headers[name])
            assert refused.status_code in (401, 403), (name, refused.text)
        assert client.post("/api/v1/events/purge").status_code == 401
        assert app.state.event_store.count() == 60
    app.state.engine.dispose()
    assert _purge_audit(settings) == []
