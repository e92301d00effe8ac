"""The worker processes of a scan: results in input order, a worker's exception re-raised at
its place, no process left behind when the consumer stops early."""

from __future__ import annotations

import multiprocessing
from collections.abc import Generator
from pathlib import Path

import orjson
import pytest

from vigile.detection.engine import RuleSet, ruleset_from_yaml
from vigile.scan import service
from vigile.scan.readers import WorkUnit
from vigile.scan.service import Part, ScanError, scan_formatted

RULE = """
title: Whoami
id: 11111111-2222-3333-4444-555555555555
level: high
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|endswith: '\\\\whoami.exe'
    condition: sel
"""


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    monkeypatch.setattr(service, "MIN_BATCH_BYTES", 1)  # one small file per batch
    files = []
    for i in range(12):
        event = {
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": 1,
            "EventRecordID": i,
            "Image": "C:\\\\x\\\\whoami.exe" if i % 3 else "C:\\\\x\\\\notepad.exe",
        }
        path = tmp_path / f"f{i:02d}.jsonl"
        path.write_bytes(orjson.dumps(event) + b"\n")
        files.append(path)
    return files


@pytest.fixture
def ruleset() -> RuleSet:
    return ruleset_from_yaml([RULE])


def _records(items: list[Part | ScanError]) -> list[int]:
    rows: list[int] = []
    for item in items:
        assert isinstance(item, Part) and isinstance(item.payload, list)
        rows += [int(d.record_id) for d in item.payload]  # type: ignore[arg-type]
    return rows


def test_order_and_progress_any_worker_count(inputs: list[Path], ruleset: RuleSet) -> None:
    seen: list[tuple[int, int]] = []
    two = list(scan_formatted(inputs, ruleset, 2, on_progress=lambda d, n: seen.append((d, n))))
    one = list(scan_formatted(inputs, ruleset, 1))
    assert _records(two) == _records(one) == [1, 2, 4, 5, 7, 8, 10, 11]
    assert sum(d for d, _ in seen) == 12 and sum(n for _, n in seen) == 12
    assert not multiprocessing.active_children()


def test_worker_exception_raised_in_order(
    inputs: list[Path], ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = service._scan

    def failing(unit: WorkUnit, rs: RuleSet, rank: int, mode: str) -> Part:
        if unit.path.endswith("f07.jsonl"):
            raise LookupError("boom")
        return real(unit, rs, rank, mode)

    monkeypatch.setattr(service, "_scan", failing)
    got: list[Part | ScanError] = []
    with pytest.raises(LookupError, match="boom"):
        for item in scan_formatted(inputs, ruleset, 2):
            got.append(item)
    assert _records(got) == [1, 2, 4, 5]  # every unit before the failing one
    assert not multiprocessing.active_children()


def test_consumer_stopping_early(inputs: list[Path], ruleset: RuleSet) -> None:
    results = scan_formatted(inputs, ruleset, 2)
    assert isinstance(results, Generator)
    assert isinstance(next(results), Part)
    results.close()
    assert not multiprocessing.active_children()


def test_workers_start_before_the_results_are_read(inputs: list[Path], ruleset: RuleSet) -> None:
    results = scan_formatted(inputs, ruleset, 2)
    workers = multiprocessing.active_children()
    assert len(workers) == 2  # scanning while the caller finishes its start
    del results  # dropped unread: the workers see their pipes close and end
    for worker in workers:
        worker.join(timeout=30)
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("before", [0, 1, 255, 256, 257, 600])
def test_read_error_keeps_what_was_read_before_it(
    ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch, before: int
) -> None:
    """Records are matched by batches: those read before a read error are still matched and
    counted, whatever their place in a batch."""

    def reader(unit: WorkUnit) -> Generator[bytes, None, None]:
        for i in range(before):
            event = {
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "EventID": 1,
                "EventRecordID": i,
                "Image": "C:\\x\\whoami.exe",
            }
            yield orjson.dumps(event)
        raise OSError("disk gone")

    monkeypatch.setattr(service, "read_unit", reader)
    part = service._scan(WorkUnit("f.jsonl", "jsonl"), ruleset, 0, "detections")
    assert part.events == before
    assert isinstance(part.payload, list)
    assert [d.record_id for d in part.payload] == list(range(before))
    assert part.error == ScanError(
        "f.jsonl", f"f.jsonl: read error after {before} events (disk gone)"
    )
