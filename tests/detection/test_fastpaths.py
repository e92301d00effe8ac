"""Shortcuts of the hot path give the same answers as the general code."""

from __future__ import annotations

import random
import re
from pathlib import Path

import orjson
import pytest
import re2

from vigile.detection.engine import RuleSet, _system_route, ruleset_from_yaml
from vigile.detection.event import EventView
from vigile.detection.flatten import flatten_event
from vigile.detection.index import canonical
from vigile.detection.matchers import Test
from vigile.detection.regex_literals import glob_parts, min_length, required_text
from vigile.detection.regexes import Regex
from vigile.scan.readers import InputError, WorkUnit, read_evtx


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (".{1000,}", 1000),
        ("(?i)abc|d", 1),
        ("a{,3}", 0),
        ("(?s)^.*$", 0),
        ("[[:alpha:]]x", 0),  # RE2 POSIX class: Python would read a set plus "]"
        (r"\pLx", 0),  # RE2-only syntax: no bound
    ],
)
def test_min_length(pattern: str, expected: int) -> None:
    assert min_length(pattern) == expected


@pytest.mark.parametrize("flags", ["", "i", "s", "m"])
@pytest.mark.parametrize(
    "pattern", [".{5,}", "ab.{2,}c", r"\d{3,}", "x|yz", "[[:digit:]]{2}", "^a.*b$"]
)
def test_regex_shortcuts_agree_with_re2(pattern: str, flags: str) -> None:
    full = f"(?{flags}){pattern}" if flags else pattern
    reference = re2.compile(full)
    regex = Regex(pattern, flags)
    texts = ["", "a", "abcd", "abcde", "ab\ncdef", "abc\ndefgh\n", "\n" * 6, "ab12c", "12", "yz"]
    for text in texts:
        assert regex.search(text) == (reference.search(text) is not None), (pattern, text)


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        (r"\w+`(?:\w+|-|.)`[\w+|\s]", "", (("`",), False)),
        (r"(?i)\$\{`?e`?n`?v\}", "", (("${",), True)),
        ("net\\s+User", "", (("User",), False)),
        ("(?si:Abc)XY", "", (("abc",), True)),  # a scoped flag folds the whole pattern
        ("(?-i:Abc)d", "", (("abc",), True)),  # conservative: any inline i
        ("Mask", "i", (("ma",), True)),  # k and s cut (Kelvin sign, long s)
        ("(?i)\u00e9t\u00e9", "", None),  # non-ASCII folded literal: no shortcut
        ("a?b*", "", None),
        (r"\pLabc", "", None),  # RE2-only syntax
    ],
)
def test_required_text(
    pattern: str, flags: str, expected: tuple[tuple[str, ...], bool] | None
) -> None:
    assert required_text(pattern, flags) == expected


@pytest.mark.parametrize("flags", ["", "i", "s"])
@pytest.mark.parametrize(
    "pattern",
    [
        r"\w+`(?:\w+|-|.)`[\w+|\s]",
        r"\$\{`?e`?n`?v\}",
        "net\\s+user",
        "(?i:Abc)XY",
        "mask|desk",
        "\u00e9t\u00e9",
        "Stra\u00dfe",
    ],
)
def test_required_literals_agree_with_re2(pattern: str, flags: str) -> None:
    full = f"(?{flags}){pattern}" if flags else pattern
    reference = re2.compile(full)
    regex = Regex(pattern, flags)
    texts = [
        "a`b`c",
        "A`B`C ",
        "${ENV}",
        "${e`n`v}",
        "NET  USER",
        "net user",
        "abcXY",
        "ABCXY",
        "ABCxy",
        "MA\u212aK",
        "DE\u017fK",
        "\u00c9T\u00c9",
        "\u00e9t\u00e9",
        "STRASSE",
        "stra\u00dfe",
        "\u0130abcXY",
    ]
    for text in texts:
        assert regex.search(text) == (reference.search(text) is not None), (pattern, text)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"^.*ipconfig.*\|.*find.*$", ("", "ipconfig", "|", "find", "")),
        ("^a.*b$", ("a", "b")),
        ("^a.b$", None),  # ``?`` wildcard: regex
        ("^ab$", None),
    ],
)
def test_glob_parts(pattern: str, expected: tuple[str, ...] | None) -> None:
    assert glob_parts(pattern, "s") == expected
    assert glob_parts(pattern, "is") is None


def test_globs_agree_with_re2() -> None:
    rng = random.Random(7)
    alphabet = "ab|\n."
    for _ in range(2000):
        parts = [
            "".join(rng.choices(alphabet, k=rng.randint(0, 2))) for _ in range(rng.randint(2, 5))
        ]
        pattern = "^" + ".*".join(re2.escape(p) for p in parts) + "$"
        assert glob_parts(pattern, "s") is not None
        regex, reference = Regex(pattern, "s"), re2.compile(f"(?s){pattern}")
        for _ in range(20):
            text = "".join(rng.choices(alphabet, k=rng.randint(0, 8)))
            assert regex.search(text) == (reference.search(text) is not None), (pattern, text)


_OLD_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\[u/]")


def test_canonical_matches_escape_regex() -> None:
    rng = random.Random(7)
    alphabet = [b"\\", b"u", b"/", b"a", b'"']
    for _ in range(20000):
        text = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        assert canonical(text) == (_OLD_ESCAPE.search(text) is None), text


def test_prefilter_pickles_its_database() -> None:
    import pickle

    from vigile.detection.prefilter import Prefilter

    pf = Prefilter([b"abc", b"def"], [3, 4])
    clone = pickle.loads(pickle.dumps(pf))
    assert sorted(clone.scan(b"xxdefabc")) == [3, 4]
    literals, ids, _, regex, rejected, cased = pf.__getstate__()
    broken = Prefilter.__new__(Prefilter)
    # Recompiled from the literals:
    broken.__setstate__((literals, ids, b"not a database", regex, rejected, cased))
    assert sorted(broken.scan(b"abc def")) == [3, 4]


def test_prefilter_cased_literals() -> None:
    from vigile.detection.prefilter import Prefilter

    # The first literal is matched as written, the others ASCII-caseless.
    pf = Prefilter([b"\\u", b"abc"], [1, 2], cased=1)
    assert sorted(pf.scan(b"\\U ABC")) == [2]
    assert sorted(pf.scan(b"\\u abc")) == [1, 2]


def test_regex_prefilter_pickles_and_drops_what_hyperscan_refuses() -> None:
    import pickle

    from vigile.detection.prefilter import Prefilter

    pf = Prefilter([rb"ab+c", rb"(a", rb"x\\d{2}"], [5, 6, 7], regex=True)
    assert pf.rejected == frozenset({6})
    clone = pickle.loads(pickle.dumps(pf))
    assert sorted(clone.scan(b"zzABBBC x\\dd")) == [5, 7]  # pattern 7: x, a backslash, dd
    assert clone.scan(b"ac") == []


def test_rare_punctuation_literals_are_indexed() -> None:
    from vigile.detection.analysis import required_clauses
    from vigile.detection.regex_literals import regex_literals

    assert regex_literals(r"\w+`(?:\w+|-|.)`[\w+|\s]", "") == frozenset({"`"})
    assert regex_literals(r"(?i)\$\{`?e`?n`?v\}", "") == frozenset({"${"})
    rs = ruleset_from_yaml([DOSFUSCATION])
    (rule,) = rs.rules
    assert required_clauses(rule.condition, frozenset()) == [
        frozenset({("^^", False, False), ("^|^", False, False)})
    ]
    event = {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
    assert rs.match({**event, "CommandLine": "c^^md"})
    assert not rs.match({**event, "CommandLine": "cmd"})


def test_and_or_children_ordered_by_cost() -> None:
    from vigile.detection.analysis import cost, order_by_cost

    rs = ruleset_from_yaml([DOSFUSCATION.replace("condition: sel", "condition: sel and img")])
    node = order_by_cost(rs.rules[0].condition)
    costs = [cost(c) for c in getattr(node, "children", [node])]
    assert costs == sorted(costs)


DOSFUSCATION = """
title: t
id: 00000000-0000-0000-0000-000000000002
level: high
logsource: {product: windows, category: process_creation}
detection:
    sel:
        CommandLine|contains: ['^^', '^|^']
    img:
        Image|endswith: '\\\\cmd.exe'
    condition: sel
"""


@pytest.mark.parametrize(
    "network", ["10.0.0.0/8", "192.168.1.0/24", "0.0.0.0/0", "fe80::/10", "::1/128", "10.1.2.3/32"]
)
def test_cidr_integer_test_agrees_with_ipaddress(network: str) -> None:
    import ipaddress

    from vigile.detection.matchers import Cidr

    node = Cidr("x", [network])
    net = ipaddress.ip_network(network, strict=False)
    rng = random.Random(network)
    texts = ["10.1.2.3", " 10.1.2.3 ", "fe80::1%eth0", "::ffff:10.0.0.1", "::1", "bad", "", "1.2.3"]
    texts += [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(200)]
    texts += [str(ipaddress.IPv6Address((0xFE80 << 112) | rng.getrandbits(64))) for _ in range(50)]
    for text in texts:
        try:
            ip = ipaddress.ip_address(text.strip())
            expected = ip.version == net.version and ip in net
        except ValueError:
            expected = False
        assert node._test(text) == expected, (network, text)


def test_ubiquitous_image_clauses_rank_below_rarer_literals() -> None:
    from vigile.detection.analysis import score

    image = frozenset({("\\cmd.exe", False, True)})
    cli = frozenset({("pester", False, False)})
    assert score(cli) > score(image)
    assert score(frozenset({("\\certutil.exe", False, True)})) > score(cli)


def _views_of_corpus(corpus_dir: Path, step: int) -> list[tuple[tuple[str, str | None], EventView]]:
    """(routing key, event view) of every ``step``-th corpus EVTX record."""
    out = []
    index = 0
    for path in sorted(corpus_dir.rglob("*.evtx")):
        try:
            texts = list(read_evtx(WorkUnit(str(path), "evtx")))
        except InputError:
            continue
        for raw in texts:
            index += 1
            if index % step:
                continue
            obj = orjson.loads(raw)
            key = _system_route(obj)
            if key is not None:
                out.append((key, EventView(flatten_event(obj))))
    return out


def test_compiled_conditions_equal_node_evaluation(
    corpus_ruleset: RuleSet, corpus_dir: Path
) -> None:
    """Every rule of each record's bucket (not only the prefilter's candidates), on a tenth of
    the corpus records: the compiled condition is truthy exactly when ``ev`` is true."""
    views = _views_of_corpus(corpus_dir, 10)
    assert len(views) > 1000
    compiled: dict[int, Test] = {}
    checked = matched = 0
    for key, view in views:
        for rule in corpus_ruleset._windows_bucket(*key).rules:
            test = compiled.get(rule.index)
            if test is None:
                test = compiled[rule.index] = rule.condition.compiled()
            expected = rule.condition.ev(view)
            assert bool(test(view)) == expected, (rule.title, view.fields)
            checked += 1
            matched += expected
    assert checked > 100_000 and matched > 50


HAND_MADE = [
    {"Image": ["C:\\a\\b.exe", "x"], "CommandLine": None, "ParentImage": 12},
    {"image": "C:\\Windows\\System32\\cmd.exe", "commandline": "cmd /c whoami"},
    {"Image": "C:\\Users\\Public\\x.exe", "CommandLine": "powershell -enc AAAA", "Data": ["a"]},
    {"TargetObject": {"#text": "HKLM\\Software"}, "Details": True, "EventID": 13},
]


def test_compiled_conditions_equal_node_evaluation_on_odd_values(corpus_ruleset: RuleSet) -> None:
    """Lists, nulls, numbers, booleans, #text values and other-case names, every rule."""
    for fields in HAND_MADE:
        for rule in corpus_ruleset.active_rules:
            view = EventView(fields)
            assert bool(rule.condition.compiled()(view)) == rule.condition.ev(view), rule.title


def test_string_and_regex_matchers_survive_pickling() -> None:
    """StrMatch restores every pickled attribute; a Regex compiles on its first search."""
    import pickle

    from vigile.detection.matchers import StrMatch

    node = StrMatch("CommandLine", cased=False)
    node.exact = frozenset({"a"})
    node.prefixes, node.suffixes, node.contains = ("b",), ("c",), ("d",)
    node.regexes = (Regex("x[0-9]+y", "i"),)
    node.any_value = True
    node.literals = (("a", True, True),)
    clone = pickle.loads(pickle.dumps(node))
    for name in StrMatch._STATE:
        assert getattr(clone, name) == getattr(node, name) or name == "regexes", name
    (regex,) = clone.regexes
    assert (regex.pattern, regex.flags) == ("x[0-9]+y", "i")
    assert regex.search("-X12Y-") and not regex.search("x y")
    assert regex.search("aX1Y")  # compiled once, then reused


def test_folded_names_are_shared_by_kind_not_by_values() -> None:
    from vigile.detection import event as event_module
    from vigile.detection.event import MISSING

    first = EventView({"Image": "a.exe", "image": "b.exe", "CommandLine": "x"})
    second = EventView({"Image": "c.exe", "image": "d.exe", "CommandLine": "y"})
    # Other-case look-ups take the first field of that name, each event its own value.
    assert first.get("IMAGE") == "a.exe" and second.get("IMAGE") == "c.exe"
    assert first.get("commandline") == "x" and second.get("COMMANDLINE") == "y"
    assert first.get("Missing") is MISSING
    key = ("Image", "image", "CommandLine")
    assert event_module._FOLDED[key] == {"image": "Image", "commandline": "CommandLine"}
    # A bounded cache: full, it starts again rather than growing.
    for n in range(event_module._FOLDED_MAX + 10):
        EventView({f"F{n}": 1}).get("other")
    assert len(event_module._FOLDED) <= event_module._FOLDED_MAX
    assert EventView({"Image": "e.exe", "image": "f", "CommandLine": ""}).get("IMAGE") == "e.exe"


def test_remembered_candidates_equal_computed_ones(corpus_ruleset: RuleSet) -> None:
    """A bucket's remembered candidates of a hit set are those computed afresh, in whatever
    order the needles were found; the memory is bounded and not pickled."""
    import pickle

    from vigile.detection import index

    rng = random.Random(11)
    buckets = [b for b in corpus_ruleset._buckets.values() if b.by_literal]
    assert buckets
    for bucket in buckets[:40]:
        ids = sorted(bucket.by_literal)
        for _ in range(30):
            hits = rng.sample(ids, min(len(ids), rng.randint(1, 6)))
            expected = bucket._candidates_of(hits)
            assert bucket._from_hits(hits) == expected
            rng.shuffle(hits)
            assert bucket._from_hits(hits) == expected  # remembered, any order
    bucket = buckets[0]
    assert bucket._memo
    assert pickle.loads(pickle.dumps(bucket))._memo == {}
    ids = sorted(bucket.by_literal)
    for n in range(index.MEMO_MAX + 5):
        bucket._from_hits([ids[n % len(ids)], n + 10_000_000])
    assert len(bucket._memo) <= index.MEMO_MAX
