"""SigmaHQ regression samples: each sample's .evtx, scanned with ALL corpus rules, yields at
least ``expected_match_count`` matches (at least 1 when empty) of its rule.

No row is excepted: every sample passes. (An exception would be listed here with the reason
it is the sample's fault.)
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from vigile.config import Settings
from vigile.detection.engine import RuleSet
from vigile.scan.service import Detection, scan_paths

EXCEPTIONS: dict[str, str] = {}


def _rows() -> list[dict[str, str]]:
    manifest = Settings().corpus / "sigma-regression" / "manifest.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _rows()


def test_manifest_is_present(corpus_dir: Path) -> None:
    assert len(ROWS) > 100


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[r["rule_id"] for r in ROWS])
def test_regression_sample(row: dict[str, str], corpus_dir: Path, corpus_ruleset: RuleSet) -> None:
    if row["rule_id"] in EXCEPTIONS:
        pytest.xfail(EXCEPTIONS[row["rule_id"]])
    sample = corpus_dir / "sigma-regression" / row["sample_path"]
    counts = Counter(
        d.rule_id
        for d in scan_paths([sample], corpus_ruleset, workers=1)
        if isinstance(d, Detection)
    )
    expected = int(row["expected_match_count"] or 1)
    assert counts[row["rule_id"]] >= expected, f"{row['rule_path']}: {counts[row['rule_id']]}"
