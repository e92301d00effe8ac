"""The worker applies the rules in force per tenant and follows imports and toggles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from tests.rules.conftest import NET_ID, WHOAMI_ID, send, sysmon, write_rules
from tests.web.conftest import build_world
from vigile.alerts.models import Alert
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.ingest.pipeline import build_worker
from vigile.ingest.runtime import open_spool
from vigile.rules import service
from vigile.rules.types import Provenance
from vigile.scope import local_operator

OP = local_operator("test")


def test_rule_sets_in_force_per_tenant_versions_and_reload(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    default_rules = tmp_path / "default"
    default_rules.mkdir()
    # VIGILE_RULES holds the net.exe rule too: the imported set governs it (precedence).
    (default_rules / "net.yml").write_text((write_rules(tmp_path / "x") / "net.yml").read_text())
    settings = settings.model_copy(
        update={"worker_processes": 1, "rules": [default_rules], "rules_refresh_seconds": 0.01}
    )
    world = build_world(settings, clock)
    alpha, beta = world.tenant_ids["alpha"], world.tenant_ids["beta"]
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    folder = write_rules(tmp_path / "pack")
    with transaction(sessions) as session:
        found = service.read_folder(folder)
        service.import_ruleset(
            session, OP, found, "t", "pack", Provenance.PARTNER, ["alpha"], clock
        )
    spool = open_spool(settings)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    worker = build_worker(settings, spool, store, sessions, clock)
    try:
        for tenant in (alpha, beta):
            send(settings, spool, tenant, [sysmon(1, "whoami.exe"), sysmon(2, "net.exe")], clock)
        worker.drain()
        with sessions() as session:
            alerts = list(session.scalars(select(Alert).order_by(Alert.id)))
        # alpha: both rules of its set; beta: out of scope, and net.exe governed by the set.
        assert sorted((a.tenant_id, a.rule_id) for a in alerts) == [
            (alpha, WHOAMI_ID),
            (alpha, NET_ID),
        ]
        assert all(a.rule_version and a.rule_version.startswith("pack@1#") for a in alerts)
        # Disable for alpha, re-import a changed version in scope of both: picked up live.
        write_rules(folder, level="critical")
        with transaction(sessions) as session:
            service.set_enabled(session, OP, "pack", "alpha", False, clock)
            service.import_ruleset(
                session, OP, service.read_folder(folder), "t", "pack", Provenance.PARTNER, [], clock
            )
        for tenant in (alpha, beta):
            send(settings, spool, tenant, [sysmon(3, "whoami.exe")], clock)
        worker._reloaded = 0.0
        worker.drain()
        with sessions() as session:
            new = list(session.scalars(select(Alert).where(Alert.id > alerts[-1].id)))
        assert [(a.tenant_id, a.rule_id) for a in new] == [(beta, WHOAMI_ID)]
        assert new[0].rule_version and new[0].rule_version.startswith("pack@2#")
        assert new[0].sigma_level == "critical"
    finally:
        worker.detector.close()
        spool.close()
        store.close()
        engine.dispose()
