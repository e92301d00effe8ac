"""Routing buckets and their literal prefilter.

Literals are stored JSON-escaped (``\\`` → ``\\\\``, ``"`` → ``\\"``) and lower-cased, because
the text scanned is JSON: either the raw record text (as the `evtx` parser or a JSON-lines file
gives it — no re-serialisation) or, for a dict event, ``orjson.dumps`` of its values. JSON
escaping maps each character independently, so a value containing a literal ⇔ its JSON text
contains the escaped literal. Texts using ``\\uXXXX`` or ``\\/`` escapes (optional in JSON) are
not scanned raw; their values are re-serialised with orjson instead (see :func:`scan_text`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from vigile.detection.model import Rule
from vigile.detection.prefilter import Prefilter


def json_literal(literal: str) -> bytes:
    """A literal as it appears inside a JSON string (lower-case)."""
    return orjson.dumps(literal)[1:-1].lower()


def values_text(fields: Mapping[str, Any]) -> bytes:
    """Lower-cased JSON text of an event's values (what the prefilter scans)."""
    try:
        return orjson.dumps(list(fields.values())).lower()
    except TypeError:
        return orjson.dumps([str(v) for v in fields.values()]).lower()


def canonical(raw: bytes) -> bool:
    """Whether JSON text escapes only what it must (no ``\\uXXXX``, no ``\\/``)."""
    return b"\\u" not in raw and b"\\/" not in raw


def scan_text(raw: bytes | None, fields: Mapping[str, Any]) -> bytes:
    """The text to scan: the raw JSON when its escaping is canonical, else the values."""
    if raw is not None and canonical(raw):
        return raw.lower()
    return values_text(fields)


class LiteralIndex:
    """One Hyperscan database for the literals of a group of rules (e.g. one channel)."""

    __slots__ = ("ids", "prefilter")

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.ids: dict[str, int] = {}
        for rule in rules:
            for clause in rule.clauses:
                for lit in clause:
                    self.ids.setdefault(lit, len(self.ids))
        patterns = [json_literal(lit) for lit in self.ids]
        self.prefilter = Prefilter(patterns) if patterns else None

    def scan(self, text: bytes) -> list[int]:
        return self.prefilter.scan(text) if self.prefilter is not None else []


class Bucket:
    """The candidate rules of one routing key.

    Each rule is indexed under the literals of its first (most selective) clause; when one of
    them hits, its other clauses must hit too before the full condition is evaluated.
    """

    __slots__ = ("always", "by_literal", "index", "rest", "rules")

    def __init__(self, rules: list[Rule], index: LiteralIndex) -> None:
        self.rules = rules
        self.index = index
        self.always: list[Rule] = [r for r in rules if not r.clauses]
        ids = index.ids
        self.by_literal: dict[int, list[Rule]] = {}
        self.rest: dict[int, tuple[frozenset[int], ...]] = {}
        for rule in rules:
            if not rule.clauses:
                continue
            for lit in rule.clauses[0]:
                self.by_literal.setdefault(ids[lit], []).append(rule)
            self.rest[rule.index] = tuple(
                frozenset(ids[lit] for lit in clause) for clause in rule.clauses[1:]
            )

    @property
    def needs_scan(self) -> bool:
        return bool(self.by_literal)

    def candidates(self, text: bytes) -> list[Rule]:
        """Rules that may match: those without clauses plus those whose clauses all hit."""
        hits = self.index.scan(text)
        if not hits:
            return self.always
        by_literal = self.by_literal
        rest = self.rest
        hit_set: frozenset[int] | None = None
        seen = {r.index: r for r in self.always}
        for pid in hits:
            for rule in by_literal.get(pid, ()):
                idx = rule.index
                if idx in seen:
                    continue
                others = rest[idx]
                if others:
                    if hit_set is None:
                        hit_set = frozenset(hits)
                    if any(c.isdisjoint(hit_set) for c in others):
                        continue
                seen[idx] = rule
        if len(seen) == len(self.always):
            return self.always
        return [seen[i] for i in sorted(seen)]
