"""ArcSight CEF, bare or after a syslog header.

``[syslog header ]CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|
Severity|Extension``. In the header ``\\|`` and ``\\\\`` are escapes; in the extension ``\\=``,
``\\\\``, ``\\n`` and ``\\r``. An extension value runs up to the next `` key=`` (a space, a key,
an unescaped equals sign), so values may hold spaces. Fields: the header as ``cefVersion``,
``deviceVendor``, ``deviceProduct``, ``deviceVersion``, ``deviceEventClassId``, ``name``,
``severity``; extension keys as sent; each ``csN``/``cnN``/``flexString…`` value also under its
``…Label`` name; and Sigma's firewall names ``src_ip``, ``dst_ip``, ``src_port``,
``dst_port`` from ``src``, ``dst``, ``spt``, ``dpt``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from vigile.ingest.parsers.model import Event, LogSource, ParseError, ParseOptions, cut_text, finish
from vigile.ingest.parsers.syslog import parse_syslog_text
from vigile.ingest.parsers.timestamps import from_bsd, match_bsd, parse_epoch, parse_iso

HEADER = (
    "cefVersion",
    "deviceVendor",
    "deviceProduct",
    "deviceVersion",
    "deviceEventClassId",
    "name",
    "severity",
)
_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z0-9_.\[\]-]{1,64})=")
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n", "r": "\r"}
NETWORK = {"src": "src_ip", "dst": "dst_ip", "spt": "src_port", "dpt": "dst_port"}
# Vendor names as Sigma spells the product (others: the vendor in lower case).
PRODUCTS = {"fortinet": "fortigate", "palo alto networks": "paloalto", "cisco": "cisco"}


def find_marker(text: str, marker: str) -> int:
    """Position of ``CEF:``/``LEEF:`` at the start or after a space, else -1."""
    pos = text.find(marker)
    while pos > 0 and not text[pos - 1].isspace():
        pos = text.find(marker, pos + 1)
    return pos


def split_header(text: str, start: int, count: int) -> tuple[list[str], int]:
    """``count`` pipe-separated header fields (``\\|``, ``\\\\`` escaped) from ``start``."""
    parts: list[str] = []
    current: list[str] = []
    i = start
    while len(parts) < count:
        if i >= len(text):
            raise ParseError(f"header has {len(parts)} of {count} fields", i)
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "|\\":
            current.append(text[i + 1])
            i += 2
            continue
        if ch == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    return parts, i


def _unescape(value: str) -> str:
    return _UNESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), value)


def parse_extension(text: str) -> dict[str, str]:
    """``key=value`` pairs, values running up to the next `` key=``."""
    out: dict[str, str] = {}
    keys = list(_KEY.finditer(text))
    for i, match in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(text)
        out[match[1]] = _unescape(text[match.end() : end].rstrip())
    return out


def _labels(ext: dict[str, str], fields: dict[str, Any]) -> None:
    for key, value in ext.items():
        label = ext.get(f"{key}Label")
        if label and not key.endswith("Label") and label not in fields:
            fields[label] = value


def device_time(value: str | None, options: ParseOptions) -> datetime | None:
    """CEF/LEEF device times: epoch ms, ``MMM dd [yyyy] HH:mm:ss[.SSS]`` or ISO 8601."""
    if not value:
        return None
    value = value.strip()
    try:
        if value.isdigit():
            return parse_epoch(int(value))
        if (bsd := match_bsd(value)) is not None:
            return from_bsd(bsd, options.received_at, options.default_tz)
        return parse_iso(value, options.default_tz)
    except ParseError:
        return None  # an unreadable device time is not worth rejecting the event


def prefix_header(text: str, options: ParseOptions) -> tuple[datetime | None, Any]:
    """Timestamp and host of the syslog header before the ``CEF:``/``LEEF:`` payload."""
    if not text.strip():
        return None, None
    fields, when = parse_syslog_text(text.strip(), options)
    return when, fields.get("hostname") or fields.get("appname")


def network_aliases(fields: dict[str, Any], names: dict[str, str]) -> None:
    """Add Sigma's network field names next to the vendor's."""
    for source, alias in names.items():
        if source in fields and alias not in fields:
            fields[alias] = fields[source]


def parse_cef(raw: bytes, options: ParseOptions) -> Event:
    """Parse one CEF record (optionally behind a syslog header)."""
    text, truncated = cut_text(raw, options)
    start = find_marker(text, "CEF:")
    if start < 0:
        raise ParseError("no 'CEF:' marker")
    header, end = split_header(text, start + 4, 7)
    fields: dict[str, Any] = dict(zip(HEADER, header, strict=True))
    ext = parse_extension(text[end:])
    fields.update(ext)
    _labels(ext, fields)
    network_aliases(fields, NETWORK)
    when, host = prefix_header(text[:start], options)
    stamp = device_time(ext.get("rt") or ext.get("end") or ext.get("start"), options)
    vendor = fields["deviceVendor"].strip().lower()
    return finish(
        "cef",
        fields,
        raw,
        options,
        timestamp=stamp or when,
        host=ext.get("dvchost") or ext.get("dvc") or host,
        logsource=LogSource(PRODUCTS.get(vendor, vendor or None)),
        truncated=truncated,
    )
