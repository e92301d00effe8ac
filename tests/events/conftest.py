"""Fixtures of the event store tests: a store on disk, a SQLite database with two tenants."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The event store does not depend on the SQL backend: SQLite only, for speed."""
    target = tmp_path / "vigile.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "events" / "events.duckdb"


@pytest.fixture
def store(store_path: Path) -> Iterator[DuckDbEventStore]:
    opened = DuckDbEventStore(store_path)
    yield opened
    opened.close()


@dataclass
class Tenants:
    sessions: sessionmaker[Session]
    alpha: int
    beta: int


@pytest.fixture
def two_tenants(db_url: str) -> Iterator[Tenants]:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        ids = [
            tenants.create_tenant(session, local_operator("t"), TenantCreate(slug=s, name=s)).id
            for s in ("alpha", "beta")
        ]
    yield Tenants(factory, *ids)
    engine.dispose()
