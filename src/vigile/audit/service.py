"""Appending to and verifying the audit trail.

Callers append in the same transaction as the change they record, so a change and its
audit entry are committed together or not at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from vigile.audit.chain import GENESIS_HASH, ChainedEntry, ChainProblem, entry_hash, verify_chain
from vigile.audit.models import AuditEntry, AuditHead
from vigile.db import utcnow
from vigile.scope import CallerScope

_HEAD_ID = 1


class AuditContention(RuntimeError):
    """Another writer appended at the same time; the caller's transaction should be retried."""


def record(
    session: Session,
    scope: CallerScope,
    action: str,
    object_type: str,
    object_id: str | int,
    *,
    tenant_id: int | None,
    details: dict[str, Any] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> AuditEntry:
    """Append one entry for a change made by ``scope`` (in the caller's transaction)."""
    # FOR UPDATE (PostgreSQL): concurrent writers queue on the head row and each then reads
    # the head its predecessor committed. SQLite writers are serialised at BEGIN (vigile.db).
    head = session.get(AuditHead, _HEAD_ID, with_for_update=True, populate_existing=True)
    prev_seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    change = (action, object_type, object_id, tenant_id, details)
    chained = _chained(prev_seq + 1, clock(), scope, change, prev_hash)
    digest = entry_hash(chained)
    if head is None:
        session.add(AuditHead(id=_HEAD_ID, seq=chained.seq, hash=digest))
    else:
        # Compare-and-set on the head: two concurrent writers cannot both extend the same seq.
        moved = session.execute(
            update(AuditHead)
            .where(AuditHead.id == _HEAD_ID, AuditHead.seq == prev_seq)
            .values(seq=chained.seq, hash=digest)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise AuditContention("audit head moved during the transaction")
    entry = AuditEntry(
        seq=chained.seq,
        at=chained.at,
        actor=chained.actor,
        tenant_id=chained.tenant_id,
        action=chained.action,
        object_type=chained.object_type,
        object_id=chained.object_id,
        details=chained.details,
        prev_hash=chained.prev_hash,
        hash=digest,
    )
    session.add(entry)
    session.flush()
    return entry


Change = tuple[str, str, str | int, int | None, dict[str, Any] | None]
"""An entry for :func:`record_many`: action, object type, object id, tenant id, details."""


def record_many(
    session: Session,
    scope: CallerScope,
    changes: Sequence[Change],
    *,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """:func:`record` for several changes made by ``scope``, in order, with the same chain as
    recording them one by one: the head is read and compare-and-set once, the entries are
    inserted together (the pipeline records one entry per alert it creates: one ORM round
    per entry was most of the cost of a batch that creates alerts)."""
    if not changes:
        return
    head = session.get(AuditHead, _HEAD_ID, with_for_update=True, populate_existing=True)
    first_seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    seq, rows = first_seq, []
    for change in changes:
        seq += 1
        chained = _chained(seq, clock(), scope, change, prev_hash)
        prev_hash = entry_hash(chained)
        rows.append({**dataclasses.asdict(chained), "hash": prev_hash})
    if head is None:
        session.add(AuditHead(id=_HEAD_ID, seq=seq, hash=prev_hash))
        session.flush()
    else:
        moved = session.execute(
            update(AuditHead)
            .where(AuditHead.id == _HEAD_ID, AuditHead.seq == first_seq)
            .values(seq=seq, hash=prev_hash)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise AuditContention("audit head moved during the transaction")
    session.execute(insert(AuditEntry), rows)


def _chained(
    seq: int, at: datetime, scope: CallerScope, change: Change, prev_hash: str
) -> ChainedEntry:
    """The hashed fields of entry ``seq`` recording ``change`` by ``scope``."""
    action, object_type, object_id, tenant_id, details = change
    return ChainedEntry(
        seq=seq,
        at=at,
        actor=scope.principal,
        tenant_id=tenant_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=orjson.dumps(details or {}, option=orjson.OPT_SORT_KEYS, default=str).decode(),
        prev_hash=prev_hash,
    )


def _as_chained(row: AuditEntry) -> ChainedEntry:
    return ChainedEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        tenant_id=row.tenant_id,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        details=row.details,
        prev_hash=row.prev_hash,
    )


def _iter_rows(session: Session) -> Iterator[tuple[ChainedEntry, str]]:
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for row in rows.yield_per(1000):
        yield _as_chained(row), row.hash


def verify(session: Session) -> tuple[int, list[ChainProblem]]:
    """Verify the whole trail. Returns the number of entries and the problems found."""
    head_row = session.get(AuditHead, _HEAD_ID)
    head = (head_row.seq, head_row.hash) if head_row else None
    count = 0

    def counted() -> Iterator[tuple[ChainedEntry, str]]:
        nonlocal count
        for item in _iter_rows(session):
            count += 1
            yield item

    problems = verify_chain(counted(), head)
    return count, problems


def list_entries(
    session: Session, scope: CallerScope, *, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """Entries visible to ``scope`` (provider staff: their tenants and global entries)."""
    query = select(AuditEntry)
    if scope.tenant_ids is not None:
        visible = AuditEntry.tenant_id.in_(scope.tenant_ids)
        global_entry = AuditEntry.tenant_id.is_(None)
        query = query.where(visible if scope.is_client else or_(visible, global_entry))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
    return list(rows), total
