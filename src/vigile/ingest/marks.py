"""The pipeline's detection marks leave with the events they guard.

A mark (tenant, event, rule) stops the same event from raising its alert twice: after a crash
(the spool replayed) or when a shipper sends the event again while the store still holds it
(the store keeps one copy, the mark keeps one alert). Once the tenant's retention has removed
the event, a new copy is a new event: its mark has nothing left to guard. Without this, the
marks (one row per hit) would grow for ever: most of the SQL database's growth under load.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from vigile.ingest.models import DetectionMark

_MARKS: Table = DetectionMark.__table__  # type: ignore[assignment]


def forget_marks(session: Session, tenant_id: int, received_before: datetime) -> int:
    """Delete the tenant's marks made before ``received_before`` (the retention cutoff of
    receive times: a mark is made after its event is received); how many went."""
    m = _MARKS.c
    result = session.execute(
        delete(_MARKS).where(m.tenant_id == tenant_id, m.created_at < received_before)
    )
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
