"""IBM QRadar LEEF 1.0 and 2.0, bare or after a syslog header.

``LEEF:1.0|Vendor|Product|Version|EventID|`` then tab-separated ``key=value`` attributes;
``LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|`` names the attribute delimiter: one
character, or its code as ``xHH``/``0xHH`` (``x09`` is a tab); absent or empty means tab.
Fields: ``leefVersion``, ``deviceVendor``, ``deviceProduct``, ``deviceVersion``,
``eventId``, the attributes, and Sigma's firewall names from ``src``, ``dst``, ``srcPort``,
``dstPort``. ``devTime`` is read with ``devTimeFormat`` (Java date pattern) when given.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from vigile.ingest.parsers.cef import (
    PRODUCTS,
    device_time,
    find_marker,
    network_aliases,
    prefix_header,
    split_header,
)
from vigile.ingest.parsers.model import Event, LogSource, ParseError, ParseOptions, cut_text, finish
from vigile.ingest.parsers.timestamps import aware

HEADER = ("deviceVendor", "deviceProduct", "deviceVersion", "eventId")
NETWORK = {"src": "src_ip", "dst": "dst_ip", "srcPort": "src_port", "dstPort": "dst_port"}
_HEX = re.compile(r"0?[xX]([0-9A-Fa-f]{2,4})")
# Java SimpleDateFormat tokens → strptime (longest first).
_JAVA = (
    ("yyyy", "%Y"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("hh", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSS", "%f"),
    ("a", "%p"),
    ("XXX", "%z"),
    ("Z", "%z"),
    ("z", "%Z"),
)
_JAVA_TOKEN = re.compile("|".join(re.escape(j) for j, _ in _JAVA))


def _delimiter(spec: str, offset: int) -> str:
    if spec in ("", "\t"):
        return "\t"
    if len(spec) == 1:
        return spec
    if (code := _HEX.fullmatch(spec)) is not None:
        char = chr(int(code[1], 16))
        if char:
            return char
    raise ParseError(f"invalid LEEF delimiter {spec[:10]!r}", offset)


def _java_time(value: str, pattern: str, options: ParseOptions) -> datetime | None:
    if len(pattern) > 64:
        return None
    mapping = dict(_JAVA)
    fmt = _JAVA_TOKEN.sub(lambda m: mapping[m[0]], pattern.replace("%", "%%"))
    try:
        return aware(datetime.strptime(value.strip(), fmt), options.default_tz).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def parse_leef(raw: bytes, options: ParseOptions) -> Event:
    """Parse one LEEF 1.0/2.0 record (optionally behind a syslog header)."""
    text, truncated = cut_text(raw, options)
    start = find_marker(text, "LEEF:")
    if start < 0:
        raise ParseError("no 'LEEF:' marker")
    bar = text.find("|", start)
    if bar < 0:
        raise ParseError("no LEEF version", start)
    version = text[start + 5 : bar]
    if version not in ("1.0", "2.0", "1", "2"):
        raise ParseError(f"unsupported LEEF version {version[:10]!r}", start + 5)
    header, end = split_header(text, bar + 1, 4)
    delimiter = "\t"
    if version.startswith("2"):
        # The delimiter field is optional: present if a '|' closes it before any '='.
        close = text.find("|", end)
        if close >= 0 and "=" not in text[end:close]:
            delimiter = _delimiter(text[end:close], end)
            end = close + 1
    fields: dict[str, Any] = {"leefVersion": version, **dict(zip(HEADER, header, strict=True))}
    for pair in text[end:].split(delimiter):
        key, eq, value = pair.partition("=")
        if eq and key.strip():
            fields[key.strip()] = value
    network_aliases(fields, NETWORK)
    when, host = prefix_header(text[:start], options)
    stamp = None
    dev_time = fields.get("devTime")
    if isinstance(dev_time, str):
        pattern = fields.get("devTimeFormat")
        stamp = _java_time(dev_time, pattern, options) if pattern else None
        stamp = stamp or device_time(dev_time, options)
    vendor = fields["deviceVendor"].strip().lower()
    return finish(
        "leef",
        fields,
        raw,
        options,
        timestamp=stamp or when,
        host=fields.get("identHostName") or host,
        logsource=LogSource(PRODUCTS.get(vendor, vendor or None)),
        truncated=truncated,
    )
