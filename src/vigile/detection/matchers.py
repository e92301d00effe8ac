"""Compiled matcher objects: the condition tree every rule is turned into.

Each node has ``ev(event_view) -> bool``. Nodes are plain picklable objects (the compiled rule
set is cached with :mod:`pickle`); regular expressions (:mod:`vigile.detection.regexes`)
are compiled again on first use after unpickling.
String matching is case-insensitive by comparing lower-cased values to lower-cased needles, so
a value is lower-cased once per event (:class:`~vigile.detection.event.EventView`), not per rule.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from typing import Any

from vigile.detection.event import MISSING, EventView, Text, to_text
from vigile.detection.regexes import Regex

# A required literal (lower-case) and whether it is anchored at the start / end of the value.
Needle = tuple[str, bool, bool]


Test = Callable[[EventView], Any]


class Node:
    """A condition node."""

    __slots__ = ()

    def ev(self, e: EventView) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def compiled(self) -> Test:
        """The condition as one plain function of the event view, truthy exactly when
        :meth:`ev` is true: closures over the nodes' values, without the attribute look-ups
        and per-node dispatch of :meth:`ev` (built per process, on first use: closures are
        not picklable)."""
        return self.ev


class Const(Node):
    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def ev(self, e: EventView) -> bool:
        return self.value

    def compiled(self) -> Test:
        value = self.value
        return lambda e: value


class And(Node):
    __slots__ = ("children",)

    def __init__(self, children: list[Node]) -> None:
        self.children = tuple(children)

    def ev(self, e: EventView) -> bool:
        # Explicit loops: generator-based all()/any() cost ~1 µs more per node.
        for c in self.children:  # noqa: SIM110 - a loop is faster than a generator here
            if not c.ev(e):
                return False
        return True

    def compiled(self) -> Test:
        tests = tuple(c.compiled() for c in self.children)
        if len(tests) == 1:
            return tests[0]
        if len(tests) == 2:
            first, second = tests
            return lambda e: first(e) and second(e)

        def all_of(e: EventView) -> bool:
            for t in tests:  # noqa: SIM110 - a loop is faster than a generator here
                if not t(e):
                    return False
            return True

        return all_of


class Or(Node):
    __slots__ = ("children",)

    def __init__(self, children: list[Node]) -> None:
        self.children = tuple(children)

    def ev(self, e: EventView) -> bool:
        for c in self.children:  # noqa: SIM110 - a loop is faster than a generator here
            if c.ev(e):
                return True
        return False

    def compiled(self) -> Test:
        tests = tuple(c.compiled() for c in self.children)
        if len(tests) == 1:
            return tests[0]
        if len(tests) == 2:
            first, second = tests
            return lambda e: first(e) or second(e)

        def any_of(e: EventView) -> bool:
            for t in tests:  # noqa: SIM110 - a loop is faster than a generator here
                if t(e):
                    return True
            return False

        return any_of


class Not(Node):
    __slots__ = ("child",)

    def __init__(self, child: Node) -> None:
        self.child = child

    def ev(self, e: EventView) -> bool:
        return not self.child.ev(e)

    def compiled(self) -> Test:
        child = self.child.compiled()
        return lambda e: not child(e)


class StrMatch(Node):
    """OR of string tests on one field (or, with ``field=None``, on any field: keywords).

    Several values of a Sigma list on the same field merge into one node so that
    ``str.startswith(tuple)`` / set membership test them all in one call.
    """

    __slots__ = (
        "_test",
        "any_value",
        "cased",
        "contains",
        "exact",
        "field",
        "literals",
        "prefixes",
        "regexes",
        "suffixes",
    )
    _STATE = (
        "any_value",
        "cased",
        "contains",
        "exact",
        "field",
        "literals",
        "prefixes",
        "regexes",
        "suffixes",
    )

    def __init__(self, field: str | None, cased: bool) -> None:
        self.field = field
        self.cased = cased
        self.exact: frozenset[str] = frozenset()
        self.prefixes: tuple[str, ...] = ()
        self.suffixes: tuple[str, ...] = ()
        self.contains: tuple[str, ...] = ()
        self.regexes: tuple[Regex, ...] = ()
        self.any_value = False
        # Per value, its longest lower-cased literal with whether it starts / ends the value
        # (None: no literal) — used by the prefilter (:mod:`vigile.detection.analysis`).
        self.literals: tuple[Needle | None, ...] = ()
        self._test: Callable[[str], bool] | None = None

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._STATE)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        # One unpacking rather than a setattr loop: tens of thousands of these are unpickled
        # at each start.
        (
            self.any_value,
            self.cased,
            self.contains,
            self.exact,
            self.field,
            self.literals,
            self.prefixes,
            self.regexes,
            self.suffixes,
        ) = state
        self._test = None

    def merge(self, other: StrMatch) -> None:
        self.exact |= other.exact
        self.prefixes += other.prefixes
        self.suffixes += other.suffixes
        self.contains += other.contains
        self.regexes += other.regexes
        self.any_value |= other.any_value
        self.literals += other.literals
        self._test = None

    def test(self, s: str) -> bool:
        """Whether one (lower-cased unless ``cased``) text passes any of the tests."""
        test = self._test
        if test is None:
            test = self._test = self._specialise()
        return test(s)

    def _specialise(self) -> Callable[[str], bool]:
        """The test as one callable doing only the kinds of test this node has (most nodes
        have one kind: a set's ``__contains__`` or one ``endswith`` of a tuple), built on
        first use — per-node branching on empty tuples is most of a generic test's cost."""
        if self.any_value:
            return _always
        exact, prefixes, suffixes = self.exact, self.prefixes, self.suffixes
        contains, searches = self.contains, tuple(r.search for r in self.regexes)
        parts: list[Callable[[str], bool]] = []
        if exact:
            parts.append(exact.__contains__)
        if prefixes:
            parts.append(lambda s: s.startswith(prefixes))
        if suffixes:
            parts.append(lambda s: s.endswith(suffixes))
        if len(contains) == 1:
            needle = contains[0]
            parts.append(lambda s: needle in s)
        elif contains:
            parts.append(functools.partial(_contains_any, contains))
        if searches:
            parts.append(functools.partial(_search_any, searches))
        if not parts:
            return _never
        if len(parts) == 1:
            return parts[0]
        return functools.partial(_any_part, tuple(parts))

    def ev(self, e: EventView) -> bool:
        test = self._test
        if test is None:
            test = self._test = self._specialise()
        if self.field is None:
            for s in e.all_texts(not self.cased):  # noqa: SIM110 - faster than any()
                if test(s):
                    return True
            return False
        field = self.field
        if self.cased:
            v = e.text(field)
        else:  # the view's cache read inline: most fields are looked up by several rules
            v = e._lower.get(field, MISSING)
            if v is MISSING:
                v = e.lower(field)
        if v is None:
            return False
        if isinstance(v, str):
            return test(v)
        for s in v:  # noqa: SIM110 - faster than any()
            if test(s):
                return True
        return False

    def compiled(self) -> Test:
        field = self.field
        if field is None or self.cased:
            return self.ev
        test = self._test
        if test is None:
            test = self._test = self._specialise()

        def lower_test(e: EventView) -> Any:
            # :meth:`ev` with its field, case and test bound.
            v = e._lower.get(field, MISSING)
            if v is MISSING:
                v = e.lower(field)
            if isinstance(v, str):
                return test(v)
            if v is None:
                return False
            for s in v:  # noqa: SIM110 - faster than any()
                if test(s):
                    return True
            return False

        return lower_test


def _always(s: str) -> bool:
    return True


def _never(s: str) -> bool:
    return False


def _contains_any(needles: tuple[str, ...], s: str) -> bool:
    for needle in needles:  # noqa: SIM110 - a loop is faster than a generator here
        if needle in s:
            return True
    return False


def _search_any(searches: tuple[Callable[[str], bool], ...], s: str) -> bool:
    for search in searches:  # noqa: SIM110 - a loop is faster than a generator here
        if search(s):
            return True
    return False


def _any_part(parts: tuple[Callable[[str], bool], ...], s: str) -> bool:
    for part in parts:  # noqa: SIM110 - a loop is faster than a generator here
        if part(s):
            return True
    return False


def _any_text(v: Text | None, test: Callable[[str], bool]) -> bool:
    if v is None:
        return False
    if isinstance(v, str):
        return test(v)
    return any(test(s) for s in v)


class RegexMatch(Node):
    """Sigma ``|re``: unanchored search, case-sensitive unless the ``i`` flag is given."""

    __slots__ = ("field", "regex")

    def __init__(self, field: str | None, regex: Regex) -> None:
        self.field = field
        self.regex = regex

    def ev(self, e: EventView) -> bool:
        if self.field is None:
            return any(self.regex.search(s) for s in e.all_texts(False))
        v = e._text.get(self.field, MISSING)  # the view's cache read inline
        if v is MISSING:
            v = e.text(self.field)
        if isinstance(v, str):
            return self.regex.search(v)
        return _any_text(v, self.regex.search)

    def compiled(self) -> Test:
        field = self.field
        if field is None:
            return self.ev
        search = self.regex.search

        def regex_test(e: EventView) -> bool:
            v = e._text.get(field, MISSING)
            if v is MISSING:
                v = e.text(field)
            if isinstance(v, str):
                return search(v)
            return _any_text(v, search)

        return regex_test


def _numeric(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip(), 0)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _values(value: Any) -> list[Any]:
    if value is MISSING or value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class NumEq(Node):
    """A Sigma number: equal to an event number, or to the same digits in a string."""

    __slots__ = ("field", "number", "text")

    def __init__(self, field: str, number: int | float) -> None:
        self.field = field
        self.number = number
        self.text = str(number)

    def ev(self, e: EventView) -> bool:
        for v in _values(e.get(self.field)):
            if isinstance(v, int | float) and not isinstance(v, bool):
                if v == self.number:
                    return True
            elif to_text(v) == self.text:
                return True
        return False

    def compiled(self) -> Test:
        field, number, ev = self.field, self.number, self.ev

        def number_test(e: EventView) -> bool:
            v = e.get(field)
            if v.__class__ is int:  # most numbers (never a bool: its class is bool)
                return bool(v == number)
            return ev(e)

        return number_test


class Compare(Node):
    """``lt``/``lte``/``gt``/``gte``: numeric comparison; non-numeric values never match."""

    __slots__ = ("field", "number", "op")

    def __init__(self, field: str, op: str, number: int | float) -> None:
        self.field = field
        self.op = op
        self.number = number

    def ev(self, e: EventView) -> bool:
        for raw in _values(e.get(self.field)):
            v = _numeric(raw)
            if v is None:
                continue
            n = self.number
            op = self.op
            if (
                (op == "lt" and v < n)
                or (op == "lte" and v <= n)
                or (op == "gt" and v > n)
                or (op == "gte" and v >= n)
            ):
                return True
        return False


@functools.lru_cache(maxsize=8192)
def _ip_number(text: str) -> tuple[int, int] | None:
    """(version, integer) of an IP address text, or ``None`` (cached: rules with dozens of
    ``cidr`` values test the same event field once per network)."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return ip.version, int(ip)


class Cidr(Node):
    __slots__ = ("_masks", "field", "networks")

    def __init__(self, field: str, networks: list[str]) -> None:
        self.field = field
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in networks)
        # ``ip in network`` is ``ip & netmask == network address`` on the integers.
        self._masks = tuple(
            (n.version, int(n.netmask), int(n.network_address)) for n in self.networks
        )

    def merge(self, other: Cidr) -> None:
        """Also match ``other``'s networks (an OR of CIDR tests on one field)."""
        self.networks += other.networks
        self._masks += other._masks

    def _test(self, s: str) -> bool:
        ip = _ip_number(s)
        if ip is None:
            return False
        version, number = ip
        return any(v == version and number & mask == net for v, mask, net in self._masks)

    def ev(self, e: EventView) -> bool:
        return _any_text(e.text(self.field), self._test)


class Null(Node):
    """``field: null`` — the field is absent or has no value."""

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def ev(self, e: EventView) -> bool:
        v = e.get(self.field)
        return v is MISSING or v is None


class Exists(Node):
    """``field|exists: true/false`` — the field is present in the event (any value)."""

    __slots__ = ("field", "want")

    def __init__(self, field: str, want: bool) -> None:
        self.field = field
        self.want = want

    def ev(self, e: EventView) -> bool:
        return (e.get(self.field) is not MISSING) == self.want


class BoolEq(Node):
    __slots__ = ("field", "text")

    def __init__(self, field: str, value: bool) -> None:
        self.field = field
        self.text = "true" if value else "false"

    def ev(self, e: EventView) -> bool:
        return _any_text(e.lower(self.field), lambda s: s == self.text)


class FieldRef(Node):
    """``|fieldref``: the value equals (or starts/ends with) another field's value."""

    __slots__ = ("field", "mode", "other")

    def __init__(self, field: str, other: str, mode: str) -> None:
        self.field = field
        self.other = other
        self.mode = mode

    def ev(self, e: EventView) -> bool:
        ref = e.lower(self.other)
        if not isinstance(ref, str):
            return False
        if self.mode == "eq":
            v = e.lower(self.field)
            return v == ref if isinstance(v, str) else _any_text(v, lambda s: s == ref)
        if self.mode == "startswith":
            return _any_text(e.lower(self.field), lambda s: s.startswith(ref))
        return _any_text(e.lower(self.field), lambda s: s.endswith(ref))
