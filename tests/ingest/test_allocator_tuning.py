"""The C allocator's settings of pipeline processes are taken (glibc, what CI runs on)."""

from __future__ import annotations

import platform

import pytest

from vigile.ingest.gc_tuning import tune_allocator


@pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="mallopt settings are glibc's (not this libc)"
)
def test_every_allocator_setting_is_taken() -> None:
    assert tune_allocator() is True
