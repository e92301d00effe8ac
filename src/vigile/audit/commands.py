"""`vigile audit …` commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vigile.audit import service
from vigile.cli_support import cli_session, console, err_console, operator

app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Check every entry against the hash chain; exit 1 if anything was altered."""
    with cli_session() as session:
        count, problems = service.verify(session)
    if problems:
        err_console.print(
            f"[red]audit trail ALTERED[/red]: {len(problems)} problem(s) in {count} entries"
        )
        for problem in problems:
            err_console.print(f"  #{problem.seq}: {problem.reason}")
        raise typer.Exit(code=1)
    console.print(f"audit trail intact: {count} entries verified")


@app.command("list")
def list_entries(limit: Annotated[int, typer.Option(min=1)] = 50) -> None:
    """The latest entries, newest first."""
    with cli_session() as session:
        rows, total = service.list_entries(session, operator(), limit=limit, offset=0)
        table = Table("#", "at (UTC)", "actor", "tenant", "action", "object", "details")
        for r in rows:
            table.add_row(
                str(r.seq),
                r.at.isoformat(timespec="seconds"),
                r.actor,
                str(r.tenant_id or "—"),
                r.action,
                f"{r.object_type}:{r.object_id}",
                r.details,
            )
    console.print(table)
    console.print(f"{len(rows)} of {total} entries")
