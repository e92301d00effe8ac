"""Committed offsets of consumer groups: one small file per group, replaced atomically.

Write to a temporary file, fsync it, rename over the old one, fsync the directory: after a
crash the file holds either the old or the new offset, never a torn mix.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SUFFIX = ".offset"


def check_name(group: str) -> None:
    """Group names become file names: keep them to a safe alphabet."""
    if not _NAME.fullmatch(group) or group.startswith("."):
        raise ValueError(f"invalid consumer group name {group!r}")


def fsync_dir(directory: Path) -> None:
    """Make a created, renamed or deleted entry of ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load(directory: Path) -> dict[str, int]:
    """Committed offset of every group found in ``directory``."""
    out: dict[str, int] = {}
    for entry in directory.glob(f"*{SUFFIX}"):
        text = entry.read_text(encoding="ascii").strip()
        if text.isdigit():
            out[entry.name.removesuffix(SUFFIX)] = int(text)
    return out


def store(directory: Path, group: str, offset: int, *, fsync: bool) -> None:
    """Durably replace the committed offset of ``group``."""
    replace_file(directory, f"{group}{SUFFIX}", f"{offset}\n".encode("ascii"), fsync=fsync)


def replace_file(directory: Path, name: str, content: bytes, *, fsync: bool) -> None:
    """Write ``directory/name`` atomically: a reader (or a restart) finds the old content or
    the new one, never a torn mix."""
    final = directory / name
    tmp = directory / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, content)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    if fsync:
        fsync_dir(directory)
