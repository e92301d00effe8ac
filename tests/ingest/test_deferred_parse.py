"""Records are admitted by receivers and normalised by the pipeline: the two must agree.

Receivers only check a record (``registry.admit``) and spool it raw; the detection processes
parse it (``Envelope.decode``). These tests hold the split to three promises: a record that
parsing accepts is never refused at the door (and a refused one gets parsing's own reason);
what the pipeline parses out of the spool is exactly what parsing the record directly gives;
and a record the pipeline still fails on (a parser or matcher fault) is quarantined with the
reason, while the rest of its batch is stored: the spool never stalls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.ingest import samples
from tests.ingest.test_fuzz import mutated
from tests.ingest.test_worker import RULE, sysmon
from tests.web.conftest import build_world
from vigile.alerts.models import Alert
from vigile.app import create_app
from vigile.assets.models import Asset
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.detection.engine import ruleset_from_yaml
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.ingest import detect
from vigile.ingest.detect import Detector
from vigile.ingest.envelope import MAGIC, Envelope, Spooled
from vigile.ingest.intake import Incoming, parse_batch
from vigile.ingest.models import QuarantinedRecord
from vigile.ingest.observers import BatchObserver
from vigile.ingest.parsers.evtx import NOT_WINDOWS
from vigile.ingest.parsers.jsonlog import json_text
from vigile.ingest.parsers.model import Event, ParseError, ParseOptions
from vigile.ingest.parsers.registry import AUTO, PARSERS, admit, parse
from vigile.ingest.runtime import open_spool
from vigile.ingest.worker import Worker
from vigile.sources.models import Source

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
OPTS = ParseOptions(received_at=NOW, max_record_bytes=2048)
CHECK = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
TYPES = [AUTO, *sorted(PARSERS)]
ALL_SAMPLES = [raw for group in samples.ALL.values() for raw in group]
KEYS = ["Event", "System", "EventData", "EventID", "Channel", "rule", "agent", "event_type"]
OBJECTS = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


def _outcome(call: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, call()
    except ParseError as exc:
        return False, exc.reason


def _same_event(a: Event, b: Event) -> None:
    assert (a.source_type, a.fields, a.timestamp, a.host) == (
        b.source_type,
        b.fields,
        b.timestamp,
        b.host,
    )
    assert (a.raw, a.logsource, a.truncated) == (b.raw, b.logsource, b.truncated)


def _agree(raw: bytes, source_type: str) -> None:
    """Admission vs direct parsing of one record, and the spooled round trip."""
    parsed_ok, parsed = _outcome(lambda: parse(raw, source_type, OPTS))
    admitted_ok, admitted = _outcome(lambda: admit(raw, source_type, OPTS))
    if parsed_ok:
        assert admitted_ok, f"refused at the door ({admitted}) but parsable"
    else:
        assert not admitted_ok, f"admitted, but parsing refuses it: {parsed}"
    if not admitted_ok:
        assert admitted == parsed  # the same reason as parsing gives
        return
    assert admitted in PARSERS
    intake = parse_batch(
        [Incoming(raw)],
        receiver="native",
        received_at=NOW,
        default_source_type=source_type,
        max_record_bytes=2048,
    )
    record = intake.accepted[0].encode()
    assert record.startswith(MAGIC) and record.endswith(raw)  # spooled untouched
    late_ok, late = _outcome(lambda: Envelope.decode(record))
    assert late_ok == parsed_ok
    if parsed_ok:
        _same_event(late.event, parsed)
        assert late.id == intake.accepted[0].id


@CHECK
@given(source_type=st.sampled_from(TYPES), data=st.data())
def test_admission_agrees_with_parsing_on_mutated_samples(
    source_type: str, data: st.DataObject
) -> None:
    _agree(data.draw(mutated(ALL_SAMPLES)), source_type)


@CHECK
@given(source_type=st.sampled_from(TYPES), obj=OBJECTS)
def test_admission_agrees_with_parsing_on_json_objects(source_type: str, obj: Any) -> None:
    _agree(orjson.dumps(obj), source_type)


def test_every_sample_round_trips_through_the_spool() -> None:
    for name, group in samples.ALL.items():
        for raw in group:
            for source_type in (AUTO, name):
                _agree(raw, source_type)


def test_transport_time_host_and_fields_are_applied_when_parsed() -> None:
    raw = b'{"message": "login failed", "user": "bob"}'
    when = datetime(2026, 11, 20, 8, tzinfo=UTC)
    item = Incoming(raw, time=when, host="edge-1", extra={"index_hint": "x", "user": "no"})
    intake = parse_batch([item], receiver="hec", received_at=NOW)
    env = Envelope.decode(intake.accepted[0].encode())
    assert env.event.timestamp == when and env.event.host == "edge-1"
    assert env.event.fields["user"] == "bob" and env.event.fields["index_hint"] == "x"
    assert (env.receiver, env.received_at) == ("hec", NOW)


def test_oversized_record_is_cut_and_its_id_is_that_of_the_kept_text() -> None:
    raw = b"<34>1 2026-11-26T09:00:00Z host app - - - " + b"x" * 5000
    intake = parse_batch([Incoming(raw)], receiver="syslog", received_at=NOW, max_record_bytes=1024)
    env = Envelope.decode(intake.accepted[0].encode())
    assert env.event.truncated and len(env.event.raw) == 1024
    assert Spooled.decode(intake.accepted[0].encode()).raw == raw
    assert env.id == hashlib.sha256(raw[:1024]).hexdigest()


def test_first_layout_envelopes_are_still_read() -> None:
    event = parse(samples.ALL["syslog"][0], "syslog", OPTS)
    old = Envelope("a" * 64, "syslog", NOW, event)
    again = Envelope.decode(old.encode())
    _same_event(again.event, event)


UNNAMED_WINDOWS = {"Event": {"System": {"Computer": "ws1"}, "EventData": {"x": "1"}}}
# Nested past Python's recursion limit, within orjson's (1,024 levels).
DEEP_WINDOWS = (
    b'{"Event":{"System":{"Channel":"Security","EventID":4688},"UserData":'
    + b'{"a":' * 1000
    + b"1"
    + b"}" * 1000
    + b"}}"
)


@pytest.mark.parametrize("source_type", ["evtx", None])
def test_a_nested_windows_event_naming_no_channel_nor_id_is_refused_at_the_door(
    settings: Settings, clock: Callable[[], datetime], source_type: str | None
) -> None:
    world = build_world(settings, clock)
    app = create_app(settings, clock=clock)
    bad = orjson.dumps(UNNAMED_WINDOWS)
    named = {"Event": {"System": {"Computer": "ws1"}, "EventData": {"Channel": "Security"}}}
    query = f"?source_type={source_type}" if source_type else ""
    with TestClient(app) as client:
        body = b"\n".join([orjson.dumps(sysmon(1)), bad, orjson.dumps(named), b""])
        response = client.post(
            f"/api/v1/ingest{query}", content=body, headers=world.headers["ingest-alpha"]
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        # The payload's Channel is one once flattened: that record is accepted.
        assert answer["accepted"] == 2
        assert [(r["line"], r["reason"]) for r in answer["rejected"]] == [(2, NOT_WINDOWS)]
    app.state.engine.dispose()


# A field whose value nests lists past the 254 levels orjson writes (it reads 1,024).
DEEP_LIST = b'{"EventID":1,"Channel":"Security","Payload":' + b"[" * 400 + b"]" * 400 + b"}"


def pipeline_worker(
    settings: Settings, clock: Callable[[], datetime], store: Any
) -> tuple[Worker, Callable[[], None]]:
    """A worker on the settings' spool and database (the rule: :data:`RULE`) and its close."""
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    spool = open_spool(settings)
    worker = Worker(
        spool,
        store,
        sessions,
        Detector(ruleset_from_yaml([RULE])),
        clock,
        observe=BatchObserver(sessions, clock),
    )

    def close() -> None:
        worker.close()
        spool.close()
        engine.dispose()

    return worker, close


def _drain(settings: Settings, clock: Callable[[], datetime], store: DuckDbEventStore) -> int:
    """Run the pipeline over everything spooled; the records processed."""
    worker, close = pipeline_worker(settings, clock, store)
    try:
        return worker.drain()
    finally:
        close()


def quarantined_records(settings: Settings) -> list[QuarantinedRecord]:
    engine = make_engine(settings.effective_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.scalars(select(QuarantinedRecord)))
    finally:
        engine.dispose()


def ingest_lines(settings: Settings, clock: Callable[[], datetime], lines: list[bytes]) -> int:
    """POST ``lines`` to the native endpoint as tenant alpha; the tenant's id."""
    world = build_world(settings, clock)
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        body = b"".join(line + b"\n" for line in lines)
        response = client.post(
            "/api/v1/ingest", content=body, headers=world.headers["ingest-alpha"]
        )
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == len(lines), response.text
    app.state.engine.dispose()
    return world.tenant_ids["alpha"]


def test_deeply_nested_records_are_stored_and_matched(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    lines = [orjson.dumps(sysmon(1)), DEEP_WINDOWS, DEEP_LIST, orjson.dumps(sysmon(2))]
    tenant = ingest_lines(settings, clock, lines)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    assert _drain(settings, clock, store) == 4
    assert store.count() == 4 and quarantined_records(settings) == []
    deep = store.get(tenant, hashlib.sha256(DEEP_LIST).hexdigest())
    assert deep is not None
    # Too deep for orjson to write: kept as its JSON text; the rest of the event as it was.
    assert deep.fields["Payload"] == "[" * 400 + "]" * 400 and deep.fields["EventID"] == 1
    windows = store.get(tenant, hashlib.sha256(DEEP_WINDOWS).hexdigest())
    assert windows is not None and windows.fields["a"] == 1  # the deepest UserData element
    store.close()


def test_nul_in_an_events_text_is_stored_on_every_database(
    settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    """PostgreSQL text refuses NUL: a host or user name carrying one (the sender writes
    them) must not fail the batch's alerts, sources or assets, retried for ever."""
    event = sysmon(1) | {"Computer": "ws\x00evil", "User": "CORP\\b\x00b"}
    tenant = ingest_lines(settings, clock, [orjson.dumps(event), orjson.dumps(sysmon(2))])
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    assert _drain(settings, clock, store) == 2
    assert store.count() == 2 and quarantined_records(settings) == []
    engine = make_engine(settings.effective_database_url)
    with make_sessionmaker(engine)() as session:
        hosts = {a.host for a in session.scalars(select(Alert))}
        assert hosts == {"ws\ufffdevil", "ws0"}
        sources = set(session.scalars(select(Source.host).where(Source.tenant_id == tenant)))
        assert "ws\ufffdevil" in sources
        assets = set(session.scalars(select(Asset.name).where(Asset.tenant_id == tenant)))
        assert {"ws\ufffdevil", "corp\\b\ufffdb"} <= {name.lower() for name in assets}
    engine.dispose()
    store.close()


@st.composite
def _nested(draw: st.DrawFn) -> Any:
    """A JSON value wrapped in up to 1,000 lists or objects (orjson writes 254 levels and
    reads 1,024), in one kind or alternating."""
    value: Any = draw(OBJECTS)
    depth = draw(st.integers(0, 8) | st.integers(240, 1010))
    kinds = draw(st.sampled_from(["[", "{", "[{"]))
    for level in range(depth):
        value = [value] if kinds[level % len(kinds)] == "[" else {"k": value}
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    objects=st.lists(
        st.fixed_dictionaries(
            {"EventID": st.just(1), "Channel": st.just("Security")},
            optional={"Event": _nested(), "x": _nested()},
        )
        | st.dictionaries(st.sampled_from(KEYS), _nested(), max_size=3),
        min_size=1,
        max_size=4,
    )
)
def test_every_admitted_record_is_stored_or_quarantined(objects: list[Any]) -> None:
    """The pipeline's analysis of admitted records never fails a batch: each record is
    either an event to store or a quarantined one (the worker would otherwise retry the
    batch for ever)."""
    ruleset = ruleset_from_yaml([RULE])
    raws = [json_text(obj) for obj in objects]
    intake = parse_batch([Incoming(raw) for raw in raws], receiver="native", received_at=NOW)
    records = [(1, record.encode()) for record in intake.accepted]
    matched = detect.analyse(ruleset, records)
    assert not matched.unreadable
    assert len(matched.rows) + len(matched.unparsable) == len(records)
    matched.rows.to_arrow()  # and the rows make a table the store takes


def test_a_record_the_pipeline_fails_on_is_quarantined_and_the_rest_of_its_batch_stored(
    settings: Settings,
    clock: Callable[[], datetime],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = detect.match_event

    def faulty(ruleset: Any, event: Event) -> Any:
        if event.fields.get("CommandLine") == "whoami /all #2":
            raise RuntimeError("matcher fault")
        return real(ruleset, event)

    monkeypatch.setattr(detect, "match_event", faulty)  # detection runs in this process
    lines = [orjson.dumps(sysmon(n)) for n in (1, 2, 3)]
    tenant = ingest_lines(settings, clock, lines)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    assert _drain(settings, clock, store) == 3  # processed, not retried for ever
    assert store.count() == 2
    assert store.get(tenant, hashlib.sha256(lines[1]).hexdigest()) is None
    rows = quarantined_records(settings)
    assert [(r.tenant_id, r.reason, r.raw.encode()) for r in rows] == [
        (tenant, "pipeline failure: RuntimeError: matcher fault", lines[1])
    ]
    engine = make_engine(settings.effective_database_url)
    with make_sessionmaker(engine)() as session:  # the other two raised their alert
        alert = session.scalars(select(Alert)).one()
        assert alert.match_count == 2
    engine.dispose()
    store.close()


@given(
    raw=st.binary(max_size=6) | st.lists(st.sampled_from(b" \t\n\r\x0b\x0c"), max_size=5).map(bytes)
)
def test_only_records_that_strip_to_nothing_are_refused_as_empty(raw: bytes) -> None:
    """The emptiness check (no copy of the record) refuses what ``bytes.strip`` empties."""
    intake = parse_batch([Incoming(raw)], receiver="bulk", received_at=NOW)
    empty = [r for r in intake.rejected if r.reason == "empty record"]
    assert bool(empty) == (not raw.strip())
