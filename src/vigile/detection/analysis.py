"""Static analysis of compiled conditions: routing keys and required literals.

Both are *necessary* conditions derived from the tree, so using them to skip rules never
changes a result:

* :func:`field_values` — the set of exact values a field must have for the rule to match
  (e.g. ``Channel`` and ``EventID`` added by the log-source pipelines), or ``None``;
* :func:`required_clauses` — literal clauses in conjunctive form: every matching event has,
  for each clause, at least one of its needles in its JSON text (lower-cased): the literal
  somewhere in a field value, preceded by the value's opening quote when the literal starts
  the value (``startswith``/exact), followed by its closing quote when it ends the value.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from vigile.detection.json_regex import literal_pattern, regex_pattern
from vigile.detection.matchers import (
    And,
    Const,
    Needle,
    Node,
    Not,
    NumEq,
    Or,
    RegexMatch,
    StrMatch,
)
from vigile.detection.regex_literals import regex_literals, selectivity

# Literals shorter than this (UTF-8 bytes) hit too many events to be worth indexing.
MIN_LITERAL = 3
# Clauses kept per rule: the first indexes the rule, the others are checked on a hit.
MAX_CLAUSES = 4

Clause = frozenset[Needle]


def field_values(node: Node, field: str) -> frozenset[str] | None:
    """Exact (lower-case text) values ``field`` must take in any match, or ``None``."""
    if isinstance(node, StrMatch):
        if (
            node.field == field
            and not node.cased
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


# Text present in (nearly) every EVTX record as JSON: field names and structure. A literal
# inside it hits every event, so such clauses are ranked last (selection only, never results).
COMMON_TEXT = (
    '{"event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},'
    '"system":{"provider":{"#attributes":{"name":"microsoft-windows-sysmon","guid":""}},'
    '"eventid":,"version":,"level":,"task":,"opcode":,"keywords":"0x8000000000000000",'
    '"timecreated":{"#attributes":{"systemtime":""}},"eventrecordid":,"correlation":null,'
    '"execution":{"#attributes":{"processid":,"threadid":}},"channel":"microsoft-windows-'
    'sysmon/operational","computer":"","security":{"#attributes":{"userid":"s-1-5-18"}}},'
    '"eventdata":{"rulename":"","utctime":"","processguid":"","processid":,"image":"",'
    '"filename":"","targetfilename":"","commandline":"","currentdirectory":"","user":"",'
    '"logonguid":"","logonid":"","terminalsessionid":"","integritylevel":"","hashes":"",'
    '"parentprocessguid":"","parentprocessid":"","parentimage":"","parentcommandline":"",'
    '"originalfilename":"","description":"","product":"","company":"","fileversion":"",'
    '"targetobject":"","details":"","eventtype":"","sourceimage":"","targetimage":"",'
    '"grantedaccess":"","calltrace":"","imageloaded":"","signed":"","signature":"",'
    '"signaturestatus":"","queryname":"","queryresults":"","destinationip":"","subjectusername"'
    ':"","targetusername":"","servicename":"","imagepath":"","scriptblocktext":"","data":'
    '"c:\\windows\\system32\\","nt authority\\system","microsoft corporation",".exe",'
    '".dll","true","false","setvalue","medium","high","system"}'
)


# Images present in a large share of process events: a clause of such names is a poor index
# (``\\cmd.exe`` is long but hits far more often than ``pester``), so it ranks as if short.
FREQUENT_IMAGES = frozenset(
    {
        "\\cmd.exe",
        "\\powershell.exe",
        "\\powershell_ise.exe",
        "\\pwsh.exe",
        "\\conhost.exe",
        "\\svchost.exe",
        "\\rundll32.exe",
        "\\explorer.exe",
    }
)
_FREQUENT_LENGTH = 4


def _needle_length(needle: Needle) -> int:
    if needle[0].startswith(PATTERN_MARK):
        return PATTERN_LENGTH
    if needle[0] in FREQUENT_IMAGES:
        return _FREQUENT_LENGTH
    return len(needle_text(needle).encode())


def score(clause: Clause) -> tuple[int, int, int]:
    """Higher is more selective: no always-present literal, longer shortest needle (names of
    ubiquitous images count as short), fewer."""
    common = any(needle_text(n) in COMMON_TEXT for n in clause)
    return (0 if common else 1, min(_needle_length(n) for n in clause), -len(clause))


# Characters of JSON numbers, ``true``, ``false`` and ``null``: a literal made only of these may
# come from a value that is not a JSON string, so it gets no quote anchor.
_NON_STRING_CHARS = frozenset("0123456789.+-eEtrufalsn")
_FLOAT_CHARS = frozenset("0123456789.+-e")


# A needle whose "literal" starts with this mark is a prefilter *pattern* (a Hyperscan regex
# over the JSON text, :mod:`vigile.detection.json_regex`), stored as Latin-1 text.
PATTERN_MARK = "\x00re\x00"
# Patterns rank as literals of this length (after any good literal, before short ones).
PATTERN_LENGTH = MIN_LITERAL + 1


def pattern_needle(pattern: bytes) -> Needle:
    """A needle standing for a prefilter pattern."""
    return (PATTERN_MARK + pattern.decode("latin-1"), False, False)


def needle_pattern(needle: Needle) -> bytes | None:
    """The prefilter pattern of a pattern needle, ``None`` for a literal needle."""
    lit = needle[0]
    if lit.startswith(PATTERN_MARK):
        return lit[len(PATTERN_MARK) :].encode("latin-1")
    return None


def needle_text(needle: Needle) -> str:
    """The needle as searched in lower-cased JSON text (before JSON escaping of the literal):
    a value-start anchor is the opening quote of a JSON string, a value-end one the closing."""
    lit, start, end = needle
    return ('"' if start else "") + lit + ('"' if end else "")


@functools.cache
def _lower_targets() -> frozenset[str]:
    """Non-ASCII characters that ``str.lower`` produces from another character."""
    out: set[str] = set()
    for code in range(0x110000):
        ch = chr(code)
        low = ch.lower()
        if low != ch:
            out.update(c for c in low if not c.isascii())
    return frozenset(out)


def _ascii_needle(needle: Needle) -> Needle | None:
    """The longest run of the literal without a non-ASCII character that lower-casing can
    produce (the prefilter lower-cases text ASCII-only; ``str.lower`` of a non-ASCII character
    never gives ASCII except for two characters that the index detects separately), keeping
    anchors only at the literal's own ends."""
    lit, start, end = needle
    if lit.isascii():
        run, run_start, run_end = lit, start, end
    else:
        targets = _lower_targets()
        runs = "".join("\0" if c in targets else c for c in lit).split("\0")
        best = max(range(len(runs)), key=lambda i: len(runs[i]))
        run = runs[best]
        run_start = start and best == 0
        run_end = end and best == len(runs) - 1
    if not run or set(run) <= _FLOAT_CHARS:
        return None  # the text of a float (str(1e16) == "1e+16") may differ from its JSON
    if set(run) <= _NON_STRING_CHARS:
        run_start = run_end = False
    return (run, run_start, run_end)


def _too_short(needle: Needle) -> bool:
    """Shorter than :data:`MIN_LITERAL`, unless made only of rare punctuation."""
    if len(needle_text(needle).encode()) >= MIN_LITERAL:
        return False
    return selectivity(needle[0]) < MIN_LITERAL


def _usable(needles: Iterable[Needle | None] | None) -> Clause | None:
    if needles is None:
        return None
    out: set[Needle] = set()
    for needle in needles:
        if needle is None:
            return None
        usable = _ascii_needle(needle)
        if usable is None or _too_short(usable):
            if needle[0].isascii() or needle[0].startswith(PATTERN_MARK):
                return None
            # Non-ASCII letters: a pattern with their case variants (and the value's quotes).
            lit, start, end = needle
            quote_start, quote_end = (b'"' if start else b""), (b'"' if end else b"")
            usable = pattern_needle(quote_start + literal_pattern(lit) + quote_end)
        out.add(usable)
    return frozenset(out) if out else None


def _weak(clause: Clause) -> bool:
    """A clause too common or too short to index well (a regex's pattern is better)."""
    return any(needle_text(n) in COMMON_TEXT or selectivity(n[0]) < PATTERN_LENGTH for n in clause)


def required_clauses(node: Node, skip_fields: frozenset[str]) -> list[Clause]:
    """CNF clauses of required literals, most selective first; ``[]`` when none is known."""
    if isinstance(node, StrMatch):
        if node.field in skip_fields:
            return []
        clause = _usable(node.literals)
        return [clause] if clause is not None else []
    if isinstance(node, RegexMatch):
        if node.field in skip_fields:
            return []
        lits = regex_literals(node.regex.pattern, node.regex.flags)
        clause = _usable(None if lits is None else [(lit, False, False) for lit in lits])
        if clause is None or _weak(clause):
            pattern = regex_pattern(node.regex.pattern, node.regex.flags)
            if pattern is not None:
                return [frozenset({pattern_needle(pattern)})]
        return [clause] if clause is not None else []
    if isinstance(node, And):
        clauses: list[Clause] = []
        for child in node.children:
            clauses.extend(required_clauses(child, skip_fields))
        unique = sorted(set(clauses), key=lambda c: (score(c), sorted(c)), reverse=True)
        return unique[:MAX_CLAUSES]
    if isinstance(node, Or):
        union: set[Needle] = set()
        for child in node.children:
            sub = required_clauses(child, skip_fields)
            if not sub:
                return []
            union |= sub[0]
        return [frozenset(union)]
    return []


def cost(node: Node) -> int:
    """A rough evaluation cost (exact tests cheapest, regexes and keyword searches dearest)."""
    if isinstance(node, And | Or):
        return sum(cost(c) for c in node.children)
    if isinstance(node, Not):
        return cost(node.child)
    if isinstance(node, StrMatch):
        base = 50 if node.field is None else 1
        n_affix = len(node.prefixes) + len(node.suffixes)
        return base * (1 + (n_affix + 3) // 4 + len(node.contains) + 20 * len(node.regexes))
    if isinstance(node, RegexMatch):
        return (50 if node.field is None else 1) * 20
    return 2


def order_by_cost(node: Node) -> Node:
    """The same condition with the children of every AND/OR in increasing cost order, so that
    short-circuit evaluation tries cheap (and usually selective) tests first. AND/OR are
    commutative and matchers have no side effects: results are unchanged."""
    if isinstance(node, And | Or):
        children = sorted((order_by_cost(c) for c in node.children), key=cost)
        return And(children) if isinstance(node, And) else Or(children)
    if isinstance(node, Not):
        return Not(order_by_cost(node.child))
    return node


def strip_routed(node: Node, routed: frozenset[str]) -> Node:
    """Drop top-level conjuncts that only test routed fields (routing already checked them).

    Safe because routing admits an event only if its value is in the intersection of those
    conjuncts' value sets, which is exactly what each conjunct tests.
    """
    if not isinstance(node, And):
        return Const(True) if _only_routed(node, routed) else node
    kept = [c for c in node.children if not _only_routed(c, routed)]
    if len(kept) == len(node.children):
        return node
    if not kept:
        return Const(True)  # a pure routing rule: routing has checked everything
    return kept[0] if len(kept) == 1 else And(kept)


def _only_routed(node: Node, routed: frozenset[str]) -> bool:
    if isinstance(node, Or):
        fields = {getattr(c, "field", None) for c in node.children}
        if len(fields) != 1:
            return False
        node_field = fields.pop()
        return node_field in routed and all(_only_routed(c, routed) for c in node.children)
    field = getattr(node, "field", None)
    if field not in routed:
        return False
    return field_values(node, field) is not None
