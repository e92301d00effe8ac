"""Conditions evaluated by the DuckDB store: each operator, case, values bound (no injection)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.events.factory import T0, make_event
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.query import Condition, Operator, parse_conditions
from vigile.events.store import EventQuery, FieldValue
from vigile.pagination import PageRequest

ROWS: dict[int, dict[str, FieldValue]] = {
    0: {"CommandLine": "C:\\Tools\\MimiKatz.exe sekurlsa::logonpasswords", "Image": "C:\\T\\m.exe"},
    1: {"CommandLine": "powershell -EncodedCommand ZQBj", "Image": "C:\\Windows\\powershell.exe"},
    2: {"CommandLine": "whoami /all", "Image": "C:\\Windows\\System32\\whoami.exe"},
    3: {"CommandLine": 'it\'s 100% "quoted" _under_ \\back', "Image": "C:\\x\\y.exe"},
    4: {"Image": "C:\\Windows\\explorer.exe"},  # no CommandLine
}
EXTRA: dict[
    int, dict[str, FieldValue]
] = {  # fields that are not promoted columns: read through JSON
    0: {"LogonType": 3, "Elevated": True, "Ratio": 0.5, "Tags": ["a", "B"], "Rare.Field": "XyZ"},
    1: {"LogonType": 10, "Elevated": False},
    2: {"LogonType": None},
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDbEventStore]:
    store = DuckDbEventStore(tmp_path_factory.mktemp("cond") / "events.duckdb")
    store.add([make_event(1, n, extra={**ROWS[n], **EXTRA.get(n, {})}) for n in ROWS])
    store.add([make_event(2, n, CommandLine="mimikatz", LogonType=3) for n in range(3)])
    yield store
    store.close()


def matches(store: DuckDbEventStore, *where: str) -> set[int]:
    query = EventQuery(
        frozenset({1}),
        T0 - timedelta(days=1),
        T0 + timedelta(days=1),
        parse_conditions(list(where)),
        PageRequest(limit=100),
    )
    return {int(str(e.fields["Computer"])[4:].split(".")[0]) for e in store.search(query).items}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (["CommandLine|contains=mimikatz"], {0}),
        (["CommandLine|contains=MIMIKATZ"], {0}),
        (["CommandLine|contains|cased=mimikatz"], set()),
        (["CommandLine|contains|cased=MimiKatz"], {0}),
        (["CommandLine=WHOAMI /ALL"], {2}),
        (["CommandLine=whoami"], set()),
        (["CommandLine|startswith=POWERSHELL"], {1}),
        (["Image|endswith=\\WHOAMI.EXE"], {2}),
        (["Image|startswith=c:\\windows\\"], {1, 2, 4}),
        (["Image|in=c:\\windows\\explorer.exe,C:\\T\\M.EXE"], {0, 4}),
        (["CommandLine|re=-enc(odedcommand)?\\s"], {1}),
        (["CommandLine|re|cased=-enc"], set()),
        (["CommandLine|re=^who"], {2}),
        (["Image|startswith=c:\\windows", "CommandLine|contains=all"], {2}),  # AND
        (["CommandLine|contains=100%"], {3}),  # LIKE wildcards are plain characters
        (["CommandLine|contains=_under_"], {3}),
        (['CommandLine|contains="quoted"'], {3}),
        (["CommandLine|contains=it's"], {3}),
        (["CommandLine|endswith=\\back"], {3}),
        (["LogonType=3"], {0}),  # numbers compare by their text
        (["LogonType|in=3,10"], {0, 1}),
        (["Elevated=TRUE"], {0}),
        (["Ratio=0.5"], {0}),
        (["Rare.Field=xyz"], {0}),
        (["Tags|contains=b"], {0}),  # lists match through their JSON text
        (["Missing=x"], set()),
        (["CommandLine|contains="], {0, 1, 2, 3}),  # absent fields never match
        (["EventID=1"], {0, 1, 2, 3, 4}),
        # exists: the key is there (a null value counts), promoted column or JSON field
        (["CommandLine|exists=true"], {0, 1, 2, 3}),
        (["CommandLine|exists=false"], {4}),
        (["LogonType|exists=TRUE"], {0, 1, 2}),  # 2 holds LogonType: null
        (["LogonType|exists=false"], {3, 4}),
        (["Rare.Field|exists=true"], {0}),
        (["Missing|exists=true"], set()),
        # not: the complement, events without the field included
        (["CommandLine|not|contains=mimikatz"], {1, 2, 3, 4}),
        (["CommandLine|contains|not=MIMIKATZ"], {1, 2, 3, 4}),
        (["CommandLine|not|contains|cased=mimikatz"], {0, 1, 2, 3, 4}),
        (["Image|not|in=c:\\windows\\explorer.exe,C:\\T\\M.EXE"], {1, 2, 3}),
        (["CommandLine|not|re=^who"], {0, 1, 3, 4}),
        (["LogonType|not=3"], {1, 2, 3, 4}),
        (["CommandLine|not|exists=true"], {4}),
        (["Image|startswith=c:\\windows", "CommandLine|not|contains=all"], {1, 4}),
    ],
)
def test_operators(loaded: DuckDbEventStore, where: list[str], expected: set[int]) -> None:
    assert matches(loaded, *where) == expected


@pytest.mark.parametrize(
    "value",
    [
        "' OR 1=1 --",
        "x') OR ('1'='1",
        "'; DROP TABLE events; --",
        '" OR ""="',
        "%%%",
        "$.CommandLine",
    ],
)
def test_injection_in_values_matches_literally(loaded: DuckDbEventStore, value: str) -> None:
    for op in ("equals", "contains", "startswith", "endswith", "in"):
        assert matches(loaded, f"CommandLine|{op}={value}") == set()
        assert matches(loaded, f"Rare.Field|{op}={value}") == set()
    assert loaded.count() == 8  # nothing was dropped, other tenants' rows still there


def test_conditions_never_reach_another_tenant(loaded: DuckDbEventStore) -> None:
    # Tenant 2 has three "mimikatz" events; tenant 1's search sees its own one only.
    assert matches(loaded, "CommandLine|contains=mimikatz", "LogonType=3") == {0}


def _text(value: FieldValue) -> str | None:
    return None if value is None else str(value)


def oracle(condition: Condition, value: str | None) -> bool:
    """Python model of a case-insensitive text condition."""
    if value is None:
        return False
    text, wanted = value.lower(), condition.value.lower()
    return {
        Operator.EQUALS: text == wanted,
        Operator.CONTAINS: wanted in text,
        Operator.STARTSWITH: text.startswith(wanted),
        Operator.ENDSWITH: text.endswith(wanted),
    }[condition.op]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    op=st.sampled_from(
        [Operator.EQUALS, Operator.CONTAINS, Operator.STARTSWITH, Operator.ENDSWITH]
    ),
    value=st.text(alphabet=st.characters(codec="ascii", exclude_characters="\x00"), max_size=6),
    field=st.sampled_from(["CommandLine", "Rare.Field"]),
    negated=st.booleans(),
)
def test_store_agrees_with_a_python_model(
    loaded: DuckDbEventStore, op: Operator, value: str, field: str, negated: bool
) -> None:
    condition = Condition(field, op, (value,), negated=negated)
    texts = {n: {**ROWS[n], **EXTRA.get(n, {})}.get(field) for n in ROWS}
    expected = {n for n, text in texts.items() if oracle(condition, _text(text)) != negated}
    query = EventQuery(frozenset({1}), T0 - timedelta(days=1), T0 + timedelta(days=1), (condition,))
    got = {e.fields["Computer"] for e in loaded.search(query).items}
    assert got == {f"host{n}.corp" for n in expected}
