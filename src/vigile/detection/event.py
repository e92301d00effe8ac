"""The per-event view the matchers read: field lookup and once-per-event lower-casing.

Field names are matched case-sensitively first (Sysmon ``ProcessId`` ≠ System ``ProcessID``);
only when an event has no field of exactly that name is a case-insensitive lookup tried, so a
rule that spells a field with other case (as SQL- and Elastic-based Sigma backends tolerate)
still works without merging two distinct fields.

Values are normalised once per event and per field: strings as-is, numbers via ``str``,
booleans as ``true``/``false``, lists (unnamed ``Data``) as tuples of such strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MISSING: Any = object()

Text = str | tuple[str, ...]


def to_text(value: Any) -> Text | None:
    """String form of an event value used by string matchers; ``None`` for null."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return tuple(t for v in value if isinstance(t := to_text(v), str))
    if isinstance(value, dict):
        return to_text(value.get("#text"))
    return str(value)


# Folded-name maps per tuple of field names: events of one kind share their names (every Sysmon
# process creation has the same ones), so the map is built once per kind, not per event.
_FOLDED: dict[tuple[str, ...], dict[str, str]] = {}
_FOLDED_MAX = 4096  # kinds kept; beyond, the cache starts again (unusual, varied names)


def _folded_names(names: tuple[str, ...]) -> dict[str, str]:
    """Lower-case name -> the first field of that name (the last assignment wins)."""
    folded = _FOLDED.get(names)
    if folded is None:
        if len(_FOLDED) >= _FOLDED_MAX:
            _FOLDED.clear()
        folded = _FOLDED[names] = {name.lower(): name for name in reversed(names)}
    return folded


class EventView:
    """A flat event plus lazily computed caches; built once per event, shared by all rules."""

    __slots__ = ("_all", "_folded", "_lower", "_text", "fields")

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = fields
        self._text: dict[str, Text | None] = {}
        self._lower: dict[str, Text | None] = {}
        self._folded: dict[str, str] | None = None
        self._all: dict[bool, list[str]] = {}

    def get(self, name: str) -> Any:
        """Raw value of a field, or :data:`MISSING`."""
        fields = self.fields
        if name in fields:
            return fields[name]
        folded = self._folded
        if folded is None:
            folded = self._folded = _folded_names(tuple(fields))
        actual = folded.get(name.lower())
        return MISSING if actual is None else fields[actual]

    # Cache look-ups use ``dict.get`` with a sentinel: a missed ``try: d[k]`` costs an
    # exception, and every field misses once per event.
    def text(self, name: str) -> Text | None:
        """String form of a field (``None`` when absent or null)."""
        text = self._text.get(name, MISSING)
        if text is MISSING:
            value = self.fields.get(name)
            if type(value) is str:  # most fields: no case-folded look-up, no conversion
                self._text[name] = value
                return value
            value = self.get(name)
            text = None if value is MISSING else to_text(value)
            self._text[name] = text
        return text  # type: ignore[no-any-return]

    def lower(self, name: str) -> Text | None:
        """Lower-cased string form of a field, computed once per event."""
        low = self._lower.get(name, MISSING)
        if low is MISSING:
            value = self.fields.get(name)
            if type(value) is str:  # most fields: no case-folded look-up, no conversion
                low = self._lower[name] = value.lower()
                return low
            text = self.text(name)
            if isinstance(text, tuple):
                low = tuple(t.lower() for t in text)
            else:
                low = None if text is None else text.lower()
            self._lower[name] = low
        return low  # type: ignore[no-any-return]

    def all_texts(self, lower: bool) -> list[str]:
        """Every field value as text (keyword searches match any field), computed once per
        event for each of ``lower`` true and false."""
        cached = self._all.get(lower)
        if cached is not None:
            return cached
        out: list[str] = []
        self._all[lower] = out
        for value in self.fields.values():
            text = to_text(value)
            if isinstance(text, tuple):
                out.extend(t.lower() if lower else t for t in text)
            elif text is not None:
                out.append(text.lower() if lower else text)
        return out
