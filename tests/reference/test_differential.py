"""Differential test: the engine's per-rule match counts equal the pySigma-SQLite reference's.

The engine scans every EVTX file of the public corpus with every corpus rule; the reference
(``bench.reference_sqlite``: pySigma's SQLite backend, Zircolite's method) evaluates the same
records. Counts must be equal for every rule, except the rules listed in
:data:`REFERENCE_FAULTS`, where the reference is demonstrably wrong (each with the reason).

The reference runs with ``data_list="join"`` (unnamed ``<Data>`` lists joined by newlines), so
rules on the field ``Data`` that use ``contains`` are checked too. Its result is cached under
pytest's cache directory, keyed by the rules, the EVTX files and the reference's own code.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import orjson
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

# rule id → why the reference, not the engine, is wrong on the public EVTX corpus.
REFERENCE_FAULTS: dict[str, str] = {}


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
    corpus_dir: Path, evtx_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[RecordKey]]:
    """Rule id → matched records, from ``vigile scan --format jsonl`` on the corpus."""
    work = tmp_path_factory.mktemp("differential")
    output = work / "matches.jsonl"
    command = [str(Path(sys.executable).with_name("vigile")), "scan"]
    for folder in corpus_rule_dirs(corpus_dir):
        command += ["--rules", str(folder)]
    command += ["--format", "jsonl", "--output", str(output), str(evtx_root)]
    env = {"VIGILE_DATA_DIR": str(work / "data"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0 or not output.is_file():
        pytest.fail(
            f"`vigile scan` is not usable yet (exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-800:] or 'no output'}",
            pytrace=False,
        )
    matches: dict[str, list[RecordKey]] = defaultdict(list)
    with output.open("rb") as lines:
        for line in lines:
            if line.strip():
                hit = orjson.loads(line)
                key = (_relative(str(hit["file"]), evtx_root), int(hit["record_id"]))
                matches[str(hit["rule_id"])].append(key)
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
        if len(found) != len(expected):
            differing.append(_describe(rule_id, reference, expected, found))
    assert not differing, f"{len(differing)} rules differ:\n" + "\n".join(differing)


def test_reference_faults_are_known_rules(reference: ReferenceResult) -> None:
    known = set(reference.counts) | reference.not_applicable | set(reference.failures)
    assert set(REFERENCE_FAULTS) <= known
