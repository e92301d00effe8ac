"""Assets seen by the pipeline: the driver's executemany upsert equals the Core statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.assets import service
from vigile.assets.models import Asset
from vigile.assets.types import AssetKind, Observation
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
HOST, ACCOUNT, IP = AssetKind.HOST, AssetKind.ACCOUNT, AssetKind.IP


def _no_raw(*args: Any) -> Any:
    raise ValueError("no positional parameters")  # as rows_writer on a named-style driver


def _sightings(session: Session, run: str) -> list[tuple[Any, ...]]:
    """Batches of sightings, replays and older batches among them, for two new tenants; the
    rows they leave (the tenants named 0 and 1)."""
    op = local_operator("t")
    with session.begin():
        acme = tenants.create_tenant(session, op, TenantCreate(slug=f"acme-{run}", name="A"))
        beta = tenants.create_tenant(session, op, TenantCreate(slug=f"beta-{run}", name="B"))
        session.add(Asset(tenant_id=acme.id, kind="host", name="declared", declared=True))
    batches = [
        (acme.id, [Observation(HOST, "ws01"), Observation(ACCOUNT, "alice")], -40),
        (acme.id, [Observation(HOST, "ws01"), Observation(HOST, "ws01")], 0),  # a repeat
        (acme.id, [Observation(HOST, "ws01"), Observation(HOST, "declared")], -50),  # older
        (beta.id, [Observation(HOST, "ws01"), Observation(IP, "10.0.0.1")], -10),
        (acme.id, [], 0),
    ]
    counts = []
    for tenant_id, seen, days in batches:
        with session.begin():
            counts.append(service.record_seen(session, tenant_id, seen, NOW + timedelta(days)))
    columns = ("tenant_id", "kind", "name", "description", "declared", "declared_monitored")
    a = Asset.__table__.c
    query = select(*(a[c] for c in columns), a.first_seen, a.last_seen)
    query = query.where(a.tenant_id.in_([acme.id, beta.id]))
    with session.begin():
        rows = session.execute(query.order_by(a.tenant_id, a.kind, a.name)).all()
    assert counts == [2, 1, 2, 2, 0]
    named = {acme.id: 0, beta.id: 1}
    return [(named[r[0]], *r[1:]) for r in rows]


def test_raw_upsert_equals_the_core_statement(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _sightings(session, "raw")
    assert raw[0][:3] == (0, "account", "alice") and raw[0][-2:] == (NOW - timedelta(40),) * 2
    ws01 = next(r for r in raw if r[:3] == (0, "host", "ws01"))
    assert ws01[-2:] == (NOW - timedelta(50), NOW)  # earliest first, latest last sighting
    declared = next(r for r in raw if r[2] == "declared")
    assert declared[4] is True and declared[-2:] == (NOW - timedelta(50),) * 2
    assert len(raw) == 5
    monkeypatch.setattr(service, "rows_writer", _no_raw)  # the Core statement's way
    assert _sightings(session, "core") == raw
