"""The regular expressions of rules (``|re``, and wildcard shapes that no ``str`` test
expresses): RE2, linear time, with shortcuts decided from the pattern, and a bounded
:mod:`re` fallback for the few patterns RE2 refuses.

A :class:`Regex` is pickled with the rule set (its pattern and the shortcuts derived from it,
which cost parsing at start-up) and compiled again on first use after unpickling.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import re2

from vigile.detection.regex_literals import glob_parts, min_length, required_text

# A value longer than this is cut before a fallback (non-RE2) regex runs on it: with no nested
# quantifiers (checked at compile time) that bounds the backtracking cost.
FALLBACK_REGEX_MAX_INPUT = 8192
_DOT_RUN = re.compile(r"\.\{(\d+),\}")
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)[*+{]")


def _glob(first: str, middle: tuple[str, ...], last: str, text: str) -> bool | None:
    """``^first.*m1.*m2….*last$`` (``s`` flag) without a regex engine."""
    if not text.startswith(first):
        return None
    pos = len(first)
    for part in middle:
        found = text.find(part, pos)
        if found < 0:
            return None
        pos = found + len(part)
    return True if len(text) - len(last) >= pos and text.endswith(last) else None


def _re2_search(pattern: str) -> Callable[[str], Any]:
    """An RE2 unanchored search returning a true value or ``None``, on str texts.

    The rules only need *whether* a regex matches: compiled with ``never_capture`` (group 0
    only, so RE2 answers with its DFAs instead of its submatch engines) and called through the
    compiled object's ``Match`` directly, which skips the wrapper's per-call generator, offset
    decoding and match object (5-10x cheaper per call on command-line sized texts).
    """
    options = re2.Options()
    options.never_capture = True
    compiled = re2.compile(pattern, options)
    native = getattr(compiled, "_regexp", None)
    if native is None or not hasattr(native, "Match"):  # another wrapper version
        return compiled.search
    match = native.Match
    unanchored = re2._Anchor.UNANCHORED  # type: ignore[attr-defined]

    def search(text: str) -> bool | None:
        data = text.encode("utf-8")
        return True if match(unanchored, data, 0, len(data))[0][0] >= 0 else None

    return search


class Regex:
    """A regular expression compiled with RE2, or with a bounded :mod:`re` fallback."""

    __slots__ = ("_fold", "_glob", "_min", "_need", "_search", "flags", "pattern")

    def __init__(self, pattern: str, flags: str = "") -> None:
        self.pattern = pattern
        self.flags = flags
        self._analyse()
        self._search = self._compile()

    def _analyse(self) -> None:
        """Shortcuts derived from the pattern (pickled with it: parsing costs at start-up)."""
        full = f"(?{self.flags}){self.pattern}" if self.flags else self.pattern
        # Texts shorter than any match are rejected by ``len`` (e.g. ``.{1000,}``).
        self._min = min_length(full)
        # A ``*`` wildcard: ``startswith``/``find``/``endswith`` decide it exactly.
        self._glob = glob_parts(self.pattern, self.flags)
        # Texts containing none of the regex's required literals are rejected by ``in``
        # tests, far cheaper than a regex search (e.g. the backtick of PowerShell token
        # obfuscation, absent from nearly every command line).
        required = None if self._glob is not None else required_text(self.pattern, self.flags)
        self._need, self._fold = required if required is not None else ((), False)

    def _compile(self) -> Callable[[str], Any]:
        full = f"(?{self.flags}){self.pattern}" if self.flags else self.pattern
        if (parts := self._glob) is not None:
            return functools.partial(_glob, parts[0], parts[1:-1], parts[-1])
        if (run := _DOT_RUN.fullmatch(self.pattern)) is not None:
            # ``.{n,}``: RE2 is slow on long texts with a large counted repetition; the same
            # test is "some line (any run without ``\n``, or the whole text with ``s``) has
            # at least n characters".
            n = int(run.group(1))
            if "s" in self.flags:
                return lambda s: True if len(s) >= n else None
            return lambda s: True if any(len(x) >= n for x in s.split("\n")) else None
        try:
            return _re2_search(full)
        except re2.error:
            pass
        if _NESTED_QUANTIFIER.search(self.pattern):
            raise ValueError(f"regex not RE2-compatible and has nested quantifiers: {full!r}")
        compiled = re.compile(full)
        return lambda s: compiled.search(s[:FALLBACK_REGEX_MAX_INPUT])

    def search(self, text: str) -> bool:
        if len(text) < self._min:
            return False
        if self._need:
            low = text.lower() if self._fold else text
            for literal in self._need:
                if literal in low:
                    break
            else:
                return False
        return self._search(text) is not None

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.pattern, self.flags, self._min, self._glob, self._need, self._fold)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.pattern, self.flags, self._min, self._glob, self._need, self._fold = state
        # Compiled on first use: a tenth of a cached rule set's load went to compiling
        # regexes that most scans never reach (and forked workers compile only what they use).
        self._search = self._compile_first

    def _compile_first(self, text: str) -> Any:
        self._search = self._compile()
        return self._search(text)
