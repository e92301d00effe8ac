"""Joining detections to alerts: matching events kept as evidence, deduplicated joins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigile.alerts import evidence as ev
from vigile.alerts.models import Alert, AlertEvidence
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.schemas import AlertInput


def join(
    session: Session,
    alert: Alert,
    detection: AlertInput,
    assets: ev.Assets,
    raised: datetime,
    policy: AlertPolicy,
) -> None:
    """Count one more match on ``alert`` (unless it replays events already kept)."""
    added = add_evidence(session, alert, detection.events, raised, policy)
    hashes = {ev.content_hash(e) for e in detection.events}
    if not added and _all_kept(session, alert, hashes):
        return  # a replay of matches already counted: idempotent
    alert.match_count += 1
    alert.last_seen_at = max(alert.last_seen_at, raised)
    merged = ev.Assets.from_dict(orjson.loads(alert.assets)).merge(assets)
    alert.assets = orjson.dumps(merged.to_dict()).decode()


def _all_kept(session: Session, alert: Alert, hashes: set[str]) -> bool:
    kept = session.scalar(
        select(func.count())
        .select_from(AlertEvidence)
        .where(AlertEvidence.alert_id == alert.id, AlertEvidence.content_hash.in_(hashes))
    )
    return kept == len(hashes)


def add_evidence(
    session: Session,
    alert: Alert,
    events: list[dict[str, Any]],
    seen: datetime,
    policy: AlertPolicy,
) -> int:
    """Keep the events not kept yet (up to the policy's maximum); return how many were added."""
    rows = session.execute(
        select(AlertEvidence.content_hash).where(AlertEvidence.alert_id == alert.id)
    )
    kept = set(rows.scalars())
    added = 0
    for event in events:
        digest = ev.content_hash(event)
        if digest in kept or len(kept) >= policy.evidence_max:
            continue
        kept.add(digest)
        session.add(
            AlertEvidence(
                alert_id=alert.id, content_hash=digest, event=ev.canonical_json(event), seen_at=seen
            )
        )
        added += 1
    session.flush()
    return added
