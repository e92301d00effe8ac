"""HTTP routes of the assets slice (under ``/tenants/{slug}``).

Clients read their inventory, summary and checks, and declare assets; checks are the
provider's.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from vigile.assets import checks, service
from vigile.assets.schemas import AssetIn, AssetOut, AssetSummary, CheckIn, CheckOut, CheckRow
from vigile.assets.types import AssetKind, Counting
from vigile.config import Settings
from vigile.tenants import service as tenants
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep, SettingsDep
from vigile.web.pages import Page

router = APIRouter(prefix="/tenants", tags=["assets"])


def _counting(settings: Settings) -> Counting:
    return Counting.parse(settings.assets_monitored_days, settings.assets_counted_kinds)


@router.get("/{slug}/assets", summary="A tenant's assets (declared and discovered)")
def list_assets(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    clock: ClockDep,
    settings: SettingsDep,
    slug: str,
    kind: AssetKind | None = None,
    monitored: bool | None = None,
    at: date | None = None,
) -> Page[AssetOut]:
    on = at or clock().date()
    rows, total = service.list_assets(
        session, scope, slug, page, on, _counting(settings), kind=kind, monitored=monitored
    )
    return Page.of(rows, total, page)


@router.post(
    "/{slug}/assets",
    status_code=status.HTTP_201_CREATED,
    summary="Declare an asset (client or provider); declaring again updates it",
)
def declare_asset(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    slug: str,
    body: AssetIn,
) -> AssetOut:
    asset = service.declare_asset(session, scope, slug, body, clock())
    return service.get_asset(session, scope, slug, asset.id, clock().date(), _counting(settings))


@router.get("/{slug}/assets/summary", summary="Monitored assets against the subscription")
def asset_summary(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    slug: str,
    at: date | None = None,
) -> AssetSummary:
    tenant_id = tenants.get_tenant(session, scope, slug).id
    on = at or clock().date()
    return service.asset_summary(session, scope, tenant_id, on, _counting(settings))


@router.get("/{slug}/assets/{asset_id}", summary="One asset")
def get_asset(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    slug: str,
    asset_id: int,
) -> AssetOut:
    return service.get_asset(session, scope, slug, asset_id, clock().date(), _counting(settings))


@router.get("/{slug}/asset-checks", summary="Recorded true-up checks, newest first")
def list_checks(session: SessionDep, scope: ScopeDep, page: PageDep, slug: str) -> Page[CheckRow]:
    rows, total = checks.list_checks(session, scope, slug, page)
    return Page.of([CheckRow.model_validate(r) for r in rows], total, page)


@router.post(
    "/{slug}/asset-checks",
    status_code=status.HTTP_201_CREATED,
    summary="Run a true-up check (provider); dry_run records nothing",
)
def run_check(
    session: SessionDep, scope: ScopeDep, settings: SettingsDep, slug: str, body: CheckIn
) -> CheckOut:
    return checks.run_check(
        session,
        scope,
        slug,
        body.at,
        _counting(settings),
        monitored=body.monitored,
        dry_run=body.dry_run,
    )
