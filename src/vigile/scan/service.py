"""Offline scan orchestration: files → events → detections, in parallel processes.

Python API (used by ``vigile scan`` and the benchmarks)::

    ruleset = load_ruleset(paths, cache_dir=...)
    for item in scan_paths([Path("logs/")], ruleset, workers=2, min_level="medium"):
        ...  # Detection (one per event × matching rule) or ScanError (a skipped file)

Work units (files, or byte ranges of big JSON-lines files) are grouped into *batches* of
consecutive units of similar total size (thousands of small EVTX files would otherwise cost one
inter-process round trip each), scanned by ``workers`` forked processes that inherit the
compiled rule set. Workers also format their detections (:func:`scan_formatted`: ready JSON
lines / CSV rows as bytes, or per-rule counts), so the parent only writes bytes and never
competes with them for CPU. Results come back in input order, so the output is identical for
any worker count. Memory stays bounded: events are streamed, only detections travel between
processes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import multiprocessing
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import orjson

from vigile.detection.engine import RuleSet
from vigile.detection.model import LEVELS
from vigile.ingest.gc_tuning import tune_collector
from vigile.scan.readers import InputError, WorkUnit, plan_files, read_unit


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


COLUMNS = [
    "rule_id",
    "rule_title",
    "level",
    "timestamp",
    "file",
    "record_id",
    "channel",
    "event_id",
    "computer",
]


@dataclass(frozen=True, slots=True)
class ScanError:
    """A file (or part of one) that could not be scanned."""

    file: str
    message: str


# What a worker returns per work unit, by output mode: ``detections`` — Detection objects;
# ``jsonl``/``csv`` — the unit's output as UTF-8 bytes; ``counts`` — detections per
# (level, title, rule id).
Mode = str
Payload = list[Detection] | bytes | Counter[tuple[str, str, str]]


@dataclass(frozen=True, slots=True)
class UnitResult:
    unit: WorkUnit
    events: int
    detections: list[Detection]
    error: ScanError | None


@dataclass(frozen=True, slots=True)
class Part:
    """The result of one work unit inside a batch."""

    events: int
    payload: Payload
    count: int
    error: ScanError | None


_TIME_FIELDS = ("SystemTime", "TimeCreated", "UtcTime", "@timestamp", "timestamp", "EventTime")
# The form of every EVTX SystemTime, already what utc_iso returns for it (when valid) unless
# its microseconds are zero (isoformat then leaves them out).
_CANONICAL_UTC = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.(?!000000)[0-9]{6}Z"
).fullmatch


def utc_iso(fields: dict[str, Any]) -> str | None:
    """The event time as UTC ISO 8601 (``…Z``), from the usual time fields."""
    for name in _TIME_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value:
            try:
                dt = datetime.fromisoformat(value.replace(" ", "T", 1))
            except ValueError:
                continue
            if _CANONICAL_UTC(value) is not None:
                return value  # valid (parsed) and already canonical
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


# Set in the parent before forking; workers inherit them instead of unpickling the rule set
# (and the batches: a task is just a batch's index).
_RULESET: RuleSet | None = None
_MIN_RANK = 0
_MODE: Mode = "detections"
_BATCHES: list[list[WorkUnit]] = []


def _scan(unit: WorkUnit, rs: RuleSet, rank: int, mode: Mode) -> Part:
    """Scan one work unit; its detections in the form ``mode`` asks for."""
    rows: list[tuple[Any, ...]] = []
    events = 0
    error: ScanError | None = None
    path = unit.path
    # EVTX records come as the `evtx` parser writes them: routed from their text, decoded
    # only when some rule may match.
    match = rs.match_evtx_record if unit.kind == "evtx" else rs.match_object
    try:
        for batch, failure in _batches(read_unit(unit)):
            for raw in batch:
                events += 1
                try:
                    obj, fields, rules = match(raw)
                except orjson.JSONDecodeError:
                    continue  # a broken line inside a JSON-lines file
                if not rules:
                    continue
                if mode == "counts":
                    rows.extend((r.level, r.title, r.id) for r in rules if r.level_rank >= rank)
                    continue
                channel = system_channel(obj)
                if channel is None:
                    channel = fields.get("Channel")
                event = (
                    utc_iso(fields),
                    path,
                    fields.get("EventRecordID"),
                    channel,
                    fields.get("EventID"),
                    fields.get("Computer"),
                )
                rows.extend((r.id, r.title, r.level, *event) for r in rules if r.level_rank >= rank)
            if failure is not None:
                raise failure  # after matching what was read before it
    except InputError as exc:
        error = ScanError(path, str(exc))
    except (OSError, RuntimeError, ValueError) as exc:
        error = ScanError(path, f"{path}: read error after {events} events ({exc})")
    return Part(events, _format(rows, mode), len(rows), error)


# Records read, then matched, by batches of this size: parsing and matching each run on warm
# caches (instructions and data), rather than alternating record by record (~5-10 % of a
# worker's CPU time, process-time A/B on 21,904 corpus records).
MATCH_BATCH = 256


def _batches(records: Iterator[bytes]) -> Iterator[tuple[list[bytes], BaseException | None]]:
    """``records`` by lists of :data:`MATCH_BATCH`; a read error comes with the list of what
    was read before it (then ends the iteration)."""
    batch: list[bytes] = []
    try:
        for raw in records:
            batch.append(raw)
            if len(batch) == MATCH_BATCH:
                yield batch, None
                batch = []
    except (InputError, OSError, RuntimeError, ValueError) as exc:
        yield batch, exc
        return
    if batch:
        yield batch, None


def _format(rows: list[tuple[Any, ...]], mode: Mode) -> Payload:
    if mode == "jsonl":
        dumps = orjson.dumps
        return b"".join(dumps(dict(zip(COLUMNS, row, strict=True))) + b"\n" for row in rows)
    if mode == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        return buf.getvalue().encode("utf-8")
    if mode == "counts":
        return Counter(rows)
    return [Detection(*row) for row in rows]


def scan_unit(unit: WorkUnit, ruleset: RuleSet | None = None, min_rank: int = -1) -> UnitResult:
    """Scan one work unit (in a worker or inline)."""
    rs = ruleset if ruleset is not None else _RULESET
    assert rs is not None
    part = _scan(unit, rs, min_rank if min_rank >= 0 else _MIN_RANK, "detections")
    assert isinstance(part.payload, list)
    return UnitResult(unit, part.events, part.payload, part.error)


def _scan_batch(batch: list[WorkUnit]) -> list[Part]:
    """The parts of a batch of consecutive units (in a worker)."""
    assert _RULESET is not None
    return [_scan(unit, _RULESET, _MIN_RANK, _MODE) for unit in batch]


def _worker(conn: Connection, others: list[Connection]) -> None:
    """A forked worker: scans the batches whose indexes it receives until ``None``, and sends
    back ``(index, parts, None)`` or ``(index, None, exception)``."""
    # The inherited rule set is never traversed (nor copied page by page) by gc, and young
    # collections run every 100,000 net allocations, not 700 (callgrind, 10,952 corpus
    # records: -0.8 % instructions per record).
    tune_collector()
    # The parent's ends of its own and earlier workers' pipes: the parent's alone (so a
    # worker sees its pipe close when the parent drops it).
    for other in others:
        other.close()
    while True:
        try:
            index = conn.recv()
        except EOFError:  # the parent dropped the scan without reading it
            return
        if index is None:
            return
        try:
            conn.send((index, _scan_batch(_BATCHES[index]), None))
        except Exception as exc:  # re-raised by the parent, in input order
            conn.send((index, None, exc))


# Batches sent ahead to each worker: it never waits for the parent between two batches.
AHEAD = 2


class _Workers:
    """``procs`` forked workers scanning ``_BATCHES``, started at once (each is sent its first
    batches): they work while the caller finishes its own start (imports, messages).

    A small pool of its own rather than ``multiprocessing.Pool``: no task, result and
    worker-watching threads in the parent (the last one polls in a loop while results wait to
    be read: a tenth of a core), and tasks are indexes, so no send can block on a full pipe.
    """

    def __init__(self, procs: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conns: list[Connection] = []
        self.workers: list[BaseProcess] = []
        self.sent = 0
        self.closed = False
        try:
            for _ in range(procs):
                parent_end, child_end = ctx.Pipe()
                worker = ctx.Process(
                    target=_worker, args=(child_end, [*self.conns, parent_end]), daemon=True
                )
                worker.start()
                child_end.close()
                self.conns.append(parent_end)
                self.workers.append(worker)
            for _ in range(AHEAD):
                for conn in self.conns:
                    self.send_next(conn)
        except BaseException:
            self.close(finished=False)
            raise

    def send_next(self, conn: Connection) -> None:
        """Send ``conn``'s worker the next batch, if any is left."""
        if self.sent < len(_BATCHES):
            conn.send(self.sent)
            self.sent += 1

    def parts(self, on_progress: Progress | None) -> Iterator[Part]:
        """The parts of ``_BATCHES`` in input order; the workers are stopped at the end (or
        when the consumer stops early)."""
        following = 0
        try:
            done: dict[int, tuple[list[Part] | None, BaseException | None]] = {}
            while following < len(_BATCHES):
                for ready in wait(self.conns):
                    assert isinstance(ready, Connection)
                    try:
                        index, parts, error = ready.recv()
                    except EOFError:
                        raise RuntimeError("a scan worker process ended unexpectedly") from None
                    done[index] = (parts, error)
                    self.send_next(ready)
                while following in done:
                    parts, error = done.pop(following)
                    following += 1
                    if error is not None:
                        raise error
                    assert parts is not None
                    if on_progress is not None:
                        on_progress(len(parts), sum(p.events for p in parts))
                    yield from parts
        finally:
            self.close(finished=following == len(_BATCHES))

    def close(self, finished: bool) -> None:
        """Stop the workers: told to end when all batches are done, else terminated (an
        error, or the consumer stopped: batches may be under way). Only the first call acts."""
        if self.closed:
            return
        self.closed = True
        for conn in self.conns:
            if finished:
                with contextlib.suppress(OSError):
                    conn.send(None)
            conn.close()
        for worker in self.workers:
            if not finished:
                worker.terminate()
            worker.join()


def plan(inputs: Sequence[Path]) -> tuple[list[WorkUnit], list[ScanError]]:
    """Work units of all inputs, and the files that cannot be scanned at all.

    Raises :class:`InputError` when an input path does not exist.
    """
    units, _, errors = plan_sized(inputs)
    return units, errors


# Work units, their sizes in bytes, and the files that cannot be scanned at all.
Plan = tuple[list[WorkUnit], list[int], list[ScanError]]


def plan_sized(inputs: Sequence[Path]) -> Plan:
    """:func:`plan`, with the size in bytes of each unit (for :func:`make_batches`)."""
    units, sizes, errors = plan_files(inputs)
    return units, sizes, [ScanError(name, message) for name, message in errors]


# Batches: each a 1 / (BATCHES_PER_WORKER × processes) share of what remains (so they shrink
# towards the end, where one large batch would leave the other processes idle), between
# these sizes.
BATCHES_PER_WORKER = 8
MIN_BATCH_BYTES = 256 * 1024
MAX_BATCH_BYTES = 8 * 1024 * 1024


def _unit_size(unit: WorkUnit) -> int:
    if unit.end >= 0:
        return unit.end - unit.start
    try:
        return Path(unit.path).stat().st_size
    except OSError:
        return 0


def make_batches(
    units: Sequence[WorkUnit], procs: int, sizes: Sequence[int] | None = None
) -> list[list[WorkUnit]]:
    """Consecutive units grouped into batches (input order kept), smaller towards the end;
    ``sizes`` are the units' sizes when known (else each file is looked at)."""
    if sizes is None:
        sizes = [_unit_size(u) for u in units]
    shares = max(1, procs * BATCHES_PER_WORKER)
    remaining = sum(sizes)
    target = max(MIN_BATCH_BYTES, min(MAX_BATCH_BYTES, remaining // shares))
    batches: list[list[WorkUnit]] = []
    current: list[WorkUnit] = []
    size = 0
    for unit, unit_size in zip(units, sizes, strict=True):
        if current and size + unit_size > target:
            batches.append(current)
            remaining -= size
            target = max(MIN_BATCH_BYTES, min(MAX_BATCH_BYTES, remaining // shares))
            current, size = [], 0
        current.append(unit)
        size += unit_size
    if current:
        batches.append(current)
    return batches


Progress = Callable[[int, int], None]  # (units done, events) of each finished unit


def scan_formatted(
    inputs: Sequence[Path],
    ruleset: RuleSet,
    workers: int | None = None,
    min_level: str = "informational",
    mode: Mode = "detections",
    on_progress: Progress | None = None,
    planned: Plan | None = None,
) -> Iterator[Part | ScanError]:
    """The results of all inputs in input order: a :class:`Part` per work unit (its detections
    in the form ``mode`` asks for) and a :class:`ScanError` per file that cannot be scanned.

    ``planned``: the :func:`plan_sized` of ``inputs`` when the caller already has it. The
    worker processes start scanning when this is called, not when the results are first read.
    """
    global _RULESET, _MIN_RANK, _MODE, _BATCHES
    units, sizes, errors = planned if planned is not None else plan_sized(inputs)
    rank = LEVELS.index(min_level)
    procs = max(1, min(workers or multiprocessing.cpu_count(), len(units)))
    if procs == 1:
        return _scan_inline(errors, units, ruleset, rank, mode, on_progress)
    ruleset.prepare()  # every bucket built once, here, and shared by the forked workers
    _RULESET, _MIN_RANK, _MODE = ruleset, rank, mode
    _BATCHES = make_batches(units, procs, sizes)
    pool = _Workers(procs)  # started now, before the caller iterates
    return _parallel_results(errors, pool, on_progress)


def _scan_inline(
    errors: list[ScanError],
    units: list[WorkUnit],
    ruleset: RuleSet,
    rank: int,
    mode: Mode,
    on_progress: Progress | None,
) -> Iterator[Part | ScanError]:
    yield from errors
    for unit in units:
        part = _scan(unit, ruleset, rank, mode)
        if on_progress is not None:
            on_progress(1, part.events)
        yield part


def _parallel_results(
    errors: list[ScanError], pool: _Workers, on_progress: Progress | None
) -> Iterator[Part | ScanError]:
    global _BATCHES
    try:
        yield from errors
        yield from pool.parts(on_progress)
    finally:
        pool.close(finished=False)  # if the consumer stopped before the parts (else: done)
        _BATCHES = []


def scan_paths(
    inputs: Sequence[Path],
    ruleset: RuleSet,
    workers: int | None = None,
    min_level: str = "informational",
    on_progress: Progress | None = None,
) -> Iterator[Detection | ScanError]:
    """Detections of all inputs in input order; unreadable files yield a :class:`ScanError`."""
    for item in scan_formatted(inputs, ruleset, workers, min_level, "detections", on_progress):
        if isinstance(item, ScanError):
            yield item
            continue
        assert isinstance(item.payload, list)
        yield from item.payload
        if item.error is not None:
            yield item.error
