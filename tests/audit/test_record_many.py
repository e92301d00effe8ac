"""``record_many`` appends exactly the chain that ``record`` one by one would (SQLite and
PostgreSQL), and refuses to extend a head that moved."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.audit.models import AuditEntry, AuditHead
from vigile.scope import local_operator

AT = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SCOPE = local_operator("test")
CHANGES: list[audit.Change] = [
    ("alert.raised", "alert", 1, None, {"rule_id": "r1", "level": 3}),
    ("alert.raised", "alert", "2", None, None),
    ("alert.raised", "alert", 3, None, {"due_at": AT, "sla": "P2"}),
]


def _entries(session: Session) -> list[tuple[Any, ...]]:
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
    return [
        (e.seq, e.actor, e.action, e.object_type, e.object_id, e.details, e.prev_hash, e.hash)
        for e in rows
    ]


@pytest.mark.parametrize("first", [False, True], ids=["on-existing-head", "on-empty-trail"])
def test_same_chain_as_one_by_one(session: Session, first: bool) -> None:
    if not first:
        audit.record(session, SCOPE, "tenant.created", "tenant", 9, tenant_id=None)
    savepoint = session.begin_nested()
    for action, kind, oid, tenant, details in CHANGES:
        audit.record(
            session, SCOPE, action, kind, oid, tenant_id=tenant, details=details, clock=lambda: AT
        )
    one_by_one = _entries(session)
    savepoint.rollback()
    audit.record_many(session, SCOPE, CHANGES, clock=lambda: AT)
    assert _entries(session) == one_by_one and len(one_by_one) == len(CHANGES) + (not first)
    head = session.get(AuditHead, 1, populate_existing=True)
    assert head is not None and (head.seq, head.hash) == one_by_one[-1][::7]
    session.commit()
    count, problems = audit.verify(session)
    assert count == len(one_by_one) and problems == []
    # And the trail goes on from there.
    audit.record(session, SCOPE, "tenant.updated", "tenant", 9, tenant_id=None)
    session.commit()
    assert audit.verify(session) == (len(one_by_one) + 1, [])


def test_a_moved_head_is_contention(session: Session) -> None:
    audit.record(session, SCOPE, "tenant.created", "tenant", 9, tenant_id=None)
    session.commit()
    real_get = session.get

    def stale_get(*args: Any, **kwargs: Any) -> Any:
        head = real_get(*args, **kwargs)
        # Another writer extends the chain between our read and our compare-and-set.
        table = cast(Table, AuditHead.__table__)
        session.execute(update(table).where(table.c.id == 1).values(seq=table.c.seq + 1))
        return head

    session.get = stale_get  # type: ignore[method-assign]
    with pytest.raises(audit.AuditContention):
        audit.record_many(session, SCOPE, CHANGES, clock=lambda: AT)
    session.rollback()
