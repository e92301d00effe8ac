"""Events for tests: deterministic raw records and fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from vigile.events.store import Event, FieldValue, canonical_raw

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def make_event(
    tenant_id: int,
    n: int = 0,
    *,
    time: datetime | None = None,
    received_at: datetime | None = None,
    extra: Mapping[str, FieldValue] | None = None,
    **fields: FieldValue,
) -> Event:
    """Event ``n`` of a tenant: its raw record is the canonical JSON of its fields and ``n``."""
    values: dict[str, Any] = {"EventID": 1, "Computer": f"host{n}.corp", **(extra or {}), **fields}
    when = time or T0 + timedelta(minutes=n)
    return Event.new(
        tenant_id,
        canonical_raw({"n": n, "time": when.isoformat(), **values}),
        values,
        time=when,
        received_at=received_at or when + timedelta(seconds=1),
        source_type="sysmon",
        source=f"host{n}.corp",
    )
