"""`vigile assets …`: inventory, CSV import and true-up checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from vigile.assets import checks, service
from vigile.assets.csv_import import CsvProblems, parse_csv
from vigile.assets.schemas import CheckOut
from vigile.assets.types import AssetKind, Counting
from vigile.cli_support import cli_session, console, fail, operator, parse_date
from vigile.config import get_settings
from vigile.db import utcnow
from vigile.pagination import PageRequest
from vigile.tenants import service as tenants

app = typer.Typer(help="Monitored perimeter: assets and true-up checks.", no_args_is_help=True)

Format = Annotated[str, typer.Option("--format", help="table or json.")]
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug.")]


def counting() -> Counting:
    """How assets are counted, from the settings."""
    settings = get_settings()
    return Counting.parse(settings.assets_monitored_days, settings.assets_counted_kinds)


def _echo_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _print_check(result: CheckOut) -> None:
    table = Table(show_header=False, box=None)
    pct = "—" if result.increase_pct is None else f"{result.increase_pct:.2f} %"
    rows = [
        ("date", result.at.isoformat()),
        ("monitored / surveillés", f"{result.monitored} (measured {result.measured})"),
        ("subscribed / souscrits", str(result.subscribed)),
        ("previous check / vérification précédente", str(result.previous or "—")),
        ("increase / hausse", f"{result.increase:+d} ({pct} of subscribed)"),
        ("regularisation due / régularisation", "yes / oui" if result.regularisation_due else "no"),
        ("price per asset per year", result.unit_price or "—"),
        ("subscription year", f"{result.year_start} → {result.year_end} ({result.days_in_year} d)"),
        ("days left (check day counted)", str(result.days_left)),
        ("amount / montant", result.amount),
        ("subscribed from now on", str(result.subscribed_after)),
        ("recorded", "yes" if result.recorded else "no (dry run)"),
    ]
    for key, value in rows:
        table.add_row(f"[bold]{key}[/bold]", value)
    console.print(table)
    for note in result.notes:
        console.print(note)


@app.command("check")
def check(
    tenant: Tenant,
    at: Annotated[str, typer.Option("--at", help="Check date YYYY-MM-DD.")],
    monitored: Annotated[
        int | None, typer.Option(help="Override the measured count (what-if).", min=0)
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute, record nothing.")] = False,
    output: Format = "table",
) -> None:
    """Compare monitored with subscribed assets and compute the regularisation (art. 4)."""
    on = parse_date(at, "--at")
    with cli_session() as session:
        result = checks.run_check(
            session, operator(), tenant, on, counting(), monitored=monitored, dry_run=dry_run
        )
    if output == "json":
        _echo_json(result.model_dump(mode="json"))
    else:
        _print_check(result)


@app.command("import")
def import_(
    tenant: Tenant,
    path: Annotated[
        Path, typer.Argument(help="CSV with columns kind,name[,description,monitored]")
    ],
) -> None:
    """Declare assets from a CSV file (all lines or none)."""
    try:
        items = parse_csv(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {exc}") from exc
    except CsvProblems as exc:
        for problem in exc.problems:
            console.print(f"[red]{problem}[/red]")
        raise fail(f"{len(exc.problems)} invalid line(s): nothing imported", 1) from exc
    with cli_session() as session:
        created, updated = service.declare_assets(session, operator(), tenant, items, utcnow())
    console.print(f"{created} asset(s) declared, {updated} updated for {tenant}")


@app.command("list")
def list_(
    tenant: Tenant,
    kind: Annotated[AssetKind | None, typer.Option()] = None,
    monitored: Annotated[bool | None, typer.Option("--monitored/--not-monitored")] = None,
    at: Annotated[str | None, typer.Option("--at", help="YYYY-MM-DD (default today).")] = None,
    output: Format = "table",
) -> None:
    """List a tenant's assets."""
    on = parse_date(at, "--at") if at else utcnow().date()
    with cli_session() as session:
        rows, _ = service.list_assets(
            session,
            operator(),
            tenant,
            PageRequest(limit=100_000),
            on,
            counting(),
            kind=kind,
            monitored=monitored,
        )
    if output == "json":
        _echo_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table("id", "kind", "name", "declared", "first seen", "last seen", "monitored")
    for r in rows:
        table.add_row(
            str(r.id),
            r.kind.value,
            r.name,
            "monitored" if r.declared_monitored else ("yes" if r.declared else "no"),
            r.first_seen.isoformat(timespec="seconds") if r.first_seen else "—",
            r.last_seen.isoformat(timespec="seconds") if r.last_seen else "—",
            "yes" if r.monitored else "no",
        )
    console.print(table)


@app.command("summary")
def summary(
    tenant: Tenant,
    at: Annotated[str | None, typer.Option("--at", help="YYYY-MM-DD (default today).")] = None,
) -> None:
    """Monitored assets against the subscription (json)."""
    on = parse_date(at, "--at") if at else utcnow().date()
    with cli_session() as session:
        scope = operator()
        tenant_id = tenants.get_tenant(session, scope, tenant).id
        result = service.asset_summary(session, scope, tenant_id, on, counting())
    _echo_json(result.model_dump(mode="json"))
