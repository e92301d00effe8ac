"""Referents of a tenant: declare (dated, history kept), list, current primary and backup.

Provider staff and the tenant's own client users may declare a change (the client "informs the
provider without delay of any change of internal referent", contract art. 3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.referents.models import Referent
from vigile.referents.schemas import ReferentIn
from vigile.referents.types import ReferentRole
from vigile.scope import CallerScope
from vigile.tenants import service as tenants

Clock = Callable[[], datetime]


def set_referent(
    session: Session,
    scope: CallerScope,
    slug: str,
    role: ReferentRole,
    data: ReferentIn,
    clock: Clock,
) -> Referent:
    """Name the tenant's ``role`` referent from now on; the previous one's period ends now."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    now = clock()
    current = _current(session, tenant.id, role)
    before = None
    if current is not None:
        current.valid_to, current.ended_by = now, scope.principal
        before = {"name": current.name, "email": current.email}
    row = Referent(
        tenant_id=tenant.id,
        role=role.value,
        name=data.name,
        email=data.email,
        phone=data.phone,
        language=data.language.value,
        valid_from=now,
        declared_by=scope.principal,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        scope,
        "referent.set",
        "tenant",
        tenant.slug,
        tenant_id=tenant.id,
        details={"role": role.value, "before": before} | data.model_dump(mode="json"),
        clock=lambda: now,
    )
    return row


def list_referents(
    session: Session, scope: CallerScope, slug: str, *, history: bool = False
) -> list[Referent]:
    """Current referents (primary first), or every period with ``history`` (newest first)."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    query = select(Referent).where(Referent.tenant_id == tenant.id)
    if not history:
        query = query.where(Referent.valid_to.is_(None)).order_by(Referent.role.desc())
    else:
        query = query.order_by(Referent.valid_from.desc(), Referent.id.desc())
    return list(session.scalars(query))


def current_referents(
    session: Session, scope: CallerScope, tenant_id: int
) -> dict[ReferentRole, Referent]:
    """The tenant's current referents by role (missing roles are absent)."""
    tenants.get_tenant_by_id(session, scope, tenant_id)
    rows = session.scalars(
        select(Referent).where(Referent.tenant_id == tenant_id, Referent.valid_to.is_(None))
    )
    return {ReferentRole(row.role): row for row in rows}


def _current(session: Session, tenant_id: int, role: ReferentRole) -> Referent | None:
    return session.scalar(
        select(Referent).where(
            Referent.tenant_id == tenant_id,
            Referent.role == role.value,
            Referent.valid_to.is_(None),
        )
    )
