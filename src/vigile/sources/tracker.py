"""Source health from the pipeline: per source first/last seen, event count and rate.

The detection processes :func:`aggregate` each batch; the worker's observer records it with
:func:`record` (:meth:`vigile.ingest.observers.BatchObserver.record`: once per batch, also when a
batch is replayed after a crash). A source is a tenant's (receiver, source type, host) — the
host the record or the transport named (for syslog, the peer's address when the message has
none). A failure to record is logged and never blocks the pipeline.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.alerts import service as alerts
from vigile.alerts.policy import SYSTEM
from vigile.dbtext import sql_text
from vigile.errors import VigileError
from vigile.sources.models import Source

RATE_WINDOW = timedelta(minutes=5)
log = logging.getLogger(__name__)
Key = tuple[int, str, str, str]


class _Event(Protocol):
    @property
    def source_type(self) -> str: ...
    @property
    def host(self) -> str | None: ...


class Observed(Protocol):
    """What the tracker reads of a spooled event (an ingest envelope)."""

    @property
    def receiver(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def event(self) -> _Event: ...


@dataclass(slots=True)
class Seen:
    count: int
    first: datetime
    last: datetime


@functools.lru_cache(maxsize=4096)
def _host(host: str | None) -> str:
    """A source's host as its key stores it (cut to the column; hosts recur)."""
    return sql_text((host or "")[:255])


def aggregate(batch: Sequence[tuple[int, Observed]]) -> dict[Key, Seen]:
    """Counts and times per source key of one batch."""
    out: dict[Key, Seen] = {}
    for tenant_id, env in batch:
        ev = env.event
        key = (tenant_id, env.receiver[:32], (ev.source_type or "")[:64], _host(ev.host))
        seen = out.get(key)
        at = env.received_at
        if seen is None:
            out[key] = Seen(1, at, at)
            continue
        seen.count += 1
        # first <= last: a time before the first is not after the last (and the records of
        # a batch mostly share their receive time: no min/max calls for them).
        if at < seen.first:
            seen.first = at
        elif at > seen.last:
            seen.last = at
    return out


def record(session: Session, seen: dict[Key, Seen], clock: Callable[[], datetime]) -> None:
    """Upsert the sources of a batch; a silent source that sends again has recovered."""
    tenants = {k[0] for k in seen}
    rows = session.scalars(select(Source).where(Source.tenant_id.in_(tenants)))
    existing = {(r.tenant_id, r.receiver, r.source_type, r.host): r for r in rows if r}
    for key, s in seen.items():
        row = existing.get(key)
        if row is None:
            session.add(
                Source(
                    tenant_id=key[0],
                    receiver=key[1],
                    source_type=key[2],
                    host=key[3],
                    first_seen=s.first,
                    last_seen=s.last,
                    event_count=s.count,
                    window_start=s.first,
                    window_count=s.count,
                )
            )
            continue
        row.event_count += s.count
        row.last_seen = max(row.last_seen, s.last)
        elapsed = row.last_seen - row.window_start
        if elapsed >= RATE_WINDOW:
            row.rate_per_minute = round(row.window_count * 60 / elapsed.total_seconds(), 3)
            row.window_start, row.window_count = row.last_seen, 0
        row.window_count += s.count
        if row.silent_since is not None:
            _recovered(session, row, clock)
    session.flush()


def _recovered(session: Session, row: Source, clock: Callable[[], datetime]) -> None:
    silent_for = row.last_seen - row.silent_since if row.silent_since else None
    row.recovered_at, row.silent_since = clock(), None
    if row.silent_alert_id is None:
        return
    text = f"source sends again (last event {row.last_seen.isoformat()}; silent {silent_for})"
    try:
        with session.begin_nested():
            alerts.comment(session, SYSTEM, row.silent_alert_id, text, clock)
    except VigileError as exc:  # the alert may have been deleted with its tenant
        log.info("recovery of source %s not noted on its alert: %s", row.id, exc)
