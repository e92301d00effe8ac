"""The overlapped start of `vigile scan` gives what loading and planning one after the other
give: the rule set of the current rule files (never a stale guess) and the same plan."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vigile.detection.cache import last_key
from vigile.detection.engine import load_ruleset
from vigile.scan import startup
from vigile.scan.readers import InputError
from vigile.scan.service import plan_sized

RULE = """
title: {title}
id: 11111111-2222-3333-4444-55555555555{n}
level: high
logsource: {{product: windows, category: process_creation}}
detection:
    sel:
        Image|endswith: '\\\\{image}'
    condition: sel
"""


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.yml").write_text(RULE.format(title="A", n=1, image="whoami.exe"))
    (rules / "b.yml").write_text(RULE.format(title="B", n=2, image="net.exe"))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "x.jsonl").write_text('{"EventID": 1}\n')
    (logs / "y.evtx").write_bytes(b"ElfFile\x00")
    return rules, logs, tmp_path / "cache"


def _titles(rules: Path, logs: Path, cache: Path) -> list[str]:
    ruleset, planned = startup.start([rules], [logs], cache)
    assert planned == plan_sized([logs])
    return [r.title for r in ruleset.active_rules]


def test_cold_then_cached_then_changed(tree: tuple[Path, Path, Path]) -> None:
    rules, logs, cache = tree
    first, planned = startup.start([rules], [logs], cache)
    assert not first.report.from_cache and planned == plan_sized([logs])
    assert last_key(cache, [rules], {}) is not None
    second, _ = startup.start([rules], [logs], cache)
    assert second.report.from_cache
    assert [r.title for r in second.rules] == [r.title for r in first.rules] == ["A", "B"]
    # A changed rule file: the remembered entry is a wrong guess, and is not used.
    (rules / "b.yml").write_text(RULE.format(title="B2", n=2, image="net.exe"))
    assert _titles(rules, logs, cache) == ["A", "B2"]
    reference = load_ruleset([rules], cache_dir=cache)
    assert reference.report.from_cache and [r.title for r in reference.rules] == ["A", "B2"]
    # Back to the first contents: that entry is still cached, found by its key.
    (rules / "b.yml").write_text(RULE.format(title="B", n=2, image="net.exe"))
    back, _ = startup.start([rules], [logs], cache)
    assert back.report.from_cache and [r.title for r in back.rules] == ["A", "B"]


def test_without_fork_or_with_a_failing_helper(
    tree: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules, logs, cache = tree
    assert _titles(rules, logs, cache) == ["A", "B"]
    monkeypatch.delattr(os, "fork")
    assert _titles(rules, logs, cache) == ["A", "B"]
    monkeypatch.undo()

    def broken(*_: object) -> object:
        raise RuntimeError("helper failure")

    monkeypatch.setattr(startup, "_compute", broken)
    helper = startup.Helper([rules], [logs])
    monkeypatch.undo()
    assert helper.result() == startup._compute([rules], [logs])


def test_missing_input_is_returned(tree: tuple[Path, Path, Path]) -> None:
    rules, logs, cache = tree
    ruleset, planned = startup.start([rules], [logs / "nope"], cache)
    assert isinstance(planned, InputError) and "nope" in str(planned)
    assert len(ruleset.rules) == 2
