"""HTTP routes of the tenants slice."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response, status

from vigile.tenants import service
from vigile.tenants.schemas import TenantCreate, TenantDayIn, TenantDayOut, TenantOut, TenantUpdate
from vigile.web.deps import PageDep, ScopeDep, SessionDep
from vigile.web.pages import Page

router = APIRouter(prefix="/tenants", tags=["tenants"])


@router.get("", summary="List the tenants you can see")
def list_tenants(session: SessionDep, scope: ScopeDep, page: PageDep) -> Page[TenantOut]:
    rows, total = service.list_tenants(session, scope, page)
    return Page.of([TenantOut.model_validate(t) for t in rows], total, page)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a tenant (admin)")
def create_tenant(session: SessionDep, scope: ScopeDep, body: TenantCreate) -> TenantOut:
    return TenantOut.model_validate(service.create_tenant(session, scope, body))


@router.get("/{slug}", summary="Show a tenant")
def get_tenant(session: SessionDep, scope: ScopeDep, slug: str) -> TenantOut:
    scope.require_api()
    return TenantOut.model_validate(service.get_tenant(session, scope, slug))


@router.patch("/{slug}", summary="Change a tenant's settings (admin)")
def update_tenant(session: SessionDep, scope: ScopeDep, slug: str, body: TenantUpdate) -> TenantOut:
    return TenantOut.model_validate(service.update_tenant(session, scope, slug, body))


@router.get("/{slug}/days", summary="A tenant's extra closed and open days")
def list_days(session: SessionDep, scope: ScopeDep, slug: str) -> list[TenantDayOut]:
    return [TenantDayOut.model_validate(d) for d in service.list_days(session, scope, slug)]


@router.put("/{slug}/days/{day}", summary="Declare a day extra closed or open (admin)")
def set_day(
    session: SessionDep, scope: ScopeDep, slug: str, day: date, body: TenantDayIn
) -> TenantDayOut:
    return TenantDayOut.model_validate(service.set_day(session, scope, slug, day, body))


@router.delete(
    "/{slug}/days/{day}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Withdraw a declared day (admin)",
)
def remove_day(session: SessionDep, scope: ScopeDep, slug: str, day: date) -> Response:
    service.remove_day(session, scope, slug, day)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
