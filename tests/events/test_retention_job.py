"""The retention job: each tenant's own retention (or the default) applied, audited, by
`vigile serve` and by `vigile events purge`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.conftest import db_url  # noqa: F401  (both SQL backends here: tenants and audit)
from tests.events.factory import make_event
from tests.holders import held_by_another_process
from vigile.app import create_app
from vigile.audit.models import AuditEntry
from vigile.cli import app as cli
from vigile.config import Settings, get_settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.errors import PermissionDenied
from vigile.events.duckdb_store import DuckDbEventStore, default_path
from vigile.events.retention_job import RetentionJob
from vigile.events.store import Event, EventStore
from vigile.ingest.marks import forget_marks
from vigile.ingest.models import DetectionMark
from vigile.scope import CallerScope, Role, local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate, TenantUpdate

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ADMIN = local_operator("test")


@dataclass
class World:
    sessions: sessionmaker[Session]
    alpha: int  # keeps 7 days
    beta: int  # the default


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        alpha = tenants.create_tenant(
            session, ADMIN, TenantCreate(slug="alpha", name="A", event_retention_days=7)
        ).id
        beta = tenants.create_tenant(session, ADMIN, TenantCreate(slug="beta", name="B")).id
    yield World(sessions, alpha, beta)
    engine.dispose()


def seed(store: EventStore, world: World, now: datetime) -> Event:
    """Per tenant: events 0 to 29 days old (received a second later), plus one for alpha
    stamped 100 days back but received yesterday (returned)."""
    for tenant_id in (world.alpha, world.beta):
        store.add([make_event(tenant_id, n, time=now - n * DAY) for n in range(30)])
    late = make_event(world.alpha, 999, time=now - 100 * DAY, received_at=now - DAY)
    store.add([late])
    return late


def purge_audit(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    with sessions() as session:
        query = select(AuditEntry).where(AuditEntry.action == "events.purge")
        return list(session.scalars(query.order_by(AuditEntry.seq)))


def test_one_pass_applies_each_tenants_retention_and_is_audited(
    world: World, store: DuckDbEventStore
) -> None:
    late = seed(store, world, NOW)
    job = RetentionJob(world.sessions, store, lambda: NOW, default_days=365)
    plan = {p.slug: p for p in job.plan(NOW)}
    assert (plan["alpha"].days, plan["alpha"].own) == (7, True)
    assert (plan["beta"].days, plan["beta"].own) == (365, False)
    assert plan["alpha"].first_kept == (NOW - 7 * DAY).date()
    assert job.count(list(plan.values())) == {world.alpha: 22, world.beta: 0}

    assert job.run_once() == {world.alpha: 22, world.beta: 0}
    assert store.days(world.alpha)[-8:] == [(NOW - n * DAY).date() for n in range(7, -1, -1)]
    assert store.get(world.alpha, late.event_id) is not None  # received yesterday: kept
    assert len(store.days(world.beta)) == 30  # the default keeps a year
    (entry,) = purge_audit(world.sessions)
    assert (entry.actor, entry.tenant_id, entry.object_id) == (
        "system:event-retention",
        world.alpha,
        "alpha",
    )
    details = orjson.loads(entry.details)
    assert details["deleted"] == 22 and details["retention_days"] == 7
    assert details["first_day_kept"] == "2026-11-19" and details["tenant_setting"] is True
    assert entry.at == NOW

    # Nothing left to delete: no audit entry. A changed setting applies at the next pass.
    assert job.run_once() == {world.alpha: 0, world.beta: 0}
    assert len(purge_audit(world.sessions)) == 1
    with transaction(world.sessions) as session:
        tenants.update_tenant(session, ADMIN, "beta", TenantUpdate(event_retention_days=10))
    assert job.run_once() == {world.alpha: 0, world.beta: 19}
    assert [e.tenant_id for e in purge_audit(world.sessions)] == [world.alpha, world.beta]


def test_only_an_administrators_job_runs(world: World, store: DuckDbEventStore) -> None:
    seed(store, world, NOW)
    analyst = CallerScope(principal="user:a", role=Role.ANALYST, tenant_ids=None)
    job = RetentionJob(world.sessions, store, lambda: NOW, default_days=1, scope=analyst)
    with pytest.raises(PermissionDenied):
        job.run_once()
    assert len(store.days(world.beta)) == 30


def test_serve_runs_a_pass_at_start(
    settings: Settings, world: World, clock: Callable[[], datetime]
) -> None:
    store = DuckDbEventStore(default_path(settings))
    seed(store, world, clock())
    store.close()
    quick = settings.model_copy(
        update={
            "event_retention_interval_seconds": 30,
            "event_retention_days": 20,
            "worker_enabled": False,
            "syslog_enabled": False,
        }
    )
    app = create_app(quick, clock=clock, scheduler=True)
    with TestClient(app):
        for _ in range(500):
            if len(purge_audit(world.sessions)) == 2:
                break
            time.sleep(0.01)
        served: EventStore = app.state.event_store
        assert len(store_days(served, world.beta)) == 21  # 0 to 20 days old
        assert len(store_days(served, world.alpha)) == 9  # 0 to 7 days, and the late one
    app.state.engine.dispose()
    counts = {e.tenant_id: orjson.loads(e.details)["deleted"] for e in purge_audit(world.sessions)}
    assert counts == {world.alpha: 22, world.beta: 9}


def store_days(store: EventStore, tenant_id: int) -> list[object]:
    return list(store.days(tenant_id))


# --- vigile events purge -------------------------------------------------------------------


def table_rows(output: str) -> list[list[str]]:
    """The body rows of a Rich table, as lists of stripped cells."""
    return [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in output.splitlines()
        if line.startswith("│") and "tenant" not in line
    ]


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("VIGILE_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("VIGILE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
def test_purge_by_hand_dry_run_first(settings: Settings, world: World) -> None:
    now = datetime.now(UTC)  # the command runs on the wall clock
    store = DuckDbEventStore(default_path(settings))
    seed(store, world, now)
    store.close()
    runner = CliRunner()

    dry = runner.invoke(cli, ["events", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    rows = {cells[0]: cells[1:] for cells in table_rows(dry.output)}
    first_kept = (now - 7 * DAY).date().isoformat()
    assert rows["alpha"] == ["7 days", first_kept, "22"]
    assert rows["beta"] == ["365 days (default)", (now - 365 * DAY).date().isoformat(), "0"]
    assert "22 events would be deleted (dry run)" in dry.output
    as_json = runner.invoke(cli, ["events", "purge", "--dry-run", "--format", "json"])
    assert [(r["tenant"], r["would_delete"]) for r in json.loads(as_json.output)] == [
        ("alpha", 22),
        ("beta", 0),
    ]
    store = DuckDbEventStore(default_path(settings), read_only=True)
    assert store.count() == 61  # nothing deleted
    store.close()
    assert purge_audit(world.sessions) == []

    done = runner.invoke(cli, ["events", "purge"])
    assert done.exit_code == 0, done.output
    assert "22 events deleted" in done.output
    store = DuckDbEventStore(default_path(settings), read_only=True)
    assert store.count() == 39
    store.close()
    (entry,) = purge_audit(world.sessions)
    assert entry.actor.startswith("cli:") and entry.tenant_id == world.alpha


@pytest.mark.usefixtures("cli_env", "world")
def test_a_dry_run_without_a_store_creates_none(settings: Settings) -> None:
    dry = CliRunner().invoke(cli, ["events", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert [row[0] for row in table_rows(dry.output)] == ["alpha", "beta"]
    assert "0 events would be deleted" in dry.output
    assert not default_path(settings).exists()


@pytest.mark.usefixtures("cli_env", "world")
def test_purge_by_hand_while_the_server_holds_the_store_says_what_to_do(
    settings: Settings,
) -> None:
    path = default_path(settings)
    DuckDbEventStore(path).close()
    with held_by_another_process("import duckdb; c = duckdb.connect(sys.argv[1])", path):
        refused = CliRunner().invoke(cli, ["events", "purge"])
    assert refused.exit_code == 1
    assert "cannot open the event store" in refused.output
    assert "POST /api/v1/events/purge" in refused.output


def _marks(sessions: sessionmaker[Session]) -> set[tuple[int, str]]:
    with sessions() as session:
        rows = session.execute(select(DetectionMark.tenant_id, DetectionMark.event_id))
        return {(tenant, event) for tenant, event in rows}


def test_serves_pass_forgets_the_detection_marks_of_expired_events(
    world: World, store: DuckDbEventStore
) -> None:
    """A mark guards an event the store still holds against a second alert; past the
    tenant's retention (received before its cutoff) it goes, in the pass's audit
    transaction, counted in the tenant's audit entry (a tenant that lost no event loses its
    old marks too, unaudited)."""
    seed(store, world, NOW)
    ages = {world.alpha: (30, 8, 6, 0), world.beta: (400, 30, 0)}
    with transaction(world.sessions) as session:
        for tenant, days in ages.items():
            for age in days:
                created = NOW - age * DAY
                session.add(
                    DetectionMark(
                        tenant_id=tenant, event_id=f"e{age}", rule_id="r", created_at=created
                    )
                )
    alone = RetentionJob(world.sessions, store, lambda: NOW, default_days=365)
    alone.run_once(NOW - 2 * DAY)  # without `forget` (the on-demand purges): marks kept
    assert len(_marks(world.sessions)) == 7

    job = RetentionJob(world.sessions, store, lambda: NOW, default_days=365, forget=forget_marks)
    deleted = job.run_once()  # alpha's events of the last two days' cutoffs
    assert deleted[world.alpha] > 0 and deleted[world.beta] == 0
    assert _marks(world.sessions) == {
        (world.alpha, "e6"),
        (world.alpha, "e0"),
        (world.beta, "e30"),
        (world.beta, "e0"),
    }
    last = purge_audit(world.sessions)[-1]
    assert last.tenant_id == world.alpha
    assert orjson.loads(last.details)["detection_marks_deleted"] == 2
    assert "detection_marks_deleted" not in orjson.loads(purge_audit(world.sessions)[0].details)
