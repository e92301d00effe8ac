"""The retention job: deletes each tenant's expired events, every hour under `vigile serve`.

A tenant's retention is its own (``event_retention_days``) or the platform default
(``VIGILE_EVENT_RETENTION_DAYS``), read afresh at every pass so that a change applies at the
next one. Deleting happens in the event store and cannot share a transaction with the audit
trail: each tenant that lost events gets one audit entry, written just after its deletion
(and logged before, so that a failed audit write still leaves a trace in the log). What else
the platform keeps about the expired events (the pipeline's detection marks, see
:mod:`vigile.ingest.marks`) is deleted in that audit transaction by the passes of `vigile
serve`, which is given how (``forget``; this package does not import the pipeline's): the
on-demand purges (API, `vigile events purge`) leave it to serve's next pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from vigile.audit import service as audit
from vigile.db import transaction
from vigile.events.retention import retention_cutoff
from vigile.events.service import apply_retention
from vigile.events.store import EventStore
from vigile.pagination import PageRequest
from vigile.scope import CallerScope, Role
from vigile.tenants import service as tenants

log = logging.getLogger("vigile.event_retention")
Forget = Callable[[Session, int, datetime], int]
"""Deletes what else a tenant keeps about events received before a cutoff (the pipeline's
detection marks), in the given transaction; returns how many rows went."""
SYSTEM = CallerScope(principal="system:event-retention", role=Role.ADMIN, tenant_ids=None)
_TENANT_PAGE = 500


@dataclass(frozen=True)
class TenantRetention:
    """The retention in force for one tenant at one instant, and what it cuts."""

    tenant_id: int
    slug: str
    days: int
    own: bool
    first_kept: date
    received_before: datetime


class RetentionJob:
    """One pass applies every tenant's retention; :meth:`run_forever` repeats it."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: EventStore,
        clock: Callable[[], datetime],
        *,
        default_days: int,
        scope: CallerScope = SYSTEM,
        forget: Forget | None = None,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.clock = clock
        self.default_days = default_days
        self.scope = scope
        self.forget = forget

    @contextmanager
    def _session(self, given: Session | None) -> Iterator[Session]:
        """``given`` (the caller's transaction, e.g. an API request's), else one of its own."""
        if given is not None:
            yield given
            return
        with transaction(self.sessions) as session:
            yield session

    def plan(self, now: datetime, session: Session | None = None) -> list[TenantRetention]:
        """Every tenant's retention at ``now`` (its own days, or the default), by slug."""
        self.scope.require_admin()
        now = now.astimezone(UTC)
        plan: list[TenantRetention] = []
        with self._session(session) as session:
            total = 1
            while len(plan) < total:
                page = PageRequest(_TENANT_PAGE, len(plan))
                rows, total = tenants.list_tenants(session, self.scope, page)
                if not rows:
                    break
                for row in rows:
                    own = row.event_retention_days
                    days = own if own is not None else self.default_days
                    first_kept, received_before = retention_cutoff(now, days)
                    plan.append(
                        TenantRetention(
                            row.id, row.slug, days, own is not None, first_kept, received_before
                        )
                    )
        return plan

    def count(self, plan: list[TenantRetention]) -> dict[int, int]:
        """What :meth:`purge` would delete per tenant, deleting nothing (a dry run)."""
        self.scope.require_admin()
        return {
            p.tenant_id: self.store.count_purgeable(p.tenant_id, p.first_kept, p.received_before)
            for p in plan
        }

    def purge(
        self, plan: list[TenantRetention], now: datetime, session: Session | None = None
    ) -> dict[int, int]:
        """Apply ``plan`` (computed at ``now``): delete, log and audit (in ``session`` if
        given), with what :attr:`forget` deletes of each tenant. Events deleted per tenant
        (0 for those that lost none)."""
        deleted = apply_retention(
            self.store,
            self.scope,
            [p.tenant_id for p in plan],
            now=now,
            overrides={p.tenant_id: p.days for p in plan},
            default_days=self.default_days,
        )
        self._record(plan, deleted, now, session)
        return deleted

    def run_once(self, now: datetime | None = None) -> dict[int, int]:
        """One pass at ``now`` (default: the clock). Events deleted per tenant."""
        now = now or self.clock()
        return self.purge(self.plan(now), now)

    def _record(
        self,
        plan: list[TenantRetention],
        deleted: Mapping[int, int],
        now: datetime,
        session: Session | None,
    ) -> None:
        """Log and audit the tenants that lost events; forget, in the same transaction,
        what else each tenant of ``plan`` keeps about events past its cutoff."""
        purged = [p for p in plan if deleted.get(p.tenant_id)]
        for p in purged:
            log.info(
                "event retention: %s lost %d events (%d days: before %s)",
                p.slug,
                deleted[p.tenant_id],
                p.days,
                p.first_kept.isoformat(),
            )
        forget = self.forget
        if not purged and forget is None:
            return
        with self._session(session) as session:
            forgotten: dict[int, int] = {}
            if forget is not None:
                for p in plan:
                    forgotten[p.tenant_id] = forget(session, p.tenant_id, p.received_before)
                    if forgotten[p.tenant_id]:
                        log.info(
                            "event retention: %s: %d detection marks of events received "
                            "before %s deleted",
                            p.slug,
                            forgotten[p.tenant_id],
                            p.received_before.isoformat(),
                        )
            for p in purged:
                details: dict[str, object] = {
                    "deleted": deleted[p.tenant_id],
                    "retention_days": p.days,
                    "tenant_setting": p.own,
                    "first_day_kept": p.first_kept.isoformat(),
                    "received_before": p.received_before.isoformat(),
                }
                if forget is not None:
                    details["detection_marks_deleted"] = forgotten[p.tenant_id]
                audit.record(
                    session,
                    self.scope,
                    "events.purge",
                    "tenant",
                    p.slug,
                    tenant_id=p.tenant_id,
                    details=details,
                    clock=lambda: now,
                )

    async def run_forever(self, interval: float) -> None:
        """A pass now, then every ``interval`` seconds until cancelled; a failed pass is
        logged and the next one tries again (whatever is still expired then goes)."""
        while True:
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:
                log.exception("event retention pass failed")
            await asyncio.sleep(interval)
