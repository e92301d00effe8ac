"""HTTP routes of the events slice: search stored events, show one (with its integrity)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from vigile.events import service
from vigile.events.schemas import EventOut
from vigile.events.store import Cursor, EventStore
from vigile.tenants.service import slugs_by_id
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep
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
