"""What the worker notes about each batch besides detections: source health, the assets
seen (the monitored perimeter that the asset true-up counts), and the records that could not
be normalised (quarantined)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vigile.assets.discovery import observations_from_events
from vigile.assets.service import record_seen
from vigile.assets.types import Observation
from vigile.db import transaction
from vigile.ingest.detect import Matched, Unparsable
from vigile.ingest.envelope import Envelope
from vigile.ingest.intake import Rejection
from vigile.ingest.models import QuarantinedRecord
from vigile.ingest.service import kept_text, quarantine
from vigile.sources.tracker import Key, Seen, record

log = logging.getLogger(__name__)


def record_assets(
    sessions: sessionmaker[Session],
    envelopes: Sequence[tuple[int, Envelope]],
    assets: dict[int, set[Observation]] | None = None,
) -> None:
    """Upsert the hosts, addresses and accounts the batch's events name, per tenant.

    An asset counts as seen when its event happened, never later than when the event reached
    us: a file of last year's logs imported today does not make last year's hosts "monitored
    now". The upsert is idempotent, so a replayed batch changes nothing. ``assets``: the
    assets already found per tenant, else found here.
    """
    fields: dict[int, list[dict[str, Any]]] = defaultdict(list)
    seen_at: dict[int, datetime] = {}
    for tenant_id, envelope in envelopes:
        fields[tenant_id].append(envelope.event.fields)
        at = min(envelope.event.timestamp, envelope.received_at)
        if tenant_id not in seen_at or at > seen_at[tenant_id]:
            seen_at[tenant_id] = at
    if assets is None:
        assets = {tid: observations_from_events(found) for tid, found in fields.items()}
    record_seen_assets(sessions, seen_at, assets)


def record_seen_assets(
    sessions: sessionmaker[Session],
    seen_at: dict[int, datetime],
    assets: dict[int, set[Observation]],
) -> None:
    """:func:`record_assets` of a batch analysed already: per tenant, when its assets were
    seen and which (see :class:`~vigile.ingest.detect.Matched`)."""
    try:
        with transaction(sessions) as session:
            for tenant_id, at in seen_at.items():
                record_seen(session, tenant_id, assets.get(tenant_id, set()), at)
    except Exception:  # the same assets recur in later batches: never block detection for it
        log.exception("assets seen not recorded for this batch")


def record_sources(
    sessions: sessionmaker[Session], seen: dict[Key, Seen], clock: Callable[[], datetime]
) -> None:
    """Source health of a batch (counted by the detection processes)."""
    try:
        with transaction(sessions) as session:
            record(session, seen, clock)
    except Exception:  # advisory figures: never fail the batch
        log.exception("source health not recorded for this batch")


PIPELINE_PRINCIPAL = "system:pipeline"


def quarantine_unparsable(sessions: sessionmaker[Session], found: Sequence[Unparsable]) -> None:
    """Quarantine the records admitted by a receiver that the pipeline could not normalise,
    with the reason, as a receiver quarantines what it rejects (same table, same views).

    Idempotent, as the event store is: a batch replayed after a crash (observed, then killed
    before its offset was committed) or the same record received twice in one request finds
    its entry (same tenant, receive time, receiver, reason and kept text) and adds none."""
    if not found:
        return
    with transaction(sessions) as session:
        known = _quarantined(session, found)
        for item in found:
            spooled = item.record
            key = (
                item.tenant_id,
                spooled.received_at,
                spooled.receiver,
                item.reason[:500],
                kept_text(spooled.raw),
            )
            if key in known:
                continue
            known.add(key)
            quarantine(
                session,
                item.tenant_id,
                [Rejection(item.position, item.reason, spooled.raw, spooled.source_type)],
                receiver=spooled.receiver,
                at=spooled.received_at,
                who=PIPELINE_PRINCIPAL,
            )


_Quarantined = tuple[int, datetime, str, str, str]


def _quarantined(session: Session, found: Sequence[Unparsable]) -> set[_Quarantined]:
    """The pipeline's entries already kept for the receive times of ``found`` (per tenant
    and time: the quarantine's index)."""
    q = QuarantinedRecord
    known: set[_Quarantined] = set()
    for tenant_id, at in sorted({(u.tenant_id, u.record.received_at) for u in found}):
        rows = session.execute(
            select(q.receiver, q.reason, q.raw).where(
                q.tenant_id == tenant_id, q.received_at == at, q.credential == PIPELINE_PRINCIPAL
            )
        )
        known.update((tenant_id, at, receiver, reason, raw) for receiver, reason, raw in rows)
    return known


def batch_observer(
    sessions: sessionmaker[Session], clock: Callable[[], datetime]
) -> Callable[[Matched], None]:
    """Quarantine of unparsable records, source health, then assets, for each batch."""

    def observe(matched: Matched) -> None:
        quarantine_unparsable(sessions, matched.unparsable)
        record_sources(sessions, matched.sources, clock)
        record_seen_assets(sessions, matched.seen_at, matched.assets)

    return observe
