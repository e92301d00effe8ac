"""Matching spooled records against the compiled rule set, inline or in worker processes.

Processes are started with ``spawn`` (never ``fork``): `vigile serve` runs threads (uvicorn,
receivers), and forking a threaded process can copy a held lock into the child. Each child
unpickles the rule set once, then receives spooled record *bytes* and does all the per-event
work of a batch (:func:`analyse`): parse (receivers spool records raw), match, the event-store
rows, what raising each hit needs (evidence, dedup key, assets), the sources and assets seen.
The writer (the worker thread, which shares the GIL with the receivers in `vigile serve`) is
left with the SQL and DuckDB calls. The event rows, most of a result's bytes, come back through
shared memory (:mod:`vigile.ingest.shared_rows`), the rest through the pool's pipe. Results
equal inline analysis, in input order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import multiprocessing
import os
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from vigile.alerts.evidence import Assets as EventAssets
from vigile.alerts.evidence import (
    Prepared,
    canonical,
    flat_event_assets,
    prepare_rules,
)
from vigile.assets.discovery import observations
from vigile.assets.types import Observation
from vigile.detection.engine import LogSource, RuleSet
from vigile.detection.model import Rule
from vigile.events.store import EventRows, micros
from vigile.ingest.envelope import MAGIC, Envelope, Spooled
from vigile.ingest.gc_tuning import tune_pipeline_process
from vigile.ingest.parsers.jsonlog import storable
from vigile.ingest.parsers.model import Event, ParseError
from vigile.ingest.shared_rows import SharedRows, default_directory, owner_prefix, share, sweep
from vigile.sources.tracker import Key, Seen, aggregate

_RULESET: RuleSet | None = None  # the rule set of a worker process
_SHARED: tuple[Path, str] | None = None
"""Where a worker process writes its rows for the server (directory, file-name prefix)."""
EVENT_ID_FIELD = "vigile.event_id"
"""Added to an event kept as alert evidence: the id of the stored event."""


def engine_logsource(event: Event) -> LogSource | None:
    """The engine's log source for an event (``None``: Windows, routed by channel)."""
    ls = event.logsource
    if ls is None or (ls.product is None and ls.category is None and ls.service is None):
        return None
    return LogSource(ls.product, ls.category, ls.service)


def match_event(ruleset: RuleSet, event: Event) -> list[Rule]:
    """The rules matching one normalised event."""
    return ruleset.match(event.fields, engine_logsource(event))


def _init(ruleset: RuleSet, shared: tuple[Path, str] | None = None) -> None:
    global _RULESET, _SHARED
    _RULESET, _SHARED = ruleset, shared
    ruleset.prepare()
    tune_pipeline_process()


Assets = dict[int, set[Observation]]
"""The assets named by a batch's events, per tenant id."""


_received_micros = functools.lru_cache(maxsize=64)(micros)
""":func:`micros` of receive times (a request's records share theirs)."""


def add_stored(rows: EventRows, tenant_id: int, env: Envelope) -> None:
    """Add the event store's copy of a spooled event to ``rows`` (plain values: no
    intermediate :class:`~vigile.events.store.Event` to build and validate per event)."""
    ev = env.event
    rows.add(
        tenant_id,
        env.id,
        micros(ev.timestamp),
        _received_micros(env.received_at),
        ev.source_type,
        f"{env.receiver}:{ev.host}" if ev.host else env.receiver,
        ev.fields,
        ev.raw,
    )


@dataclass(slots=True)
class Hit:
    """A rule matching an event, with what raising its alert needs."""

    tenant_id: int
    event_id: str
    rule: int
    """The rule's index in the rule set (:attr:`Rule.index`)."""
    evidence: str
    """The event as the alert keeps it, its fields and :data:`EVENT_ID_FIELD`, as canonical
    JSON (:func:`~vigile.alerts.evidence.canonical_json`): written once here, where it is
    hashed, and sent as one string rather than a dict to pickle and rebuild per field."""
    prepared: Prepared

    def __reduce__(self) -> tuple[type[Hit], tuple[Any, ...]]:
        # The constructor's arguments: a slots dataclass otherwise pickles through
        # dataclasses' Python-level __getstate__/__setstate__ (per hit, on both sides).
        return Hit, (self.tenant_id, self.event_id, self.rule, self.evidence, self.prepared)


@dataclass(frozen=True, slots=True)
class Unparsable:
    """An admitted record that could not be normalised: the pipeline quarantines it."""

    tenant_id: int
    position: int
    """In the batch."""
    reason: str
    record: Spooled


@dataclass(slots=True)
class Matched:
    """What the detection of a batch found: events to store, hits, sources, assets."""

    rows: EventRows = field(default_factory=EventRows)
    hits: list[Hit] = field(default_factory=list)
    assets: Assets = field(default_factory=dict)
    sources: dict[Key, Seen] = field(default_factory=dict)
    seen_at: dict[int, datetime] = field(default_factory=dict)
    """Per tenant, when its assets were last seen: the latest event time (never later than
    its reception) of the batch."""
    unreadable: list[int] = field(default_factory=list)
    """Positions (in the batch) of records that are not envelopes."""
    unparsable: list[Unparsable] = field(default_factory=list)

    def extend(self, other: Matched, offset: int) -> None:
        """Add the results of the batch's next chunk (``offset``: its first position)."""
        self.rows.extend(other.rows)
        self.hits += other.hits
        for tid, found in other.assets.items():
            self.assets.setdefault(tid, set()).update(found)
        for key, seen in other.sources.items():
            mine = self.sources.get(key)
            if mine is None:
                self.sources[key] = seen
            else:
                mine.count += seen.count
                mine.first, mine.last = min(mine.first, seen.first), max(mine.last, seen.last)
        for tid, at in other.seen_at.items():
            if tid not in self.seen_at or at > self.seen_at[tid]:
                self.seen_at[tid] = at
        self.unreadable += [offset + i for i in other.unreadable]
        self.unparsable += [
            dataclasses.replace(u, position=offset + u.position) for u in other.unparsable
        ]


def analyse(ruleset: RuleSet, records: Sequence[tuple[int, bytes]]) -> Matched:
    """All the per-event work of a batch of ``(tenant id, envelope bytes)``."""
    out = Matched()
    decoded: list[tuple[int, int, Envelope, Spooled | None]] = []
    for position, (tenant_id, data) in enumerate(records):
        spooled = None
        try:
            if data.startswith(MAGIC):
                spooled = Spooled.decode(data)
                env = _parsed(spooled, tenant_id, position, out)
            else:
                env = Envelope.decode(data)
        except (ValueError, KeyError, TypeError):
            # Written by this code's receivers only; an unreadable one cannot be fixed by
            # retrying, so the worker logs and skips it rather than blocking the spool.
            out.unreadable.append(position)
            continue
        if env is not None:
            decoded.append((position, tenant_id, env, spooled))
    # Per tenant, the batch's distinct Assets (the same few recur, as one cached object):
    # their observations are gathered once each at the end, not hashed again per event.
    named: dict[int, dict[int, EventAssets]] = {}
    kept: list[tuple[int, Envelope]] = []
    for position, tenant_id, env, spooled in decoded:
        try:
            _analyse_event(ruleset, tenant_id, env, out, named)
        except Exception as exc:  # a fault on one event must not stall the spool
            reason = f"pipeline failure: {type(exc).__name__}: {exc}"[:500]
            if spooled is None:  # first-layout envelope: nothing to quarantine it as
                out.unreadable.append(position)
            else:
                out.unparsable.append(Unparsable(tenant_id, position, reason, spooled))
            continue
        kept.append((tenant_id, env))
    for tenant_id, distinct in named.items():
        out.assets[tenant_id] = set().union(*map(observations, distinct.values()))
    out.sources = aggregate(kept)
    return out


def _analyse_event(
    ruleset: RuleSet,
    tenant_id: int,
    env: Envelope,
    out: Matched,
    named: dict[int, dict[int, EventAssets]],
) -> None:
    """Store, match and note one event into ``out``: all of it, or nothing and an error."""
    fields = env.event.fields
    try:
        add_stored(out.rows, tenant_id, env)
    except TypeError:  # orjson cannot write a value (nested past its 254 levels, say)
        for name, value in fields.items():  # kept as its JSON text, matched as such
            fields[name] = storable(value)
        add_stored(out.rows, tenant_id, env)
    try:
        at = env.event.timestamp
        if at > env.received_at:
            at = env.received_at
        # The assets of the event are those of its evidence (the added id names none).
        assets = flat_event_assets(fields)
        matching = match_event(ruleset, env.event)
        hits: list[Hit] = []
        if matching:
            evidence, digest = canonical({**fields, EVENT_ID_FIELD: env.id})
            ids = [alert_rule_id(rule) for rule in matching]
            ahead = prepare_rules(ids, assets, digest)
            hits = [
                Hit(tenant_id, env.id, rule.index, evidence, prepared)
                for rule, prepared in zip(matching, ahead, strict=True)
            ]
    except BaseException:
        out.rows.drop_last()
        raise
    out.hits += hits
    named.setdefault(tenant_id, {})[id(assets)] = assets  # held: ids stay unique
    seen_at = out.seen_at
    latest = seen_at.get(tenant_id)
    if latest is None or at > latest:
        seen_at[tenant_id] = at


def _parsed(spooled: Spooled, tenant_id: int, position: int, out: Matched) -> Envelope | None:
    """The parsed record, or None once its failure is noted in :attr:`Matched.unparsable`."""
    try:
        return spooled.parse()
    except ParseError as exc:
        reason = exc.reason
    except Exception as exc:  # a parser fault must not stall the spool: quarantine, say why
        reason = f"parser failure: {type(exc).__name__}: {exc}"[:500]
    out.unparsable.append(Unparsable(tenant_id, position, reason, spooled))
    return None


def alert_rule_id(rule: Rule) -> str:
    """The rule id an alert records (cut to the alerts' column size)."""
    return rule.id[:200]


def _analyse_chunk(chunk: list[tuple[int, bytes]]) -> tuple[Matched, SharedRows | None]:
    """A chunk's analysis in a worker process; its rows, when they could be written to
    shared memory, are returned apart (see :mod:`vigile.ingest.shared_rows`)."""
    ruleset = _RULESET
    assert ruleset is not None
    out = analyse(ruleset, chunk)
    shared = share(out.rows, *_SHARED) if _SHARED is not None else None
    if shared is not None:
        out.rows = EventRows()
    return out, shared


PIPE_BYTES = 1 << 20
"""Capacity asked for the pools' pipes (Linux's limit for unprivileged processes)."""


def _widen_pipes(pool: ProcessPoolExecutor) -> None:
    """Widen the pipes carrying the records to the processes and their results back.

    A result is megabytes (the chunk's rows); through a pipe of the default 64 KiB, the
    server's result thread reads it in some hundred ``os.read`` calls, each allocating a
    buffer of the whole remaining size, and each 64 KiB wakes the other side: a third of
    that thread's CPU time. Best effort: the private attributes or the call may be missing.
    """
    for name in ("_call_queue", "_result_queue"):
        reader = getattr(getattr(pool, name, None), "_reader", None)
        setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)
        if reader is not None and setpipe is not None:
            with contextlib.suppress(OSError, ValueError):
                fcntl.fcntl(reader.fileno(), setpipe, PIPE_BYTES)


class Detector:
    """Matches batches with ``processes`` worker processes (1: in the calling thread).

    ``shared``: the processes return the event rows through files of ``/dev/shm`` when the
    system has it (else, or ``False``, through the pool's pipe)."""

    def __init__(self, ruleset: RuleSet, processes: int = 1, *, shared: bool = True) -> None:
        self.ruleset = ruleset
        self.processes = processes if processes > 0 else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._shared: tuple[Path, str] | None = None
        if self.processes > 1:
            directory = default_directory() if shared else None
            if directory is not None:
                sweep(directory)  # files left by a server that died
                self._shared = (directory, owner_prefix(os.getpid(), secrets.token_hex(4)))
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init,
                initargs=(ruleset, self._shared),
            )
            _widen_pipes(self._pool)

    def submit(self, records: Sequence[tuple[int, bytes]]) -> Callable[[], Matched]:
        """Start analysing ``(tenant id, envelope bytes)`` in the worker processes; the
        returned call waits for the result (with one process, the work runs in that call).
        The caller can do other work, such as storing the previous batch, meanwhile."""
        pool = self._pool
        if pool is None or len(records) < 2 * self.processes:
            ruleset = self.ruleset
            return lambda: analyse(ruleset, records)
        size = -(-len(records) // self.processes)
        starts = range(0, len(records), size)
        futures: list[Future[tuple[Matched, SharedRows | None]]] = [
            pool.submit(_analyse_chunk, list(records[i : i + size])) for i in starts
        ]

        def result() -> Matched:
            out = Matched()
            for start, future in zip(starts, futures, strict=True):
                matched, shared = future.result()
                if shared is not None:
                    matched.rows = shared.load()
                out.extend(matched, start)
            return out

        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._shared is not None:  # rows of results never collected
            sweep(self._shared[0], own=self._shared[1])
