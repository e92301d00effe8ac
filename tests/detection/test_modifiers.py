"""One positive and one negative case per value modifier and value type."""

from __future__ import annotations

import base64

import pytest

from tests.detection.conftest import RULE_TEMPLATE
from vigile.detection.engine import RuleSet, ruleset_from_yaml

CASES = [
    # (detection, event, expected)
    (
        "sel:\n    Image: 'C:\\Windows\\cmd.exe'\ncondition: sel",
        {"Image": "c:\\windows\\CMD.EXE"},
        True,
    ),
    (
        "sel:\n    Image: 'C:\\Windows\\cmd.exe'\ncondition: sel",
        {"Image": "C:\\Windows\\cmd.exe2"},
        False,
    ),
    ("sel:\n    Image|cased: 'cmd.exe'\ncondition: sel", {"Image": "cmd.exe"}, True),
    ("sel:\n    Image|cased: 'cmd.exe'\ncondition: sel", {"Image": "CMD.exe"}, False),
    ("sel:\n    Image|contains: 'WINDOWS'\ncondition: sel", {"Image": "c:\\windows\\x"}, True),
    ("sel:\n    Image|contains: 'temp'\ncondition: sel", {"Image": "c:\\windows\\x"}, False),
    ("sel:\n    Image|startswith: 'c:\\win'\ncondition: sel", {"Image": "C:\\Windows\\x"}, True),
    ("sel:\n    Image|startswith: 'win'\ncondition: sel", {"Image": "C:\\Windows\\x"}, False),
    ("sel:\n    Image|endswith: '\\x.EXE'\ncondition: sel", {"Image": "C:\\Windows\\x.exe"}, True),
    (
        "sel:\n    Image|endswith: '\\x.exe'\ncondition: sel",
        {"Image": "C:\\Windows\\yx.exe"},
        False,
    ),
    (
        "sel:\n    CommandLine|contains|all:\n        - ' -a'\n        - ' -b'\ncondition: sel",
        {"CommandLine": "tool -b -a"},
        True,
    ),
    (
        "sel:\n    CommandLine|contains|all:\n        - ' -a'\n        - ' -b'\ncondition: sel",
        {"CommandLine": "tool -a"},
        False,
    ),
    ("sel:\n    CommandLine: 'a*c?e'\ncondition: sel", {"CommandLine": "ABBBCDE"}, True),
    ("sel:\n    CommandLine: 'a*c?e'\ncondition: sel", {"CommandLine": "abbbcde!"}, False),
    ("sel:\n    CommandLine: 'a*b'\ncondition: sel", {"CommandLine": "a\nxb"}, True),
    ("sel:\n    CommandLine: 'a\\*b'\ncondition: sel", {"CommandLine": "a*b"}, True),
    ("sel:\n    CommandLine: 'a\\*b'\ncondition: sel", {"CommandLine": "axb"}, False),
    ("sel:\n    CommandLine: 'a\\?b'\ncondition: sel", {"CommandLine": "axb"}, False),
    ("sel:\n    CommandLine|re: 'a[0-9]+b'\ncondition: sel", {"CommandLine": "xxa123bxx"}, True),
    ("sel:\n    CommandLine|re: 'a[0-9]+b'\ncondition: sel", {"CommandLine": "A123B"}, False),
    ("sel:\n    CommandLine|re|i: 'a[0-9]+b'\ncondition: sel", {"CommandLine": "A123B"}, True),
    ("sel:\n    CommandLine|re|m: '^b$'\ncondition: sel", {"CommandLine": "a\nb\nc"}, True),
    ("sel:\n    CommandLine|re: '^b$'\ncondition: sel", {"CommandLine": "a\nb\nc"}, False),
    ("sel:\n    CommandLine|re|s: 'a.b'\ncondition: sel", {"CommandLine": "a\nb"}, True),
    ("sel:\n    CommandLine|re: 'a.b'\ncondition: sel", {"CommandLine": "a\nb"}, False),
    (
        "sel:\n    CommandLine|base64: 'secret'\ncondition: sel",
        {"CommandLine": base64.b64encode(b"secret").decode()},
        True,
    ),
    ("sel:\n    CommandLine|base64: 'secret'\ncondition: sel", {"CommandLine": "secret"}, False),
    (
        "sel:\n    CommandLine|base64offset|contains: 'http'\ncondition: sel",
        {"CommandLine": "x " + base64.b64encode(b"zhttp://").decode()},
        True,
    ),
    (
        "sel:\n    CommandLine|base64offset|contains: 'http'\ncondition: sel",
        {"CommandLine": base64.b64encode(b"ftp://").decode()},
        False,
    ),
    (
        "sel:\n    CommandLine|wide|base64offset|contains: 'ab'\ncondition: sel",
        {"CommandLine": base64.b64encode("xab".encode("utf-16le")).decode()},
        True,
    ),
    (
        "sel:\n    CommandLine|wide|base64: 'ab'\ncondition: sel",
        {"CommandLine": base64.b64encode("ab".encode("utf-16le")).decode()},
        True,
    ),
    (
        "sel:\n    CommandLine|utf16be|base64: 'ab'\ncondition: sel",
        {"CommandLine": base64.b64encode("ab".encode("utf-16be")).decode()},
        True,
    ),
    (
        "sel:\n    CommandLine|utf16be|base64: 'ab'\ncondition: sel",
        {"CommandLine": base64.b64encode("ab".encode("utf-16le")).decode()},
        False,
    ),
    (
        "sel:\n    CommandLine|windash|contains: ' -enc '\ncondition: sel",
        {"CommandLine": "p /enc x"},
        True,
    ),
    (
        "sel:\n    CommandLine|windash|contains: ' -enc '\ncondition: sel",
        {"CommandLine": "p \u2015enc x"},
        True,
    ),
    (
        "sel:\n    CommandLine|windash|contains: ' -enc '\ncondition: sel",
        {"CommandLine": "p +enc x"},
        False,
    ),
    (
        "sel:\n    DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel",
        {"DestinationIp": "10.2.3.4"},
        True,
    ),
    (
        "sel:\n    DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel",
        {"DestinationIp": "11.2.3.4"},
        False,
    ),
    (  # several networks (one merged test): any of them
        "sel:\n    DestinationIp|cidr:\n        - '10.0.0.0/8'\n        - '192.168.0.0/16'\n"
        "condition: sel",
        {"DestinationIp": "192.168.1.5"},
        True,
    ),
    (
        "sel:\n    DestinationIp|cidr:\n        - '10.0.0.0/8'\n        - '192.168.0.0/16'\n"
        "condition: sel",
        {"DestinationIp": "11.0.0.1"},
        False,
    ),
    (  # OR across selections, negated
        "a:\n    DestinationIp|cidr: '10.0.0.0/8'\nb:\n    DestinationIp|cidr: '::1/128'\n"
        "condition: not (a or b)",
        {"DestinationIp": "::1"},
        False,
    ),
    (
        "a:\n    DestinationIp|cidr: '10.0.0.0/8'\nb:\n    DestinationIp|cidr: '::1/128'\n"
        "condition: not (a or b)",
        {"DestinationIp": "8.8.8.8"},
        True,
    ),
    (
        "sel:\n    DestinationIp|cidr: 'fe80::/10'\ncondition: sel",
        {"DestinationIp": "fe80::1"},
        True,
    ),
    ("sel:\n    Size|lt: 10\ncondition: sel", {"Size": 9}, True),
    ("sel:\n    Size|lt: 10\ncondition: sel", {"Size": "10"}, False),
    ("sel:\n    Size|lte: 10\ncondition: sel", {"Size": "10"}, True),
    ("sel:\n    Size|gt: 10\ncondition: sel", {"Size": 11}, True),
    ("sel:\n    Size|gt: 10\ncondition: sel", {"Size": "abc"}, False),
    ("sel:\n    Size|gte: 10\ncondition: sel", {"Size": 10}, True),
    ("sel:\n    Size|gte: 10\ncondition: sel", {"Size": 9}, False),
    ("sel:\n    Hashes|exists: true\ncondition: sel", {"Hashes": ""}, True),
    ("sel:\n    Hashes|exists: true\ncondition: sel", {"Other": "x"}, False),
    ("sel:\n    Hashes|exists: false\ncondition: sel", {"Other": "x"}, True),
    ("sel:\n    Hashes|exists: false\ncondition: sel", {"Hashes": "x"}, False),
    (
        "sel:\n    Image|fieldref: ParentImage\ncondition: sel",
        {"Image": "A.exe", "ParentImage": "a.EXE"},
        True,
    ),
    (
        "sel:\n    Image|fieldref: ParentImage\ncondition: sel",
        {"Image": "a.exe", "ParentImage": "b.exe"},
        False,
    ),
    (  # a list value (unnamed Data): any element
        "sel:\n    Image|fieldref: ParentImage\ncondition: sel",
        {"Image": ["b.exe", "A.exe"], "ParentImage": "a.EXE"},
        True,
    ),
    (
        "sel:\n    Image|fieldref: ParentImage\ncondition: sel",
        {"Image": ["b.exe", "c.exe"], "ParentImage": "a.exe"},
        False,
    ),
    (
        "sel:\n    Image|fieldref|endswith: ParentImage\ncondition: sel",
        {"Image": "x\\a.exe", "ParentImage": "a.exe"},
        True,
    ),
    ("sel:\n    ParentImage: null\ncondition: sel", {"Image": "x"}, True),
    ("sel:\n    ParentImage: null\ncondition: sel", {"ParentImage": None}, True),
    ("sel:\n    ParentImage: null\ncondition: sel", {"ParentImage": "x"}, False),
    ("sel:\n    ParentImage: ''\ncondition: sel", {"ParentImage": ""}, True),
    ("sel:\n    ParentImage: ''\ncondition: sel", {"ParentImage": "x"}, False),
    ("sel:\n    Image: '*'\ncondition: sel", {"Image": "x"}, True),
    ("sel:\n    Image: '*'\ncondition: sel", {"Other": "x"}, False),
]


@pytest.mark.parametrize(("detection", "event", "expected"), CASES)
def test_value_modifiers(matches, detection, event, expected) -> None:
    assert matches(detection, event) is expected


def _security_rule(value: str) -> RuleSet:
    text = RULE_TEMPLATE.format(detection=f"    sel:\n        EventID: {value}\n    condition: sel")
    return ruleset_from_yaml([text.replace("category: process_creation", "service: security")])


def test_numbers_match_int_and_string() -> None:
    number, string = _security_rule("4688"), _security_rule("'4688'")
    for rs in (number, string):
        assert rs.match({"Channel": "Security", "EventID": 4688})
        assert rs.match({"Channel": "Security", "EventID": "4688"})
        assert not rs.match({"Channel": "Security", "EventID": 4689})
        assert not rs.match({"Channel": "System", "EventID": 4688})


def test_list_is_or_and_map_is_and(matches) -> None:
    det = (
        "sel:\n    Image|endswith:\n        - '\\a.exe'\n        - '\\b.exe'\n"
        "    User: bob\ncondition: sel"
    )
    assert matches(det, {"Image": "c:\\b.exe", "User": "BOB"})
    assert not matches(det, {"Image": "c:\\c.exe", "User": "bob"})
    assert not matches(det, {"Image": "c:\\a.exe", "User": "alice"})


def test_unnamed_data_list(matches) -> None:
    det = "sel:\n    Data|contains: 'HostApplication=powershell'\ncondition: sel"
    assert matches(det, {"Data": ["Started", "HostApplication=PowerShell -x"]})
    assert not matches(det, {"Data": ["Started", "HostApplication=cmd"]})


def test_expand_placeholder_values(matches) -> None:
    det = "sel:\n    Computer|expand: '%dcs%'\ncondition: sel"
    assert matches(det, {"Computer": "DC2"}, {"dcs": ["dc1", "dc2"]})
    assert not matches(det, {"Computer": "WS1"}, {"dcs": ["dc1", "dc2"]})


def test_field_names_case_sensitive_first(matches) -> None:
    # Sysmon ProcessId and System ProcessID are two fields: the exact name wins.
    det = "sel:\n    ProcessId: 10\ncondition: sel"
    assert matches(det, {"ProcessId": 10, "ProcessID": 20})
    assert not matches(det, {"ProcessId": 11, "ProcessID": 10})
    # With no field of that exact name, the other-case field is used.
    assert matches(det, {"processid": 10})
