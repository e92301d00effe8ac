"""HTTP routes of the events slice: search stored events, show one (with its integrity), run
the retention now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from vigile.events import service
from vigile.events.retention_job import RetentionJob
from vigile.events.schemas import EventOut, RetentionRunOut, RetentionTenantOut
from vigile.events.store import Cursor, EventStore
from vigile.tenants.service import slugs_by_id
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep, SettingsDep
from vigile.web.pages import Page

router = APIRouter(prefix="/events", tags=["events"])


class EventPage(Page[EventOut]):
    """A page of events, with the cursor of the next one (keyset paging)."""

    next: str | None = Field(
        default=None,
        description="Pass as `after` for the next page (with the same search); null on the "
        "last page. Stable while events keep arriving, unlike `offset`.",
    )


def get_event_store(request: Request) -> EventStore:
    """The store the application factory put in ``app.state.event_store``."""
    store: EventStore = request.app.state.event_store
    return store


StoreDep = Annotated[EventStore, Depends(get_event_store)]
WHERE_HELP = (
    "Field condition `Field[|op][|cased][|not]=value`, repeatable (ANDed). Operators: equals "
    "(default), contains, startswith, endswith, re, in (comma-separated values), exists "
    "(`=true`/`=false`). Case-insensitive unless `|cased`; `|not` negates (events without the "
    "field included). Examples: `CommandLine|contains=mimikatz`, "
    "`CommandLine|not|contains=update`, `ParentImage|exists=false`."
)


@router.get("", summary="Search stored events by time range and field conditions")
def search_events(
    store: StoreDep,
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    page: PageDep,
    tenant: Annotated[str | None, Query(description="Tenant slug (default: all yours).")] = None,
    start: Annotated[
        datetime | None, Query(alias="from", description="From (inclusive); default: to − 24 h.")
    ] = None,
    end: Annotated[
        datetime | None, Query(alias="to", description="To (exclusive); default: now.")
    ] = None,
    where: Annotated[list[str] | None, Query(description=WHERE_HELP)] = None,
    order: Annotated[Literal["desc", "asc"], Query(description="By event time.")] = "desc",
    after: Annotated[
        str | None, Query(description="The `next` cursor of the previous page (keyset paging).")
    ] = None,
) -> EventPage:
    result = service.search(
        store,
        scope,
        session,
        now=clock(),
        tenant=tenant,
        start=start,
        end=end,
        where=where or [],
        page=page,
        newest_first=order == "desc",
        after=after,
    )
    slugs = slugs_by_id(session, {event.tenant_id for event in result.items})
    items = [EventOut.of(event, slugs[event.tenant_id]) for event in result.items]
    full = len(result.items) == page.limit
    return EventPage(
        items=items,
        total=result.total,
        limit=page.limit,
        offset=page.offset,
        next=Cursor.of(result.items[-1]).encode() if full else None,
    )


@router.post("/purge", summary="Delete the events past each tenant's retention, now (admins)")
def purge_events(
    request: Request,
    store: StoreDep,
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="Count what would go; delete nothing.")] = False,
) -> RetentionRunOut:
    """The hourly retention pass of `vigile serve`, on demand (after shortening a tenant's
    retention, say), over the caller's tenants; audited in the caller's name. `vigile events
    purge` does the same while the server is stopped (the store has one writer)."""
    scope.require_admin()
    job = RetentionJob(
        request.app.state.sessions,
        store,
        clock,
        default_days=settings.event_retention_days,
        scope=scope,
    )
    now = clock()
    plan = job.plan(now, session)  # the request's transaction (it holds the write lock)
    counts = job.count(plan) if dry_run else job.purge(plan, now, session)
    tenants = [
        RetentionTenantOut(
            tenant=p.slug,
            retention_days=p.days,
            tenant_setting=p.own,
            first_day_kept=p.first_kept,
            deleted=counts.get(p.tenant_id, 0),
        )
        for p in plan
    ]
    return RetentionRunOut(dry_run=dry_run, total=sum(counts.values()), tenants=tenants)


@router.get("/{event_id}", summary="Show one event, with a check of its content hash")
def get_event(
    store: StoreDep,
    session: SessionDep,
    scope: ScopeDep,
    event_id: str,
    tenant: Annotated[str, Query(description="Tenant slug.")],
) -> EventOut:
    event = service.get(store, scope, session, tenant, event_id)
    return EventOut.of(event, tenant)
