"""Which tenant a syslog source belongs to: by source network, or by TLS client certificate.

Configured in ``VIGILE_SYSLOG_BINDINGS`` as ``KEY=SLUG[:SOURCE_TYPE]`` items separated by
commas, where KEY is an address or network (``10.1.0.0/16``) or a certificate name (the CN
or a DNS subject alternative name of a TLS client). The most specific network wins. The
message itself never chooses the tenant.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Binding:
    tenant_id: int
    slug: str
    source_type: str | None


@dataclass(frozen=True, slots=True)
class BindingSpec:
    key: str
    slug: str
    source_type: str | None


def parse_specs(text: str) -> list[BindingSpec]:
    """The items of the setting; ValueError names a malformed one."""
    specs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, target = item.partition("=")
        slug, _, source_type = target.partition(":")
        if not sep or not key.strip() or not slug.strip():
            raise ValueError(f"syslog binding {item!r}: expected KEY=SLUG[:SOURCE_TYPE]")
        specs.append(BindingSpec(key.strip(), slug.strip().lower(), source_type.strip() or None))
    return specs


class Bindings:
    """Resolved bindings (slugs already turned into tenant ids)."""

    def __init__(self, items: list[tuple[BindingSpec, int]]) -> None:
        self._networks: list[tuple[Network, Binding]] = []
        self._names: dict[str, Binding] = {}
        for spec, tenant_id in items:
            binding = Binding(tenant_id, spec.slug, spec.source_type)
            try:
                network = ipaddress.ip_network(spec.key, strict=False)
            except ValueError:
                self._names[spec.key.lower()] = binding
                continue
            self._networks.append((network, binding))
        self._networks.sort(key=lambda item: item[0].prefixlen, reverse=True)

    def for_address(self, host: str) -> Binding | None:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        for network, binding in self._networks:
            if address.version == network.version and address in network:
                return binding
        return None

    def for_certificate(self, cert: dict[str, Any] | None) -> Binding | None:
        """The binding of a verified client certificate's CN or DNS names, if any."""
        if not cert:
            return None
        names = [v for k, v in cert.get("subjectAltName", ()) if k == "DNS"]
        for rdn in cert.get("subject", ()):
            names += [v for k, v in rdn if k == "commonName"]
        for name in names:
            if (binding := self._names.get(str(name).lower())) is not None:
                return binding
        return None
