"""SigmaHQ regression samples sent through HEC and bulk raise the alerts the engine finds.

A handful of manifest rows of different log sources; only their rules are compiled (fast).
Detection runs in two worker processes, so the process pool is held to the same results.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import build_world
from vigile.app import create_app
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.detection.engine import load_ruleset
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.ingest.detect import Detector
from vigile.ingest.models import DetectionMark
from vigile.ingest.parsers.evtx import iter_evtx_file
from vigile.ingest.runtime import open_spool
from vigile.ingest.worker import Worker

ROWS = (
    "7595ba94-cf3b-4471-aa03-4f6baa9e5fad",  # security: scheduled task disabled
    "9e3cb244-bdb8-4632-8c90-6079c8f4f16d",  # task scheduler channel
    "d4f1a2b3-7c8e-4d5f-b6a9-1e0c2d3f4e5b",  # WMI activity
    "0b9ad457-2554-44c1-82c2-d56a99c42377",  # file_event, 5 matches
    "d7a63acb-1284-49bc-bfea-7771146c8b1c",  # image_load
    "5299fadf-f228-4526-8274-251db1960be9",  # process_creation, 6 matches
)


@pytest.mark.corpus
def test_regression_samples_through_the_pipeline(
    corpus_dir: Path, lite_settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    manifest = corpus_dir / "sigma-regression" / "manifest.tsv"
    with manifest.open(encoding="utf-8") as fh:
        rows = {r["rule_id"]: r for r in csv.DictReader(fh, delimiter="\t")}
    chosen = [rows[rule_id] for rule_id in ROWS]
    ruleset = load_ruleset([corpus_dir / "sigma" / r["rule_path"] for r in chosen])
    records = [
        record
        for r in chosen
        for record in iter_evtx_file(corpus_dir / "sigma-regression" / r["sample_path"])
    ]
    expected: Counter[str] = Counter()
    for record in records:
        expected.update(rule.id for rule in ruleset.match_json(record)[1])
    for r in chosen:  # the engine itself finds what the manifest expects
        assert expected[r["rule_id"]] >= int(r["expected_match_count"] or 1), r["rule_path"]

    world = build_world(lite_settings, clock)
    app = create_app(lite_settings, clock=clock)
    with TestClient(app) as client:
        hec = b"".join(orjson.dumps({"event": orjson.loads(rec)}) for rec in records)
        answer = client.post(
            "/services/collector/event",
            content=hec,
            headers={"Authorization": world.headers["ingest-alpha"]["Authorization"]},
        )
        assert answer.status_code == 200, answer.text
        bulk = b"".join(b'{"index":{}}\n' + rec + b"\n" for rec in records)
        answer = client.post("/_bulk", content=bulk, headers=world.headers["ingest-beta"])
        assert answer.status_code == 200 and answer.json()["errors"] is False
    app.state.engine.dispose()

    engine = make_engine(lite_settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    store = DuckDbEventStore(tmp_path / "events.duckdb")
    spool = open_spool(lite_settings)
    detector = Detector(ruleset, processes=2)
    try:
        worker = Worker(spool, store, sessions, detector, clock, batch=len(records) * 2)
        assert worker.drain() == 2 * len(records)
    finally:
        detector.close()
        spool.close()
    with sessions() as session:
        for slug in ("alpha", "beta"):
            tenant_id = world.tenant_ids[slug]
            found = Counter(
                session.scalars(
                    select(DetectionMark.rule_id).where(DetectionMark.tenant_id == tenant_id)
                )
            )
            assert found == expected, slug
    assert store.count() == 2 * len(records)
    store.close()
    engine.dispose()
