"""Routing buckets and their literal prefilter.

Needles (:mod:`vigile.detection.analysis`) are stored JSON-escaped (``\\`` → ``\\\\``, ``"`` →
``\\"``) and lower-cased, matched ASCII-caseless (as if the text were lower-cased ASCII-only),
because the text scanned is JSON: either the raw record text (as the
`evtx` parser or a JSON-lines file gives it — no re-serialisation) or, for a dict event,
``orjson.dumps`` of its values. JSON escaping maps each character independently, so a value
containing a literal ⇔ its JSON text contains the escaped literal; a value starting (ending)
with it ⇔ the JSON string starts with ``"`` + literal (ends with literal + ``"``).

Texts using ``\\uXXXX`` or ``\\/`` escapes (optional in JSON) are not scanned raw; their
values are re-serialised with orjson instead (see :meth:`Bucket.raw_candidates`). Events where
lower-casing or number formatting could make a value's text differ from its JSON text (the
Kelvin sign and the dotted capital I, whose ``str.lower`` is ASCII) are detected by the same
scan and get every rule of their bucket. (Literals made only of characters of numbers are never
indexed: the text of a float, ``str(1e16)``, can differ from its JSON spelling.)

Needles that occur in the JSON text of (nearly) every event — inside field names such as
``"processid":`` or the EVTX envelope — are useless and costly (one callback per event), so
clauses containing one are not indexed (:func:`key_text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from vigile.detection.analysis import COMMON_TEXT, needle_pattern, needle_text
from vigile.detection.matchers import And, Needle, Node, Not, Or
from vigile.detection.model import Rule
from vigile.detection.prefilter import Prefilter, on_match

# Pattern id of the non-ASCII characters whose ``str.lower`` is ASCII — "\u212a" (Kelvin)
# → "k", "\u0130" → "i̇": an event containing one gets every rule of its bucket.
SPECIAL = 0
_SPECIAL_PATTERNS = ("\u212a".encode(), "\u0130".encode())
# Pattern id of ``\\u`` / ``\\/``, matched case-sensitively: a raw JSON text holding one may use
# an optional escape (:func:`canonical` decides), so its values are scanned instead.
ESCAPE = 1
_ESCAPE_PATTERNS = (b"\\u", b"\\/")
# ``\\u`` or ``\\/`` in one pass (two ``in`` tests cost twice as much on backslash-rich text).
_MAYBE_ESCAPE = re.compile(rb"\\[u/]").search


def json_needle(needle: Needle) -> bytes:
    """A needle as it appears in lower-cased JSON text."""
    lit, start, end = needle
    body = orjson.dumps(lit)[1:-1].lower()
    return (b'"' if start else b"") + body + (b'"' if end else b"")


def _plain(value: Any) -> bool:
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return True
    if t is float:
        return bool(value == value and value not in (float("inf"), float("-inf")))
    if t is list or t is tuple:
        return all(_plain(v) for v in value)
    if t is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


_SCALARS = frozenset({str, int, bool, type(None)})


def values_text(fields: Mapping[str, Any]) -> bytes | None:
    """JSON text of an event's values, or ``None`` when some value is not plain JSON data
    (its ``str`` could differ from its JSON text: scan every rule then)."""
    values = list(fields.values())
    # Most events hold only strings and integers: one C-level pass over their types.
    if not set(map(type, values)) <= _SCALARS and not _plain(values):
        return None
    try:
        return orjson.dumps(values)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits
        return None


def canonical(raw: bytes) -> bool:
    """Whether JSON text escapes only what it must (no ``\\uXXXX``, no ``\\/``).

    Inside JSON strings a backslash always starts a two-character escape, so dropping every
    escaped backslash (``\\\\``, paired left to right as a JSON reader pairs them) leaves
    ``\\u`` / ``\\/`` exactly where the text has such an escape.
    """
    if _MAYBE_ESCAPE(raw) is None:
        return True
    return _MAYBE_ESCAPE(raw.replace(b"\\\\", b"")) is None


def rule_fields(node: Node, out: set[str]) -> set[str]:
    """Every field name a condition tests."""
    if isinstance(node, And | Or):
        for child in node.children:
            rule_fields(child, out)
    elif isinstance(node, Not):
        rule_fields(node.child, out)
    else:
        field = getattr(node, "field", None)
        if isinstance(field, str):
            out.add(field)
        other = getattr(node, "other", None)
        if isinstance(other, str):
            out.add(other)
    return out


def key_text(rules: Iterable[Rule]) -> str:
    """Text present in nearly every event: the EVTX envelope and field names as JSON keys."""
    names: set[str] = set()
    for rule in rules:
        rule_fields(rule.condition, names)
    keys = "".join(f'"{orjson.dumps(n)[1:-1].decode().lower()}":' for n in sorted(names))
    return COMMON_TEXT + keys


def _common(needle: Needle, common: str, common_bytes: bytes) -> bool:
    """Whether a needle occurs in the text of (nearly) every event."""
    pattern = needle_pattern(needle)
    if pattern is None:
        return needle_text(needle) in common
    try:
        return re.search(pattern, common_bytes, re.IGNORECASE | re.DOTALL) is not None
    except re.error:
        return True  # cannot tell: not indexed


class LiteralIndex:
    """The needles of a group of rules (e.g. one channel): one Hyperscan literal database,
    plus one of regex patterns when some rules are indexed by a pattern."""

    __slots__ = ("clauses", "ids", "patterns", "prefilter")

    def __init__(self, rules: Sequence[Rule]) -> None:
        common = key_text(rules)
        common_bytes = common.encode("utf-8")
        self.ids: dict[Needle, int] = {}
        # Per rule index: its indexed clauses as needle ids (common ones left out).
        self.clauses: dict[int, tuple[frozenset[int], ...]] = {}
        first = ESCAPE + 1
        for rule in rules:
            kept: list[frozenset[int]] = []
            for clause in rule.clauses:
                if any(_common(n, common, common_bytes) for n in clause):
                    continue
                if kept and any(needle_pattern(n) is not None for n in clause):
                    # A pattern costs every event a regex scan: worth it to index a rule,
                    # not to double-check one that a literal already indexes.
                    continue
                for needle in clause:
                    self.ids.setdefault(needle, first + len(self.ids))
                kept.append(frozenset(self.ids[n] for n in clause))
            self.clauses[rule.index] = tuple(kept)
        literals = [(n, i) for n, i in self.ids.items() if needle_pattern(n) is None]
        regexes = [(p, i) for n, i in self.ids.items() if (p := needle_pattern(n)) is not None]
        patterns = [*_SPECIAL_PATTERNS, *_ESCAPE_PATTERNS, *(json_needle(n) for n, _ in literals)]
        ids = [SPECIAL] * len(_SPECIAL_PATTERNS) + [ESCAPE] * len(_ESCAPE_PATTERNS)
        ids += [i for _, i in literals]
        cased = len(_SPECIAL_PATTERNS) + len(_ESCAPE_PATTERNS)
        self.prefilter = Prefilter(patterns, ids, cased=cased) if self.ids else None
        self.patterns = (
            Prefilter([p for p, _ in regexes], [i for _, i in regexes], regex=True)
            if regexes
            else None
        )
        if self.patterns is not None and self.patterns.rejected:
            self._drop(self.patterns.rejected)

    def _drop(self, rejected: frozenset[int]) -> None:
        """Forget clauses holding a pattern Hyperscan could not compile (rules then rely on
        their other clauses, or are evaluated on every event of the bucket)."""
        self.clauses = {
            idx: tuple(c for c in clauses if c.isdisjoint(rejected))
            for idx, clauses in self.clauses.items()
        }

    def scan(self, text: bytes) -> list[int]:
        """Ids of the needles in ``text`` (the databases called directly: once per event)."""
        hits: list[int] = []
        if self.prefilter is not None and (db := self.prefilter.db) is not None:
            db.scan(text, on_match, 0, hits)
        if self.patterns is not None and (db := self.patterns.db) is not None:
            db.scan(text, on_match, 0, hits)
        return hits


# Hit sets whose candidates a bucket remembers; beyond, it starts again (bounded memory).
MEMO_MAX = 4096


class Bucket:
    """The candidate rules of one routing key.

    Each rule is indexed under the needles of its first (most selective) indexed clause; when
    one of them hits, its other clauses must hit too before the full condition is evaluated.
    """

    __slots__ = ("_always_map", "_memo", "always", "by_literal", "index", "rules")

    def __init__(self, rules: list[Rule], index: LiteralIndex) -> None:
        self.rules = rules
        self.index = index
        clauses = {r.index: index.clauses.get(r.index, ()) for r in rules}
        self.always: list[Rule] = [r for r in rules if not clauses[r.index]]
        self._always_map = {r.index: r for r in self.always}
        # Per needle id: the rules it indexes that have no other clause ({rule index: rule},
        # taken as they are on a hit), and the others, with the clauses left to check.
        plain: dict[int, dict[int, Rule]] = {}
        checked: dict[int, list[tuple[int, Rule, tuple[frozenset[int], ...]]]] = {}
        for rule in rules:
            own = clauses[rule.index]
            if not own:
                continue
            for pid in own[0]:
                if len(own) == 1:
                    plain.setdefault(pid, {})[rule.index] = rule
                else:
                    checked.setdefault(pid, []).append((rule.index, rule, own[1:]))
        self.by_literal: dict[
            int, tuple[dict[int, Rule], tuple[tuple[int, Rule, tuple[frozenset[int], ...]], ...]]
        ] = {
            pid: (plain.get(pid, {}), tuple(checked.get(pid, ())))
            for pid in plain.keys() | checked.keys()
        }
        self._memo: dict[tuple[int, ...], list[Rule]] = {}

    def __getstate__(self) -> tuple[Any, ...]:
        return (self._always_map, self.always, self.by_literal, self.index, self.rules)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self._always_map, self.always, self.by_literal, self.index, self.rules = state
        self._memo = {}

    @property
    def needs_scan(self) -> bool:
        return bool(self.by_literal)

    def raw_candidates(self, text: bytes) -> list[Rule] | None:
        """:meth:`candidates` of JSON text as received, or ``None`` when it uses an optional
        escape (``\\uXXXX``, ``\\/``): its values must be scanned instead."""
        hits = self.index.scan(text)
        if ESCAPE in hits and not canonical(text):
            return None
        return self._from_hits(hits)

    def candidates(self, text: bytes | None) -> list[Rule]:
        """Rules that may match: those without clauses plus those whose clauses all hit
        (every rule when ``text`` is ``None`` or the scan finds a special pattern)."""
        if text is None:
            return self.rules
        return self._from_hits(self.index.scan(text))

    def _from_hits(self, hits: list[int]) -> list[Rule]:
        if not hits:
            return self.always
        if SPECIAL in hits:
            return self.rules
        # The candidates of a set of hits, remembered: events of one kind hit the same few
        # sets again and again (a process creation by cmd.exe: some twenty needles).
        key = tuple(sorted(hits)) if len(hits) > 1 else (hits[0],)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= MEMO_MAX:
                self._memo.clear()
            found = self._memo[key] = self._candidates_of(hits)
        return found

    def _candidates_of(self, hits: list[int]) -> list[Rule]:
        by_literal = self.by_literal
        hit_set: frozenset[int] | None = None
        found: dict[int, Rule] = {}
        for pid in hits:
            entry = by_literal.get(pid)
            if entry is None:  # a needle of other clauses only
                continue
            plain, checked = entry
            if plain:
                found.update(plain)
            for idx, rule, others in checked:
                if idx in found:
                    continue
                if hit_set is None:
                    hit_set = frozenset(hits)
                for clause in others:
                    if clause.isdisjoint(hit_set):
                        break
                else:
                    found[idx] = rule
        if not found:
            return self.always
        found.update(self._always_map)
        return [found[i] for i in sorted(found)]
