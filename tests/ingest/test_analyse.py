"""``analyse`` (the detection processes' work on a batch) against the plain per-event path:
every sample format, two tenants, records repeated (shared cached assets), one with invalid
UTF-8."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.ingest import samples
from vigile.alerts.evidence import event_assets
from vigile.assets.discovery import observations
from vigile.assets.types import Observation
from vigile.detection.engine import ruleset_from_yaml
from vigile.events.store import micros
from vigile.ingest.detect import analyse
from vigile.ingest.envelope import Envelope
from vigile.ingest.intake import Incoming, parse_batch

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
RULE = """
title: Any process
id: 6a7e1d7c-1b1e-4a57-9d0b-5b8c8a3e0001
logsource: {product: windows, category: process_creation}
detection: {selection: {Image|endswith: '.exe'}, condition: selection}
"""


def batch() -> list[tuple[int, bytes]]:
    raws = [raw for group in samples.ALL.values() for raw in group]
    raws.append(b"<13>Mar  2 07:01:02 host9 app: caf\xe9 \xff not UTF-8")
    records: list[bytes] = []
    for received_at in (NOW, NOW - timedelta(hours=1), NOW + timedelta(hours=1)):
        intake = parse_batch([Incoming(r) for r in raws], receiver="bulk", received_at=received_at)
        assert not intake.rejected
        records += [spooled.encode() for spooled in intake.accepted]
    return [(tenant, data) for tenant in (1, 2) for data in records]


def test_analyse_equals_the_plain_path_per_event() -> None:
    records = batch()
    found = analyse(ruleset_from_yaml([RULE]), records)
    assert not found.unreadable and not found.unparsable
    envelopes = [(tenant, Envelope.decode(data)) for tenant, data in records]
    expected: dict[int, set[Observation]] = {}
    for tenant, env in envelopes:
        expected.setdefault(tenant, set()).update(observations(event_assets(env.event.fields)))
    assert found.assets == expected and any(expected.values())
    table = found.rows.to_arrow()
    assert table["event_id"].to_pylist() == [env.id for _, env in envelopes]
    assert table["raw"].to_pylist() == [
        env.event.raw.decode("utf-8", errors="replace") for _, env in envelopes
    ]
    assert table["ts"].cast("int64").to_pylist() == [
        micros(env.event.timestamp) for _, env in envelopes
    ]
    assert table["received_at"].cast("int64").to_pylist() == [
        micros(env.received_at) for _, env in envelopes
    ]
    assert {hit.tenant_id for hit in found.hits} == {1, 2}
    for tenant in (1, 2):
        times = [min(env.event.timestamp, env.received_at) for t, env in envelopes if t == tenant]
        assert found.seen_at[tenant] == max(times)
    counts: dict[tuple[int, str, str, str], list[datetime]] = {}
    for tenant, env in envelopes:
        key = (tenant, env.receiver, env.event.source_type, env.event.host or "")
        counts.setdefault(key, []).append(env.received_at)
    assert {key: (seen.count, seen.first, seen.last) for key, seen in found.sources.items()} == {
        key: (len(at), min(at), max(at)) for key, at in counts.items()
    }
