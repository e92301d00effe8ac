"""Prefilter patterns (:mod:`vigile.detection.json_regex`) are necessary conditions: whenever a
rule's regex (RE2) matches a value, the pattern matches the lower-cased JSON text holding that
value — checked on strings generated from every ``|re`` value of the corpus, and on non-ASCII
literals with their letters in either case."""

from __future__ import annotations

import re

import orjson
import pytest
import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigile.detection.engine import RuleSet
from vigile.detection.json_regex import literal_pattern, regex_pattern
from vigile.detection.matchers import And, Node, Not, Or, RegexMatch, StrMatch
from vigile.detection.prefilter import Prefilter

# Texts holding these get every rule of their bucket (the index's SPECIAL patterns).
_SPECIAL = ("\u212a", "\u0130")


def _walk(node: Node, out: list[Node]) -> list[Node]:
    if isinstance(node, And | Or):
        for child in node.children:
            _walk(child, out)
    elif isinstance(node, Not):
        _walk(node.child, out)
    else:
        out.append(node)
    return out


def _python_flags(flags: str) -> int:
    value = 0
    for letter, flag in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)):
        if letter in flags:
            value |= flag
    return value


@pytest.fixture(scope="module")
def corpus_regexes(corpus_ruleset: RuleSet) -> list[tuple[str, str, bytes]]:
    """(pattern, flags, prefilter pattern) of every corpus ``|re`` value that has one and that
    Python's ``re`` also reads (hypothesis generates strings from it)."""
    found: dict[tuple[str, str], bytes] = {}
    for rule in corpus_ruleset.rules:
        for leaf in _walk(rule.condition, []):
            regexes = [leaf.regex] if isinstance(leaf, RegexMatch) else []
            if isinstance(leaf, StrMatch):
                regexes = list(leaf.regexes)
            for regex in regexes:
                pattern = regex_pattern(regex.pattern, regex.flags)
                if pattern is None:
                    continue
                try:
                    re.compile(regex.pattern, _python_flags(regex.flags))
                except re.error:
                    continue
                found[(regex.pattern, regex.flags)] = pattern
    assert len(found) > 100  # the corpus has ~200 regexes: most get a pattern
    return [(p, f, pat) for (p, f), pat in sorted(found.items())]


def _hits(pattern: bytes, value: str) -> bool:
    text = orjson.dumps({"CommandLine": value, "x": [value, 1]})
    return bool(Prefilter([pattern], [1], regex=True).scan(text))


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_pattern_matches_whenever_the_regex_does(
    corpus_regexes: list[tuple[str, str, bytes]], data: st.DataObject
) -> None:
    pattern, flags, prefilter = data.draw(st.sampled_from(corpus_regexes))
    core = data.draw(st.from_regex(re.compile(pattern, _python_flags(flags))))
    value = data.draw(st.text(max_size=3)) + core + data.draw(st.text(max_size=3))
    full = f"(?{flags}){pattern}" if flags else pattern
    if any(c in value for c in _SPECIAL) or re2.search(full, value) is None:
        return  # Python's and RE2's dialects differ on this string: not a case to check
    assert _hits(prefilter, value), (pattern, value)


@pytest.mark.parametrize(
    ("pattern", "flags", "value"),
    [
        (r"a.b", "s", "a\nb"),  # an escaped character is one "character"
        (r"\\[a-z]{1,32}\.[a-z]{1,6}\.[ \"']{1}", "", 'x\\abc.dll." y'),
        (r'"(?:\{\d\})+"\s*-f', "", '"{0}{1}"\t-f'),
        (r"net\s+user", "i", "NET  U\u017fER"),  # RE2 folds the long s into s
        (r"[^a]bc", "", "ébc"),
        (r"(?i)x[k]y", "", "X\u212aY"),
    ],
)
def test_pattern_examples(pattern: str, flags: str, value: str) -> None:
    full = f"(?{flags}){pattern}" if flags else pattern
    assert re2.search(full, value) is not None
    prefilter = regex_pattern(pattern, flags)
    assert prefilter is not None
    assert _hits(prefilter, value)


def test_pattern_rejects_unselective_or_unsupported_regexes() -> None:
    assert regex_pattern(r"a?", "") is None  # matches the empty string
    assert regex_pattern(r"(a)\1b", "") is None  # back-reference
    assert regex_pattern(r"\w+", "") is None  # one character is enough: not selective


@settings(max_examples=300, deadline=None)
@given(
    literal=st.sampled_from(["а", "ˣ", "с", "σ", "ǆ", "ϲmd"]),
    flips=st.lists(st.booleans(), max_size=4),
    before=st.text(max_size=3),
    after=st.text(max_size=3),
)
def test_literal_pattern_matches_every_case_variant(
    literal: str, flips: list[bool], before: str, after: str
) -> None:
    written = "".join(
        c.upper() if f else c for c, f in zip(literal, flips + [False] * 4, strict=False)
    )
    value = before + written + after
    if literal not in value.lower() or any(c in value for c in _SPECIAL):
        return  # str.lower does not give the literal back (context-dependent lowering)
    assert _hits(literal_pattern(literal), value)
