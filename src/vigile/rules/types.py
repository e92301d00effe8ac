"""Domain values of the rules slice."""

from __future__ import annotations

from enum import StrEnum


class Provenance(StrEnum):
    """Who a rule set comes from, as the contract lists it."""

    VENDOR = "vendor"
    PROVIDER = "provider"
    PARTNER = "partner"
    SUPPLIER = "supplier"
    CLIENT_SPECIFIC = "client-specific"


DEFAULT_SOURCE = "default"
"""Name under which the rules of ``VIGILE_RULES`` appear (all tenants, provider's)."""
