"""`vigile scan` command (placeholder until the detection engine lands; replaced by it)."""

from __future__ import annotations

import typer


def scan_command() -> None:
    """Scan EVTX / JSON-lines files with Sigma rules."""
    raise typer.Exit(code=2)
