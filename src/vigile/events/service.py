"""Event store use cases, scoped by the caller: search, get, verify, store, retention.

The tenants searched always come from the caller's scope (a slug only narrows them, through
``tenants.service.get_tenant``, which answers NotFound outside the scope): the store is never
asked for a tenant the caller may not see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from vigile.errors import InvalidInput, NotFound
from vigile.events.query import parse_conditions
from vigile.events.retention import DEFAULT_RETENTION_DAYS, retention_cutoff
from vigile.events.store import (
    Cursor,
    Event,
    EventQuery,
    EventStore,
    SearchResult,
    content_hash,
)
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants

DEFAULT_WINDOW = timedelta(hours=24)
_TENANT_PAGE = 500


@dataclass(frozen=True)
class Verification:
    """An event, the hash recomputed from its raw record, and whether both agree."""

    event: Event
    computed_hash: str

    @property
    def intact(self) -> bool:
        return self.computed_hash == self.event.event_id


def _utc(value: datetime) -> datetime:
    """Times without an offset are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def scoped_tenant_ids(session: Session, scope: CallerScope, tenant: str | None) -> frozenset[int]:
    """The tenants a request searches: the one named (if visible) or all the caller's."""
    scope.require_api()
    if tenant is not None:
        return frozenset({tenants.get_tenant(session, scope, tenant).id})
    if scope.tenant_ids is not None:
        return scope.tenant_ids
    ids: set[int] = set()
    while True:
        rows, total = tenants.list_tenants(session, scope, PageRequest(_TENANT_PAGE, len(ids)))
        ids |= {row.id for row in rows}
        if not rows or len(ids) >= total:
            return frozenset(ids)


def search(
    store: EventStore,
    scope: CallerScope,
    session: Session,
    *,
    now: datetime,
    tenant: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    where: Sequence[str] = (),
    page: PageRequest | None = None,
    newest_first: bool = True,
    after: str | None = None,
) -> SearchResult:
    """Events in ``[start, end)`` (default: the last 24 hours) matching every ``where``
    condition, of the named tenant or of all the caller's, sorted by time; ``after``: the
    cursor of the previous page's last event (:meth:`Cursor.encode`)."""
    conditions = parse_conditions(tuple(where))
    try:
        cursor = Cursor.decode(after) if after else None
    except ValueError:
        raise InvalidInput("'after' is not a cursor returned by a previous page") from None
    end = _utc(end) if end else _utc(now)
    start = _utc(start) if start else end - DEFAULT_WINDOW
    if end < start:
        raise InvalidInput("'to' must not be before 'from'")
    tenant_ids = scoped_tenant_ids(session, scope, tenant)
    if not tenant_ids:
        return SearchResult(items=[], total=0)
    query = EventQuery(
        tenant_ids=tenant_ids,
        start=start,
        end=end,
        conditions=conditions,
        page=page or PageRequest(),
        newest_first=newest_first,
        after=cursor,
    )
    return store.search(query)


def get(
    store: EventStore, scope: CallerScope, session: Session, tenant: str, event_id: str
) -> Event:
    """One event of a tenant the caller may see; NotFound otherwise (same answer either way)."""
    (tenant_id,) = scoped_tenant_ids(session, scope, tenant)
    event = store.get(tenant_id, event_id)
    if event is None:
        raise NotFound("event not found")
    return event


def verify(
    store: EventStore, scope: CallerScope, session: Session, tenant: str, event_id: str
) -> Verification:
    """Recompute an event's hash from its stored raw record (evidence check)."""
    event = get(store, scope, session, tenant, event_id)
    return Verification(event=event, computed_hash=content_hash(event.raw))


def add_events(store: EventStore, scope: CallerScope, events: Sequence[Event]) -> int:
    """Store a batch for tenants of the caller's scope (an ingest token writes its tenant
    only); returns how many events were new."""
    for tenant_id in {event.tenant_id for event in events}:
        scope.check_tenant(tenant_id, "tenant")
    return store.add(events)


def apply_retention(
    store: EventStore,
    scope: CallerScope,
    tenant_ids: Iterable[int],
    *,
    now: datetime,
    overrides: Mapping[int, int] | None = None,
    default_days: int = DEFAULT_RETENTION_DAYS,
) -> dict[int, int]:
    """Delete each tenant's days past its retention (``overrides[tenant_id]`` or
    ``default_days``), administrators only. Returns events deleted per tenant."""
    scope.require_admin()
    deleted: dict[int, int] = {}
    for tenant_id in sorted(set(tenant_ids)):
        days = (overrides or {}).get(tenant_id, default_days)
        first_kept, received_before = retention_cutoff(_utc(now), days)
        deleted[tenant_id] = store.purge(tenant_id, first_kept, received_before)
    return deleted
