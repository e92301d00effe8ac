"""Migrations and models agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from vigile import migrate
from vigile.db import make_engine
from vigile.schema import metadata


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == [], "models changed without a migration: " + repr(differences)


def test_upgrade_is_idempotent_and_reports_head(db_url: str) -> None:
    migrate.upgrade(db_url)
    heads = migrate.head_revisions()
    assert heads and migrate.current_revisions(db_url) == heads
