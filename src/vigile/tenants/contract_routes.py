"""HTTP routes of a tenant's contract and perimeter changes (under ``/tenants/{slug}``).

Clients read their contract and prices, and declare and read perimeter changes; changing the
contract is the provider administrators'.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from vigile.tenants import contract_service, perimeter_service
from vigile.tenants.contract_schemas import (
    ContractOut,
    ContractUpdate,
    PerimeterChangeIn,
    PerimeterChangeOut,
    PriceIn,
    PriceOut,
)
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep
from vigile.web.pages import Page

router = APIRouter(prefix="/tenants", tags=["contract"])


@router.get("/{slug}/contract", summary="A tenant's contract terms, phases and prices")
def get_contract(session: SessionDep, scope: ScopeDep, clock: ClockDep, slug: str) -> ContractOut:
    return contract_service.show_contract(session, scope, slug, clock().date())


@router.patch("/{slug}/contract", summary="Change contract terms (admin)")
def update_contract(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, slug: str, body: ContractUpdate
) -> ContractOut:
    return contract_service.update_contract(session, scope, slug, body, clock().date())


@router.get("/{slug}/contract/prices", summary="Per-asset yearly prices (history)")
def list_prices(session: SessionDep, scope: ScopeDep, slug: str) -> list[PriceOut]:
    return [PriceOut.model_validate(p) for p in contract_service.list_prices(session, scope, slug)]


@router.post(
    "/{slug}/contract/prices",
    status_code=status.HTTP_201_CREATED,
    summary="Add a per-asset yearly price from a date (admin)",
)
def add_price(session: SessionDep, scope: ScopeDep, slug: str, body: PriceIn) -> PriceOut:
    return PriceOut.model_validate(contract_service.add_price(session, scope, slug, body))


@router.get("/{slug}/perimeter-changes", summary="Perimeter changes, newest first")
def list_perimeter_changes(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    slug: str,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Page[PerimeterChangeOut]:
    rows, total = perimeter_service.list_changes(session, scope, slug, page, start, end)
    return Page.of(rows, total, page)


@router.post(
    "/{slug}/perimeter-changes",
    status_code=status.HTTP_201_CREATED,
    summary="Declare a perimeter change (client or provider)",
)
def declare_perimeter_change(
    session: SessionDep, scope: ScopeDep, slug: str, body: PerimeterChangeIn
) -> PerimeterChangeOut:
    return perimeter_service.declare_change(session, scope, slug, body)


@router.get("/{slug}/perimeter-changes/{change_id}", summary="One perimeter change")
def get_perimeter_change(
    session: SessionDep, scope: ScopeDep, slug: str, change_id: int
) -> PerimeterChangeOut:
    return perimeter_service.get_change(session, scope, slug, change_id)
