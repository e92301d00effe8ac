"""Search conditions on event fields: the model, its validation and the ``where`` syntax.

Pure: no SQL here. A condition is ``field|operator[|cased][|not]=value`` as in Sigma's
modifiers: ``CommandLine|contains=mimikatz``, ``EventID=4688``, ``Image|endswith=\\cmd.exe``,
``User|in=alice,bob``, ``CommandLine|re=-enc\\s``, ``ParentImage|exists=false``. Strings
compare case-insensitively unless ``|cased`` is given. ``|not`` negates the condition: it holds
for events where the positive one does not, those without the field included
(``CommandLine|not|contains=update`` keeps events that have no command line). Field names are
restricted to :data:`FIELD_PATTERN` (backends may inline them); values are always bound as
parameters by backends, never spliced into a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import re2

from vigile.errors import InvalidInput

FIELD_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$")
MAX_VALUE_LENGTH = 1024
MAX_VALUES = 100
MAX_CONDITIONS = 32


class Operator(StrEnum):
    """How a field's value is compared (Sigma modifier names)."""

    EQUALS = "equals"
    CONTAINS = "contains"
    STARTSWITH = "startswith"
    ENDSWITH = "endswith"
    RE = "re"
    IN = "in"
    EXISTS = "exists"
    """The event has the field (``=true``), or has not (``=false``); a ``null`` value counts
    as present, as in the detection engine."""


@dataclass(frozen=True)
class Condition:
    """``field`` compared by ``op`` with ``values`` (several only for ``in``)."""

    field: str
    op: Operator
    values: tuple[str, ...]
    cased: bool = False
    negated: bool = False

    def __post_init__(self) -> None:
        if not FIELD_PATTERN.match(self.field):
            raise InvalidInput(
                f"invalid field name {self.field[:64]!r}: letters, digits, '_', '.', '-' only"
            )
        if not self.values:
            raise InvalidInput(f"condition on {self.field} has no value")
        if len(self.values) > MAX_VALUES:
            raise InvalidInput(f"at most {MAX_VALUES} values in one condition")
        if self.op is not Operator.IN and len(self.values) != 1:
            raise InvalidInput(f"operator {self.op} takes exactly one value")
        for value in self.values:
            if len(value) > MAX_VALUE_LENGTH:
                raise InvalidInput(f"values are limited to {MAX_VALUE_LENGTH} characters")
            if "\x00" in value:
                raise InvalidInput("values may not contain NUL characters")
        if self.op is Operator.RE:
            _check_regex(self.values[0], self.cased)
        if self.op is Operator.EXISTS and self.values[0].lower() not in ("true", "false"):
            raise InvalidInput(f"{self.field}|exists takes true or false")

    @property
    def value(self) -> str:
        """The single value (all operators but ``in``)."""
        return self.values[0]


def _check_regex(pattern: str, cased: bool) -> None:
    """Refuse patterns RE2 (the linear-time engine backends use) cannot compile."""
    options = re2.Options()
    options.case_sensitive = cased
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise InvalidInput(f"invalid regular expression: {text}") from exc


def parse_condition(text: str) -> Condition:
    """Parse ``field[|op][|cased][|not]=value``; ``in`` takes comma-separated values."""
    spec, sep, value = text.partition("=")
    if not sep:
        raise InvalidInput(f"condition {text[:64]!r} has no '=': use field|operator=value")
    name, *modifiers = spec.split("|")
    lowered = [m.lower() for m in modifiers]
    cased = "cased" in lowered
    negated = "not" in lowered
    ops = [m for m, low in zip(modifiers, lowered, strict=True) if low not in ("cased", "not")]
    if len(ops) > 1:
        raise InvalidInput(f"one operator per condition, got {'|'.join(ops)!r}")
    try:
        op = Operator(ops[0].lower()) if ops else Operator.EQUALS
    except ValueError:
        known = ", ".join(o.value for o in Operator)
        raise InvalidInput(f"unknown operator {ops[0][:32]!r} (known: {known})") from None
    values = tuple(v for v in value.split(",")) if op is Operator.IN else (value,)
    return Condition(field=name, op=op, values=values, cased=cased, negated=negated)


def parse_conditions(texts: list[str] | tuple[str, ...]) -> tuple[Condition, ...]:
    """Parse every ``where`` condition (they are ANDed)."""
    if len(texts) > MAX_CONDITIONS:
        raise InvalidInput(f"at most {MAX_CONDITIONS} conditions")
    return tuple(parse_condition(text) for text in texts)
