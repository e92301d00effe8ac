"""What the detection processes send back: the results of a pool equal inline analysis, hits
survive pickling as they were (and an event's evidence stays one string), the pipes are wide."""

from __future__ import annotations

import fcntl
import itertools
import pickle
from multiprocessing.reduction import ForkingPickler

from tests.ingest.test_analyse import RULE, batch
from vigile.detection.engine import ruleset_from_yaml
from vigile.ingest.detect import PIPE_BYTES, Detector, Hit, analyse

SECOND_RULE = RULE.replace("0001", "0002").replace("Any process", "Any process again")


def fields(hit: Hit) -> tuple[object, ...]:
    return (hit.tenant_id, hit.event_id, hit.rule, hit.evidence, hit.prepared)


def test_hits_round_trip_through_pickle() -> None:
    found = analyse(ruleset_from_yaml([RULE, SECOND_RULE]), batch())
    assert len(found.hits) > 2
    copy = pickle.loads(ForkingPickler.dumps(found.hits))
    assert [type(h) for h in copy] == [Hit] * len(found.hits)
    assert [fields(h) for h in copy] == [fields(h) for h in found.hits]
    assert [type(h.prepared) for h in copy] == [type(h.prepared) for h in found.hits]
    pairs = list(itertools.pairwise(copy))
    same = [(a, b) for a, b in pairs if a.event_id == b.event_id and a.tenant_id == b.tenant_id]
    assert same and all(a.evidence is b.evidence for a, b in same)


def test_a_pool_finds_what_inline_analysis_finds_through_wide_pipes() -> None:
    ruleset = ruleset_from_yaml([RULE])
    records = batch()
    detector = Detector(ruleset, processes=2)
    try:
        pool = detector._pool
        assert pool is not None
        for queue in (pool._call_queue, pool._result_queue):  # type: ignore[attr-defined]
            assert fcntl.fcntl(queue._reader.fileno(), fcntl.F_GETPIPE_SZ) == PIPE_BYTES
        got = detector.submit(records)()
    finally:
        detector.close()
    want = analyse(ruleset, records)
    assert got.rows.to_arrow().equals(want.rows.to_arrow())
    assert [fields(h) for h in got.hits] == [fields(h) for h in want.hits]
    assert (got.assets, got.sources, got.seen_at) == (want.assets, want.sources, want.seen_at)
