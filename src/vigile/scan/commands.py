"""``vigile scan``: scan EVTX / JSON-lines files or folders with Sigma rules.

Exit codes: 0 — every input scanned (with or without detections); 1 — some input file was
unusable (each one named on stderr; the others were scanned); 2 — usage error (missing input
path, no rules, bad option).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

# The rest (the engine, Rich, the readers) is imported by the command itself, once its helper
# process is forked (see vigile.scan.startup): the imports then overlap the helper's work.


class Level(StrEnum):
    informational = "informational"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Format(StrEnum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"


def _binary_output(output: Path | None) -> tuple[Callable[[bytes], object], Callable[[], None]]:
    """``write`` (UTF-8 bytes) and ``finish`` functions of the output file or stdout."""
    if output is not None:
        fh = output.open("wb")
        return fh.write, fh.close
    sys.stdout.flush()
    buffer: IO[bytes] | None = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        return buffer.write, buffer.flush
    text = sys.stdout  # a capture without a binary buffer

    def write(data: bytes) -> object:
        return text.write(data.decode("utf-8"))

    return write, text.flush


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _fail(err: Console, message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=2)


def scan_command(
    inputs: Annotated[
        list[Path], typer.Argument(help="EVTX / JSON-lines files or folders (recursive).")
    ],
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", "-r", help="Sigma rule file or folder (repeatable)."),
    ] = None,
    min_level: Annotated[
        Level, typer.Option("--min-level", help="Lowest rule level reported.")
    ] = Level.informational,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write results here (default stdout).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="Processes (default: cores).")
    ] = None,
) -> None:
    """Scan EVTX / JSON-lines files with Sigma rules."""
    from vigile.config import Settings

    settings = Settings()
    rule_paths = rules or settings.effective_rules
    missing = [p for p in rule_paths if not p.exists()]
    if missing:
        raise _fail(_stderr(), f"rule path not found: {missing[0]}")
    from vigile.scan.startup import start

    ruleset, planned = start(rule_paths, inputs, settings.data_dir / "cache")
    if not ruleset.active_rules or isinstance(planned, Exception):
        err = _stderr()
        err.print(ruleset.report.summary(), highlight=False)
        if isinstance(planned, Exception) and ruleset.active_rules:
            raise _fail(err, str(planned)) from planned
        raise _fail(err, "no usable rules in " + ", ".join(map(str, rule_paths)))
    from vigile.scan.service import ScanError, scan_formatted

    errors: list[ScanError] = []
    events = 0

    def on_progress(done: int, count: int) -> None:
        nonlocal events
        events += count
        progress.advance(task, done)

    mode = "counts" if fmt is Format.table else fmt.value
    # The workers start scanning here; Rich is imported and the summary printed meanwhile.
    results = scan_formatted(
        inputs, ruleset, workers, min_level.value, mode, on_progress, planned=planned
    )
    units = planned[0]
    err = _stderr()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from vigile.scan.output import csv_header, write_table

    err.print(ruleset.report.summary(), highlight=False)
    progress = Progress(
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not sys.stderr.isatty(),
        transient=True,
    )
    task = progress.add_task("scan", total=len(units))

    def skipped(error: ScanError) -> None:
        errors.append(error)
        progress.console.print(
            f"[red]skipped:[/red] {error.message}", highlight=False, soft_wrap=True
        )

    count = 0
    with progress:
        if fmt is Format.table:
            per_rule: Counter[tuple[str, str, str]] = Counter()
            for item in results:
                if isinstance(item, ScanError):
                    skipped(item)
                    continue
                assert isinstance(item.payload, Counter)
                per_rule.update(item.payload)
                if item.error is not None:
                    skipped(item.error)
            text: IO[str] = output.open("w", encoding="utf-8") if output else sys.stdout
            try:
                count = write_table(per_rule, text, color=text.isatty())
            finally:
                if output:
                    text.close()
        else:
            # Workers send ready UTF-8 bytes: the parent only writes them.
            write, finish = _binary_output(output)
            try:
                if fmt is Format.csv:
                    write(csv_header())
                for item in results:
                    if isinstance(item, ScanError):
                        skipped(item)
                        continue
                    assert isinstance(item.payload, bytes)
                    if item.payload:
                        write(item.payload)
                    count += item.count
                    if item.error is not None:
                        skipped(item.error)
            finally:
                finish()
    err.print(
        f"{events} events, {count} detections (min level {min_level.value}), "
        f"{len(errors)} unusable file(s)",
        highlight=False,
    )
    if errors:
        raise typer.Exit(code=1)


__all__ = ["scan_command"]
