"""HTTP routes of the sources slice (``/api/v1/sources``): source health, tenant-scoped."""

from __future__ import annotations

from fastapi import APIRouter

from vigile.sources import service
from vigile.sources.schemas import IntervalIn, SourceOut
from vigile.web.deps import PageDep, ScopeDep, SessionDep, SettingsDep
from vigile.web.pages import Page

router = APIRouter(prefix="/sources", tags=["sources"])


@router.get("", summary="Event sources: first/last seen, count, rate, silence")
def list_sources(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    settings: SettingsDep,
    tenant: str | None = None,
    silent: bool | None = None,
) -> Page[SourceOut]:
    rows, total = service.list_sources(session, scope, page, tenant=tenant, silent=silent)
    minutes = settings.source_silent_minutes
    return Page.of([service.source_out(session, r, minutes) for r in rows], total, page)


@router.get("/{source_id}", summary="One event source")
def get_source(
    session: SessionDep, scope: ScopeDep, settings: SettingsDep, source_id: int
) -> SourceOut:
    row = service.get_source(session, scope, source_id)
    return service.source_out(session, row, settings.source_silent_minutes)


@router.put("/{source_id}/expected-interval", summary="Override the expected interval (provider)")
def set_interval(
    session: SessionDep, scope: ScopeDep, settings: SettingsDep, source_id: int, body: IntervalIn
) -> SourceOut:
    row = service.set_interval(session, scope, source_id, body.expected_interval_minutes)
    return service.source_out(session, row, settings.source_silent_minutes)
