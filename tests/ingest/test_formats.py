"""Each parser on real-world samples: Sigma field names, time, host, log source, raw kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.ingest import samples
from vigile.detection.engine import ruleset_from_yaml
from vigile.detection.flatten import flatten_event
from vigile.ingest.parsers.cef import parse_cef
from vigile.ingest.parsers.evtx import parse_evtx
from vigile.ingest.parsers.jsonlog import parse_json
from vigile.ingest.parsers.leef import parse_leef
from vigile.ingest.parsers.model import LogSource, ParseError, ParseOptions
from vigile.ingest.parsers.registry import PARSERS
from vigile.ingest.parsers.suricata import parse_suricata
from vigile.ingest.parsers.syslog import parse_syslog
from vigile.ingest.parsers.wazuh import parse_wazuh

NOW = datetime(2024, 3, 12, 10, 0, tzinfo=UTC)
OPTS = ParseOptions(received_at=NOW)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- syslog -------------------------------------------------------------------------------
def test_rfc5424_with_structured_data_and_bom() -> None:
    e = parse_syslog(samples.SYSLOG[0], OPTS)
    assert e.timestamp == datetime(2024, 3, 12, 8, 15, 42, 3000, tzinfo=UTC)
    assert e.host == "web01.corp.local"
    f = e.fields
    assert (f["facility"], f["severity"], f["priority"]) == ("local4", "notice", 165)
    assert (f["appname"], f["procid"], f["msgid"]) == ("nginx", "2211", "ACCESS")
    assert f["structured_data.origin.ip"] == "10.0.0.7"
    assert f["structured_data.meta.note"] == 'a "quoted" ] bracket'
    assert f["message"] == "GET /login 200"
    assert e.raw == samples.SYSLOG[0]


def test_rfc5424_nil_values() -> None:
    e = parse_syslog(samples.SYSLOG[1], OPTS)
    assert e.fields["message"] == "" and "procid" not in e.fields and "msgid" not in e.fields


def test_rfc3164_infers_year_and_maps_service() -> None:
    e = parse_syslog(samples.SYSLOG[2], OPTS)
    assert e.timestamp == utc(2024, 3, 12, 9, 15, 42)
    assert (e.host, e.fields["appname"], e.fields["procid"]) == ("web01", "sshd", "4242")
    assert e.logsource == LogSource("linux", None, "sshd")
    assert e.fields["message"].startswith("Failed password for invalid user admin")


def test_rfc3164_december_message_read_in_january_is_last_year() -> None:
    opts = ParseOptions(received_at=utc(2024, 1, 1, 0, 0, 5))
    e = parse_syslog(b"<13>Dec 31 23:59:58 h app: x", opts)
    assert e.timestamp == utc(2023, 12, 31, 23, 59, 58)


def test_rfc3164_local_time_zone() -> None:
    opts = ParseOptions(received_at=NOW, default_tz=timezone(timedelta(hours=1)))
    assert parse_syslog(samples.SYSLOG[2], opts).timestamp == utc(2024, 3, 12, 8, 15, 42)


def test_rfc3164_iso_timestamp_no_hostname_cisco_and_plain_lines() -> None:
    iso = parse_syslog(samples.SYSLOG[3], OPTS)
    assert iso.timestamp == datetime(2024, 3, 12, 8, 15, 42, 123456, tzinfo=UTC)
    assert iso.logsource == LogSource("linux", None, "sudo") and iso.host == "web01"
    nohost = parse_syslog(samples.SYSLOG[4], OPTS)
    assert nohost.host is None and nohost.fields["appname"] == "cron"
    assert nohost.timestamp == utc(2024, 3, 2, 7, 1, 2)
    asa = parse_syslog(samples.SYSLOG[5], OPTS)
    assert asa.timestamp == utc(2024, 3, 12, 9, 15, 42) and asa.host is None
    assert asa.fields["appname"] == "%ASA-6-302013"
    plain = parse_syslog(samples.SYSLOG[6], OPTS)
    assert (plain.fields["priority"], plain.host, plain.fields["appname"]) == (13, "db01", "kernel")


def test_syslog_without_timestamp_uses_received_time() -> None:
    e = parse_syslog(b"<13>just a message", OPTS)
    assert e.timestamp == NOW and e.fields["message"] == "just a message"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"<999>Mar 12 09:15:42 h a: x", "priority"),
        (b"<14>1 2024-03-12T08:15:42Z host", "fewer than 7"),
        (b"<14>1 not-a-time h a - - - m", "timestamp"),
        (b'<14>1 2024-03-12T08:15:42Z h a - - [id k="v" m', "unterminated"),
    ],
)
def test_syslog_errors(raw: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_syslog(raw, OPTS)


# -- CEF / LEEF ---------------------------------------------------------------------------
def test_cef_cisco_asa_behind_syslog_header() -> None:
    e = parse_cef(samples.CEF[0], OPTS)
    f = e.fields
    assert (f["deviceVendor"], f["deviceProduct"], f["deviceEventClassId"]) == (
        "Cisco",
        "ASA",
        "106023",
    )
    assert f["name"].endswith('by access-group "outside_in"')
    assert (f["src_ip"], f["dst_ip"], f["src_port"], f["dst_port"]) == (
        "203.0.113.9",
        "10.1.1.10",
        "51234",
        "445",
    )
    assert f["ACL"] == "outside_in"  # custom string under its label
    assert e.host == "asa-fw01" and e.timestamp == utc(2024, 3, 12, 9, 15, 42)
    assert e.logsource == LogSource("cisco")


def test_cef_escapes_and_values_with_spaces() -> None:
    e = parse_cef(samples.CEF[1], OPTS)
    f = e.fields
    assert f["name"] == "detected a | in message"
    assert f["act"] == "blocked a = sign"
    assert f["msg"] == "line1\nline2 c:\\temp"
    assert f["request"] == "https://example.com/a?b=c&d=e"
    assert e.timestamp == datetime(2024, 3, 12, 8, 15, 42, 417000, tzinfo=UTC)
    assert parse_cef(samples.CEF[2], OPTS).logsource == LogSource("fortigate")


def test_cef_errors() -> None:
    with pytest.raises(ParseError, match="CEF"):
        parse_cef(b"<13>Mar 12 09:15:42 h no marker", OPTS)
    with pytest.raises(ParseError, match="3 of 7"):
        parse_cef(b"CEF:0|a|b|c", OPTS)


def test_leef_1_tab_separated() -> None:
    e = parse_leef(samples.LEEF[0], OPTS)
    f = e.fields
    assert (f["leefVersion"], f["deviceVendor"], f["eventId"]) == ("1.0", "Microsoft", "15345")
    assert (f["usrName"], f["src_ip"], f["dst_port"]) == ("joe.black", "10.50.1.1", "21")
    assert e.host == "10.0.0.9"
    assert e.timestamp == datetime(2024, 3, 12, 8, 15, 42, 417000, tzinfo=UTC)


def test_leef_2_custom_and_hex_delimiters() -> None:
    caret = parse_leef(samples.LEEF[1], OPTS)
    assert caret.fields["url"] == "https://x.test/?a=b"  # '=' inside a value
    assert caret.timestamp == utc(2024, 3, 12, 9, 15, 42)  # via devTimeFormat
    tab = parse_leef(samples.LEEF[2], OPTS)
    assert (tab.fields["dst"], tab.fields["proto"]) == ("8.8.8.8", "udp")
    assert tab.logsource == LogSource("paloalto")


def test_leef_errors() -> None:
    with pytest.raises(ParseError, match="version"):
        parse_leef(b"LEEF:3.0|a|b|c|d|", OPTS)
    with pytest.raises(ParseError, match="delimiter"):
        parse_leef(b"LEEF:2.0|a|b|c|d|xyz|k=v", OPTS)


# -- Suricata / Wazuh / EVTX / JSON ------------------------------------------------------
def test_suricata_alert_keeps_eve_names_and_adds_network_aliases() -> None:
    e = parse_suricata(samples.SURICATA[0], OPTS)
    f = e.fields
    assert f["alert.signature_id"] == 2024897 and f["src_ip"] == "10.0.0.23"
    assert (f["dest_ip"], f["dst_ip"], f["dst_port"]) == ("198.51.100.7", "198.51.100.7", 80)
    assert e.logsource == LogSource("suricata") and e.host == "sensor-01"
    assert e.timestamp == datetime(2024, 3, 12, 8, 15, 42, 417264, tzinfo=UTC)


def test_suricata_dns_old_and_new_formats() -> None:
    old = parse_suricata(samples.SURICATA[1], OPTS)
    assert (old.fields["query"], old.fields["record_type"]) == ("xn--80ak6aa92e.com", "A")
    assert old.logsource == LogSource("suricata", "dns")
    new = parse_suricata(samples.SURICATA[2], OPTS)
    assert new.fields["query"] == "update.example.org"
    assert new.fields["answer"] == ["192.0.2.10", "192.0.2.11"]


def test_suricata_http_as_proxy_category() -> None:
    e = parse_suricata(samples.SURICATA[3], OPTS)
    f = e.fields
    assert (f["c-uri"], f["cs-host"], f["cs-method"], f["sc-status"]) == (
        "/dl/tool.ps1?x=1",
        "updates.example.net",
        "GET",
        200,
    )
    assert f["c-useragent"].endswith("WindowsPowerShell/5.1.17763.1")
    assert f["c-uri-extension"] == "ps1" and e.logsource == LogSource("suricata", "proxy")
    with pytest.raises(ParseError, match="event_type"):
        parse_suricata(b'{"src_ip": "1.2.3.4"}', OPTS)


def test_wazuh_sysmon_alert_gets_windows_field_names() -> None:
    e = parse_wazuh(samples.WAZUH_SYSMON, OPTS)
    f = e.fields
    assert f["EventID"] == 1 and f["Channel"] == "Microsoft-Windows-Sysmon/Operational"
    assert f["Provider_Name"] == "Microsoft-Windows-Sysmon"
    assert f["Computer"] == e.host == "WIN-WS07.corp.local"
    assert f["Image"].endswith("powershell.exe") and f["CommandLine"].startswith("powershell")
    assert f["ParentImage"].endswith("cmd.exe") and f["OriginalFileName"] == "PowerShell.EXE"
    assert f["rule.id"] == "92057" and f["agent.name"] == "WIN-WS07"
    assert e.logsource is None  # routed by Channel/EventID like EVTX
    assert e.timestamp == datetime(2024, 3, 12, 8, 15, 41, 954321, tzinfo=UTC)
    evtx = parse_evtx(samples.EVTX_SYSMON, OPTS).fields
    for name in ("EventID", "Channel", "Image", "CommandLine", "ParentImage", "User"):
        assert f[name] == evtx[name], name  # same names and values as native EVTX


def test_wazuh_other_alerts_stay_dotted() -> None:
    e = parse_wazuh(samples.WAZUH_SSHD, OPTS)
    assert e.fields["data.srcip"] == "203.0.113.9" and e.fields["rule.level"] == 5
    assert e.logsource == LogSource("wazuh", None, "sshd") and e.host == "web01"
    with pytest.raises(ParseError, match="rule"):
        parse_wazuh(b'{"agent": {}}', OPTS)


def test_evtx_uses_the_engine_flattening() -> None:
    e = parse_evtx(samples.EVTX_UNNAMED, OPTS)
    assert e.fields == flatten_event(__import__("orjson").loads(samples.EVTX_UNNAMED))
    assert e.fields["Data"][2] == "HostApplication=powershell -ep bypass"
    assert (e.host, e.fields["EventID"], e.logsource) == ("IEWIN7", 400, None)
    with pytest.raises(ParseError, match="Windows"):
        parse_evtx(b'{"foo": 1}', OPTS)


def test_json_nested_becomes_dotted() -> None:
    e = parse_json(samples.JSON[0], OPTS)
    f = e.fields
    assert f["userIdentity.type"] == "IAMUser" and f["requestParameters.userName"] == "bob"
    assert f["resources.type"] == ["AWS::IAM::User", "x"] and f["tags"] == ["a", "b"]
    assert e.timestamp == utc(2024, 3, 12, 8, 15, 41)
    flat = parse_json(samples.JSON[1], OPTS)
    assert flat.host == "app01" and flat.timestamp == datetime(
        2024, 3, 12, 8, 15, 42, 500000, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("raw", "reason", "offset"),
    [(b'{"a": 1,}', "trailing comma", 7), (b"[1, 2]", "JSON object", 0), (b"", "invalid", 0)],
)
def test_json_errors_have_reason_and_offset(raw: bytes, reason: str, offset: int) -> None:
    with pytest.raises(ParseError, match=reason) as info:
        parse_json(raw, OPTS)
    assert info.value.offset == offset


# -- the rules see what they expect --------------------------------------------------------
RULE = """
title: Encoded PowerShell
id: 00000000-0000-0000-0000-000000000001
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\\\powershell.exe'
    CommandLine|contains: ' -enc '
  condition: selection
level: high
"""


def test_sysmon_rule_fires_on_evtx_and_wazuh_alike() -> None:
    rules = ruleset_from_yaml([RULE])
    for raw, parser in ((samples.EVTX_SYSMON, parse_evtx), (samples.WAZUH_SYSMON, parse_wazuh)):
        event = parser(raw, OPTS)
        assert [r.title for r in rules.match(event.fields)] == ["Encoded PowerShell"]


# -- size cap -------------------------------------------------------------------------------
def test_oversized_text_record_is_cut_and_flagged() -> None:
    opts = ParseOptions(received_at=NOW, max_record_bytes=100)
    raw = b"<13>Mar 12 09:15:42 h app: " + b"A" * 1000
    e = parse_syslog(raw, opts)
    assert e.truncated and e.fields["vigile.truncated"] is True
    assert e.raw == raw[:100] and len(e.fields["message"]) < 100


def test_oversized_json_field_is_cut_and_flagged() -> None:
    opts = ParseOptions(received_at=NOW, max_record_bytes=1000, max_field_chars=50)
    e = parse_json(b'{"CommandLine": "' + b"x" * 5000 + b'"}', opts)
    assert e.truncated and e.fields["CommandLine"] == "x" * 50 and len(e.raw) == 1000
    assert not parse_json(b'{"a": "short"}', opts).truncated


def test_no_field_is_longer_than_its_record() -> None:
    # What lets finish() skip the field-cap loop for records within the cap.
    for name, group in samples.ALL.items():
        for raw in group:
            for value in PARSERS[name](raw, OPTS).fields.values():
                assert not isinstance(value, str) or len(value) <= len(raw), (name, value)


@pytest.mark.parametrize("limit", [16, 20, 40, 80])
def test_no_field_of_any_sample_exceeds_the_field_cap(limit: int) -> None:
    # Every parser's fields are cut to max_field_chars, whatever the record's size.
    opts = ParseOptions(received_at=NOW, max_field_chars=limit)
    for name, group in samples.ALL.items():
        for raw in group:
            event = PARSERS[name](raw, opts)
            longest = max((len(v) for v in event.fields.values() if isinstance(v, str)), default=0)
            assert longest <= limit, (name, longest)
            if longest == limit and any(
                isinstance(v, str) and len(v) > limit
                for v in PARSERS[name](raw, OPTS).fields.values()
            ):
                assert event.truncated


@pytest.mark.corpus
def test_evtx_file_records_parse(corpus_dir) -> None:
    from vigile.ingest.parsers.evtx import iter_evtx_file

    path = next((corpus_dir / "evtx").rglob("*.evtx"))
    events = [parse_evtx(raw, OPTS) for raw in iter_evtx_file(path)]
    assert events and all(e.host and "EventID" in e.fields for e in events)
