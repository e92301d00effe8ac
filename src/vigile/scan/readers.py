"""Read events from EVTX and JSON-lines files as JSON texts (parsed by the engine).

Inputs are split into *work units* so that processes share the work: an EVTX file is one unit,
a large JSON-lines file is cut into byte ranges (each starts after a newline), so results are
the same whatever the process count.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from evtx import PyEvtxParser

EVTX_MAGIC = b"ElfFile\x00"
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
JSON_CHUNK = 16 * 1024 * 1024
MAX_CONSECUTIVE_FAILURES = 1000


class InputError(Exception):
    """An input file cannot be read at all (the message names the file)."""


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """A file, or a byte range of a JSON-lines file."""

    path: str
    kind: str  # "evtx" | "jsonl"
    start: int = 0
    end: int = -1


def file_kind(path: Path) -> str | None:
    """``evtx``/``jsonl`` from the magic bytes or the suffix; ``None`` if neither."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    if head == EVTX_MAGIC or path.suffix.lower() == ".evtx":
        return "evtx"
    if path.suffix.lower() in JSON_SUFFIXES:
        return "jsonl"
    return None


def discover(inputs: Sequence[Path]) -> list[Path]:
    """Input files: given files as-is, folders recursively (EVTX/JSON files only), sorted."""
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found = [
                p
                for p in item.rglob("*")
                if p.is_file() and p.suffix.lower() in (".evtx", *JSON_SUFFIXES)
            ]
            files.extend(sorted(found))
        elif item.is_file():
            files.append(item)
        else:
            raise InputError(f"{item}: no such file or directory")
    return files


def work_units(path: Path, chunk: int = JSON_CHUNK) -> list[WorkUnit]:
    """The units of one file (raises :class:`InputError` for a file of unknown type)."""
    kind = file_kind(path)
    if kind is None:
        raise InputError(f"{path}: neither an EVTX nor a JSON-lines file")
    if kind == "evtx":
        return [WorkUnit(str(path), kind)]
    size = path.stat().st_size
    return [
        WorkUnit(str(path), kind, start, min(start + chunk, size))
        for start in range(0, max(size, 1), chunk)
    ]


def read_evtx(unit: WorkUnit) -> Iterator[bytes]:
    """JSON texts of an EVTX file's records; a record that cannot be decoded is skipped."""
    try:
        parser = PyEvtxParser(unit.path, number_of_threads=1)
    except (OSError, RuntimeError, ValueError) as exc:
        raise InputError(f"{unit.path}: not a readable EVTX file ({exc})") from exc
    records = parser.records_json()
    failures = 0
    while True:
        try:
            record: Any = next(records)
        except StopIteration:
            return
        except (RuntimeError, OSError, ValueError) as exc:
            # A corrupt record: the parser resumes with the next one. Many failures in a row
            # mean the file itself is unusable (and guard against a parser that never advances).
            failures += 1
            if failures >= MAX_CONSECUTIVE_FAILURES:
                raise InputError(f"{unit.path}: not a readable EVTX file ({exc})") from exc
            continue
        failures = 0
        yield record["data"].encode("utf-8")


def read_jsonl(unit: WorkUnit) -> Iterator[bytes]:
    """JSON lines of one byte range of a JSON-lines file (a line belongs to the range where
    it starts); lines that are not JSON objects raise :class:`InputError` on the first line of
    the file, and are skipped elsewhere."""
    with open(unit.path, "rb") as fh:
        if unit.start:
            fh.seek(unit.start - 1)
            fh.readline()  # finish the line that started in the previous range
        pos = fh.tell()
        end = unit.end if unit.end >= 0 else os.fstat(fh.fileno()).st_size
        first = unit.start == 0
        while pos < end:
            line = fh.readline()
            if not line:
                break
            pos += len(line)
            if not line.strip():
                continue
            if first:
                try:
                    orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise InputError(f"{unit.path}: not a JSON-lines file ({exc})") from exc
                first = False
            yield line


def read_unit(unit: WorkUnit) -> Iterator[bytes]:
    """JSON texts of the events of a work unit."""
    return read_evtx(unit) if unit.kind == "evtx" else read_jsonl(unit)
