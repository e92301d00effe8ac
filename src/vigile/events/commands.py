"""`vigile events …` commands: the event store, by hand."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.table import Table

from vigile.cli_support import cli_errors, console, operator
from vigile.config import get_settings
from vigile.db import make_engine, make_sessionmaker, utcnow
from vigile.events.duckdb_store import DuckDbEventStore, EventStoreUnavailable, default_path
from vigile.events.retention_job import RetentionJob

app = typer.Typer(help="The event store.", no_args_is_help=True)
_SERVED = (
    "If `vigile serve` runs, it holds the store (and purges it hourly): ask it with "
    "POST /api/v1/events/purge (administrators; ?dry_run=true to count)."
)


@app.command("purge")
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Delete every tenant's events past its retention (what `vigile serve` does hourly).

    The store has one writer: run it while `vigile serve` is stopped; while it runs, an
    administrator asks it with `POST /api/v1/events/purge` (`?dry_run=true` to count).
    """
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with cli_errors():
            if dry_run and not default_path(settings).exists():
                store = DuckDbEventStore()  # nothing stored yet: an empty one, not a new file
            else:  # a dry run only reads
                try:
                    store = DuckDbEventStore.open(settings, read_only=dry_run)
                except EventStoreUnavailable as exc:
                    raise EventStoreUnavailable(f"{exc}\n{_SERVED}") from exc
            try:
                job = RetentionJob(
                    make_sessionmaker(engine),
                    store,
                    utcnow,
                    default_days=settings.event_retention_days,
                    scope=operator(),
                )
                now = utcnow()
                plan = job.plan(now)
                counts = job.count(plan) if dry_run else job.purge(plan, now)
            finally:
                store.close()
    finally:
        engine.dispose()
    if output == "json":
        key = "would_delete" if dry_run else "deleted"
        rows = [
            {
                "tenant": p.slug,
                "retention_days": p.days,
                "tenant_setting": p.own,
                "first_day_kept": p.first_kept.isoformat(),
                key: counts.get(p.tenant_id, 0),
            }
            for p in plan
        ]
        typer.echo(orjson.dumps(rows).decode())
        return
    table = Table("tenant", "retention", "first day kept", "would delete" if dry_run else "deleted")
    for p in plan:
        retention = f"{p.days} days" + ("" if p.own else " (default)")
        table.add_row(p.slug, retention, p.first_kept.isoformat(), str(counts.get(p.tenant_id, 0)))
    console.print(table)
    total = sum(counts.values())
    console.print(f"{total} events {'would be deleted (dry run)' if dry_run else 'deleted'}")
