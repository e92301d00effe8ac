"""Output formats of ``vigile scan``: JSON lines, CSV, and a Rich summary table."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import IO

import orjson
from rich.console import Console
from rich.table import Table

from vigile.detection.model import LEVELS
from vigile.scan.service import COLUMNS, Detection


def csv_header() -> bytes:
    """The header row of the CSV output."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(COLUMNS)
    return buf.getvalue().encode("utf-8")


def write_jsonl(detections: Iterable[Detection], out: IO[str]) -> int:
    """One JSON object per detection; returns the count."""
    n = 0
    for d in detections:
        out.write(orjson.dumps(asdict(d)).decode() + "\n")
        n += 1
    return n


def write_csv(detections: Iterable[Detection], out: IO[str]) -> int:
    """CSV with a header row and the same columns as JSON lines; returns the count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for d in detections:
        writer.writerow(["" if v is None else v for v in asdict(d).values()])
        n += 1
    return n


def count_per_rule(detections: Iterable[Detection]) -> Counter[tuple[str, str, str]]:
    """Detections per (level, rule title, rule id), as :func:`write_table` takes them."""
    return Counter((d.level, d.rule_title, d.rule_id) for d in detections)


def write_table(per_rule: Mapping[tuple[str, str, str], int], out: IO[str], color: bool) -> int:
    """A summary: detections per rule (most severe first) and per level; returns the count."""
    console = Console(file=out, no_color=not color, width=140)
    table = Table(title="Detections per rule")
    for name in ("Level", "Rule", "Rule id", "Events"):
        table.add_column(name, justify="right" if name == "Events" else "left")
    rank = {lvl: i for i, lvl in enumerate(LEVELS)}
    ordered = sorted(per_rule.items(), key=lambda kv: (-rank.get(kv[0][0], 0), -kv[1], kv[0][1]))
    for (level, title, rid), count in ordered:
        table.add_row(level, title, rid, str(count))
    console.print(table)
    per_level: Counter[str] = Counter()
    for (level, _, _), count in per_rule.items():
        per_level[level] += count
    levels = Table(title="Detections per level")
    levels.add_column("Level")
    levels.add_column("Events", justify="right")
    for level in reversed(LEVELS):
        if per_level[level]:
            levels.add_row(level, str(per_level[level]))
    console.print(levels)
    return sum(per_rule.values())
