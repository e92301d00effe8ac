"""Condition forms: and/or/not, parentheses, 1 of / all of (patterns and them), keywords."""

from __future__ import annotations

import pytest

SELS = "a_1:\n    A: x\na_2:\n    B: y\nb:\n    C: z\n"

CASES = [
    ("a_1 and a_2", {"A": "x", "B": "y"}, True),
    ("a_1 and a_2", {"A": "x"}, False),
    ("a_1 or b", {"C": "z"}, True),
    ("a_1 or b", {"B": "y"}, False),
    ("a_1 and not b", {"A": "x"}, True),
    ("a_1 and not b", {"A": "x", "C": "z"}, False),
    ("(a_1 or a_2) and b", {"B": "y", "C": "z"}, True),
    ("(a_1 or a_2) and b", {"B": "y"}, False),
    ("a_1 or (a_2 and b)", {"B": "y"}, False),
    ("not (a_1 or b)", {"B": "y"}, True),
    ("not (a_1 or b)", {"A": "x"}, False),
    ("1 of a_*", {"B": "y"}, True),
    ("1 of a_*", {"C": "z"}, False),
    ("all of a_*", {"A": "x", "B": "y"}, True),
    ("all of a_*", {"A": "x", "C": "z"}, False),
    ("1 of them", {"C": "z"}, True),
    ("1 of them", {"D": "w"}, False),
    ("all of them", {"A": "x", "B": "y", "C": "z"}, True),
    ("all of them", {"A": "x", "B": "y"}, False),
    ("1 of a_* and not b", {"A": "x"}, True),
    ("1 of a_* and not b", {"A": "x", "C": "z"}, False),
]


@pytest.mark.parametrize(("condition", "event", "expected"), CASES)
def test_condition_forms(matches, condition, event, expected) -> None:
    assert matches(SELS + f"condition: {condition}", event) is expected


def test_keywords_search_every_field(matches) -> None:
    det = "keywords:\n    - 'mimikatz'\n    - 'sekurlsa::*'\ncondition: keywords"
    assert matches(det, {"CommandLine": "run Mimikatz.exe"})
    assert matches(det, {"Other": "SEKURLSA::logonpasswords"})
    assert not matches(det, {"CommandLine": "x sekurlsa::y"})  # wildcard: anchored at start
    assert not matches(det, {"CommandLine": "notepad"})


def test_logsource_routing(matches) -> None:
    det = "sel:\n    Image|endswith: '\\a.exe'\ncondition: sel"
    assert matches(det, {"Image": "c:\\a.exe"})
    # Same fields, other channel or other EventID: not a process_creation event.
    assert not matches(det, {"Image": "c:\\a.exe", "EventID": 11})
    assert not matches(det, {"Image": "c:\\a.exe", "Channel": "Security"})
