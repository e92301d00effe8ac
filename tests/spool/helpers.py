"""Helpers shared by the spool tests."""

from __future__ import annotations

from vigile.spool.api import Record
from vigile.spool.local import Spool


def read_all(spool: Spool, group: str = "g") -> list[Record]:
    """Every record currently readable by ``group`` (without committing)."""
    out: list[Record] = []
    while batch := spool.read(group, 1000).records:
        out.extend(batch)
    return out
