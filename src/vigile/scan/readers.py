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

from vigile.detection.rulefiles import path_suffix, walk_files

EVTX_MAGIC = b"ElfFile\x00"
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
INPUT_SUFFIXES = (".evtx", *JSON_SUFFIXES)
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
    return [Path(name) for name in input_files(inputs)]


def _is_input(name: str) -> bool:
    return path_suffix(name).lower() in INPUT_SUFFIXES


def input_files(inputs: Sequence[Path]) -> list[str]:
    """:func:`discover` as ``str`` paths (a folder of thousands of files is listed with
    ``os.scandir``, without a ``stat`` or a ``Path`` per file)."""
    files: list[str] = []
    for item in inputs:
        if item.is_dir():
            files.extend(walk_files(str(item), _is_input))
        elif item.is_file():
            files.append(str(item))
        else:
            raise InputError(f"{item}: no such file or directory")
    return files


def work_units(path: Path, chunk: int = JSON_CHUNK) -> list[WorkUnit]:
    """The units of one file (raises :class:`InputError` for a file of unknown type)."""
    return sized_units(str(path), chunk)[0]


def sized_units(name: str, chunk: int = JSON_CHUNK) -> tuple[list[WorkUnit], list[int]]:
    """:func:`work_units` of the file ``name`` and each unit's size in bytes.

    A ``.evtx`` file is EVTX whatever its first bytes, so it is not opened here (only checked
    for readability, so that an unreadable one gets the same early message): with thousands of
    small files, opening each in the planning process costs more than a worker's reading.
    """
    if path_suffix(name).lower() == ".evtx" and os.access(name, os.R_OK):
        try:
            size = os.stat(name).st_size
        except OSError:
            size = 0
        return [WorkUnit(name, "evtx")], [size]
    path = Path(name)
    kind = file_kind(path)
    if kind is None:
        raise InputError(f"{path}: neither an EVTX nor a JSON-lines file")
    if kind == "evtx":
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        return [WorkUnit(name, kind)], [size]
    size = path.stat().st_size
    starts = range(0, max(size, 1), chunk)
    units = [WorkUnit(name, kind, start, min(start + chunk, size)) for start in starts]
    return units, [u.end - u.start for u in units]


def plan_files(inputs: Sequence[Path]) -> tuple[list[WorkUnit], list[int], list[tuple[str, str]]]:
    """Work units of all inputs, their sizes, and (file, message) of the files that cannot be
    scanned at all; raises :class:`InputError` when an input path does not exist."""
    units: list[WorkUnit] = []
    sizes: list[int] = []
    errors: list[tuple[str, str]] = []
    for name in input_files(inputs):
        try:
            more, more_sizes = sized_units(name)
        except InputError as exc:
            errors.append((name, str(exc)))
            continue
        units.extend(more)
        sizes.extend(more_sizes)
    return units, sizes, errors


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
