"""What the worker notes about each batch besides detections: source health and the assets
seen (the monitored perimeter that the asset true-up counts)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from vigile.assets.service import record_events_seen, record_seen
from vigile.assets.types import Observation
from vigile.db import transaction
from vigile.ingest.envelope import Envelope
from vigile.sources.tracker import SourceTracker

log = logging.getLogger(__name__)

Observer = Callable[[Sequence[tuple[int, Envelope]], dict[int, set[Observation]] | None], None]


def record_assets(
    sessions: sessionmaker[Session],
    envelopes: Sequence[tuple[int, Envelope]],
    assets: dict[int, set[Observation]] | None = None,
) -> None:
    """Upsert the hosts, addresses and accounts the batch's events name, per tenant.

    An asset counts as seen when its event happened, never later than when the event reached
    us: a file of last year's logs imported today does not make last year's hosts "monitored
    now". The upsert is idempotent, so a replayed batch changes nothing. ``assets``: the
    assets already found per tenant (by the detection processes), else found here.
    """
    fields: dict[int, list[dict[str, Any]]] = defaultdict(list)
    seen_at: dict[int, datetime] = {}
    for tenant_id, envelope in envelopes:
        fields[tenant_id].append(envelope.event.fields)
        at = min(envelope.event.timestamp, envelope.received_at)
        if tenant_id not in seen_at or at > seen_at[tenant_id]:
            seen_at[tenant_id] = at
    try:
        with transaction(sessions) as session:
            for tenant_id, tenant_fields in fields.items():
                if assets is None:
                    record_events_seen(session, tenant_id, tenant_fields, seen_at[tenant_id])
                else:
                    found = assets.get(tenant_id, set())
                    record_seen(session, tenant_id, found, seen_at[tenant_id])
    except Exception:  # the same assets recur in later batches: never block detection for it
        log.exception("assets seen not recorded for this batch")


def batch_observer(sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> Observer:
    """Source health, then assets, for each processed batch."""
    sources = SourceTracker(sessions, clock).observe

    def observe(
        envelopes: Sequence[tuple[int, Envelope]], assets: dict[int, set[Observation]] | None
    ) -> None:
        sources(envelopes)
        record_assets(sessions, envelopes, assets)

    return observe
