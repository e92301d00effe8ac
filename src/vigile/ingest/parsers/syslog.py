"""Syslog: RFC 5424 (with structured data) and RFC 3164 with its real-world variants.

RFC 3164 as found in the wild: the year is missing (inferred, see ``timestamps.from_bsd``) or
present (Cisco), the time may have fractions or be a full ISO timestamp (rsyslog's
high-precision format), the hostname may be missing (``<13>Feb 14 19:04:54 sshd[12]: …``), the
priority may be missing (a plain log-file line: facility user, severity notice, as RFC 3164
§4.3.3 says). Fields: ``facility``, ``severity`` (names), ``priority``, ``hostname``,
``appname``, ``procid``, ``msgid``, ``message``, and RFC 5424 structured data as
``structured_data.<SD-ID>.<PARAM>``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from vigile.ingest.parsers.model import Event, LogSource, ParseError, ParseOptions, cut_text, finish
from vigile.ingest.parsers.timestamps import from_bsd, match_bsd, parse_iso

FACILITIES = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
]
SEVERITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
_PRI = re.compile(r"<(\d{1,3})>")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?")
_TAG = re.compile(r"([^\s\[\]:]{1,64})(?:\[([^\]\s]{0,32})\])?:(?:\s|$)")
_SD_PARAM = re.compile(r' ([^\s="\]]{1,32})="((?:[^"\\]|\\.)*)"')
_SD_ESCAPE = re.compile(r"\\([\"\\\]])")
# Linux programs with a Sigma service of their own (logsource product linux).
_SERVICES = {"sshd": "sshd", "sudo": "sudo", "cron": "cron", "crond": "cron", "vsftpd": "vsftpd"}
_SERVICES |= {"clamd": "clamav", "freshclam": "clamav", "guacd": "guacamole"}


def _pri(text: str) -> tuple[int | None, int]:
    match = _PRI.match(text)
    if match is None:
        return None, 0
    pri = int(match[1])
    if pri > 191:
        raise ParseError(f"priority {pri} out of range", 1)
    return pri, match.end()


def _base_fields(pri: int | None) -> dict[str, Any]:
    pri = 13 if pri is None else pri
    return {"priority": pri, "facility": FACILITIES[pri >> 3], "severity": SEVERITIES[pri & 7]}


def _structured_data(text: str, pos: int, fields: dict[str, Any]) -> int:
    """Parse ``[id k="v"…]…`` at ``pos`` into ``fields``; return where the message starts."""
    if text.startswith("-", pos):
        return pos + 1
    while text.startswith("[", pos):
        end_id = pos + 1
        while end_id < len(text) and text[end_id] not in ' ]"=':
            end_id += 1
        sd_id = text[pos + 1 : end_id]
        if not sd_id or end_id - pos > 33:
            raise ParseError("invalid SD-ID", pos)
        pos = end_id
        while (param := _SD_PARAM.match(text, pos)) is not None:
            key = f"structured_data.{sd_id}.{param[1]}"
            fields[key] = _SD_ESCAPE.sub(r"\1", param[2])
            pos = param.end()
        if not text.startswith("]", pos):
            raise ParseError("unterminated structured data element", pos)
        pos += 1
    if pos < len(text) and text[pos] != " ":
        raise ParseError("expected structured data or '-'", pos)
    return pos


def _rfc5424(text: str, pos: int, fields: dict[str, Any], options: ParseOptions) -> datetime | None:
    parts = text[pos:].split(" ", 5)
    if len(parts) < 6:
        raise ParseError("RFC 5424 header has fewer than 7 fields", len(text))
    stamp, host, app, procid, msgid, _ = parts
    when = None if stamp == "-" else parse_iso(stamp, options.default_tz, pos)
    for key, value in (("hostname", host), ("appname", app), ("procid", procid)):
        if value != "-":
            fields[key] = value
    if msgid != "-":
        fields["msgid"] = msgid
    msg_start = pos + sum(len(p) + 1 for p in parts[:5])
    after_sd = _structured_data(text, msg_start, fields)
    message = text[after_sd + 1 :] if after_sd < len(text) else ""
    fields["message"] = message.removeprefix("\ufeff")  # the BOM RFC 5424 allows before MSG
    return when


def _rfc3164(text: str, pos: int, fields: dict[str, Any], options: ParseOptions) -> datetime | None:
    when: datetime | None = None
    if (iso := _ISO.match(text, pos)) is not None:
        when = parse_iso(iso[0], options.default_tz, pos)
        pos = iso.end()
    elif (bsd := match_bsd(text, pos)) is not None:
        when = from_bsd(bsd, options.received_at, options.default_tz, pos)
        pos = bsd.end()
        if text.startswith(":", pos):  # Cisco: "Feb 14 2024 19:04:54: %ASA-…"
            pos += 1
    rest = text[pos:].lstrip(" ")
    if when is not None and rest and _TAG.match(rest) is None:
        host, _, after = rest.partition(" ")
        fields["hostname"] = host
        rest = after.lstrip(" ")
    if (tag := _TAG.match(rest)) is not None:
        fields["appname"] = tag[1]
        if tag[2]:
            fields["procid"] = tag[2]
        rest = rest[tag.end() :]
    fields["message"] = rest
    return when


def parse_syslog_text(text: str, options: ParseOptions) -> tuple[dict[str, Any], datetime | None]:
    """Fields and timestamp of one syslog line (RFC 5424 or 3164, detected)."""
    pri, pos = _pri(text)
    fields = _base_fields(pri)
    if pri is not None and len(text) > pos + 1 and text[pos] in "123" and text[pos + 1] == " ":
        fields["version"] = int(text[pos])
        return fields, _rfc5424(text, pos + 2, fields, options)
    return fields, _rfc3164(text, pos, fields, options)


def logsource_for(fields: dict[str, Any]) -> LogSource:
    """Sigma's Linux log source: a service for known programs, else auth or syslog."""
    app = str(fields.get("appname", "")).lower()
    if app in _SERVICES:
        return LogSource("linux", None, _SERVICES[app])
    if fields["facility"] in ("auth", "authpriv"):
        return LogSource("linux", None, "auth")
    return LogSource("linux", None, "syslog")


def parse_syslog(raw: bytes, options: ParseOptions) -> Event:
    """Parse one syslog message (framing already removed by the receiver)."""
    text, truncated = cut_text(raw, options)
    if not text.strip():
        raise ParseError("empty syslog message")
    fields, when = parse_syslog_text(text, options)
    return finish(
        "syslog",
        fields,
        raw,
        options,
        timestamp=when,
        host=fields.get("hostname"),
        logsource=logsource_for(fields),
        truncated=truncated,
    )
