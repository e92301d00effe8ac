"""Multi-literal prefilter: which of many lower-case literals occur in an event's values.

One Hyperscan literal database per group of rules; each event's text is lower-cased once,
then scanned once for every literal of the bucket (``SINGLEMATCH``: each
literal reports at most once). Hyperscan databases are not picklable, so they are built lazily
in the process that scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import hyperscan


def _on_match(pid: int, start: int, end: int, flags: int, hits: list[int]) -> None:
    hits.append(pid)


class Prefilter:
    """Scan a buffer for a fixed set of literals; returns the ids of those found (each once,
    except literals sharing an id)."""

    __slots__ = ("_db", "_ids", "_literals")

    def __init__(self, literals: Sequence[bytes], ids: Sequence[int] | None = None) -> None:
        self._literals = list(literals)
        self._ids = list(ids) if ids is not None else list(range(len(literals)))
        self._db = self._compile()

    def _compile(self) -> Any:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(
            expressions=self._literals,
            ids=self._ids,
            elements=len(self._literals),
            flags=hyperscan.HS_FLAG_SINGLEMATCH,
            literal=True,
        )
        return db

    def __getstate__(self) -> tuple[list[bytes], list[int], bytes]:
        return (self._literals, self._ids, hyperscan.dumpb(self._db))

    def __setstate__(self, state: tuple[list[bytes], list[int], bytes]) -> None:
        self._literals, self._ids, blob = state
        try:
            db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
            db.scratch = hyperscan.Scratch(db)
        except hyperscan.error:  # e.g. serialised on a CPU with other instruction sets
            db = self._compile()
        self._db = db

    def scan(self, data: bytes) -> list[int]:
        """Indexes of the literals present in ``data``."""
        hits: list[int] = []
        self._db.scan(data, match_event_handler=_on_match, context=hits)
        return hits
