"""A tenant's contract: offer terms, phases, per-asset prices (art. 4, 5), scoped by caller.

Go-live and service hours live on the tenant (they drive service levels) and are changed here
through :func:`vigile.tenants.service.update_tenant`. Clients read their contract; only
administrators change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.errors import Conflict
from vigile.scope import CallerScope
from vigile.tenants import service as tenants
from vigile.tenants.contract_models import AssetPrice, TenantContract
from vigile.tenants.contract_schemas import (
    CommitteeRecurrence,
    ContractOut,
    ContractUpdate,
    PriceIn,
    PriceOut,
    ServiceHours,
)
from vigile.tenants.models import Tenant
from vigile.tenants.schemas import TenantUpdate

_OWN_FIELDS = (
    "offer_reference",
    "build_start",
    "run_start",
    "subscribed_assets",
    "subscription_start",
    "committee_recurrence",
)


@dataclass(frozen=True)
class ContractTerms:
    """What other slices need of a contract (assets: true-up; committees: recurrence)."""

    tenant_id: int
    subscribed_assets: int | None
    subscription_start: date | None
    offer_version: int
    committee_recurrence: CommitteeRecurrence | None
    go_live: date | None


def _row(
    session: Session, tenant_id: int, *, create: bool = False, lock: bool = False
) -> TenantContract | None:
    row = session.get(TenantContract, tenant_id, populate_existing=True, with_for_update=lock)
    if row is None and create:
        row = TenantContract(tenant_id=tenant_id, offer_version=1)
        session.add(row)
        session.flush()
    return row


def _view(row: TenantContract | None, tenant: Tenant) -> dict[str, Any]:
    values: dict[str, Any] = {f: getattr(row, f) if row else None for f in _OWN_FIELDS}
    values["go_live"] = tenant.go_live
    values["service_hours"] = (
        ServiceHours.TWENTY_FOUR_SEVEN if tenant.twenty_four_seven else ServiceHours.BUSINESS
    )
    return values


def terms(
    session: Session, scope: CallerScope, tenant_id: int, *, lock: bool = False
) -> ContractTerms:
    """The contract terms of a tenant (defaults when none are set yet). ``lock`` holds the
    contract row until the transaction ends (PostgreSQL), serialising true-up checks."""
    tenant = tenants.get_tenant_by_id(session, scope, tenant_id)
    row = _row(session, tenant.id, lock=lock)
    recurrence = row.committee_recurrence if row else None
    return ContractTerms(
        tenant_id=tenant.id,
        subscribed_assets=row.subscribed_assets if row else None,
        subscription_start=row.subscription_start if row else None,
        offer_version=row.offer_version if row else 1,
        committee_recurrence=CommitteeRecurrence(recurrence) if recurrence else None,
        go_live=tenant.go_live,
    )


def phases_on(row: TenantContract | None, go_live: date | None, on: date) -> list[str]:
    """Phases under way on ``on``: ``build`` from its start until go-live, ``run`` from the
    reception of the instance/licence (the two overlap, art. 5)."""
    phases = []
    if row and row.build_start and row.build_start <= on and (go_live is None or on < go_live):
        phases.append("build")
    if row and row.run_start and row.run_start <= on:
        phases.append("run")
    return phases


def list_prices(session: Session, scope: CallerScope, slug: str) -> list[AssetPrice]:
    """The per-asset yearly prices of a tenant, oldest first."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    query = select(AssetPrice).where(AssetPrice.tenant_id == tenant.id)
    return list(session.scalars(query.order_by(AssetPrice.effective_from)))


def price_in_force(
    session: Session, scope: CallerScope, tenant_id: int, on: date
) -> AssetPrice | None:
    """The per-asset yearly price in force on ``on`` (the latest taking effect by then)."""
    tenant = tenants.get_tenant_by_id(session, scope, tenant_id)
    query = (
        select(AssetPrice)
        .where(AssetPrice.tenant_id == tenant.id, AssetPrice.effective_from <= on)
        .order_by(AssetPrice.effective_from.desc())
        .limit(1)
    )
    return session.scalar(query)


def show_contract(session: Session, scope: CallerScope, slug: str, today: date) -> ContractOut:
    """A tenant's contract, its phases and prices as of ``today``."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    row = _row(session, tenant.id)
    prices = [PriceOut.model_validate(p) for p in list_prices(session, scope, slug)]
    in_force = [p for p in prices if p.effective_from <= today]
    return ContractOut(
        tenant=tenant.slug,
        **_view(row, tenant),
        offer_version=row.offer_version if row else 1,
        phases=phases_on(row, tenant.go_live, today),
        service_levels_active=tenant.go_live is not None and tenant.go_live <= today,
        price_in_force=in_force[-1] if in_force else None,
        prices=prices,
    )


def update_contract(
    session: Session, scope: CallerScope, slug: str, changes: ContractUpdate, today: date
) -> ContractOut:
    """Change a tenant's contract terms (administrators); the audit keeps before and after."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_admin()
    given = changes.model_dump(exclude_unset=True)
    tenant_changes: dict[str, Any] = {}
    if "go_live" in given:
        tenant_changes["go_live"] = given.pop("go_live")
    if given.get("service_hours") is not None:
        hours = given.pop("service_hours")
        tenant_changes["twenty_four_seven"] = hours is ServiceHours.TWENTY_FOUR_SEVEN
    given.pop("service_hours", None)
    if tenant_changes:
        tenants.update_tenant(session, scope, slug, TenantUpdate(**tenant_changes))
    row = _row(session, tenant.id, create=True)
    assert row is not None
    before = {f: getattr(row, f) for f in _OWN_FIELDS}
    for field, value in given.items():
        setattr(row, field, value.value if isinstance(value, CommitteeRecurrence) else value)
    if "subscribed_assets" in given and given["subscribed_assets"] != before["subscribed_assets"]:
        row.offer_version += 1  # a new offer: true-up checks start again from it
    session.flush()
    after = {f: getattr(row, f) for f in _OWN_FIELDS}
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if changed:
        audit.record(
            session, scope, "contract.update", "tenant", slug, tenant_id=tenant.id, details=changed
        )
    return show_contract(session, scope, slug, today)


def add_price(session: Session, scope: CallerScope, slug: str, data: PriceIn) -> AssetPrice:
    """Record a per-asset yearly price from a date (administrators); history is kept."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_admin()
    exists = session.scalar(
        select(AssetPrice.id).where(
            AssetPrice.tenant_id == tenant.id, AssetPrice.effective_from == data.effective_from
        )
    )
    if exists is not None:
        raise Conflict(f"a price already takes effect on {data.effective_from.isoformat()}")
    price = AssetPrice(
        tenant_id=tenant.id,
        effective_from=data.effective_from,
        yearly_price=data.yearly_price.quantize(Decimal("0.01")),
        currency=data.currency,
        created_by=scope.principal,
    )
    session.add(price)
    session.flush()
    audit.record(
        session,
        scope,
        "contract.price.add",
        "tenant",
        slug,
        tenant_id=tenant.id,
        details={
            "effective_from": data.effective_from.isoformat(),
            "yearly_price": str(price.yearly_price),
            "currency": price.currency,
        },
    )
    return price


def apply_regularisation(
    session: Session, scope: CallerScope, tenant_id: int, subscribed: int
) -> None:
    """After a true-up regularisation, the monitored count becomes the subscribed count until
    the next check, termination or a new offer (same offer version). Called by the assets
    slice inside the check's transaction (which the check's audit entry records)."""
    scope.require_provider()
    tenants.get_tenant_by_id(session, scope, tenant_id)
    row = _row(session, tenant_id, create=True)
    assert row is not None
    row.subscribed_assets = subscribed
    session.flush()
