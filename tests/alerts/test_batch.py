"""Raising a batch of detections (the pipeline's path) has the outcome of raising them one
by one: same alerts, evidence, timeline, audit trail and per-detection results, on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from tests.alerts.conftest import EVENT, MORNING, OP, detection, tenant_id
from tests.conftest import FakeClock
from vigile.alerts import evidence as ev
from vigile.alerts import rules, service
from vigile.alerts.batch import Detection, raise_many
from vigile.alerts.models import Alert, AlertEvent, AlertEvidence
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.schemas import AlertInput, RuleExceptionIn
from vigile.alerts.types import RaiseStatus, Verdict
from vigile.audit import service as audit
from vigile.audit.models import AuditEntry
from vigile.db import transaction
from vigile.errors import VigileError

POLICY = AlertPolicy(dedup_window=timedelta(minutes=60), evidence_max=3)
MISSING_TENANT = 999_999


def _event(n: int, **changes: Any) -> dict[str, Any]:
    return EVENT | {"EventRecordID": n} | changes


def _prior(db: sessionmaker[Session], clock: FakeClock) -> dict[str, int]:
    """Committed state the batch meets: open, closed and stale alerts, a rule exception."""
    with transaction(db) as session:
        umbrella = tenant_id(session, "umbrella")
        ids = {}
        for name, rule, minutes in (("open", "rule-1", 30), ("closed", "rule-2", 20)):
            raised = MORNING - timedelta(minutes=minutes)
            d = detection(rule, raised_at=raised)
            alert = service.raise_alert(session, OP, umbrella, d, clock, POLICY).alert
            assert alert is not None
            ids[name] = alert.id
        stale = detection("rule-3", raised_at=MORNING - timedelta(hours=3))
        alert = service.raise_alert(session, OP, umbrella, stale, clock, POLICY).alert
        assert alert is not None
        service.close(session, OP, ids["closed"], Verdict.FALSE_POSITIVE, "noise", clock)
        excepted = RuleExceptionIn(tenant="umbrella", rule_id="rule-x", reason="known noise")
        rules.create_exception(session, OP, excepted, clock)
        return ids


def _batch(session: Session) -> list[tuple[int, AlertInput]]:
    """Detections covering joins (idempotent, counted, beyond the evidence cap), creations
    (closed, stale, other key, other tenant, key fields, past raise times), suppression and
    per-detection errors."""
    umbrella, acme, late = (tenant_id(session, s) for s in ("umbrella", "acme", "late"))
    alice = _event(0, TargetUserName="alice")
    ip_key: dict[str, Any] = {"key_fields": ["IpAddress"]}
    return [
        (umbrella, detection("rule-1", event=EVENT)),  # already kept: idempotent join
        (umbrella, detection("rule-1", event=_event(1))),
        (umbrella, detection("rule-1", event=_event(1))),  # replay within the batch
        (umbrella, detection("rule-1", event=_event(2))),  # the third (last) kept
        (umbrella, detection("rule-1", event=_event(3))),  # beyond the cap: counted only
        (umbrella, detection("rule-1", event=_event(3))),
        (umbrella, detection("rule-2", event=EVENT)),  # the open one is closed: new
        (umbrella, detection("rule-2", event=_event(4, IpAddress="10.9.9.9"))),  # assets merge
        (umbrella, detection("rule-3", event=EVENT)),  # the open one is stale: new
        (umbrella, detection("rule-x", event=EVENT)),  # suppressed
        (MISSING_TENANT, detection("rule-1")),  # error: no such tenant
        (umbrella, detection("rule-1", raised_at=MORNING + timedelta(hours=1))),  # future
        (acme, detection("rule-1", level="critical", event=EVENT)),
        (umbrella, detection("rule-1", event=alice)),  # another user: another key
        (umbrella, detection("rule-5", event=EVENT, **ip_key)),
        (umbrella, detection("rule-5", event=_event(5), **ip_key)),  # same IP: joins
        (late, detection("rule-1", level="low", event=EVENT)),  # no go-live: no deadline
        (umbrella, detection("rule-1", event=_event(6), raised_at=MORNING - timedelta(hours=2))),
        (umbrella, detection("rule-1", event=_event(7), raised_at=MORNING - timedelta(minutes=90))),
        (acme, detection("rule-1", event=_event(8), raised_at=MORNING - timedelta(minutes=10))),
        (
            umbrella,
            AlertInput(
                rule_id="rule-6",
                rule_title="Two",
                rule_level="medium",
                events=[_event(9), _event(10, IpAddress="10.7.7.7")],
            ),
        ),
        (
            umbrella,
            AlertInput(
                rule_id="rule-6",
                rule_title="Two",
                rule_level="medium",
                events=[_event(10, IpAddress="10.7.7.7"), _event(11)],
            ),
        ),
    ]


Snapshot = dict[str, Any]


def _snapshot(session: Session, outcomes: Sequence[object]) -> Snapshot:
    """What the raising left, alert ids replaced by their rank (PostgreSQL sequences do not
    roll back); row ids by their order; the wall-clock created/updated times left out."""
    alerts = list(session.scalars(select(Alert).order_by(Alert.id)))
    rank = {a.id: n for n, a in enumerate(alerts)}
    skip = {"id", "created_at", "updated_at"}
    rows = [
        {c.key: getattr(a, c.key) for c in Alert.__table__.columns if c.key not in skip}
        for a in alerts
    ]
    evidence = [
        (rank[e.alert_id], e.content_hash, e.event, e.seen_at)
        for e in session.scalars(select(AlertEvidence).order_by(AlertEvidence.id))
    ]
    timeline = [
        (rank[e.alert_id], e.tenant_id, e.kind, e.at, e.actor, e.text, e.details)
        for e in session.scalars(select(AlertEvent).order_by(AlertEvent.id))
    ]
    trail = [
        (e.seq, e.at, e.actor, e.tenant_id, e.action, e.object_type, e.details)
        + ((rank[int(e.object_id)],) if e.object_type == "alert" else (e.object_id,))
        for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
    ]
    assert audit.verify(session)[1] == []
    results: list[object] = []
    for out in outcomes:
        if isinstance(out, Exception):
            results.append((type(out).__name__, str(out)))
        else:
            assert isinstance(out, service.RaiseOutcome)
            alert = rank[out.alert.id] if out.alert is not None else None
            results.append((out.status, alert, out.exception_reason))
    return {
        "alerts": rows,
        # Per alert, in the order kept (what the API shows).
        "evidence": sorted(evidence, key=lambda row: row[0]),
        "timeline": timeline,
        "audit": trail,
        "outcomes": results,
    }


def _one_by_one(
    session: Session, batch: list[tuple[int, AlertInput]], clock: FakeClock
) -> list[object]:
    out: list[object] = []
    for tenant, d in batch:
        try:
            out.append(service.raise_alert(session, OP, tenant, d, clock, POLICY))
        except (VigileError, ValueError) as exc:
            out.append(exc)
    return out


def _batched(
    session: Session, batch: list[tuple[int, AlertInput]], clock: FakeClock
) -> list[object]:
    return list(service.raise_alerts(session, OP, batch, clock, POLICY))


def _prepared_ahead(
    session: Session, batch: list[tuple[int, AlertInput]], clock: FakeClock
) -> list[object]:
    ahead = [ev.prepare(d.rule_id, d.events, d.key_fields) for _, d in batch]
    return list(service.raise_alerts(session, OP, batch, clock, POLICY, ahead=ahead))


def _as_canonical_json(
    ahead: bool,
) -> Callable[[Session, list[tuple[int, AlertInput]], FakeClock], list[object]]:
    """Raising with the events given as their canonical JSON (as the pipeline does), with
    or without their :func:`evidence.prepare` computed ahead."""

    def how(
        session: Session, batch: list[tuple[int, AlertInput]], clock: FakeClock
    ) -> list[object]:
        detections = [
            Detection(
                tenant,
                d,
                [ev.CanonicalJson(ev.canonical_json(e)) for e in d.events],
                ev.prepare(d.rule_id, d.events, d.key_fields) if ahead else None,
            )
            for tenant, d in batch
        ]
        raised = raise_many(session, OP, detections, clock, POLICY)
        return [
            r
            if isinstance(r, Exception)
            else service.RaiseOutcome(
                r.status,
                session.get(Alert, r.alert_id) if r.alert_id else None,
                r.exception_reason,
            )
            for r in raised
        ]

    return how


def _run(
    db: sessionmaker[Session],
    clock: FakeClock,
    how: Callable[[Session, list[tuple[int, AlertInput]], FakeClock], list[object]],
) -> Snapshot:
    """Raise the batch in a transaction, snapshot the result, roll back."""
    with db() as session:
        session.begin()
        outcomes = how(session, _batch(session), clock)
        session.flush()
        snap = _snapshot(session, outcomes)
        session.rollback()
    return snap


@pytest.mark.parametrize(
    "how",
    [_batched, _prepared_ahead, _as_canonical_json(True), _as_canonical_json(False)],
    ids=["batched", "prepared", "canonical-prepared", "canonical"],
)
def test_a_batch_raises_as_one_by_one(
    db: sessionmaker[Session],
    fake_clock: FakeClock,
    how: Callable[[Session, list[tuple[int, AlertInput]], FakeClock], list[object]],
) -> None:
    _prior(db, fake_clock)
    expected = _run(db, fake_clock, _one_by_one)
    statuses = [o[0] for o in expected["outcomes"]]
    # The scenario exercises every path (guards the test itself).
    assert {RaiseStatus.CREATED, RaiseStatus.JOINED, RaiseStatus.SUPPRESSED} <= set(statuses)
    assert {"NotFound", "InvalidInput"} <= set(statuses)
    assert _run(db, fake_clock, how) == expected


def test_batch_reads_search_indexes_on_sqlite(
    db: sessionmaker[Session], fake_clock: FakeClock, db_url: str
) -> None:
    """Every read of alerts and evidence searches an index: SQLite scans the whole table
    for a row-value IN list, each batch slower as the tables grow."""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite query plans")
    _prior(db, fake_clock)
    reads: list[tuple[str, Any]] = []
    engine = db.kw["bind"]

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with db() as session:
            session.begin()
            _batched(session, _batch(session), fake_clock)
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    big = ("alerts", "alert_evidence")
    seen: set[str] = set()
    with engine.connect() as connection:
        for statement, params in reads:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            for *_, detail in plan:
                table = detail.split()[1] if detail.startswith(("SCAN", "SEARCH")) else ""
                seen.add(table)
                assert not (detail.startswith("SCAN") and table in big), (statement, plan)
    assert set(big) <= seen  # both were read (guards the test itself)
