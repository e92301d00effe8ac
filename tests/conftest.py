"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigile.config import Settings


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The external test corpus (``VIGILE_CORPUS``, default ``../shared/corpus``).

    A missing corpus is an error, not a silent skip: the tests that read it are the proof
    that detection is right.
    """
    path = Settings().corpus.resolve()
    if not (path / "sigma").is_dir():
        pytest.fail(f"test corpus not found at {path}: set VIGILE_CORPUS", pytrace=False)
    return path
