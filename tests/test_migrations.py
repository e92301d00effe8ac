"""Migrations and models agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from vigile import migrate
from vigile.db import UTCDateTime, make_engine
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


def test_0009_adds_a_nullable_event_retention_to_existing_tenants(db_url: str) -> None:
    """Down to 0008, a tenant written there, then up: the tenant stays, its retention unset."""
    command.downgrade(migrate.alembic_config(db_url), "0008")
    engine = make_engine(db_url)
    assert "event_retention_days" not in {c["name"] for c in inspect(engine).get_columns("tenants")}
    tenants_0008 = sa.table(
        "tenants",
        *(sa.column(name) for name in ("slug", "name", "timezone", "holidays", "hours")),
        sa.column("twenty_four_seven", sa.Boolean()),
        sa.column("status"),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    at = datetime(2026, 11, 26, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(tenants_0008).values(
                slug="acme",
                name="ACME",
                timezone="Europe/Paris",
                holidays="FR",
                hours="mon-fri 09:00-18:00",
                twenty_four_seven=False,
                status="active",
                created_at=at,
                updated_at=at,
            )
        )
    engine.dispose()
    migrate.upgrade(db_url, "0009")
    columns = {c["name"]: c for c in inspect(engine).get_columns("tenants")}
    assert columns["event_retention_days"]["nullable"] is True
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT slug, event_retention_days FROM tenants"))
        assert [tuple(row) for row in rows] == [("acme", None)]
    engine.dispose()
