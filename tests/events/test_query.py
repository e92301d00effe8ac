"""The ``where`` syntax and the validation of conditions (pure)."""

from __future__ import annotations

import pytest

from vigile.errors import InvalidInput
from vigile.events.query import (
    MAX_CONDITIONS,
    Condition,
    Operator,
    parse_condition,
    parse_conditions,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EventID=4688", Condition("EventID", Operator.EQUALS, ("4688",))),
        ("CommandLine|contains=a=b", Condition("CommandLine", Operator.CONTAINS, ("a=b",))),
        ("Image|startswith=C:\\Win", Condition("Image", Operator.STARTSWITH, ("C:\\Win",))),
        ("Image|endswith=\\cmd.exe", Condition("Image", Operator.ENDSWITH, ("\\cmd.exe",))),
        ("CommandLine|re=-e(nc)?\\s", Condition("CommandLine", Operator.RE, ("-e(nc)?\\s",))),
        ("User|in=alice,bob", Condition("User", Operator.IN, ("alice", "bob"))),
        ("User|CONTAINS|cased=Adm", Condition("User", Operator.CONTAINS, ("Adm",), cased=True)),
        ("Image|exists=false", Condition("Image", Operator.EXISTS, ("false",))),
        (
            "CommandLine|not|contains=up",
            Condition("CommandLine", Operator.CONTAINS, ("up",), negated=True),
        ),
        (
            "User|cased|NOT=Adm",
            Condition("User", Operator.EQUALS, ("Adm",), cased=True, negated=True),
        ),
        (
            "winlog.event_data.Image-x=",
            Condition("winlog.event_data.Image-x", Operator.EQUALS, ("",)),
        ),
    ],
)
def test_conditions_parse(text: str, expected: Condition) -> None:
    assert parse_condition(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "CommandLine",  # no '='
        "CommandLine|like=x",  # unknown operator
        "CommandLine|contains|endswith=x",  # two operators
        "CommandLine|re=(unclosed",  # RE2 refuses it
        "=x",  # empty field name
        "1Field=x",
        # Injection attempts through the field name: refused before any SQL is built.
        "CommandLine') OR 1=1 --=x",
        'x"); DROP TABLE events; --=y',
        "a'b=1",
        "fields->>'$.x'=1",
        "x y=1",
        "Fïeld=1",
        "a" * 200 + "=1",
        "CommandLine|contains=" + "x" * 2000,
        "CommandLine|contains=nul\x00byte",
        "Image|exists=maybe",  # exists takes true or false
        "Image|exists|contains=x",  # two operators
    ],
)
def test_invalid_conditions_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_condition(text)


def test_limits() -> None:
    with pytest.raises(InvalidInput):
        parse_conditions(["EventID=1"] * (MAX_CONDITIONS + 1))
    with pytest.raises(InvalidInput):
        parse_condition("User|in=" + ",".join(str(n) for n in range(101)))
    with pytest.raises(InvalidInput):
        Condition("User", Operator.EQUALS, ("a", "b"))
    with pytest.raises(InvalidInput):
        Condition("User", Operator.IN, ())
    assert len(parse_conditions(["EventID=1", "User|in=a,b"])) == 2
