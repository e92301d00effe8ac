"""Domain types of the assets slice (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class AssetKind(StrEnum):
    """What an asset is. Hosts, IPs and accounts are also discovered from events."""

    HOST = "host"
    IP = "ip"
    ACCOUNT = "account"
    NETWORK = "network"
    CLOUD = "cloud"
    APPLICATION = "application"


DEFAULT_WINDOW_DAYS = 30
DEFAULT_COUNTED = frozenset(
    {AssetKind.HOST, AssetKind.NETWORK, AssetKind.CLOUD, AssetKind.APPLICATION}
)


@dataclass(frozen=True)
class Counting:
    """How monitored assets are counted: the activity window and the kinds counted."""

    window_days: int = DEFAULT_WINDOW_DAYS
    kinds: frozenset[AssetKind] = DEFAULT_COUNTED

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError("the activity window is at least one day")
        if not self.kinds:
            raise ValueError("at least one asset kind must be counted")

    @classmethod
    def parse(cls, window_days: int, kinds: str | Iterable[str]) -> Counting:
        """From settings: ``kinds`` comma-separated (``host,network``) or an iterable."""
        names = kinds.split(",") if isinstance(kinds, str) else list(kinds)
        try:
            parsed = frozenset(AssetKind(n.strip().lower()) for n in names if n.strip())
        except ValueError as exc:
            known = ", ".join(k.value for k in AssetKind)
            raise ValueError(f"unknown asset kind in {kinds!r} (known: {known})") from exc
        return cls(window_days=window_days, kinds=parsed)


@dataclass(frozen=True)
class Observation:
    """An asset seen in events: kind and normalised name."""

    kind: AssetKind
    name: str
