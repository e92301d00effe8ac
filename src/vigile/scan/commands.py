"""``vigile scan``: scan EVTX / JSON-lines files or folders with Sigma rules.

Exit codes: 0 — every input scanned (with or without detections); 1 — some input file was
unusable (each one named on stderr; the others were scanned); 2 — usage error (missing input
path, no rules, bad option).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vigile.config import Settings
from vigile.detection.engine import load_ruleset
from vigile.detection.model import LEVELS
from vigile.scan.output import write_csv, write_jsonl, write_table
from vigile.scan.readers import InputError
from vigile.scan.service import Detection, ScanError, UnitResult, plan, scan_paths


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
    err = Console(stderr=True)
    settings = Settings()
    rule_paths = rules or settings.effective_rules
    missing = [p for p in rule_paths if not p.exists()]
    if missing:
        raise _fail(err, f"rule path not found: {missing[0]}")
    ruleset = load_ruleset(rule_paths, cache_dir=settings.data_dir / "cache")
    err.print(ruleset.report.summary(), highlight=False)
    if not ruleset.active_rules:
        raise _fail(err, "no usable rules in " + ", ".join(map(str, rule_paths)))
    try:
        units, _ = plan(inputs)
    except InputError as exc:
        raise _fail(err, str(exc)) from exc

    errors: list[ScanError] = []
    events = 0
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

    def on_progress(result: UnitResult) -> None:
        nonlocal events
        events += result.events
        progress.advance(task)

    def detections() -> Iterator[Detection]:
        for item in scan_paths(inputs, ruleset, workers, min_level.value, on_progress):
            if isinstance(item, ScanError):
                errors.append(item)
                progress.console.print(f"[red]skipped:[/red] {item.message}", highlight=False)
            else:
                yield item

    out: IO[str] = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with progress:
            if fmt is Format.jsonl:
                count = write_jsonl(detections(), out)
            elif fmt is Format.csv:
                count = write_csv(detections(), out)
            else:
                count = write_table(detections(), out, color=out.isatty())
    finally:
        if output:
            out.close()
    err.print(
        f"{events} events, {count} detections (min level {min_level.value}), "
        f"{len(errors)} unusable file(s)",
        highlight=False,
    )
    if errors:
        raise typer.Exit(code=1)


__all__ = ["LEVELS", "scan_command"]
