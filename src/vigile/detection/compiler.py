"""Compile pySigma's parsed (pipeline-processed) detection trees into matcher nodes.

Done once per rule at load time; events never touch pySigma objects. Semantics follow pySigma:
pySigma itself already expands ``contains``/``startswith``/``endswith`` into wildcards,
``all`` into AND, ``base64offset``/``windash`` into value expansions, ``1 of``/``all of`` into
OR/AND. What is left here is the meaning of each value type:

* strings: case-insensitive unless ``|cased``; ``*`` any run of characters (newlines too),
  ``?`` one character; escaping already resolved by pySigma. Classified into exact / prefix /
  suffix / contains (fast ``str`` operations) or an RE2 regex for other wildcard shapes;
* keyword (field-less) values: searched in every field value; a value without wildcards is a
  substring search (full-text semantics of Sigma keywords);
* ``expand`` placeholders: replaced by the values of the mapping passed in; an unknown
  placeholder makes the rule fail with ``unresolved placeholder``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.types import (
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

from vigile.detection.matchers import (
    And,
    BoolEq,
    Cidr,
    Compare,
    Const,
    Exists,
    FieldRef,
    Needle,
    Node,
    Not,
    Null,
    NumEq,
    Or,
    RegexMatch,
    StrMatch,
)
from vigile.detection.regexes import Regex


class RuleCompileError(Exception):
    """A rule cannot be compiled; ``reason`` is a short category for the load report."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


Part = str | SpecialChars
_REGEX_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: "i",
    SigmaRegularExpressionFlag.MULTILINE: "m",
    SigmaRegularExpressionFlag.DOTALL: "s",
}
_COMPARE_OPS = {1: "lt", 2: "lte", 3: "gt", 4: "gte"}


def _escape(text: str) -> str:
    """Escape for RE2: punctuation with a backslash, control characters as ``\\x{..}``."""
    out = []
    for ch in text:
        if ch.isalnum() or ch == "_" or ord(ch) > 127:
            out.append(ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{{{ord(ch):x}}}")
        else:
            out.append("\\" + ch)
    return "".join(out)


def _parts(s: SigmaString) -> list[Part]:
    return [p for p in s.s if isinstance(p, str | SpecialChars)]


def _expand_placeholders(
    s: SigmaString, placeholders: Mapping[str, Sequence[str]]
) -> list[list[Part]]:
    """All part sequences of a string, each placeholder replaced by each of its values."""
    choices: list[list[list[Part]]] = []
    for part in s.s:
        if isinstance(part, Placeholder):
            if part.name not in placeholders:
                raise RuleCompileError("unresolved placeholder", f"%{part.name}% has no value")
            choices.append([_parts(SigmaString(v)) for v in placeholders[part.name]])
        else:
            choices.append([[part]])
    return [[p for seq in combo for p in seq] for combo in itertools.product(*choices)]


def _merge(parts: list[Part]) -> list[Part]:
    out: list[Part] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + p
        elif p != "":
            out.append(p)
    return out


def _string_node(
    field: str | None,
    parts: list[Part],
    cased: bool,
    keyword: bool,
) -> StrMatch:
    """One string value → a single-item :class:`StrMatch` with its required literal."""
    parts = _merge(parts)
    norm: list[Part] = [p if cased or not isinstance(p, str) else p.lower() for p in parts]
    if keyword and all(isinstance(p, str) for p in norm):
        norm = [SpecialChars.WILDCARD_MULTI, *norm, SpecialChars.WILDCARD_MULTI]
    node = StrMatch(field, cased)
    star = SpecialChars.WILDCARD_MULTI
    texts = [p for p in norm if isinstance(p, str)]
    needle: Needle | None = None
    if texts:
        best = max(texts, key=len)
        pos = next(i for i, p in enumerate(norm) if p is best)
        needle = (best.lower(), pos == 0, pos == len(norm) - 1)
    if not norm:
        node.exact = frozenset({""})
    elif len(norm) == 1 and isinstance(norm[0], str):
        node.exact = frozenset({norm[0]})
    elif norm == [star]:
        node.any_value = True
    elif len(norm) == 2 and norm[1] == star and isinstance(norm[0], str):
        node.prefixes = (norm[0],)
    elif len(norm) == 2 and norm[0] == star and isinstance(norm[1], str):
        node.suffixes = (norm[1],)
    elif len(norm) == 3 and norm[0] == star and norm[2] == star and isinstance(norm[1], str):
        node.contains = (norm[1],)
    else:
        pattern = "".join(
            _escape(p) if isinstance(p, str) else (".*" if p == star else ".") for p in norm
        )
        node.regexes = (Regex(f"^{pattern}$", "s"),)
    node.literals = (needle,)
    return node


def _value_node(field: str | None, value: Any, placeholders: Mapping[str, Sequence[str]]) -> Node:
    keyword = field is None
    if isinstance(value, SigmaExpansion):
        return _or([_value_node(field, v, placeholders) for v in value.values])
    if isinstance(value, SigmaString):
        cased = isinstance(value, SigmaCasedString)
        variants = _expand_placeholders(value, placeholders)
        return _or([_string_node(field, parts, cased, keyword) for parts in variants])
    if isinstance(value, SigmaRegularExpression):
        flags = "".join(sorted(_REGEX_FLAGS[f] for f in value.flags))
        try:
            regex = Regex(str(value.regexp), flags)
        except ValueError as exc:
            raise RuleCompileError("unsupported regex", str(exc)) from exc
        return RegexMatch(field, regex)
    if keyword:
        if isinstance(value, SigmaNumber | SigmaBool):
            text = str(value.number if isinstance(value, SigmaNumber) else value.boolean)
            return _string_node(None, [text], False, True)
        raise RuleCompileError("unsupported keyword", type(value).__name__)
    assert field is not None
    if isinstance(value, SigmaNumber):
        return NumEq(field, value.number)
    if isinstance(value, SigmaBool):
        return BoolEq(field, value.boolean)
    if isinstance(value, SigmaNull):
        return Null(field)
    if isinstance(value, SigmaExists):
        return Exists(field, value.exists)
    if isinstance(value, SigmaCIDRExpression):
        return Cidr(field, [str(value.network)])
    if isinstance(value, SigmaCompareExpression):
        number = value.number.number
        if value.op.value == 5:  # NEQ
            return Not(NumEq(field, number))
        return Compare(field, _COMPARE_OPS[value.op.value], number)
    if isinstance(value, SigmaFieldReference):
        mode = "startswith" if value.starts_with else "endswith" if value.ends_with else "eq"
        return FieldRef(field, value.field, mode)
    raise RuleCompileError("unsupported value type", f"{field}: {type(value).__name__}")


def _or(children: list[Node]) -> Node:
    """OR with string tests on the same field merged into one node (and CIDR tests too)."""
    merged: list[Node] = []
    by_key: dict[tuple[str | None, bool], StrMatch] = {}
    networks: dict[str, Cidr] = {}
    for child in children:
        if isinstance(child, Or):
            child = _or(list(child.children))
            parts = list(child.children) if isinstance(child, Or) else [child]
        else:
            parts = [child]
        for part in parts:
            if isinstance(part, StrMatch):
                key = (part.field, part.cased)
                if key in by_key:
                    by_key[key].merge(part)
                    continue
                by_key[key] = part
            elif isinstance(part, Cidr):
                if part.field in networks:
                    networks[part.field].merge(part)
                    continue
                networks[part.field] = part
            merged.append(part)
    return merged[0] if len(merged) == 1 else Or(merged)


def _and(children: list[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, And) else [child])
    return flat[0] if len(flat) == 1 else And(flat)


def compile_condition(tree: Any, placeholders: Mapping[str, Sequence[str]]) -> Node:
    """Translate a parsed pySigma condition tree into matcher nodes."""
    if isinstance(tree, ConditionAND):
        return _and([compile_condition(a, placeholders) for a in tree.args])
    if isinstance(tree, ConditionOR):
        return _or([compile_condition(a, placeholders) for a in tree.args])
    if isinstance(tree, ConditionNOT):
        return Not(compile_condition(tree.args[0], placeholders))
    if isinstance(tree, ConditionFieldEqualsValueExpression):
        return _value_node(tree.field, tree.value, placeholders)
    if isinstance(tree, ConditionValueExpression):
        return _value_node(None, tree.value, placeholders)
    raise RuleCompileError("unsupported condition", type(tree).__name__)


def compile_rule_conditions(
    conditions: list[Any], placeholders: Mapping[str, Sequence[str]]
) -> Node:
    """A rule with several conditions matches when any of them does."""
    nodes = [compile_condition(c, placeholders) for c in conditions]
    if not nodes:
        return Const(False)
    return nodes[0] if len(nodes) == 1 else Or(nodes)
