"""HTTP routes of the tenants slice."""

from __future__ import annotations

from fastapi import APIRouter, status

from vigile.tenants import service
from vigile.tenants.schemas import TenantCreate, TenantOut, TenantUpdate
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
