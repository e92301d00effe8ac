"""Offline scan orchestration: files → events → detections, in parallel processes.

Python API (used by ``vigile scan`` and the benchmarks)::

    ruleset = load_ruleset(paths, cache_dir=...)
    for item in scan_paths([Path("logs/")], ruleset, workers=2, min_level="medium"):
        ...  # Detection (one per event × matching rule) or ScanError (a skipped file)

Work units (files, or byte ranges of big JSON-lines files) are scanned by ``workers`` forked
processes that inherit the compiled rule set; results come back in input order, so the output
is identical for any worker count. Memory stays bounded: events are streamed, only detections
travel between processes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from vigile.detection.engine import RuleSet
from vigile.detection.model import LEVELS
from vigile.scan.readers import InputError, WorkUnit, discover, read_unit, work_units


@dataclass(frozen=True, slots=True)
class Detection:
    """One (event, rule) match."""

    rule_id: str
    rule_title: str
    level: str
    timestamp: str | None
    file: str
    record_id: int | str | None
    channel: str | None
    event_id: int | str | None
    computer: str | None


@dataclass(frozen=True, slots=True)
class ScanError:
    """A file (or part of one) that could not be scanned."""

    file: str
    message: str


@dataclass(frozen=True, slots=True)
class UnitResult:
    unit: WorkUnit
    events: int
    detections: list[Detection]
    error: ScanError | None


_TIME_FIELDS = ("SystemTime", "TimeCreated", "UtcTime", "@timestamp", "timestamp", "EventTime")


def utc_iso(fields: dict[str, Any]) -> str | None:
    """The event time as UTC ISO 8601 (``…Z``), from the usual time fields."""
    for name in _TIME_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value:
            try:
                dt = datetime.fromisoformat(value.replace(" ", "T", 1))
            except ValueError:
                continue
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=UTC)  # EVTX and Sysmon UtcTime are UTC
            return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return None


def system_channel(obj: Any) -> Any:
    """``Event.System.Channel`` of an evtx-shaped event (the flat ``Channel`` may be a payload
    field: the cleared log of a log-cleared event), else ``None``."""
    root = obj.get("Event") if isinstance(obj, dict) else None
    system = root.get("System") if isinstance(root, dict) else None
    return system.get("Channel") if isinstance(system, dict) else None


# Set in the parent before forking; workers inherit it instead of unpickling the rule set.
_RULESET: RuleSet | None = None
_MIN_RANK = 0


def scan_unit(unit: WorkUnit, ruleset: RuleSet | None = None, min_rank: int = -1) -> UnitResult:
    """Scan one work unit (in a worker or inline)."""
    rs = ruleset if ruleset is not None else _RULESET
    assert rs is not None
    rank = min_rank if min_rank >= 0 else _MIN_RANK
    detections: list[Detection] = []
    events = 0
    error: ScanError | None = None
    try:
        for raw in read_unit(unit):
            events += 1
            try:
                obj, fields, rules = rs.match_object(raw)
            except orjson.JSONDecodeError:
                continue  # a broken line inside a JSON-lines file
            if rules:
                channel = system_channel(obj)
                if channel is None:
                    channel = fields.get("Channel")
            for rule in rules:
                if rule.level_rank < rank:
                    continue
                detections.append(
                    Detection(
                        rule_id=rule.id,
                        rule_title=rule.title,
                        level=rule.level,
                        timestamp=utc_iso(fields),
                        file=unit.path,
                        record_id=fields.get("EventRecordID"),
                        channel=channel,
                        event_id=fields.get("EventID"),
                        computer=fields.get("Computer"),
                    )
                )
    except InputError as exc:
        error = ScanError(unit.path, str(exc))
    except (OSError, RuntimeError, ValueError) as exc:
        error = ScanError(unit.path, f"{unit.path}: read error after {events} events ({exc})")
    return UnitResult(unit, events, detections, error)


def plan(inputs: Sequence[Path]) -> tuple[list[WorkUnit], list[ScanError]]:
    """Work units of all inputs, and the files that cannot be scanned at all.

    Raises :class:`InputError` when an input path does not exist.
    """
    units: list[WorkUnit] = []
    errors: list[ScanError] = []
    for path in discover(inputs):
        try:
            units.extend(work_units(path))
        except InputError as exc:
            errors.append(ScanError(str(path), str(exc)))
    return units, errors


def scan_paths(
    inputs: Sequence[Path],
    ruleset: RuleSet,
    workers: int | None = None,
    min_level: str = "informational",
    on_progress: Callable[[UnitResult], None] | None = None,
) -> Iterator[Detection | ScanError]:
    """Detections of all inputs in input order; unreadable files yield a :class:`ScanError`."""
    global _RULESET, _MIN_RANK
    units, errors = plan(inputs)
    yield from errors
    rank = LEVELS.index(min_level)
    procs = max(1, min(workers or multiprocessing.cpu_count(), len(units)))
    if procs == 1:
        results: Iterator[UnitResult] = (scan_unit(u, ruleset, rank) for u in units)
        yield from _emit(results, on_progress)
        return
    ruleset.prepare()
    _RULESET, _MIN_RANK = ruleset, rank
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        yield from _emit(pool.imap(scan_unit, units, chunksize=1), on_progress)


def _emit(
    results: Iterator[UnitResult], on_progress: Callable[[UnitResult], None] | None
) -> Iterator[Detection | ScanError]:
    for result in results:
        if on_progress is not None:
            on_progress(result)
        yield from result.detections
        if result.error is not None:
            yield result.error
