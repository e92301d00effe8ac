"""The worker's alerts for a batch of hits: marks once per (tenant, event, rule), alert ids
in the marks, replays that raise nothing, a failing hit that does not block the others."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import event, func, select

from tests.ingest.test_worker import RULE, sysmon
from tests.web.conftest import build_world
from vigile.alerts.evidence import canonical_json, content_hash
from vigile.alerts.models import Alert, AlertEvent, AlertEvidence
from vigile.audit import service as audit
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.detection.engine import ruleset_from_yaml
from vigile.detection.model import Rule
from vigile.ingest.detect import EVENT_ID_FIELD, Detector, Hit, analyse
from vigile.ingest.intake import Incoming, parse_batch
from vigile.ingest.models import DetectionMark
from vigile.ingest.worker import Worker

# A second rule matching the same events (another alert per event, keyed by the same host).
OTHER_RULE = RULE.replace(
    "11111111-2222-3333-4444-555555555555", "22222222-3333-4444-5555-666666666666"
)
OTHER_RULE = OTHER_RULE.replace("Whoami execution", "Whoami again")
MISSING_TENANT = 999_999


def _hits(
    worker: Worker, tenants: list[int], events: list[dict[str, Any]], clock: Callable[[], datetime]
) -> list[tuple[Hit, Rule]]:
    """The hits of ``events`` sent by each tenant, as the worker gets them."""
    incoming = [Incoming(orjson.dumps(e)) for e in events]
    envelopes = parse_batch(incoming, receiver="test", received_at=clock()).accepted
    records = [(tenant, env.encode()) for tenant in tenants for env in envelopes]
    rules = worker.detector.ruleset.rules
    return [(hit, rules[hit.rule]) for hit in analyse(worker.detector.ruleset, records).hits]


def test_marks_and_alerts_once_a_failing_hit_aside(
    settings: Settings, clock: Callable[[], datetime]
) -> None:
    world = build_world(settings, clock)
    alpha, beta = world.tenant_ids["alpha"], world.tenant_ids["beta"]
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    detector = Detector(ruleset_from_yaml([RULE, OTHER_RULE]))
    none: Any = None
    worker = Worker(none, none, sessions, detector, clock)
    try:
        events = [sysmon(i) for i in range(4)]
        hits = _hits(worker, [alpha, MISSING_TENANT, beta], events, clock)
        assert len(hits) == 3 * 4 * 2  # every event matches both rules, for each tenant
        counts = worker._raise_all(hits + hits[:5])  # repeated hits count once
        # Per tenant and rule, events of hosts ws0 and ws1: two alerts, each joined once.
        assert {s.value: n for s, n in counts.items()} == {"created": 8, "joined": 8}
        assert worker._raise_all(hits) == {}  # a replay: nothing new
        with sessions() as session:
            marks = session.execute(
                select(DetectionMark.tenant_id, DetectionMark.rule_id, DetectionMark.alert_id)
            ).all()
            alerts = {a.id: a for a in session.scalars(select(Alert))}
            assert len(marks) == 16 and {t for t, _, _ in marks} == {alpha, beta}
            for tenant, rule_id, alert_id in marks:  # each mark names its alert
                assert alert_id is not None
                assert (alerts[alert_id].tenant_id, alerts[alert_id].rule_id) == (tenant, rule_id)
            assert sorted(a.match_count for a in alerts.values()) == [2] * 8
            raised = session.scalar(select(func.count()).select_from(AlertEvent))
            assert raised == len(alerts) == 8  # one timeline row per created alert
            count, problems = audit.verify(session)
            assert problems == [] and count >= 8
    finally:
        worker.close()
        engine.dispose()


def test_batch_reads_search_indexes_on_sqlite(
    settings: Settings, clock: Callable[[], datetime]
) -> None:
    """The marks, alerts and evidence a batch reads are found by index searches, never a
    scan of those tables (they grow with every batch)."""
    url = settings.effective_database_url
    if not url.startswith("sqlite"):
        pytest.skip("SQLite query plans")
    world = build_world(settings, clock)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    none: Any = None
    worker = Worker(none, none, sessions, Detector(ruleset_from_yaml([RULE, OTHER_RULE])), clock)
    reads: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append((statement, params))

    try:
        tenant = world.tenant_ids["alpha"]
        worker._raise_all(_hits(worker, [tenant], [sysmon(i) for i in range(4)], clock))
        event.listen(engine, "before_cursor_execute", capture)
        worker._raise_all(_hits(worker, [tenant], [sysmon(i) for i in range(4, 8)], clock))
        event.remove(engine, "before_cursor_execute", capture)
        big = {"ingest_detections", "alerts", "alert_evidence"}
        seen: set[str] = set()
        with engine.connect() as connection:
            for statement, params in reads:
                plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
                for *_, detail in plan.all():
                    words = detail.split()
                    if words[0] in ("SCAN", "SEARCH"):
                        seen.add(words[1])
                        assert not (words[0] == "SCAN" and words[1] in big), (statement, detail)
        assert big <= seen  # all were read (guards the test itself)
    finally:
        worker.close()
        engine.dispose()


def test_evidence_is_the_canonical_json_of_the_event_it_hashes(
    settings: Settings, clock: Callable[[], datetime]
) -> None:
    """The detection processes write each matching event's JSON once: the text the alert
    keeps is the canonical JSON of the event (its fields and stored id), and its content
    hash is that text's SHA-256 (what incident reports check evidence against)."""
    world = build_world(settings, clock)
    alpha = world.tenant_ids["alpha"]
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    none: Any = None
    worker = Worker(none, none, sessions, Detector(ruleset_from_yaml([RULE])), clock)
    try:
        events = [{**sysmon(i), "Nested": {"b": [1, "é"], "a": None}} for i in range(3)]
        hits = _hits(worker, [alpha], events, clock)
        assert len(hits) == 3 and all(isinstance(hit.evidence, str) for hit, _ in hits)
        worker._raise_all(hits)
        with sessions() as session:
            kept = session.execute(select(AlertEvidence.content_hash, AlertEvidence.event)).all()
        assert len(kept) == 3
        ids = {hit.event_id for hit, _ in hits}
        for digest, text in kept:
            event = orjson.loads(text)
            assert text == canonical_json(event)
            assert digest == content_hash(event) == hashlib.sha256(text.encode()).hexdigest()
            assert event.pop(EVENT_ID_FIELD) in ids
            assert event["Nested"] == {"a": None, "b": [1, "é"]}
    finally:
        worker.close()
        engine.dispose()
