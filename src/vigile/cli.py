"""The `vigile` command line. Thin: each command parses its arguments and calls a service."""

from __future__ import annotations

import typer

from vigile.scan.commands import scan_command

app = typer.Typer(
    name="vigile",
    help="Vigile — multi-tenant SOC platform.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

app.command("scan")(scan_command)


def main() -> None:
    """Console-script entry point."""
    app()
