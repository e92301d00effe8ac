"""Declared assets from CSV (pure): a header with ``kind`` and ``name``, optionally
``description`` and ``monitored`` (yes/no, true/false, 1/0, oui/non; default yes)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from vigile.assets.discovery import normalise_name
from vigile.assets.types import AssetKind

_TRUE = {"", "yes", "y", "true", "1", "oui", "o"}
_FALSE = {"no", "n", "false", "0", "non"}


@dataclass(frozen=True)
class DeclaredAsset:
    """One asset declared by the client or the provider."""

    kind: AssetKind
    name: str
    description: str = ""
    monitored: bool = True


class CsvProblems(ValueError):
    """Lines of the CSV that cannot be imported (nothing is imported then)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems[:20]) + (" …" if len(problems) > 20 else ""))


def parse_csv(text: str) -> list[DeclaredAsset]:
    """Every row of ``text`` as a declared asset; CsvProblems lists each bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {(h or "").strip().lower() for h in reader.fieldnames or []}
    if not {"kind", "name"} <= header:
        raise CsvProblems(["the header must name the columns kind and name"])
    assets: list[DeclaredAsset] = []
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            kind = AssetKind(cells.get("kind", "").lower())
            flag = cells.get("monitored", "").lower()
            if flag not in _TRUE | _FALSE:
                raise ValueError(f"monitored must be yes or no, not {flag!r}")
            assets.append(
                DeclaredAsset(
                    kind=kind,
                    name=normalise_name(kind, cells.get("name", "")),
                    description=cells.get("description", "")[:500],
                    monitored=flag in _TRUE,
                )
            )
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise CsvProblems(problems)
    return assets
