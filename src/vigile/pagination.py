"""Pagination shared by every list: services take a :class:`PageRequest`, return items + total."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class PageRequest:
    """Which slice of a list to return (``offset`` rows skipped, at most ``limit`` rows)."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("limit must be at least 1")
        if self.offset < 0:
            raise ValueError("offset must not be negative")
