"""The rule files of rule paths (kept apart from the loader, so that loading a cached rule set
does not import pySigma)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def rule_files(paths: Sequence[Path]) -> list[Path]:
    """Every ``.yml``/``.yaml`` file under the given folders/files, sorted per argument."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = [*path.rglob("*.yml"), *path.rglob("*.yaml")]
            files.extend(sorted(p for p in found if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"rule path not found: {path}")
    return files
