"""Validation and normalisation of containment targets, per action type (pure)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from vigile.errors import InvalidInput
from vigile.incidents.types import ActionType

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^(\*\.)?({_LABEL}\.)+[a-z][a-z0-9-]{{0,62}}$")
_HASH = re.compile(r"^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$")
_NAME = re.compile(r"^[^\s\x00-\x1f]{1,255}$")


def normalise_target(action_type: ActionType, target: str) -> str:
    """The canonical target of an action, or InvalidInput saying what is wrong.

    ``block_ip``: an address or network (CIDR); ``block_domain``: a host name, ``*.`` allowed;
    ``block_url``: an http(s) URL, kept without its scheme (as EDL/threat-feed URL lists read
    it); ``block_hash``: MD5, SHA-1 or SHA-256 hex; ``isolate_host`` / ``disable_account``: one
    name without spaces; ``custom``: free text.
    """
    value = target.strip()
    if not value:
        raise InvalidInput("the target is empty")
    if action_type is ActionType.BLOCK_IP:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise InvalidInput(f"{value!r} is not an IP address or network") from exc
        single = network.num_addresses == 1
        return str(network.network_address) if single else str(network)
    if action_type is ActionType.BLOCK_DOMAIN:
        domain = value.lower().rstrip(".")
        if not _DOMAIN.match(domain) or len(domain) > 253:
            raise InvalidInput(f"{value!r} is not a domain name")
        return domain
    if action_type is ActionType.BLOCK_URL:
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise InvalidInput(f"{value!r} is not an http(s) URL")
        if any(c.isspace() for c in value):
            raise InvalidInput("a URL has no spaces")
        rest = value.split("://", 1)[1]
        host, slash, path = rest.partition("/")
        return host.lower() + slash + path
    if action_type is ActionType.BLOCK_HASH:
        digest = value.lower()
        if not _HASH.match(digest):
            raise InvalidInput(f"{value!r} is not an MD5, SHA-1 or SHA-256 hex digest")
        return digest
    if action_type in (ActionType.ISOLATE_HOST, ActionType.DISABLE_ACCOUNT):
        if not _NAME.match(value):
            raise InvalidInput(f"{value!r}: one host or account name, without spaces")
        return value
    if len(value) > 2000:
        raise InvalidInput("the target is longer than 2000 characters")
    return value
