"""Matching spooled envelopes against the compiled rule set, inline or in worker processes.

Processes are started with ``spawn`` (never ``fork``): `vigile serve` runs threads (uvicorn,
receivers), and forking a threaded process can copy a held lock into the child. Each child
unpickles the rule set once, then receives envelope *bytes* (cheaper to send than decoded
dicts) and returns rule indexes. Results equal inline matching, in input order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

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


def _match_chunk(chunk: list[bytes]) -> list[list[int]]:
    ruleset = _RULESET
    assert ruleset is not None
    return [
        [rule.index for rule in match_event(ruleset, Envelope.decode(data).event)] for data in chunk
    ]


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
        if self._pool is None or len(envelopes) < 2 * self.processes:
            return [match_event(self.ruleset, env.event) for env in envelopes]
        size = -(-len(encoded) // self.processes)
        chunks = [list(encoded[i : i + size]) for i in range(0, len(encoded), size)]
        rules = self.ruleset.rules
        out: list[list[Rule]] = []
        for part in self._pool.map(_match_chunk, chunks):
            out += [[rules[i] for i in indexes] for indexes in part]
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
