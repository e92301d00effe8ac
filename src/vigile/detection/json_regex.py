"""Prefilter patterns: a rule's regex (or non-ASCII literal) rewritten to run on event JSON text.

The prefilter scans an event's JSON text, ASCII-caseless, once for every rule of its bucket
(:mod:`vigile.detection.index`). Rules whose only required tests are regular expressions, or
literals with non-ASCII letters, have no plain literal to index; instead they get a *pattern*:
a Hyperscan regex (compiled caseless) that matches the JSON text of every value the original
matches — a necessary condition, never a result. The rewrite keeps literal characters and
classes, widens everything else:

* a character becomes the bytes of its JSON spelling: ``"`` → ``\\"``, ``\\`` → ``\\\\``,
  control characters → their short or ``\\u00XX`` escape, non-ASCII letters → the UTF-8 bytes
  of every character ``str.lower`` maps to the same letter (only ASCII letters match caseless);
* a class, ``.`` or a negated class that can match more than plain ASCII also accepts any
  escape sequence and any multi-byte UTF-8 character, as one "character";
* repetitions lose their upper bound and keep at most :data:`MAX_MIN_REPEAT` as lower bound;
* anchors, word boundaries and look-arounds are dropped (a value starts and ends inside the
  text, not at its ends).

RE2 semantics are assumed for the original (``\\d``, ``\\w``, ``\\s`` are ASCII classes).
Anything else (back-references, unknown syntax) gives ``None``: no pattern.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

sre_parse: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

# Repetition lower bounds above this are lowered to it (large counted repeats make big
# automata; a lower bound only widens the match set).
MAX_MIN_REPEAT = 8
# Shortest value text (in characters) a pattern must require to be worth scanning for.
MIN_WIDTH = 3

_CONTROL = frozenset(range(0x20))
_SPECIAL_ASCII = frozenset({0x22, 0x5C}) | _CONTROL  # ", \ and controls: escaped in JSON
_RE2_CATEGORIES: dict[Any, frozenset[int]] = {
    _c.CATEGORY_DIGIT: frozenset(range(0x30, 0x3A)),
    _c.CATEGORY_WORD: frozenset([*range(0x30, 0x3A), *range(0x41, 0x5B), *range(0x61, 0x7B), 0x5F]),
    _c.CATEGORY_SPACE: frozenset({0x09, 0x0A, 0x0C, 0x0D, 0x20}),
}
_ALL_ASCII = frozenset(range(0x80))
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT))
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
# One character of a value as it may appear in JSON text, whatever it is.
_ESCAPE = rb"\\(?:u[0-9a-f]{4}|.)"
_MULTIBYTE = rb"[\xc0-\xff][\x80-\xbf]+"
_ANY_CHAR = rb"(?:" + _ESCAPE + rb"|[\x00-\x7f]|" + _MULTIBYTE + rb")"


class Unsupported(Exception):
    """The regex uses syntax the rewrite does not handle."""


@functools.cache
def _case_variants() -> dict[str, frozenset[str]]:
    """For each non-ASCII character with a case mapping: every character whose ``str.lower``
    is the same (characters without one only match themselves)."""
    groups: dict[str, set[str]] = {}
    for code in range(0x80, 0x110000):
        ch = chr(code)
        low = ch.lower()
        if low != ch and len(low) == 1:
            groups.setdefault(low, {low}).add(ch)
    # Final sigma: ``str.lower`` maps a word-final capital sigma to "ς", others to "σ".
    sigmas = groups.get("σ", {"σ"}) | groups.get("ς", {"ς"}) | {"σ", "ς"}
    groups["σ"] = groups["ς"] = sigmas
    out: dict[str, frozenset[str]] = {}
    for chars in groups.values():
        frozen = frozenset(chars)
        for ch in chars:
            out[ch] = frozen
    return out


def _byte_class(codes: set[int] | frozenset[int]) -> bytes:
    """A byte class of these codes, as ranges (``[\\x30-\\x39\\x61-\\x66]``)."""
    parts: list[bytes] = []
    ordered = sorted(codes)
    start = prev = ordered[0]
    for code in [*ordered[1:], -1]:
        if code == prev + 1:
            prev = code
            continue
        parts.append(b"\\x%02x" % start if start == prev else b"\\x%02x-\\x%02x" % (start, prev))
        start = prev = code
    return b"[" + b"".join(parts) + b"]"


# RE2 case folding also matches the Kelvin sign for k and the long s for s (``str.lower``
# does not map them to ASCII, so the lower-cased text still holds them).
_FOLDS = {"k": "\u212a", "s": "\u017f"}


def char_pattern(ch: str, fold: bool = False) -> bytes:
    """The JSON spellings of one value character, as a regex (lower-case ASCII); ``fold``: the
    character is matched case-insensitively by RE2."""
    code = ord(ch)
    if fold and ch.lower() in _FOLDS:
        other = b"".join(b"\\x%02x" % b for b in _FOLDS[ch.lower()].encode("utf-8"))
        return b"(?:" + ch.lower().encode() + b"|" + other + b")"
    if code < 0x80:
        if code in _CONTROL:
            short = {0x08: b"b", 0x0C: b"f", 0x0A: b"n", 0x0D: b"r", 0x09: b"t"}.get(code)
            long = b"\\\\u00%02x" % code
            return b"(?:\\\\" + short + b"|" + long + b")" if short else long
        if ch == '"':
            return b'\\\\"'
        if ch == "\\":
            return b"\\\\\\\\"
        return re.escape(ch.lower().encode())
    variants = _case_variants().get(ch, frozenset({ch}))
    alts = sorted(b"".join(b"\\x%02x" % b for b in v.encode("utf-8")) for v in variants)
    return alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"


def _class(codes: frozenset[int], non_ascii: bool) -> bytes:
    """A set of value characters (ASCII ``codes``, plus any non-ASCII one if ``non_ascii``)."""
    alts: list[bytes] = []
    plain = {c for c in codes if c not in _SPECIAL_ASCII}
    if plain:
        alts.append(_byte_class(plain))
    if codes & _SPECIAL_ASCII:
        alts.append(_ESCAPE)
    if non_ascii:
        alts.append(_MULTIBYTE)
    if not alts:
        raise Unsupported("empty class")
    return alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"


def _in(items: list[tuple[Any, Any]], fold: bool) -> bytes:
    codes: set[int] = set()
    non_ascii = False
    negate = False
    for op, arg in items:
        if op is _c.NEGATE:
            negate = True
        elif op is _c.LITERAL:
            if arg < 0x80:
                codes.add(arg)
            else:
                non_ascii = True
        elif op is _c.RANGE:
            lo, hi = arg
            codes.update(range(lo, min(hi, 0x7F) + 1))
            non_ascii = non_ascii or hi >= 0x80
        elif op is _c.CATEGORY:
            if arg in _RE2_CATEGORIES:
                codes |= _RE2_CATEGORIES[arg]
            else:  # NOT_DIGIT etc.: everything else, non-ASCII included
                positive = {
                    _c.CATEGORY_NOT_DIGIT: _c.CATEGORY_DIGIT,
                    _c.CATEGORY_NOT_WORD: _c.CATEGORY_WORD,
                    _c.CATEGORY_NOT_SPACE: _c.CATEGORY_SPACE,
                }.get(arg)
                if positive is None:
                    raise Unsupported(f"category {arg}")
                codes |= _ALL_ASCII - _RE2_CATEGORIES[positive]
                non_ascii = True
        else:
            raise Unsupported(f"class item {op}")
    if negate:
        return _class(frozenset(_ALL_ASCII - codes), True)
    # Case-insensitive, a class with k or s also matches the Kelvin sign or the long s.
    folds = fold and bool(codes & {0x4B, 0x6B, 0x53, 0x73})
    return _class(frozenset(codes), non_ascii or folds)


def _repeat(lo: int, hi: int, sub: bytes) -> bytes:
    group = b"(?:" + sub + b")"
    if hi <= MAX_MIN_REPEAT:  # small bounds kept as they are
        return group + (b"{%d}" % lo if lo == hi else b"{%d,%d}" % (lo, hi))
    lo = min(lo, MAX_MIN_REPEAT)
    if lo == 0:
        return group + b"*"
    if lo == 1:
        return group + b"+"
    return group + b"{%d,}" % lo


def _seq(items: Any, dotall: bool, fold: bool) -> bytes:
    out: list[bytes] = []
    for op, arg in items:
        if op is _c.LITERAL:
            out.append(char_pattern(chr(arg), fold))
        elif op is _c.NOT_LITERAL:
            out.append(_class(frozenset(_ALL_ASCII - {arg}), True))
        elif op is _c.ANY:
            out.append(_ANY_CHAR if dotall else _class(frozenset(_ALL_ASCII - {0x0A}), True))
        elif op is _c.IN:
            out.append(_in(arg, fold))
        elif op in _REPEATS:
            lo, hi, sub = arg
            out.append(_repeat(lo, hi, _seq(sub, dotall, fold)))
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            inner_dotall = (dotall or bool(add_flags & re.DOTALL)) and not (del_flags & re.DOTALL)
            inner_fold = (fold or bool(add_flags & re.IGNORECASE)) and not (
                del_flags & re.IGNORECASE
            )
            out.append(b"(?:" + _seq(sub, inner_dotall, inner_fold) + b")")
        elif op is _c.BRANCH:
            _, alternatives = arg
            out.append(b"(?:" + b"|".join(_seq(a, dotall, fold) for a in alternatives) + b")")
        elif op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # anchors and look-arounds only restrict: dropped
        elif op is _ATOMIC:
            out.append(b"(?:" + _seq(arg, dotall, fold) + b")")
        else:
            raise Unsupported(f"{op}")
    return b"".join(out)


def _flags(flags: str) -> int:
    value = 0
    for letter, flag in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)):
        if letter in flags:
            value |= flag
    return value


def regex_pattern(pattern: str, flags: str = "") -> bytes | None:
    """The prefilter pattern of a Sigma ``|re`` value, or ``None`` (unsupported, or matching
    values shorter than :data:`MIN_WIDTH` characters: not selective)."""
    try:
        parsed = sre_parse.parse(pattern, _flags(flags))
        if parsed.getwidth()[0] < MIN_WIDTH:
            return None
        state = parsed.state.flags
        return _seq(parsed, bool(state & re.DOTALL), bool(state & re.IGNORECASE))
    except (Unsupported, re.error, OverflowError, RecursionError):
        return None


def literal_pattern(literal: str) -> bytes:
    """The prefilter pattern of a lower-cased literal with non-ASCII letters."""
    return b"".join(char_pattern(ch) for ch in literal)
