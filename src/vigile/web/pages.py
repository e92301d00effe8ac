"""The page envelope every list endpoint returns."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

from vigile.pagination import PageRequest

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items``, the ``total`` count, and where the page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: list[T], total: int, page: PageRequest) -> Page[T]:
        return cls(items=items, total=total, limit=page.limit, offset=page.offset)
