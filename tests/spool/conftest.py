"""Spool fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vigile.spool.local import Spool


@pytest.fixture
def open_spool(tmp_path: Path) -> Iterator[Callable[..., Spool]]:
    """Open spools in ``tmp_path / "spool"`` (closed at the end of the test)."""
    opened: list[Spool] = []

    def _open(**kwargs: Any) -> Spool:
        kwargs.setdefault("segment_bytes", 4096)
        kwargs.setdefault("max_bytes", 1 << 24)
        spool = Spool(tmp_path / "spool", **kwargs)
        opened.append(spool)
        return spool

    yield _open
    for spool in opened:
        spool.close()
