"""The `vigile` console script.

`vigile scan` is an analyst's offline tool whose start-up time counts: it runs without
importing the rest of the platform (web, database, every slice), which costs over a second.
Every other command goes through the full tree in :mod:`vigile.cli_app`.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import ValidationError


def _run() -> None:
    args = sys.argv[1:]
    if args[:1] == ["scan"]:
        import typer

        from vigile.scan.commands import scan_command

        scan_only = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)
        scan_only.command()(scan_command)
        typer.main.get_command(scan_only)(args=args[1:], prog_name="vigile scan")
        return
    from vigile.cli_app import app

    app()


def main() -> None:
    """Console-script entry point; invalid values end with a message, not a traceback."""
    # cli_support is imported only on error: it pulls in the database layer, which
    # `vigile scan` does not need.
    try:
        _run()
    except ValidationError as exc:
        from vigile.cli_support import print_validation_error

        print_validation_error(exc)
        sys.exit(2)
    except ValueError as exc:
        from vigile.cli_support import print_error

        print_error(str(exc))
        sys.exit(2)


def __getattr__(name: str) -> Any:
    # `from vigile.cli import app` (tests, embedding) still gets the full command tree.
    if name == "app":
        from vigile.cli_app import app

        return app
    raise AttributeError(name)
