"""Required literals of a regular expression (for the prefilter), via Python's regex parser.

Returns lower-case strings one of which occurs in any text the regex matches, or ``None``.
Conservative: anything not understood (classes, optional parts, syntax Python's parser does
not accept) contributes nothing. For case-insensitive regexes the letters ``k`` and ``s`` cut
literals, because RE2 case folding also matches the Kelvin sign and the long s, which
``str.lower`` does not map to ``k``/``s``.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# Python's own regex parser (private module, stable since 3.11; typeshed has no stubs).
sre_parse: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
BRANCH, LITERAL = _constants.BRANCH, _constants.LITERAL
ANY, AT, MAXREPEAT = _constants.ANY, _constants.AT, _constants.MAXREPEAT
AT_BEGINNING, AT_END = _constants.AT_BEGINNING, _constants.AT_END
MAX_REPEAT, MIN_REPEAT = _constants.MAX_REPEAT, _constants.MIN_REPEAT
SUBPATTERN = _constants.SUBPATTERN

Lits = frozenset[str] | None

# Punctuation rare in event values: a literal made only of these is selective even when it is
# short (``^^`` of cmd obfuscation, the backtick of PowerShell's), so it counts as 3 long.
RARE_CHARS = frozenset("`^|<>;%$@~!&=+#?*")


def selectivity(literal: str) -> int:
    """Length of a literal, at least 3 for one made only of :data:`RARE_CHARS`."""
    if literal and set(literal) <= RARE_CHARS:
        return max(len(literal), 3)
    return len(literal)


def _best(a: Lits, b: Lits) -> Lits:
    if a is None:
        return b
    if b is None:
        return a
    score_a = (min(selectivity(x) for x in a), -len(a))
    score_b = (min(selectivity(x) for x in b), -len(b))
    return a if score_a >= score_b else b


def _split(run: str, fold: bool) -> Lits:
    pieces = [run]
    if fold:
        pieces = run.replace("s", "\0").replace("k", "\0").split("\0")
    best = max(pieces, key=len)
    return frozenset({best}) if best else None


def _seq(items: Any, fold: bool, lower: bool = True) -> Lits:
    best: Lits = None
    run: list[str] = []
    for op, arg in items:
        if op is LITERAL:
            run.append(chr(arg).lower() if lower else chr(arg))
            continue
        if run:
            best = _best(best, _split("".join(run), fold))
            run = []
        sub: Lits = None
        if op is SUBPATTERN:
            sub = _seq(arg[-1], fold, lower)
        elif op is BRANCH:
            union: set[str] = set()
            for branch in arg[1]:
                lits = _seq(branch, fold, lower)
                if lits is None:
                    union = set()
                    break
                union |= lits
            sub = frozenset(union) if union else None
        elif op in (MAX_REPEAT, MIN_REPEAT) and arg[0] >= 1:
            sub = _seq(arg[2], fold, lower)
        best = _best(best, sub)
    if run:
        best = _best(best, _split("".join(run), fold))
    return best


def regex_literals(pattern: str, flags: str) -> frozenset[str] | None:
    """Lower-case literals one of which every match of ``pattern`` contains, or ``None``."""
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:
        return None
    fold = "i" in flags or "(?i" in pattern
    return _seq(list(parsed), fold)


# An inline flag group that may switch on case folding: ``(?i)``, ``(?si:``, ``(?s-i)``…
_INLINE_I = re.compile(r"\(\?[a-zA-Z-]*i")


def required_text(pattern: str, flags: str) -> tuple[tuple[str, ...], bool] | None:
    """A cheap necessary condition of a match, for skipping the regex engine.

    Returns ``(literals, folded)``: every text the regex matches contains one of
    ``literals`` — as-is when ``folded`` is false, in the text's ``str.lower`` when it is
    true (the regex, or part of it, is case-insensitive; the literals are then ASCII without
    ``k``/``s``, whose RE2 case folding ``str.lower`` reproduces). ``None``: no such literal,
    or syntax whose meaning Python's parser may not share with RE2.
    """
    if any(token in pattern for token in _RE2_ONLY):
        return None
    fold = "i" in flags or _INLINE_I.search(pattern) is not None
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:
        return None
    lits = _seq(list(parsed), fold, lower=fold)
    if not lits:
        return None
    if fold and not all(lit.isascii() for lit in lits):
        return None
    return tuple(sorted(lits, key=len, reverse=True)), fold


# RE2 syntax that Python's parser reads differently (POSIX classes ``[[:alpha:]]`` parse as a
# set followed by a literal): no length bound is derived from such patterns.
_RE2_ONLY = ("[:", "\\p", "\\P", "\\C", "\\Q", "\\z", "\\x{")


def min_length(pattern: str) -> int:
    """A lower bound of the length (code points) of any text the regex matches (0: unknown).

    Sigma ``|re`` is an unanchored search, so a text shorter than the shortest match cannot
    match: e.g. ``.{1000,}`` is decided by ``len`` alone for every shorter command line.
    """
    if any(token in pattern for token in _RE2_ONLY):
        return 0
    try:
        low = int(sre_parse.parse(pattern).getwidth()[0])
    except Exception:  # syntax Python's parser does not accept (RE2-only): no bound
        return 0
    return max(low, 0)


def glob_parts(pattern: str, flags: str) -> tuple[str, ...] | None:
    """The literal parts of a Sigma ``*`` wildcard compiled as ``^lit.*lit…$`` with the ``s``
    flag (no ``i``), or ``None`` for any other regex.

    ``("a", "b", "")`` stands for ``^a.*b.*$``: the first part starts the text, the last ends
    it (empty: no anchor), the others occur in order between — tested with ``str.find``
    (leftmost occurrences are always a valid choice for ``*``-only patterns).
    """
    if flags != "s" or not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    if any(token in pattern for token in _RE2_ONLY) or "(?" in pattern:
        return None
    try:
        items = list(sre_parse.parse(pattern))
    except Exception:
        return None
    if len(items) < 2 or items[0] != (AT, AT_BEGINNING) or items[-1] != (AT, AT_END):
        return None
    parts: list[str] = []
    run: list[str] = []
    for op, arg in items[1:-1]:
        if op is LITERAL:
            run.append(chr(arg))
        elif (
            op is MAX_REPEAT
            and arg[0] == 0
            and arg[1] is MAXREPEAT
            and list(arg[2]) == [(ANY, None)]
        ):
            parts.append("".join(run))
            run = []
        else:
            return None
    parts.append("".join(run))
    return tuple(parts) if len(parts) >= 2 else None
