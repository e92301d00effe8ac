"""Differential test: the engine's per-rule match counts equal the pySigma-SQLite reference's.

The engine scans every EVTX file of the public corpus with every corpus rule; the reference
(``bench.reference_sqlite``: pySigma's SQLite backend, Zircolite's method) evaluates the same
records. Counts (and the matched records) must be equal for every rule, except those listed in
:data:`REFERENCE_FAULTS`, where the reference is demonstrably wrong (each with the reason).

The reference runs with ``data_list="join"`` (unnamed ``<Data>`` lists joined by newlines), so
rules on the field ``Data`` that use ``contains`` are checked too. Its result is cached under
pytest's cache directory, keyed by the rules, the EVTX files and the reference's own code.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from bench.reference_sqlite import (
    RecordKey,
    ReferenceResult,
    corpus_rule_dirs,
    evaluate_evtx,
    result_cache_key,
)

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

DATA_LIST = "join"

PLACEHOLDER = "placeholder %known_cdcs% has no default value: the SQLite backend cannot convert it"

# rule id → why the reference, not the engine, is wrong on the public EVTX corpus.
REFERENCE_FAULTS: dict[str, str] = {
    "c4a1f389-2e6b-4d9a-8f0c-b73e5a12d947": PLACEHOLDER,  # ADCS - Certighost CDC Chase Certificate
    "8b7e2c54-1f93-4a6d-b8e0-3c9d7f25a168": PLACEHOLDER,  # ADCS - Certighost Certificate Issued via
}


def _evtx_files(evtx_root: Path) -> list[Path]:
    return sorted(p for p in evtx_root.rglob("*") if p.suffix.lower() == ".evtx")


@pytest.fixture(scope="module")
def evtx_root(corpus_dir: Path) -> Path:
    return corpus_dir / "evtx"


@pytest.fixture(scope="module")
def reference(corpus_dir: Path, evtx_root: Path, request: pytest.FixtureRequest) -> ReferenceResult:
    """The reference's result on the corpus, cached per content hash."""
    rules = corpus_rule_dirs(corpus_dir)
    files = _evtx_files(evtx_root)
    cache_dir = Path(request.config.cache.mkdir("vigile-reference"))
    cached = cache_dir / f"result-{result_cache_key(rules, files, DATA_LIST)}.json"
    if cached.is_file():
        return ReferenceResult.from_json(cached.read_bytes())
    result = evaluate_evtx(rules, files, root=evtx_root, cache_dir=cache_dir, data_list=DATA_LIST)
    cached.write_bytes(result.to_json())
    return result


def _relative(file: str, evtx_root: Path) -> str:
    path = Path(file)
    try:
        return str(path.resolve().relative_to(evtx_root.resolve()))
    except ValueError:
        return file


@pytest.fixture(scope="module")
def engine(
    corpus_dir: Path, evtx_root: Path, request: pytest.FixtureRequest
) -> dict[str, list[RecordKey]]:
    """Rule id → matched records, from the engine's scan API on the corpus."""
    try:
        from vigile.detection.engine import load_ruleset
        from vigile.scan.service import Detection, scan_paths
    except ImportError as exc:
        pytest.fail(f"the engine's scan API is not available yet: {exc}", pytrace=False)
    cache_dir = Path(request.config.cache.mkdir("vigile-engine-rules"))
    ruleset = load_ruleset(corpus_rule_dirs(corpus_dir), cache_dir=cache_dir)
    matches: dict[str, list[RecordKey]] = defaultdict(list)
    errors = []
    for item in scan_paths([evtx_root], ruleset, workers=os.cpu_count()):
        if isinstance(item, Detection):
            key = (_relative(item.file, evtx_root), int(item.record_id or 0))
            matches[item.rule_id].append(key)
        else:
            errors.append(item)
    assert not errors, f"the engine could not read corpus files: {errors[:5]}"
    return dict(matches)


def _describe(
    rule_id: str, ref: ReferenceResult, reference: list[RecordKey], engine: list[RecordKey]
) -> str:
    only_engine = sorted(set(engine) - set(reference))
    only_reference = sorted(set(reference) - set(engine))
    lines = [
        f"{rule_id} {ref.titles.get(rule_id, '')!r}: engine {len(engine)}, "
        f"reference {len(reference)}"
    ]
    if only_engine:
        lines.append(f"    only engine: {only_engine[:3]}{' …' if len(only_engine) > 3 else ''}")
    if only_reference:
        more = " …" if len(only_reference) > 3 else ""
        lines.append(f"    only reference: {only_reference[:3]}{more}")
    lines += [f"    caveat: {c}" for c in ref.caveats.get(rule_id, [])]
    return "\n".join(lines)


def test_engine_agrees_with_reference(
    reference: ReferenceResult, engine: dict[str, list[RecordKey]]
) -> None:
    assert reference.events > 0
    differing = []
    rule_ids = set(reference.counts) | reference.not_applicable | set(reference.failures)
    for rule_id in sorted(rule_ids | set(engine)):
        if rule_id in REFERENCE_FAULTS:
            continue
        found = engine.get(rule_id, [])
        if rule_id in reference.failures:
            differing.append(
                f"{rule_id}: the reference cannot evaluate it ({reference.failures[rule_id]}); "
                f"engine {len(found)} — list it in REFERENCE_FAULTS with the reason"
            )
            continue
        expected = reference.matches.get(rule_id, [])
        if len(found) != len(expected) or Counter(found) != Counter(expected):
            differing.append(_describe(rule_id, reference, expected, found))
    assert not differing, f"{len(differing)} rules differ:\n" + "\n".join(differing)


def test_reference_faults_are_known_rules(reference: ReferenceResult) -> None:
    known = set(reference.counts) | reference.not_applicable | set(reference.failures)
    assert set(REFERENCE_FAULTS) <= known
