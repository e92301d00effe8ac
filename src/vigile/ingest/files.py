"""Reading files to import: EVTX records and JSON-lines, in batches of raw records (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from vigile.ingest.parsers.evtx import iter_evtx_file


def is_evtx(path: Path) -> bool:
    """EVTX by extension or by its ``ElfFile`` signature."""
    if path.suffix.lower() == ".evtx":
        return True
    with path.open("rb") as fh:
        return fh.read(8) == b"ElfFile\x00"


def iter_records(path: Path) -> Iterator[bytes]:
    """The records of a file: EVTX records as JSON, else one record per non-empty line."""
    if is_evtx(path):
        yield from iter_evtx_file(path)
        return
    with path.open("rb") as fh:
        for line in fh:
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield line


def batches(path: Path, size: int) -> Iterator[list[bytes]]:
    """:func:`iter_records` in lists of at most ``size``."""
    batch: list[bytes] = []
    for record in iter_records(path):
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
