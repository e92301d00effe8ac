"""Scan results do not depend on the worker count nor on the input form (EVTX or the same
records as JSON lines, nested or flattened)."""

from __future__ import annotations

from pathlib import Path

import evtx
import orjson
import pytest

from tests.detection.conftest import corpus_rule_paths
from vigile.config import Settings
from vigile.detection.engine import RuleSet, load_ruleset
from vigile.detection.flatten import flatten_event
from vigile.scan.service import Detection, scan_paths


@pytest.fixture(scope="module")
def ruleset(corpus_dir: Path) -> RuleSet:
    return load_ruleset(corpus_rule_paths(corpus_dir), cache_dir=Settings().data_dir / "cache")


def _keys(items: list[object]) -> list[tuple[object, ...]]:
    return [(d.rule_id, d.record_id, d.timestamp) for d in items if isinstance(d, Detection)]


@pytest.mark.corpus
def test_workers_and_input_forms_agree(corpus_dir: Path, ruleset: RuleSet, tmp_path: Path) -> None:
    files = sorted((corpus_dir / "evtx").rglob("*.evtx"))[::8]
    one = _keys(list(scan_paths(files, ruleset, workers=1)))
    two = _keys(list(scan_paths(files, ruleset, workers=2)))
    assert one and one == two
    nested, flat = tmp_path / "nested.jsonl", tmp_path / "flat.jsonl"
    with nested.open("wb") as fn, flat.open("wb") as ff:
        for path in files:
            for record in evtx.PyEvtxParser(str(path)).records_json():
                event = orjson.loads(record["data"])
                fn.write(orjson.dumps(event) + b"\n")
                ff.write(orjson.dumps(flatten_event(event)) + b"\n")
    assert _keys(list(scan_paths([nested], ruleset, workers=2))) == one
    assert _keys(list(scan_paths([flat], ruleset, workers=1))) == one
