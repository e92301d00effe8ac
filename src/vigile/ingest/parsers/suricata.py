"""Suricata EVE JSON: EVE's own (dotted) names, plus the names Sigma categories use.

Every EVE field stays as Suricata writes it (``src_ip``, ``dest_port``, ``alert.signature``,
``dns.rrname``, ``http.hostname`` …). On top, by ``event_type``: Sigma's firewall names
``dst_ip``/``dst_port`` for every event; for ``dns`` the ``dns`` category fields ``query``,
``record_type``, ``answer``; for ``http`` the ``proxy`` category (W3C-style) fields
``c-uri``, ``cs-host``, ``cs-method``, ``c-useragent``, ``sc-status``, ``cs-referrer``,
``c-uri-extension``. The log source is product ``suricata`` with that category.
"""

from __future__ import annotations

from typing import Any

from vigile.ingest.parsers.jsonlog import flatten, json_time, load_object
from vigile.ingest.parsers.model import Event, LogSource, ParseError, ParseOptions, finish

CATEGORIES = {"dns": "dns", "http": "proxy", "flow": "firewall", "netflow": "firewall"}
_COMMON = {"dest_ip": "dst_ip", "dest_port": "dst_port"}
_DNS = {
    "query": ("dns.rrname", "dns.queries.rrname"),
    "record_type": ("dns.rrtype", "dns.queries.rrtype"),
    "answer": ("dns.answers.rdata", "dns.rdata"),
}
_HTTP = {
    "c-uri": "http.url",
    "cs-host": "http.hostname",
    "cs-method": "http.http_method",
    "c-useragent": "http.http_user_agent",
    "sc-status": "http.status",
    "cs-referrer": "http.http_refer",
}


def _first(fields: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in fields:
            value = fields[name]
            # Suricata ≥ 7 lists queries; a single query reads as a plain value.
            return value[0] if isinstance(value, list) and len(value) == 1 else value
    return None


def _extension(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    last = url.split("?", 1)[0].rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[1] if "." in last else None


def precheck(obj: dict[str, Any]) -> None:
    """Refuse a decoded object that is not an EVE record (no ``event_type`` string)."""
    if not isinstance(obj.get("event_type"), str):
        raise ParseError("EVE record without event_type")


def from_object(obj: dict[str, Any], raw: bytes, options: ParseOptions) -> Event:
    """Normalise a decoded EVE record."""
    precheck(obj)
    event_type: str = obj["event_type"]
    fields = flatten(obj)
    for source, alias in _COMMON.items():
        if source in fields:
            fields[alias] = fields[source]
    if event_type == "dns":
        for alias, names in _DNS.items():
            if (value := _first(fields, names)) is not None:
                fields[alias] = value
    elif event_type == "http":
        for alias, name in _HTTP.items():
            if name in fields:
                fields[alias] = fields[name]
        if (ext := _extension(fields.get("http.url"))) is not None:
            fields["c-uri-extension"] = ext
    return finish(
        "suricata",
        fields,
        raw,
        options,
        timestamp=json_time(obj.get("timestamp"), options),
        host=obj.get("host"),
        logsource=LogSource("suricata", CATEGORIES.get(event_type)),
    )


def parse_suricata(raw: bytes, options: ParseOptions) -> Event:
    """Parse one EVE JSON line."""
    return from_object(load_object(raw), raw, options)
