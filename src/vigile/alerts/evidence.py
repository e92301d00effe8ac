"""Matching events as evidence: canonical JSON, content hash, assets, deduplication key. Pure.

The content hash is the SHA-256 of the canonical JSON of an event (keys sorted at every depth,
no insignificant whitespace, UTF-8), so the same event always gets the same hash.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

# Field names (compared case-insensitively, dotted paths for nested objects) that name assets,
# in order of preference: Windows/Sysmon, ECS, CEF/LEEF and common syslog/JSON spellings.
HOST_FIELDS = (
    "computer",
    "computername",
    "host.name",
    "host.hostname",
    "hostname",
    "host",
    "devicename",
    "dvchost",
    "workstationname",
    "workstation",
)
USER_FIELDS = (
    "targetusername",
    "subjectusername",
    "user",
    "username",
    "user.name",
    "accountname",
    "samaccountname",
    "suser",
    "duser",
)
IP_FIELDS = (
    "ipaddress",
    "sourceip",
    "sourceaddress",
    "destinationip",
    "destaddress",
    "source.ip",
    "destination.ip",
    "client.ip",
    "clientip",
    "src_ip",
    "dest_ip",
    "src",
    "dst",
    "host.ip",
)
_EMPTY = {"", "-", "n/a", "null", "none"}


@dataclass(frozen=True)
class Assets:
    """Hosts, user accounts and IP addresses named by the matching events, in order seen."""

    hosts: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        return {"hosts": list(self.hosts), "users": list(self.users), "ips": list(self.ips)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Iterable[str]]) -> Assets:
        return cls(
            hosts=tuple(data.get("hosts", ())),
            users=tuple(data.get("users", ())),
            ips=tuple(data.get("ips", ())),
        )

    def merge(self, other: Assets) -> Assets:
        return Assets(
            hosts=_union(self.hosts, other.hosts),
            users=_union(self.users, other.users),
            ips=_union(self.ips, other.ips),
        )


def canonical_json(event: Mapping[str, Any]) -> str:
    """The canonical JSON text of an event (sorted keys at every depth, compact)."""
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def content_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``event``."""
    return hashlib.sha256(canonical_json(event).encode()).hexdigest()


def flatten(event: Mapping[str, Any]) -> dict[str, Any]:
    """Lower-cased dotted keys to scalar values (``{"host": {"name": x}}`` → ``host.name``)."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}.{key}".lower() if prefix else str(key).lower(), inner)
        else:
            flat.setdefault(prefix, value)

    walk("", event)
    return flat


def extract_assets(events: Iterable[Mapping[str, Any]]) -> Assets:
    """Hosts, users and IPs named by ``events`` (values normalised, duplicates dropped)."""
    hosts: list[str] = []
    users: list[str] = []
    ips: list[str] = []
    for event in events:
        flat = flatten(event)
        hosts += _values(flat, HOST_FIELDS, _host)
        users += _values(flat, USER_FIELDS, _text)
        ips += _values(flat, IP_FIELDS, _ip)
    return Assets(hosts=_union((), hosts), users=_union((), users), ips=_union((), ips))


def dedup_key(rule_id: str, event: Mapping[str, Any], key_fields: Iterable[str] = ()) -> str:
    """Key under which matches of one rule join the same open alert.

    Made of the rule, the event's host, and the values of the rule's salient ``key_fields``
    (by default the user account named by the event).
    """
    flat = flatten(event)
    host = next(iter(_values(flat, HOST_FIELDS, _host)), "")
    fields = sorted({f.lower() for f in key_fields})
    if fields:
        salient = [[f, _text(flat.get(f)) or ""] for f in fields]
    else:
        salient = [["user", next(iter(_values(flat, USER_FIELDS, _text)), "")]]
    material = orjson.dumps([rule_id, host, salient]).decode()
    return hashlib.sha256(material.encode()).hexdigest()


def _values(flat: Mapping[str, Any], names: Iterable[str], clean: Any) -> list[str]:
    found: list[str] = []
    for name in names:
        value = flat.get(name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            cleaned = clean(item)
            if cleaned and cleaned not in found:
                found.append(cleaned)
    return found


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return None if text.lower() in _EMPTY else text


def _host(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text else None


def _ip(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text.lower().startswith("::ffff:"):
        text = text[7:]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _union(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))
