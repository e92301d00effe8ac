"""Assets named by events: hosts, private IP addresses and user accounts (pure).

Field names and value normalisation are the alerts' (Windows/Sysmon, ECS, CEF spellings:
``Computer``, ``IpAddress``, ``SourceIp``, ``TargetUserName``, ``SubjectUserName``…), so an
asset has the same name in the inventory and on alerts. Only private addresses are inventoried
(public ones are mostly the other end of a connection; declare the client's public addresses),
and built-in Windows accounts are left out.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from vigile.alerts.evidence import Assets, event_assets
from vigile.assets.types import AssetKind, Observation

NAME_MAX = 255
BUILTIN_ACCOUNTS = frozenset(
    {
        "system",
        "local service",
        "network service",
        "anonymous logon",
        "localsystem",
        "dwm-1",
        "umfd-0",
        "umfd-1",
    }
)


@functools.lru_cache(maxsize=4096)
def _internal(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return address.is_private and not (
        address.is_loopback or address.is_unspecified or address.is_link_local
    )


def observations_from_events(events: Iterable[Mapping[str, Any]]) -> set[Observation]:
    """The distinct assets named by ``events`` (flat or nested field dicts)."""
    found: set[Observation] = set()
    for event in events:
        found |= observations(event_assets(event))
    return found


@functools.lru_cache(maxsize=4096)
def observations(assets: Assets) -> frozenset[Observation]:
    """The inventory's observations of one event's assets (the same few recur: cached)."""
    found = {Observation(AssetKind.HOST, h[:NAME_MAX]) for h in assets.hosts}
    found.update(Observation(AssetKind.IP, ip) for ip in assets.ips if _internal(ip))
    for user in assets.users:
        name = user.lower()[:NAME_MAX]
        if name not in BUILTIN_ACCOUNTS:
            found.add(Observation(AssetKind.ACCOUNT, name))
    return frozenset(found)


def normalise_name(kind: AssetKind, name: str) -> str:
    """The inventory's spelling of a declared name (hosts and accounts lower-case, IPs and
    networks canonical); ValueError for an invalid address or network."""
    text = name.strip()
    if not text:
        raise ValueError("an asset name cannot be empty")
    if kind is AssetKind.IP:
        return str(ipaddress.ip_address(text))
    if kind is AssetKind.NETWORK:
        return str(ipaddress.ip_network(text, strict=False))
    if kind in (AssetKind.HOST, AssetKind.ACCOUNT):
        return text.lower()[:NAME_MAX]
    return text[:NAME_MAX]
