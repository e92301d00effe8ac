"""Fixtures shared by the whole suite: corpus, databases (SQLite and PostgreSQL), API client."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.pg_server import ThrowawayPostgres
from vigile import migrate
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its cheapest parameters: the suite hashes hundreds of passwords.

    Production parameters are argon2-cffi's defaults; only the cost changes, not the code path.
    """
    from argon2 import PasswordHasher, profiles

    from vigile.auth import passwords

    original = passwords._hasher
    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    passwords._hasher = original


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The external test corpus (``VIGILE_CORPUS``, default ``../shared/corpus``).

    A missing corpus is an error, not a silent skip: the tests that read it are the proof
    that detection is right.
    """
    path = Settings().corpus.resolve()
    if not (path / "sigma").is_dir():
        pytest.fail(f"test corpus not found at {path}: set VIGILE_CORPUS", pytrace=False)
    return path


# --- databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server for this test session (throw-away unless one is configured)."""
    configured = os.environ.get("VIGILE_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    server = ThrowawayPostgres()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> str:
    """A migrated template database; each test clones it (fast) instead of migrating."""
    name = f"vigile_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    migrate.upgrade(make_url(postgres_server_url).set(database=name).render_as_string(False))
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "vigile.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "vigile.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    server_url: str = request.getfixturevalue("postgres_server_url")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"vigile_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test database and a private data dir."""
    return Settings(database_url=db_url, data_dir=tmp_path / "data")


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on the test database (the test commits what it needs)."""
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as db_session:
        yield db_session
    engine.dispose()


class FakeClock:
    """A settable clock for code that takes ``clock`` arguments."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
