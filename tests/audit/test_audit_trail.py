"""The audit trail in the database: written with each change, `vigile audit verify` catches
direct edits, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from vigile.audit import service as audit
from vigile.cli import app
from vigile.config import Settings, get_settings
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate, TenantUpdate

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("VIGILE_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("VIGILE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield {}
    get_settings.cache_clear()


def _populate(session: Session) -> None:
    op = local_operator("test")
    tenants.create_tenant(session, op, TenantCreate(slug="acme", name="ACME"))
    tenants.update_tenant(session, op, "acme", TenantUpdate(name="ACME Corp"))
    tenants.create_tenant(session, op, TenantCreate(slug="globex", name="Globex"))
    session.commit()


def test_changes_write_chained_entries(session: Session) -> None:
    _populate(session)
    count, problems = audit.verify(session)
    assert count == 3 and problems == []
    rows, total = audit.list_entries(session, local_operator("t"), limit=10, offset=0)
    assert total == 3
    assert [r.action for r in rows] == ["tenant.create", "tenant.update", "tenant.create"]
    assert rows[1].details == '{"name":{"from":"ACME","to":"ACME Corp"}}'


def test_a_failed_change_leaves_no_entry(session: Session) -> None:
    _populate(session)
    with pytest.raises(Exception, match="already exists"):
        tenants.create_tenant(session, local_operator("t"), TenantCreate(slug="acme", name="x"))
    session.rollback()
    assert audit.verify(session) == (3, [])


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_entries SET actor = 'user:mallory' WHERE seq = 2",
        "UPDATE audit_entries SET details = '{}' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 2",
        "DELETE FROM audit_entries WHERE seq = 3",
        "UPDATE audit_entries SET seq = seq + 10 WHERE seq = 1",
    ],
    ids=["edit-actor", "edit-details", "delete-middle", "delete-last", "reorder"],
)
def test_cli_verify_fails_after_a_direct_edit(
    session: Session, cli_env: dict[str, str], tamper: str
) -> None:
    _populate(session)
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "3 entries" in ok.output
    session.execute(text(tamper))
    session.commit()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "ALTERED" in broken.output
