"""Criticality levels of Annex A and their maximum delay to take an alert into account."""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum

from vigile.service_levels.errors import UnknownLevelError


class Level(IntEnum):
    """Alert criticality; the value is the contract's level number (4 is the most urgent)."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def english(self) -> str:
        """English name: ``critical``, ``high``, ``medium``, ``low``."""
        return self.name.lower()

    @property
    def french(self) -> str:
        """French name used in the contract: ``critique``, ``haute``, ``moyenne``, ``basse``."""
        return _FRENCH[self]

    @property
    def label(self) -> str:
        """The contract's wording, e.g. ``Niveau 4 (critique)``."""
        return f"Niveau {self.value} ({self.french})"

    @property
    def english_label(self) -> str:
        """English wording, e.g. ``Level 4 (critical)``."""
        return f"Level {self.value} ({self.english})"

    @property
    def delay(self) -> timedelta:
        """Maximum delay to acknowledge, counted in business hours (Annex A)."""
        return _DELAYS[self]

    @classmethod
    def from_sigma(cls, sigma_level: str) -> Level:
        """Map a Sigma rule level (``informational`` … ``critical``) to a criticality level."""
        try:
            return _SIGMA[sigma_level.strip().lower()]
        except KeyError:
            raise UnknownLevelError(
                f"unknown Sigma level {sigma_level!r}: expected one of {', '.join(_SIGMA)}"
            ) from None

    @classmethod
    def parse(cls, value: str | int) -> Level:
        """Read a level given as a number (``4``, ``"4"``) or an English/French name."""
        if isinstance(value, int) and not isinstance(value, bool):
            if value in _BY_NUMBER:
                return _BY_NUMBER[value]
        elif isinstance(value, str):
            text = value.strip().lower()
            if text.isdigit() and int(text) in _BY_NUMBER:
                return _BY_NUMBER[int(text)]
            if text in _BY_NAME:
                return _BY_NAME[text]
        names = ", ".join(f"{lv.value}/{lv.english}/{lv.french}" for lv in reversed(Level))
        raise UnknownLevelError(f"unknown criticality level {value!r}: expected one of {names}")


_FRENCH = {
    Level.CRITICAL: "critique",
    Level.HIGH: "haute",
    Level.MEDIUM: "moyenne",
    Level.LOW: "basse",
}
_DELAYS = {
    Level.CRITICAL: timedelta(hours=1, minutes=30),
    Level.HIGH: timedelta(hours=3),
    Level.MEDIUM: timedelta(hours=5),
    Level.LOW: timedelta(hours=8),
}
_SIGMA = {
    "critical": Level.CRITICAL,
    "high": Level.HIGH,
    "medium": Level.MEDIUM,
    "low": Level.LOW,
    "informational": Level.LOW,
}
_BY_NUMBER = {lv.value: lv for lv in Level}
_BY_NAME = {lv.english: lv for lv in Level} | {lv.french: lv for lv in Level}
