"""A tenant's own event retention: set, changed, cleared back to the default; admins only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import orjson
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from vigile.audit.models import AuditEntry
from vigile.cli import app
from vigile.config import Settings, get_settings
from vigile.errors import NotFound, PermissionDenied
from vigile.scope import CallerScope, Role, local_operator
from vigile.tenants import service
from vigile.tenants.schemas import TenantCreate, TenantUpdate

ADMIN = local_operator("test")
runner = CliRunner()


def _tenant_audit(session: Session) -> list[tuple[str, dict[str, object]]]:
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
    return [(r.action, orjson.loads(r.details)) for r in rows if r.action.startswith("tenant.")]


def test_set_kept_changed_and_cleared_with_the_audit(session: Session) -> None:
    data = TenantCreate(slug="acme", name="ACME", event_retention_days=30)
    assert service.create_tenant(session, ADMIN, data).event_retention_days == 30
    service.update_tenant(session, ADMIN, "acme", TenantUpdate(name="ACME SA"))
    assert service.get_tenant(session, ADMIN, "acme").event_retention_days == 30  # left out
    service.update_tenant(session, ADMIN, "acme", TenantUpdate(event_retention_days=90))
    clear = TenantUpdate.model_validate({"event_retention_days": None})
    assert service.update_tenant(session, ADMIN, "acme", clear).event_retention_days is None
    session.commit()
    session.expire_all()
    assert service.get_tenant(session, ADMIN, "acme").event_retention_days is None
    audit = _tenant_audit(session)
    assert audit[0][0] == "tenant.create" and audit[0][1]["event_retention_days"] == 30
    assert [details.get("event_retention_days") for _, details in audit[1:]] == [
        None,  # the name change does not touch it
        {"from": 30, "to": 90},
        {"from": 90, "to": None},
    ]


def test_default_is_none_and_bounds_are_checked() -> None:
    assert TenantCreate(slug="acme", name="A").event_retention_days is None
    assert TenantUpdate(event_retention_days=36500).event_retention_days == 36500
    for wrong in (0, -1, 36501):
        with pytest.raises(ValidationError):
            TenantCreate(slug="acme", name="A", event_retention_days=wrong)
        with pytest.raises(ValidationError):
            TenantUpdate(event_retention_days=wrong)


def test_only_administrators_change_it(session: Session) -> None:
    alpha = service.create_tenant(session, ADMIN, TenantCreate(slug="alpha", name="A")).id
    beta = service.create_tenant(session, ADMIN, TenantCreate(slug="beta", name="B")).id
    change = TenantUpdate(event_retention_days=1)
    client = CallerScope(principal="user:c", role=Role.CLIENT, tenant_ids=frozenset({alpha}))
    analyst = CallerScope(principal="user:a", role=Role.ANALYST, tenant_ids=None)
    for scope in (client, analyst):
        with pytest.raises(PermissionDenied):
            service.update_tenant(session, scope, "alpha", change)
    with pytest.raises(NotFound):  # another tenant does not exist for a client
        service.update_tenant(session, client, "beta", change)
    assert service.get_tenant_by_id(session, ADMIN, alpha).event_retention_days is None
    assert service.get_tenant_by_id(session, ADMIN, beta).event_retention_days is None


# --- command line --------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("VIGILE_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("VIGILE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("VIGILE_EVENT_RETENTION_DAYS", "400")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.usefixtures("cli_env")
def test_cli_create_update_default_and_show() -> None:
    invoke("tenant", "create", "acme", "--name", "ACME", "--event-retention-days", "30")

    def shown() -> object:
        return json.loads(invoke("tenant", "show", "acme", "--format", "json"))[
            "event_retention_days"
        ]

    assert shown() == 30
    assert "30 days" in invoke("tenant", "show", "acme")
    invoke("tenant", "update", "acme", "--event-retention-days", "90")
    assert shown() == 90
    invoke("tenant", "update", "acme", "--name", "ACME SA")
    assert shown() == 90
    invoke("tenant", "update", "acme", "--event-retention-days", "default")
    assert shown() is None
    assert "400 days (platform default)" in invoke("tenant", "show", "acme")
    invoke("tenant", "update", "acme", "--event-retention-days", "0", code=2)
    invoke("tenant", "update", "acme", "--event-retention-days", "forever", code=2)
    invoke("tenant", "create", "beta", "--name", "B", "--event-retention-days", "0", code=2)
    assert shown() is None
