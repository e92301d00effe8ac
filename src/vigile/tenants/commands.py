"""`vigile tenant …` commands."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.table import Table

from vigile.cli_support import cli_errors, cli_session, console, fail, operator, parse_date
from vigile.config import get_settings
from vigile.pagination import PageRequest
from vigile.tenants import service
from vigile.tenants.schemas import TenantCreate, TenantDayIn, TenantDayOut, TenantOut, TenantUpdate
from vigile.tenants.types import (
    DEFAULT_HOLIDAYS,
    DEFAULT_HOURS,
    DEFAULT_TIMEZONE,
    DayKind,
    TenantStatus,
)

app = typer.Typer(help="Client organisations (tenants).", no_args_is_help=True)
days_app = typer.Typer(
    help="Extra closed days and extra open days of a tenant.", no_args_is_help=True
)
app.add_typer(days_app, name="days")

Format = Annotated[str, typer.Option("--format", help="table or json.")]
RetentionCreate = Annotated[
    int | None,
    typer.Option(
        "--event-retention-days",
        help="Days its events are kept (default: VIGILE_EVENT_RETENTION_DAYS).",
    ),
]
RetentionUpdate = Annotated[
    str | None,
    typer.Option(
        "--event-retention-days",
        help="Days its events are kept, or 'default' for VIGILE_EVENT_RETENTION_DAYS.",
    ),
]


def _retention_option(value: str) -> int | None:
    """``N`` days, or ``default`` (None: the platform's retention)."""
    if value.strip().lower() == "default":
        return None
    try:
        return int(value)
    except ValueError as exc:
        message = f"--event-retention-days: expected a number of days or 'default', not {value!r}"
        raise fail(message) from exc


def _show(tenant: TenantOut, output: str) -> None:
    if output == "json":
        console.print_json(orjson.dumps(tenant.model_dump(mode="json")).decode())
        return
    table = Table(show_header=False, box=None)
    for key, value in tenant.model_dump(mode="json").items():
        shown = value if value is not None else "—"
        if key == "twenty_four_seven":
            shown = "yes (level 4 handled 24/7)" if value else "no (business hours)"
        elif key == "event_retention_days":
            days = value if value is not None else get_settings().event_retention_days
            shown = f"{days} days" + ("" if value is not None else " (platform default)")
        table.add_row(f"[bold]{key}[/bold]", str(shown))
    console.print(table)


@app.command("create")
def create(
    slug: Annotated[str, typer.Argument(help="Short unique identifier, e.g. acme.")],
    name: Annotated[str, typer.Option("--name", help="Organisation name.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = DEFAULT_TIMEZONE,
    holidays: Annotated[str, typer.Option(help="FR, FR-57, FR-6AE…")] = DEFAULT_HOLIDAYS,
    hours: Annotated[str, typer.Option(help='e.g. "mon-fri 09:00-18:00".')] = DEFAULT_HOURS,
    twenty_four_seven: Annotated[
        bool, typer.Option("--24x7", help="24/7 subscription (level 4 around the clock).")
    ] = False,
    go_live: Annotated[
        str | None, typer.Option("--go-live", help="Go-live date YYYY-MM-DD.")
    ] = None,
    event_retention_days: RetentionCreate = None,
    output: Format = "table",
) -> None:
    """Create a tenant."""
    with cli_errors():
        data = TenantCreate(
            slug=slug,
            name=name,
            timezone=timezone,
            holidays=holidays,
            hours=hours,
            twenty_four_seven=twenty_four_seven,
            go_live=parse_date(go_live, "--go-live"),
            event_retention_days=event_retention_days,
        )
    with cli_session() as session:
        tenant = TenantOut.model_validate(service.create_tenant(session, operator(), data))
    _show(tenant, output)


@app.command("list")
def list_(output: Format = "table") -> None:
    """List tenants."""
    with cli_session() as session:
        rows, _ = service.list_tenants(session, operator(), PageRequest(limit=10_000))
        tenants = [TenantOut.model_validate(t) for t in rows]
    if output == "json":
        console.print_json(orjson.dumps([t.model_dump(mode="json") for t in tenants]).decode())
        return
    table = Table("slug", "name", "time zone", "holidays", "hours", "24/7", "go-live", "status")
    for t in tenants:
        table.add_row(
            t.slug,
            t.name,
            t.timezone,
            t.holidays,
            t.hours,
            "yes" if t.twenty_four_seven else "no",
            t.go_live.isoformat() if t.go_live else "—",
            t.status,
        )
    console.print(table)


@app.command("show")
def show(slug: str, output: Format = "table") -> None:
    """Show a tenant."""
    with cli_session() as session:
        tenant = TenantOut.model_validate(service.get_tenant(session, operator(), slug))
    _show(tenant, output)


@app.command("update")
def update(
    slug: str,
    name: Annotated[str | None, typer.Option("--name")] = None,
    timezone: Annotated[str | None, typer.Option()] = None,
    holidays: Annotated[str | None, typer.Option()] = None,
    hours: Annotated[str | None, typer.Option()] = None,
    twenty_four_seven: Annotated[
        bool | None, typer.Option("--24x7/--business-hours", help="Service hours.")
    ] = None,
    go_live: Annotated[
        str | None, typer.Option("--go-live", help="YYYY-MM-DD, or 'none' to clear.")
    ] = None,
    status: Annotated[TenantStatus | None, typer.Option()] = None,
    event_retention_days: RetentionUpdate = None,
    output: Format = "table",
) -> None:
    """Change a tenant's settings (only the options given)."""
    given: dict[str, object] = {
        k: v
        for k, v in {
            "name": name,
            "timezone": timezone,
            "holidays": holidays,
            "hours": hours,
            "twenty_four_seven": twenty_four_seven,
            "status": status,
        }.items()
        if v is not None
    }
    if go_live is not None:
        given["go_live"] = None if go_live.lower() == "none" else parse_date(go_live, "--go-live")
    if event_retention_days is not None:
        given["event_retention_days"] = _retention_option(event_retention_days)
    with cli_session() as session:
        tenant = service.update_tenant(session, operator(), slug, TenantUpdate(**given))
        out = TenantOut.model_validate(tenant)
    _show(out, output)


@days_app.command("add")
def add_days(
    slug: str,
    days: Annotated[list[str], typer.Argument(help="Local dates YYYY-MM-DD.")],
    closed: Annotated[
        bool, typer.Option("--closed/--open", help="Extra closed day (default) or open day.")
    ] = True,
    note: Annotated[str, typer.Option(help="Why, e.g. 'bridge day'.")] = "",
) -> None:
    """Declare dates extra closed (no business hours) or extra open (working days)."""
    parsed = [parse_date(day, "DAYS") for day in days]
    data = TenantDayIn(kind=DayKind.CLOSED if closed else DayKind.OPEN, note=note)
    with cli_session() as session:
        for day in parsed:
            service.set_day(session, operator(), slug, day, data)
    console.print(f"{len(parsed)} day(s) declared {data.kind.value} for {slug}")


@days_app.command("remove")
def remove_days(
    slug: str, days: Annotated[list[str], typer.Argument(help="Local dates YYYY-MM-DD.")]
) -> None:
    """Withdraw declared extra days."""
    parsed = [parse_date(day, "DAYS") for day in days]
    with cli_session() as session:
        for day in parsed:
            service.remove_day(session, operator(), slug, day)
    console.print(f"{len(parsed)} day(s) withdrawn for {slug}")


@days_app.command("list")
def list_days(slug: str, output: Format = "table") -> None:
    """List a tenant's extra closed and open days."""
    with cli_session() as session:
        rows = [
            TenantDayOut.model_validate(d) for d in service.list_days(session, operator(), slug)
        ]
    if output == "json":
        typer.echo(orjson.dumps([r.model_dump(mode="json") for r in rows]).decode())
        return
    table = Table("day", "weekday", "kind", "note")
    for r in rows:
        table.add_row(r.day.isoformat(), r.day.strftime("%a"), r.kind.value, r.note)
    console.print(table)
