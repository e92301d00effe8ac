"""Load Sigma rule files with pySigma and compile them (one file's failure never stops others).

Log sources: the rules go through pySigma's ``sysmon`` then ``windows`` pipelines, which turn
``category``/``service`` into ``EventID``/``Channel`` conditions — the mapping the SigmaHQ
regression tests assume. Deliberate choice for Windows rules that no pipeline maps (e.g.
``file_access``, ``iis-configuration``): they compile but are *not applied* (listed in the
report as ``unmapped logsource``) — applied naively they would test every Windows event and
fire on unrelated logs. A Windows rule with neither category nor service (e.g. a keyword rule
for "any Windows log") applies to every Windows event. Rules of other products are applied
only to events whose log source is given explicitly (see :mod:`vigile.detection.engine`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.pipelines.common import windows_logsource_mapping
from sigma.pipelines.sysmon.sysmon import sysmon_pipeline
from sigma.pipelines.windows.windows import windows_logsource_pipeline
from sigma.processing.conditions import DetectionItemProcessingItemAppliedCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation
from sigma.rule import SigmaRule

from vigile.detection.analysis import (
    field_values,
    order_by_cost,
    required_clauses,
    strip_routed,
)
from vigile.detection.compiler import RuleCompileError, compile_rule_conditions
from vigile.detection.flatten import SYSTEM_CHANNEL
from vigile.detection.model import Rule, RuleProblem
from vigile.detection.rulefiles import rule_files

__all__ = ["ROUTED_FIELDS", "ROUTE_CHANNEL", "load_files", "rule_files", "windows_pipeline"]

# The ``Channel`` conditions that the log-source pipeline adds test the event's *System*
# channel; they are renamed to this field, which only routing reads (a rule's own ``Channel``
# test keeps reading the flattened ``Channel``, where a payload field of that name wins — e.g.
# ``UserData.LogFileCleared.Channel``, the log that was cleared).
ROUTE_CHANNEL = SYSTEM_CHANNEL
ROUTED_FIELDS = frozenset({ROUTE_CHANNEL, "EventID"})
_pipeline: ProcessingPipeline | None = None


def _route_channel_pipeline() -> ProcessingPipeline:
    """Rename the ``Channel`` of the conditions added by ``windows_logsource_*`` items."""
    return ProcessingPipeline(
        name="vigile: logsource Channel is the System channel",
        priority=100,
        items=[
            ProcessingItem(
                identifier="vigile_route_channel",
                transformation=FieldMappingTransformation({"Channel": ROUTE_CHANNEL}),
                detection_item_conditions=[
                    DetectionItemProcessingItemAppliedCondition(f"windows_logsource_{service}")
                    for service in windows_logsource_mapping
                ],
                detection_item_condition_linking=any,
            )
        ],
    )


def windows_pipeline() -> ProcessingPipeline:
    """The sysmon + windows log-source pipeline (built once per process)."""
    global _pipeline
    if _pipeline is None:
        _pipeline = sysmon_pipeline() + windows_logsource_pipeline() + _route_channel_pipeline()
    return _pipeline


def _problem(path: Path, rule: SigmaRule | None, reason: str, detail: str) -> RuleProblem:
    rid = str(rule.id) if rule is not None and rule.id else None
    title = rule.title if rule is not None else None
    return RuleProblem(str(path), rid, title, reason, detail)


def _compile(
    path: Path, rule: SigmaRule, placeholders: Mapping[str, Sequence[str]]
) -> tuple[Rule | None, RuleProblem | None, bool]:
    """Returns (rule, problem, active)."""
    if rule.errors:
        err = rule.errors[0]
        return None, _problem(path, rule, type(err).__name__, str(err)), False
    try:
        windows_pipeline().apply(rule)
        trees = [c.parsed for c in rule.detection.parsed_condition]
        node = compile_rule_conditions(trees, placeholders)
    except RuleCompileError as exc:
        return None, _problem(path, rule, exc.reason, exc.detail), False
    except Exception as exc:  # pySigma raises many types; one bad rule must not stop the rest
        return None, _problem(path, rule, type(exc).__name__, str(exc)), False
    ls = rule.logsource
    level = rule.level.name.lower() if rule.level is not None else "informational"
    compiled = Rule(
        id=str(rule.id) if rule.id else f"{path.stem}",
        title=rule.title,
        level=level,
        path=str(path),
        product=ls.product,
        category=ls.category,
        service=ls.service,
        condition=node,
        channels=field_values(node, ROUTE_CHANNEL),
        event_ids=field_values(node, "EventID"),
        clauses=tuple(required_clauses(node, ROUTED_FIELDS)),
    )
    if compiled.product == "windows" and compiled.channels is not None:
        compiled.condition = strip_routed(node, ROUTED_FIELDS)
    compiled.condition = order_by_cost(compiled.condition)
    unmapped = ls.category is not None or ls.service is not None
    if compiled.product == "windows" and compiled.channels is None and unmapped:
        detail = f"category={ls.category} service={ls.service}"
        return compiled, _problem(path, rule, "unmapped logsource", detail), False
    return compiled, None, True


def load_files(
    files: Sequence[Path], placeholders: Mapping[str, Sequence[str]]
) -> list[tuple[Rule | None, RuleProblem | None, bool]]:
    """Parse and compile each file; results per rule in file order."""
    out: list[tuple[Rule | None, RuleProblem | None, bool]] = []
    for path in files:
        try:
            # libyaml's CSafeLoader builds the same documents as the pure-Python safe loader
            # that ``SigmaCollection.from_yaml`` uses, about 15x faster.
            docs = list(yaml.load_all(path.read_text("utf-8"), Loader=yaml.CSafeLoader))
            collection = SigmaCollection.from_dicts(docs, collect_errors=True)
        except Exception as exc:
            out.append((None, _problem(path, None, "unparsable file", str(exc)), False))
            continue
        if collection.errors and not collection.rules:
            # Errors of a parsed rule are reported with that rule, not twice.
            for err in collection.errors:
                out.append((None, _problem(path, None, type(err).__name__, str(err)), False))
        items: list[Any] = list(collection.rules)
        for item in items:
            if not isinstance(item, SigmaRule):
                kind = type(item).__name__
                out.append(
                    (None, RuleProblem(str(path), None, None, "not a detection rule", kind), False)
                )
                continue
            out.append(_compile(path, item, placeholders))
    return out
