"""Admission picks the source type as it always did: explicit, else default, else sniffed."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import pytest

from vigile.ingest.parsers import jsonlog, registry
from vigile.ingest.parsers.model import ParseError, ParseOptions

NAMES = [None, "", "auto", "AUTO", "json", "eve", "evtx", "syslog", "bogus"]
RECORDS = [
    b'{"Channel": "Security", "EventID": 4624}',
    b'{"event_type": "alert", "src_ip": "10.0.0.1"}',
    b'{"message": "x"}',
    b"[1, 2]",
    b"<13>Nov 26 09:30:00 host app: hello",
]


def _plain_admit(raw: bytes, source_type: str, explicit: str | None) -> str:
    """registry.admit as first written: the first name that is not ``auto`` wins."""
    chosen = registry.AUTO
    for name in (explicit, source_type):
        if name and (chosen := registry.canonical(name)) != registry.AUTO:
            break
    if chosen == registry.AUTO:
        if not raw.lstrip(b" \t\r\n").startswith(b"{"):
            chosen = registry.text_shape(raw)
        else:
            return registry.json_shape(jsonlog.load_object(raw))
    precheck = registry._PRECHECK.get(chosen)
    if precheck is not None:
        precheck(jsonlog.load_object(raw))
    else:
        registry.PARSERS[chosen](raw, ParseOptions())
    return chosen


def _outcome(call: Callable[[], str]) -> str:
    try:
        return call()
    except ParseError as exc:
        return f"ParseError: {exc.reason}"


@pytest.mark.parametrize(("explicit", "default"), itertools.product(NAMES, NAMES))
def test_admit_resolves_the_source_type_as_before(explicit: str | None, default: str) -> None:
    for raw in RECORDS:
        got = _outcome(functools.partial(registry.admit, raw, default, explicit=explicit))
        assert got == _outcome(functools.partial(_plain_admit, raw, default, explicit))
