"""Matching spooled envelopes against the compiled rule set, inline or in worker processes.

Processes are started with ``spawn`` (never ``fork``): `vigile serve` runs threads (uvicorn,
receivers), and forking a threaded process can copy a held lock into the child. Each child
unpickles the rule set once, then receives envelope *bytes* (cheaper to send than decoded
dicts) and returns rule indexes. Results equal inline matching, in input order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from vigile.assets.discovery import observations_from_events
from vigile.assets.types import Observation
from vigile.detection.engine import LogSource, RuleSet
from vigile.detection.model import Rule
from vigile.ingest.envelope import Envelope
from vigile.ingest.parsers.model import Event

_RULESET: RuleSet | None = None  # the rule set of a worker process


def engine_logsource(event: Event) -> LogSource | None:
    """The engine's log source for an event (``None``: Windows, routed by channel)."""
    ls = event.logsource
    if ls is None or (ls.product is None and ls.category is None and ls.service is None):
        return None
    return LogSource(ls.product, ls.category, ls.service)


def match_event(ruleset: RuleSet, event: Event) -> list[Rule]:
    """The rules matching one normalised event."""
    return ruleset.match(event.fields, engine_logsource(event))


def _init(ruleset: RuleSet) -> None:
    global _RULESET
    _RULESET = ruleset
    ruleset.prepare()


Assets = dict[int, set[Observation]]
"""The assets named by a batch's events, per tenant id."""


def batch_assets(events: Sequence[tuple[int, Event]]) -> Assets:
    """The assets (hosts, internal addresses, accounts) the events name, per tenant."""
    by_tenant: dict[int, list[dict[str, object]]] = {}
    for tenant_id, event in events:
        by_tenant.setdefault(tenant_id, []).append(event.fields)
    return {tid: observations_from_events(fields) for tid, fields in by_tenant.items()}


def _match_chunk(chunk: list[tuple[int, bytes]]) -> tuple[list[list[int]], Assets]:
    ruleset = _RULESET
    assert ruleset is not None
    events = [(tid, Envelope.decode(data).event) for tid, data in chunk]
    rules = [[rule.index for rule in match_event(ruleset, event)] for _, event in events]
    return rules, batch_assets(events)


class Matched:
    """A batch's matching rules per event, and the assets its events name per tenant."""

    __slots__ = ("assets", "rules")

    def __init__(self, rules: list[list[Rule]], assets: Assets) -> None:
        self.rules, self.assets = rules, assets


class Detector:
    """Matches batches with ``processes`` worker processes (1: in the calling thread)."""

    def __init__(self, ruleset: RuleSet, processes: int = 1) -> None:
        self.ruleset = ruleset
        self.processes = processes if processes > 0 else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        if self.processes > 1:
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init,
                initargs=(ruleset,),
            )

    def match(self, envelopes: Sequence[Envelope], encoded: Sequence[bytes]) -> list[list[Rule]]:
        """Matching rules of each envelope (``encoded``: the same envelopes' bytes)."""
        tenants = [0] * len(envelopes)
        return self.submit(list(zip(tenants, envelopes, strict=True)), encoded)().rules

    def submit(
        self, envelopes: Sequence[tuple[int, Envelope]], encoded: Sequence[bytes]
    ) -> Callable[[], Matched]:
        """Start matching ``(tenant id, envelope)`` in the worker processes (which also find
        the assets the events name, off the receivers' process); the returned call waits
        for the result (with one process, the work runs in that call). The caller can do
        other work, such as storing the previous batch, while the processes match this one."""
        pool = self._pool
        if pool is None or len(envelopes) < 2 * self.processes:
            events = [(tid, env.event) for tid, env in envelopes]
            return lambda: Matched(
                [match_event(self.ruleset, event) for _, event in events], batch_assets(events)
            )
        size = -(-len(encoded) // self.processes)
        pairs = [(tid, data) for (tid, _), data in zip(envelopes, encoded, strict=True)]
        futures: list[Future[tuple[list[list[int]], Assets]]] = [
            pool.submit(_match_chunk, pairs[i : i + size]) for i in range(0, len(pairs), size)
        ]
        rules = self.ruleset.rules

        def result() -> Matched:
            out: list[list[Rule]] = []
            assets: Assets = {}
            for future in futures:
                indexes, found = future.result()
                out += [[rules[i] for i in part] for part in indexes]
                for tid, observations in found.items():
                    assets.setdefault(tid, set()).update(observations)
            return Matched(out, assets)

        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
