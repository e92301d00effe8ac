"""`vigile sources …`: source health (thin: calls the service)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from vigile.cli_support import cli_session, console, operator
from vigile.config import get_settings
from vigile.db import utcnow
from vigile.pagination import PageRequest
from vigile.sources import scheduler, service

app = typer.Typer(help="Event sources and their health.", no_args_is_help=True)


@app.command("list")
def list_command(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's sources.")] = None,
    silent: Annotated[bool, typer.Option("--silent", help="Only silent sources.")] = False,
    limit: Annotated[int, typer.Option(min=1)] = 200,
) -> None:
    """Sources by last seen: count, rate, expected interval, state."""
    minutes = get_settings().source_silent_minutes
    with cli_session() as session:
        rows, total = service.list_sources(
            session, operator(), PageRequest(limit=limit), tenant=tenant, silent=silent or None
        )
        out = [service.source_out(session, r, minutes) for r in rows]
    table = Table(
        "id",
        "tenant",
        "receiver",
        "type",
        "host",
        "first seen",
        "last seen",
        "events",
        "per min",
        "expected (min)",
        "state",
    )
    for s in out:
        table.add_row(
            str(s.id),
            s.tenant,
            s.receiver,
            escape(s.source_type),
            escape(s.host),
            f"{s.first_seen:%Y-%m-%d %H:%M:%S}",
            f"{s.last_seen:%Y-%m-%d %H:%M:%S}",
            str(s.event_count),
            "" if s.rate_per_minute is None else f"{s.rate_per_minute:g}",
            "never" if s.expected_interval_minutes is None else f"{s.expected_interval_minutes:g}",
            s.state,
        )
    console.print(table)
    console.print(f"{len(out)} of {total} sources")


@app.command("interval")
def interval_command(
    source_id: Annotated[int, typer.Argument(help="Source id (see `vigile sources list`).")],
    minutes: Annotated[
        str, typer.Argument(help="Expected interval in minutes, 0 (never), or `default`.")
    ],
) -> None:
    """Override a source's expected interval."""
    value = None if minutes == "default" else int(minutes)
    with cli_session() as session:
        row = service.set_interval(session, operator(), source_id, value)
        console.print(f"source {row.id}: expected interval {minutes}")


@app.command("watch")
def watch_command() -> None:
    """One pass of the silence watch (what `vigile serve` runs periodically)."""
    from vigile.db import make_engine, make_sessionmaker

    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        result = scheduler.watch_once(make_sessionmaker(engine), utcnow, settings)
    finally:
        engine.dispose()
    console.print(f"{result.silenced} sources fell silent, {result.alerts_created} alerts raised")
