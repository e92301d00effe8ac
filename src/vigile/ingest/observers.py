"""What the worker notes about each batch besides detections: source health, the assets
seen (the monitored perimeter that the asset true-up counts), and the records that could not
be normalised (quarantined)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vigile.assets.service import record_seen
from vigile.assets.types import Observation
from vigile.db import transaction
from vigile.ingest.detect import Matched, Unparsable
from vigile.ingest.intake import Rejection
from vigile.ingest.models import ObservedBatches, QuarantinedRecord
from vigile.ingest.service import kept_text, quarantine
from vigile.sources.tracker import Key, Seen, record
from vigile.spool.api import Offset

log = logging.getLogger(__name__)


def _record_seen_assets(
    session: Session, seen_at: dict[int, datetime], assets: dict[int, set[Observation]]
) -> None:
    """Upsert the assets a batch's events name, per tenant, as seen at ``seen_at`` (its
    latest event time, never later than its reception: see
    :class:`~vigile.ingest.detect.Matched`); idempotent, so a replay changes nothing."""
    for tenant_id, at in seen_at.items():
        record_seen(session, tenant_id, assets.get(tenant_id, set()), at)


@dataclass(frozen=True, slots=True)
class SpoolPosition:
    """Where a batch ends in a spool: its ``next_offset`` in the spool named ``spool_id``."""

    spool_id: str
    next_offset: Offset


def _record_sources(
    session: Session,
    seen: dict[Key, Seen],
    clock: Callable[[], datetime],
    position: SpoolPosition | None,
) -> None:
    """Source health of a batch (counted by the detection processes).

    With the batch's ``position``, counted once: with the counts, the transaction records
    that the spool is observed up to there, and a batch ending there or before (replayed
    after a crash, see :class:`~vigile.ingest.worker.Worker`'s ``replay_to``) is not counted
    again."""
    if position is not None and not _advance(session, position):
        return  # counted before a restart
    record(session, seen, clock)


def _advance(session: Session, position: SpoolPosition) -> bool:
    """Note that the spool is observed up to ``position``; False if it already was."""
    mark = session.get(ObservedBatches, position.spool_id)
    if mark is None:
        session.add(ObservedBatches(spool_id=position.spool_id, next_offset=position.next_offset))
    elif mark.next_offset >= position.next_offset:
        return False
    else:
        mark.next_offset = position.next_offset
    return True


def observed_through(sessions: sessionmaker[Session], spool_id: str) -> Offset | None:
    """The end of the last batch observed in the spool ``spool_id`` (None: none was)."""
    with transaction(sessions) as session:
        mark = session.get(ObservedBatches, spool_id)
        return None if mark is None else mark.next_offset


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


class BatchObserver:
    """Quarantine of unparsable records, source health, then assets, for each batch (its
    analysis and its end in the spool; ``spool_id``: that spool's identity, to count each
    batch's sources once, see :func:`_record_sources`)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        spool_id: str | None = None,
    ) -> None:
        self.sessions, self.clock, self.spool_id = sessions, clock, spool_id

    def __call__(self, matched: Matched, next_offset: Offset) -> None:
        """All of it, in transactions of its own."""
        self.quarantine(matched)
        try:
            with transaction(self.sessions) as session:
                self.record(session, matched, next_offset)
        except Exception:  # the commit: never block detection for these
            log.exception("source health and assets seen not recorded for this batch")

    def quarantine(self, matched: Matched) -> None:
        """Quarantine the batch's unparsable records (a transaction of its own, if any)."""
        quarantine_unparsable(self.sessions, matched.unparsable)

    def record(self, session: Session, matched: Matched, next_offset: Offset) -> None:
        """Source health and assets seen, in ``session``'s transaction (the worker's, with
        the batch's alerts: one fsync'd commit a batch), each in a savepoint: advisory
        figures, the failure of one is rolled back and logged, the rest kept."""
        position = None if self.spool_id is None else SpoolPosition(self.spool_id, next_offset)
        _advisory(
            session,
            "source health",
            lambda: _record_sources(session, matched.sources, self.clock, position),
        )
        _advisory(
            session,
            "assets seen",
            lambda: _record_seen_assets(session, matched.seen_at, matched.assets),
        )


def _advisory(session: Session, what: str, write: Callable[[], None]) -> None:
    """``write`` in a savepoint of ``session``: on failure, rolled back and logged."""
    try:
        with session.begin_nested():
            write()
    except Exception:
        log.exception("%s not recorded for this batch", what)
