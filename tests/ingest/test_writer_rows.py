"""db.rows_inserter (multi-row INSERTs on SQLite, executemany elsewhere) stores exactly
what a Core insert of the same rows stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from vigile import db
from vigile.db import rows_inserter
from vigile.ingest.models import DetectionMark
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

MARKS: Table = DetectionMark.__table__  # type: ignore[assignment]
COLUMNS = ("tenant_id", "event_id", "rule_id", "alert_id", "created_at")
AT = datetime(2026, 11, 26, 9, 0, 0, 123456, tzinfo=UTC)
AWKWARD = ['quote " back \\ slash', "new\nline\ttab \x1f \\u0000", "é ü 中文 😀 \u2028", ""]


def _rows(tenant_id: int, run: str, nul: bool) -> list[tuple[Any, ...]]:
    """Awkward texts; with ``nul``, one with a NUL (SQLite stores it, PostgreSQL refuses)."""
    rows: list[tuple[Any, ...]] = []
    for i, text in enumerate([*AWKWARD * 3, *(["a \x00 nul"] if nul else [])]):
        alert = None if i % 2 else i * 1_000_007
        rows.append((tenant_id, f"{run}{i:063x}", f"{text}#{i}", alert, AT + timedelta(i)))
    return rows


def _stored(session: Session, tenant_id: int) -> list[tuple[Any, ...]]:
    m = MARKS.c
    query = select(*(m[c] for c in COLUMNS)).where(m.tenant_id == tenant_id)
    return [tuple(r) for r in session.execute(query.order_by(m.event_id))]


def test_rows_inserter_stores_what_a_core_insert_stores(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "ROWS_PER_STATEMENT", 5)  # 12 rows: statements of 5, 5 and 2
    with session.begin():
        tenant = tenants.create_tenant(
            session, local_operator("t"), TenantCreate(slug="acme", name="A")
        )
    sqlite = session.get_bind().dialect.name == "sqlite"
    raw, core, nul = _rows(tenant.id, "a", False), _rows(tenant.id, "b", False), []
    if sqlite:  # SQLite keeps a NUL in text (PostgreSQL refuses it)
        nul, core = _rows(tenant.id, "c", True), _rows(tenant.id, "b", True)
    types = [MARKS.c[c].type for c in COLUMNS]
    with session.begin():
        rows_inserter(session, MARKS.name, COLUMNS, types)(raw)
        rows_inserter(session, MARKS.name, COLUMNS, types)(nul)
        rows_inserter(session, MARKS.name, COLUMNS, types)([])
        session.execute(insert(MARKS), [dict(zip(COLUMNS, r, strict=True)) for r in core])
    with session.begin():
        stored = _stored(session, tenant.id)
    run = {k: [r for r in stored if r[1][0] == k] for k in "abc"}
    assert len(stored) == len(raw) + len(nul) + len(core) and run["a"] and run["b"]
    assert run["a"] == raw and run["c"] == nul  # the values as given, times too
    assert [r[2:] for r in run["c" if sqlite else "a"]] == [r[2:] for r in run["b"]]
