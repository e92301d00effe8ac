"""Static analysis of compiled conditions: routing keys and required literals.

Both are *necessary* conditions derived from the tree, so using them to skip rules never
changes a result:

* :func:`field_values` — the set of exact values a field must have for the rule to match
  (e.g. ``Channel`` and ``EventID`` added by the log-source pipelines), or ``None``;
* :func:`required_literals` — a set of lower-case literals at least one of which occurs in
  some field value of every matching event, or ``None`` when no such set is known.
"""

from __future__ import annotations

from vigile.detection.matchers import And, Node, NumEq, Or, StrMatch

# Literals shorter than this hit too many events to be worth indexing.
MIN_LITERAL = 3


def field_values(node: Node, field: str) -> frozenset[str] | None:
    """Exact (lower-case text) values ``field`` must take in any match, or ``None``."""
    if isinstance(node, StrMatch):
        if (
            node.field == field
            and not (node.prefixes or node.suffixes or node.contains or node.regexes)
            and not node.any_value
        ):
            return frozenset(v.lower() for v in node.exact)
        return None
    if isinstance(node, NumEq):
        return frozenset({node.text}) if node.field == field else None
    if isinstance(node, And):
        result: frozenset[str] | None = None
        for child in node.children:
            sub = field_values(child, field)
            if sub is not None:
                result = sub if result is None else result & sub
        return result
    if isinstance(node, Or):
        union: set[str] = set()
        for child in node.children:
            sub = field_values(child, field)
            if sub is None:
                return None
            union |= sub
        return frozenset(union)
    return None


def _score(lits: frozenset[str]) -> tuple[int, int]:
    return (min(len(x) for x in lits), -len(lits))


def required_literals(node: Node, skip_fields: frozenset[str]) -> frozenset[str] | None:
    """Literals one of which every match contains; ``skip_fields`` are routed, not indexed."""
    if isinstance(node, StrMatch):
        if node.field in skip_fields or not node.literals:
            return None
        if any(lit is None or len(lit) < MIN_LITERAL for lit in node.literals):
            return None
        return frozenset(lit for lit in node.literals if lit is not None)
    if isinstance(node, And):
        best: frozenset[str] | None = None
        for child in node.children:
            sub = required_literals(child, skip_fields)
            if sub is not None and (best is None or _score(sub) > _score(best)):
                best = sub
        return best
    if isinstance(node, Or):
        union: set[str] = set()
        for child in node.children:
            sub = required_literals(child, skip_fields)
            if sub is None:
                return None
            union |= sub
        return frozenset(union)
    return None
