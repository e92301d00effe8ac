"""Fixtures of the pipeline tests: the two-tenant world on SQLite, an app client, helpers."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import World, build_world
from vigile.app import create_app
from vigile.config import Settings
from vigile.ingest.envelope import Envelope
from vigile.ingest.runtime import IngestRuntime


@pytest.fixture
def lite_settings(sqlite_template: Path, tmp_path: Path) -> Settings:
    """Settings on a fresh SQLite copy (the receivers' logic does not depend on the DBMS;
    the quarantine and worker tests that touch SQL run on PostgreSQL too)."""
    target = tmp_path / "vigile.db"
    shutil.copyfile(sqlite_template, target)
    return Settings(database_url=f"sqlite:///{target}", data_dir=tmp_path / "data")


@pytest.fixture
def lite_world(lite_settings: Settings, clock: Callable[[], datetime]) -> World:
    return build_world(lite_settings, clock)


@pytest.fixture
def lite_client(lite_settings: Settings, clock: Callable[[], datetime]) -> Iterator[TestClient]:
    app = create_app(lite_settings, clock=clock)
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


def spooled(client: TestClient, group: str = "test") -> list[tuple[str, Envelope]]:
    """Everything in the app's spool so far, as (tenant id, envelope)."""
    runtime: IngestRuntime = client.app.state.ingest  # type: ignore[attr-defined]
    batch = runtime.spool.read(group, 100_000)
    return [(r.tenant_id, Envelope.decode(r.data)) for r in batch.records]


def token_of(world: World, name: str) -> str:
    """The secret of a token of the world (from its Bearer header)."""
    return world.headers[name]["Authorization"].removeprefix("Bearer ")
