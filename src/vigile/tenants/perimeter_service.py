"""Perimeter changes declared by the client (art. 3 "Evolution de l'infrastructure").

Clients declare them through the API (they are the client's duty); provider staff may declare
them for the client. Analysts read them beside the tenant's alerts, committee reports list
those of their period (:func:`list_changes` with ``start``/``end``).
"""

from __future__ import annotations

from datetime import date

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.errors import NotFound
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants
from vigile.tenants.contract_models import PerimeterChange
from vigile.tenants.contract_schemas import (
    PerimeterChangeIn,
    PerimeterChangeKind,
    PerimeterChangeOut,
)


def _out(row: PerimeterChange, slug: str) -> PerimeterChangeOut:
    return PerimeterChangeOut(
        id=row.id,
        tenant=slug,
        changed_on=row.changed_on,
        kind=PerimeterChangeKind(row.kind),
        description=row.description,
        affected_assets=orjson.loads(row.affected_assets),
        declared_by=row.declared_by,
        declared_at=row.declared_at,
    )


def declare_change(
    session: Session, scope: CallerScope, slug: str, data: PerimeterChangeIn
) -> PerimeterChangeOut:
    """Record a perimeter change (the client of the tenant, or provider staff)."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    assets = [name.strip() for name in data.affected_assets if name.strip()]
    row = PerimeterChange(
        tenant_id=tenant.id,
        changed_on=data.changed_on,
        kind=data.kind.value,
        description=data.description,
        affected_assets=orjson.dumps(assets).decode(),
        declared_by=scope.principal,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        scope,
        "perimeter.declare",
        "perimeter_change",
        row.id,
        tenant_id=tenant.id,
        details={
            "changed_on": data.changed_on.isoformat(),
            "kind": row.kind,
            "description": data.description,
            "affected_assets": assets,
        },
    )
    return _out(row, tenant.slug)


def list_changes(
    session: Session,
    scope: CallerScope,
    slug: str,
    page: PageRequest,
    start: date | None = None,
    end: date | None = None,
) -> tuple[list[PerimeterChangeOut], int]:
    """A tenant's perimeter changes dated within ``[start, end]`` (both optional), newest first."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    query = select(PerimeterChange).where(PerimeterChange.tenant_id == tenant.id)
    if start is not None:
        query = query.where(PerimeterChange.changed_on >= start)
    if end is not None:
        query = query.where(PerimeterChange.changed_on <= end)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (PerimeterChange.changed_on.desc(), PerimeterChange.id.desc())
    rows = session.scalars(query.order_by(*order).limit(page.limit).offset(page.offset))
    return [_out(row, tenant.slug) for row in rows], total


def get_change(
    session: Session, scope: CallerScope, slug: str, change_id: int
) -> PerimeterChangeOut:
    """One perimeter change of a tenant."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    row = session.get(PerimeterChange, change_id)
    if row is None or row.tenant_id != tenant.id:
        raise NotFound("perimeter change not found")
    return _out(row, tenant.slug)
