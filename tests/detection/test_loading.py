"""Loading the whole corpus: every rule compiles or is reported with a reason."""

from __future__ import annotations

from pathlib import Path

from tests.detection.conftest import corpus_rule_paths
from vigile.detection.engine import RuleSet, load_ruleset, ruleset_from_yaml


def test_every_rule_accounted_for(corpus_ruleset: RuleSet) -> None:
    report = corpus_ruleset.report
    assert report.files >= 3000
    assert report.loaded == report.compiled + len(report.failed)
    assert report.compiled == len(corpus_ruleset.rules)
    assert all(p.reason and p.detail for p in report.failed + report.inactive)
    # The placeholder without a value is reported as such, not silently dropped.
    unresolved = [p for p in report.failed if p.reason == "unresolved placeholder"]
    assert unresolved and all("known_cdcs" in p.detail for p in unresolved)
    assert report.compiled / report.loaded > 0.99


def test_unmapped_windows_logsource_not_applied(corpus_ruleset: RuleSet) -> None:
    inactive = {p.rule_id for p in corpus_ruleset.report.inactive}
    assert inactive
    assert all(p.reason == "unmapped logsource" for p in corpus_ruleset.report.inactive)
    assert not inactive & {r.id for r in corpus_ruleset.active_rules}


def test_cache_is_used_and_equal(corpus_dir: Path, corpus_ruleset: RuleSet, tmp_path: Path) -> None:
    # How fast a cached start is, is bench/scan.py's figure (not a timed test).
    paths = corpus_rule_paths(corpus_dir)[1:2]  # emerging threats: small, compiles quickly
    first = load_ruleset(paths, cache_dir=tmp_path)
    second = load_ruleset(paths, cache_dir=tmp_path)
    assert second.report.from_cache and not first.report.from_cache
    assert [r.id for r in second.rules] == [r.id for r in first.rules]
    assert [(r.level, r.title) for r in second.rules] == [(r.level, r.title) for r in first.rules]


def test_broken_rule_does_not_stop_others() -> None:
    good = "title: g\nlogsource: {product: windows, service: security}\n"
    good += "detection: {sel: {EventID: 1102}, condition: sel}\n"
    bad = "title: b\nlogsource: {product: windows, service: security}\n"
    bad += "detection: {sel: {EventID|nosuchmod: 1}, condition: sel}\n"
    broken_yaml = "title: [unclosed\n"
    rs = ruleset_from_yaml([bad, good, broken_yaml])
    assert rs.report.compiled == 1
    assert len(rs.report.failed) == 2
    assert rs.match({"Channel": "Security", "EventID": 1102})


def test_placeholder_values_from_mapping() -> None:
    rule = "title: p\nlogsource: {product: windows, service: security}\n"
    rule += "detection: {sel: {Computer|expand: '%dcs%'}, condition: sel}\n"
    assert ruleset_from_yaml([rule]).report.failed[0].reason == "unresolved placeholder"
    rs = ruleset_from_yaml([rule], {"dcs": ["dc1"]})
    assert rs.match({"Channel": "Security", "EventID": 1, "Computer": "DC1"})
