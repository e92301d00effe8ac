"""Multi-literal prefilter: which of many literals occur in an event's values.

One Hyperscan literal database per group of rules, matched ASCII-caseless (which is what
lower-casing the text would give, without the copy); each event's text is scanned once for
every literal of the bucket (``SINGLEMATCH``: each
literal reports at most once). Hyperscan databases are not picklable, so they are built lazily
in the process that scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import hyperscan


def on_match(pid: int, start: int, end: int, flags: int, hits: list[int]) -> None:
    """Hyperscan match handler: collects the ids found into the list passed as context."""
    hits.append(pid)


# Regex patterns are prefilters (a superset of their matches is fine): Hyperscan may then
# approximate constructs it does not support instead of refusing them.
_REGEX_FLAGS = (
    hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_PREFILTER
)


class Prefilter:
    """Scan a buffer for a fixed set of literals (or, with ``regex``, regex patterns matched
    caseless); returns the ids of those found (each once, except literals sharing an id).
    Regex patterns Hyperscan rejects are left out and their ids listed in ``rejected``."""

    __slots__ = ("_cased", "_ids", "_literals", "_regex", "db", "rejected")

    def __init__(
        self,
        literals: Sequence[bytes],
        ids: Sequence[int] | None = None,
        regex: bool = False,
        cased: int = 0,
    ) -> None:
        """``cased``: how many of the first literals are matched case-sensitively."""
        self._literals = list(literals)
        self._ids = list(ids) if ids is not None else list(range(len(literals)))
        self._regex = regex
        self._cased = cased
        self.rejected: frozenset[int] = frozenset()
        self.db = self._compile_kept() if regex else self._compile()

    def _compile_kept(self) -> Any:
        """The regex database, without the patterns Hyperscan refuses (found one by one only
        when the whole set does not compile)."""
        try:
            return self._compile()
        except hyperscan.error:
            pass
        kept = []
        rejected = set()
        for pattern, pid in zip(self._literals, self._ids, strict=True):
            try:
                self._compile_regex_one(pattern, pid)
                kept.append((pattern, pid))
            except hyperscan.error:
                rejected.add(pid)
        self._literals = [p for p, _ in kept]
        self._ids = [i for _, i in kept]
        self.rejected = frozenset(rejected)
        return self._compile()

    @staticmethod
    def _compile_regex_one(pattern: bytes, pid: int) -> None:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=[pattern], ids=[pid], elements=1, flags=[_REGEX_FLAGS])

    def _compile(self) -> Any:
        if not self._literals:
            return None
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        if self._regex:
            db.compile(
                expressions=self._literals,
                ids=self._ids,
                elements=len(self._literals),
                flags=[_REGEX_FLAGS] * len(self._literals),
            )
            return db
        single, caseless = hyperscan.HS_FLAG_SINGLEMATCH, hyperscan.HS_FLAG_CASELESS
        flags = [single] * self._cased + [single | caseless] * (len(self._literals) - self._cased)
        db.compile(
            expressions=self._literals,
            ids=self._ids,
            elements=len(self._literals),
            flags=flags,
            literal=True,
        )
        return db

    def __getstate__(
        self,
    ) -> tuple[list[bytes], list[int], bytes | None, bool, frozenset[int], int]:
        blob = hyperscan.dumpb(self.db) if self.db is not None else None
        return (self._literals, self._ids, blob, self._regex, self.rejected, self._cased)

    def __setstate__(
        self, state: tuple[list[bytes], list[int], bytes | None, bool, frozenset[int], int]
    ) -> None:
        self._literals, self._ids, blob, self._regex, self.rejected, self._cased = state
        if blob is None:
            self.db = None
            return
        try:
            db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
            db.scratch = hyperscan.Scratch(db)
        except hyperscan.error:  # e.g. serialised on a CPU with other instruction sets
            db = self._compile()
        self.db = db

    def scan(self, data: bytes) -> list[int]:
        """Indexes of the literals present in ``data``."""
        hits: list[int] = []
        if self.db is not None:
            # Positional: (data, match_event_handler, flags, context) parse faster than keywords.
            self.db.scan(data, on_match, 0, hits)
        return hits
