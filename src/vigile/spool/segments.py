"""Segment files: naming, scanning for recovery, reading records by offset.

A segment is named after the offset of its first record (``00000000000000000042.seg``), so
the list of names is the offset index; inside a segment records are found by a sequential scan
(a consumer keeps its file position, so the scan happens once per restart, not per read).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vigile.spool.frames import BadFrame, Decoded, Incomplete, decode

SUFFIX = ".seg"
_CHUNK = 1024 * 1024


def segment_path(directory: Path, base: int) -> Path:
    """The file of the segment whose first record has offset ``base``."""
    return directory / f"{base:020d}{SUFFIX}"


def list_segments(directory: Path) -> list[int]:
    """Base offsets of the segments in ``directory``, ascending."""
    bases = []
    for entry in directory.iterdir():
        stem = entry.name.removesuffix(SUFFIX)
        if entry.name.endswith(SUFFIX) and stem.isdigit() and len(stem) == 20:
            bases.append(int(stem))
    return sorted(bases)


def iter_frames(fd: int, pos: int, offset: int, limit: int) -> Iterator[Decoded]:
    """Frames from file position ``pos`` (holding record ``offset``) up to offset ``limit``.

    Stops quietly at the end of the file or of the last complete frame; raises
    :class:`BadFrame` on invalid bytes. Reads in large chunks with ``pread`` so several
    readers can share nothing but the file.
    """
    buf = b""
    base = pos  # file position of buf[0]
    at = 0
    want = _CHUNK
    while offset < limit:
        try:
            frame = decode(buf, at, offset)
        except Incomplete as inc:
            more = os.pread(fd, max(want, inc.needed), base + len(buf))
            if not more:
                return
            buf = buf[at:] + more
            base += at
            at = 0
            continue
        yield Decoded(frame.offset, frame.tenant, frame.digest, frame.data, base + frame.end)
        at = frame.end
        offset += 1


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Where the valid records of a segment end, how many there are, and why they stop."""

    end: int
    count: int
    size: int
    problem: str | None


def scan(path: Path, base: int) -> ScanResult:
    """Validate every frame of a segment (recovery after a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        end, count, problem = 0, 0, None
        try:
            for frame in iter_frames(fd, 0, base, 2**63):
                end = frame.end
                count += 1
        except BadFrame as exc:
            problem = f"{exc} at byte {end}"
        if problem is None and end < size:
            problem = f"incomplete record at byte {end}"
        return ScanResult(end, count, size, problem)
    finally:
        os.close(fd)


def locate(path: Path, base: int, offset: int) -> int:
    """File position of record ``offset`` in the segment starting at ``base``."""
    if offset == base:
        return 0
    fd = os.open(path, os.O_RDONLY)
    try:
        pos = 0
        for frame in iter_frames(fd, 0, base, offset):
            pos = frame.end
        return pos
    finally:
        os.close(fd)
