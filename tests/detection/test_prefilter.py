"""The literal prefilter never drops a match: prefiltered results equal a full evaluation of
every rule of the event's bucket, on random events built from the rules' own literals."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigile.detection.analysis import PATTERN_MARK
from vigile.detection.engine import RuleSet
from vigile.detection.event import EventView
from vigile.detection.index import canonical, rule_fields

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def _unfiltered(rs: RuleSet, fields: dict[str, Any]) -> list[str]:
    bucket = rs._route(fields, None)
    if bucket is None:
        return []
    view = EventView(fields)
    return [r.id for r in bucket.rules if r.condition.ev(view)]


@pytest.fixture(scope="module")
def material(corpus_ruleset: RuleSet) -> tuple[list[str], list[str]]:
    rules = corpus_ruleset._by_channel[SYSMON.lower()]
    fields: set[str] = set()
    literals: set[str] = set()
    for rule in rules:
        rule_fields(rule.condition, fields)
        for clause in rule.clauses:
            literals.update(lit for lit, _, _ in clause if not lit.startswith(PATTERN_MARK))
    fields -= {"Channel", "EventID"}
    return sorted(fields), sorted(literals)


def _case(text: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if f else c for c, f in zip(text, flips + [False] * len(text), strict=False)
    )


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_prefilter_never_drops_a_match(
    corpus_ruleset: RuleSet, material: tuple[list[str], list[str]], data: st.DataObject
) -> None:
    fields, literals = material
    event: dict[str, Any] = {
        "Channel": SYSMON,
        "EventID": data.draw(st.sampled_from([1, 3, 7, 11, 12, 13, 22])),
    }
    for _ in range(data.draw(st.integers(1, 6))):
        name = data.draw(st.sampled_from(fields))
        parts = data.draw(
            st.lists(
                st.one_of(
                    st.sampled_from(literals),
                    st.text(alphabet='ab\\" .:\u212a\u0130é\n/', max_size=4),
                ),
                min_size=1,
                max_size=4,
            )
        )
        value = "".join(parts)
        value = _case(value, data.draw(st.lists(st.booleans(), max_size=len(value))))
        event[name] = data.draw(st.sampled_from([value, [value, "x"], 7]))
    expected = _unfiltered(corpus_ruleset, event)
    assert [r.id for r in corpus_ruleset.match(event)] == expected
    raw = orjson.dumps(event)
    assert [r.id for r in corpus_ruleset.match_json(raw)[1]] == expected
    # The same event with optional JSON escapes (\\u, \\/) takes the re-serialising path.
    escaped = raw.replace(b"/", b"\\/")
    assert not canonical(escaped) or escaped == raw
    assert [r.id for r in corpus_ruleset.match_json(escaped)[1]] == expected


def test_lowercase_to_ascii_characters(corpus_ruleset: RuleSet) -> None:
    # "\u212a" (Kelvin sign) lower-cases to "k": the prefilter must not miss "...\\\u212aey".
    event = {"Channel": SYSMON, "EventID": 1, "Image": "C:\\x\\wor\u212a.exe"}
    assert [r.id for r in corpus_ruleset.match(event)] == _unfiltered(corpus_ruleset, event)


def test_canonical_distinguishes_escaped_backslash() -> None:
    assert canonical(b'{"a":"C:\\\\users\\\\x"}')  # \\u is an escaped backslash + "u"
    assert not canonical(b'{"a":"\\u0041"}')
    assert not canonical(b'{"a":"C:\\\\\\u0041"}')
    assert not canonical(b'{"a":"x\\/y"}')
