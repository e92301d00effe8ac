"""`vigile ingest`, `vigile worker` and `vigile quarantine …` (thin: they call services)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from vigile.cli_support import cli_errors, cli_session, console, fail, operator
from vigile.config import get_settings
from vigile.db import make_engine, make_sessionmaker, transaction, utcnow
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.ingest import files, service
from vigile.ingest.gc_tuning import tune_pipeline_process
from vigile.ingest.intake import Incoming
from vigile.ingest.parsers.model import ParseError
from vigile.ingest.pipeline import build_worker
from vigile.ingest.runtime import open_spool
from vigile.pagination import PageRequest
from vigile.spool.api import SpoolError
from vigile.tenants import service as tenants

quarantine_app = typer.Typer(help="Records that could not be parsed.", no_args_is_help=True)
BATCH = 1000


def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="EVTX or JSON-lines files.")],
    tenant: Annotated[str, typer.Option(help="Tenant slug the events belong to.")],
    source_type: Annotated[str, typer.Option(help="Source type (`auto`: sniffed).")] = "auto",
    drain: Annotated[
        bool, typer.Option(help="Then run detection until the spool is empty.")
    ] = False,
) -> None:
    """Import files through the spool, as the receivers do (needs the spool: stop `vigile
    serve` or send over HTTP instead)."""
    settings = get_settings()
    for path in paths:
        if not path.is_file():
            raise fail(f"not a file: {path}")
    try:
        spool = open_spool(settings)
    except SpoolError as exc:
        raise fail(f"{exc}; stop `vigile serve` or use POST /api/v1/ingest") from exc
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    scope = operator()
    accepted = rejected = 0
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    try:
        with cli_errors(), Progress(*columns, console=console) as progress:
            with transaction(sessions) as session:
                tenant_id = tenants.get_tenant(session, scope, tenant).id
            for path in paths:
                task = progress.add_task(f"{path.name}: 0 events", total=None)
                try:
                    for batch in files.batches(path, BATCH):
                        with transaction(sessions) as session:
                            outcome = service.accept(
                                session,
                                scope,
                                tenant_id,
                                spool,
                                [Incoming(raw) for raw in batch],
                                receiver="file",
                                clock=utcnow,
                                default_source_type=source_type,
                                max_record_bytes=settings.ingest_max_record_kb * 1024,
                            )
                        accepted += len(outcome.intake.accepted)
                        rejected += len(outcome.intake.rejected)
                        progress.update(task, description=f"{path.name}: {accepted} events")
                except (ParseError, OSError) as exc:
                    console.print(f"[yellow]{path}: stopped: {exc}[/yellow]")
        console.print(f"{accepted} events spooled, {rejected} quarantined")
        if drain:
            store = DuckDbEventStore.open(settings)
            try:
                worker = build_worker(settings, spool, store, sessions, utcnow)
                done = worker.drain()
                worker.close()
            finally:
                store.close()
            console.print(f"{done} events detected and stored")
    finally:
        spool.close()
        engine.dispose()


def worker_command(
    drain: Annotated[bool, typer.Option(help="Process what is spooled, then exit.")] = False,
) -> None:
    """Run the pipeline worker alone (spool → detection → event store and alerts).

    The embedded spool and event store each allow one process: while `vigile serve` runs, its
    own worker processes the spool (this command then says the spool is held)."""
    settings = get_settings()
    try:
        spool = open_spool(settings)
    except SpoolError as exc:
        raise fail(str(exc)) from exc
    engine = make_engine(settings.effective_database_url)
    store = DuckDbEventStore.open(settings)
    stop = threading.Event()
    try:
        worker = build_worker(settings, spool, store, make_sessionmaker(engine), utcnow)
        tune_pipeline_process()
        report = worker.detector.ruleset.report
        console.print(f"worker: {report.compiled} rules, {worker.detector.processes} process(es)")
        if drain:
            console.print(f"{worker.drain()} events processed")
        else:
            try:
                worker.run(stop)
            except KeyboardInterrupt:
                stop.set()
        worker.close()
    finally:
        store.close()
        spool.close()
        engine.dispose()


@quarantine_app.command("list")
def quarantine_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's records.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Rows to show, newest first.")] = 50,
) -> None:
    """Quarantined records with the reason each was refused."""
    with cli_session() as session:
        rows, total = service.list_quarantine(session, operator(), PageRequest(limit=limit), tenant)
    table = Table("id", "tenant", "received (UTC)", "receiver", "reason", "record")
    for row in rows:
        raw = row.raw if len(row.raw) <= 80 else row.raw[:77] + "..."
        table.add_row(
            str(row.id),
            row.tenant,
            row.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.receiver,
            escape(row.reason),
            escape(raw),
        )
    console.print(table)
    console.print(f"{len(rows)} of {total}")
