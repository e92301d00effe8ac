"""Fixtures of the detection tests: the compiled corpus rule set and a one-rule helper."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from vigile.config import Settings
from vigile.detection.engine import RuleSet, load_ruleset, ruleset_from_yaml

CORPUS_RULE_DIRS = ("rules", "rules-emerging-threats", "rules-threat-hunting")


def corpus_rule_paths(corpus: Path) -> list[Path]:
    return [corpus / "sigma" / d for d in CORPUS_RULE_DIRS]


@pytest.fixture(scope="session")
def corpus_ruleset(corpus_dir: Path) -> RuleSet:
    """All corpus rules, compiled once per session (cached under the data dir)."""
    return load_ruleset(corpus_rule_paths(corpus_dir), cache_dir=Settings().data_dir / "cache")


RULE_TEMPLATE = """
title: t
id: 00000000-0000-0000-0000-000000000001
status: test
level: high
logsource:
    product: windows
    category: process_creation
detection:
{detection}
"""


@pytest.fixture
def matches() -> Callable[..., bool]:
    """``matches(detection_yaml, event)``: does a process_creation rule match the event?

    The event gets the Sysmon channel and EventID 1 unless it sets them itself.
    """

    def _matches(
        detection: str,
        event: Mapping[str, Any],
        placeholders: Mapping[str, list[str]] | None = None,
    ) -> bool:
        text = RULE_TEMPLATE.format(
            detection="\n".join("    " + ln for ln in detection.split("\n"))
        )
        rs = ruleset_from_yaml([text], placeholders)
        assert rs.report.compiled == 1, rs.report.failed
        full = {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, **event}
        return bool(rs.match(full))

    return _matches
