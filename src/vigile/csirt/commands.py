"""`vigile csirt …`: incident-response subscription, prepaid credits, time spent."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from vigile.cli_support import cli_errors, cli_session, console, fail, operator, parse_date
from vigile.csirt import service
from vigile.csirt.schemas import (
    ConsumptionIn,
    NoticeIn,
    PurchaseIn,
    StatusOut,
    SubscribeIn,
    TimeEntryIn,
    WorkKind,
)
from vigile.pagination import PageRequest

app = typer.Typer(help="CSIRT subscription, prepaid credits, time spent.", no_args_is_help=True)
time_app = typer.Typer(help="Time spent on incidents, for billing.", no_args_is_help=True)
app.add_typer(time_app, name="time")

Format = Annotated[str, typer.Option("--format", help="table or json.")]
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug.")]
When = Annotated[str, typer.Option("--at", help="Date YYYY-MM-DD.")]


def _echo_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _print_status(result: StatusOut, output: str) -> None:
    data = result.model_dump(mode="json")
    if output == "json":
        _echo_json(data)
        return
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        table.add_row(f"[bold]{key}[/bold]", "—" if value is None else str(value))
    console.print(table)
    if result.notice_received is None:
        console.print(
            f"Renews tacitly on {result.term_end} unless a notice is received by "
            f"{result.notice_deadline}. / Reconduction tacite sauf résiliation reçue au plus "
            f"tard le {result.notice_deadline}."
        )
    else:
        en, fr = ("in time", "dans les délais") if result.notice_in_time else ("late", "tardive")
        console.print(
            f"Notice {en}: service ends on {result.ends_on}. / "
            f"Résiliation {fr} : fin du service le {result.ends_on}."
        )


@app.command("subscribe")
def subscribe(
    tenant: Tenant,
    start: Annotated[str, typer.Option("--start", help="YYYY-MM-DD.")],
    term_months: Annotated[int, typer.Option("--term-months", help="Initial term, months.")],
    output: Format = "table",
) -> None:
    """Subscribe a tenant (tacit renewal for the same duration)."""
    with cli_errors():
        data = SubscribeIn(start=parse_date(start, "--start"), term_months=term_months)
    with cli_session() as session:
        result = service.subscribe(session, operator(), tenant, data)
    _print_status(result, output)


@app.command("notice")
def notice(
    tenant: Tenant,
    received: Annotated[str, typer.Option("--received", help="Date received, YYYY-MM-DD.")],
    output: Format = "table",
) -> None:
    """Record a termination notice (registered letter) received on a date."""
    data = NoticeIn(received=parse_date(received, "--received"))
    with cli_session() as session:
        result = service.record_notice(session, operator(), tenant, data)
    _print_status(result, output)


@app.command("status")
def status(tenant: Tenant, at: When, output: Format = "table") -> None:
    """Current term, notice deadline and notice outcome on a date."""
    on = parse_date(at, "--at")
    with cli_session() as session:
        result = service.status(session, operator(), tenant, on)
    _print_status(result, output)


@app.command("buy")
def buy(
    tenant: Tenant,
    on: Annotated[str, typer.Option("--date", help="Purchase date YYYY-MM-DD.")],
    credits: Annotated[int, typer.Option("--credits", help="Credits bought.")],
    reference: Annotated[str, typer.Option(help="Order reference.")] = "",
) -> None:
    """Record a purchase of prepaid credits (valid 3 years)."""
    with cli_errors():
        data = PurchaseIn(date=parse_date(on, "--date"), credits=credits, reference=reference)
    with cli_session() as session:
        result = service.buy(session, operator(), tenant, data)
    console.print(f"{credits} credit(s) bought on {data.date}; balance that day: {result.balance}")


@app.command("consume")
def consume(
    tenant: Tenant,
    on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD.")],
    credits: Annotated[int, typer.Option("--credits", help="Credits used.")],
    incident: Annotated[str | None, typer.Option("--incident", help="Incident id.")] = None,
) -> None:
    """Use credits (refused when the balance on that date is too low)."""
    with cli_errors():
        data = ConsumptionIn(date=parse_date(on, "--date"), credits=credits, incident=incident)
    with cli_session() as session:
        result = service.consume(session, operator(), tenant, data)
    console.print(
        f"{credits} credit(s) used on {data.date}; balance that day: {result.balance_after}"
    )


@app.command("credits")
def credits_(tenant: Tenant, at: When, output: Format = "table") -> None:
    """Credits balance on a date, and each purchase."""
    on = parse_date(at, "--at")
    with cli_session() as session:
        result = service.credits(session, operator(), tenant, on)
    if output == "json":
        _echo_json(result.model_dump(mode="json"))
        return
    table = Table("bought on", "credits", "consumed", "expired", "remaining", "expires")
    for p in result.purchases:
        table.add_row(
            p.date.isoformat(),
            str(p.credits),
            str(p.consumed),
            str(p.expired),
            str(p.remaining),
            p.expires.isoformat(),
        )
    console.print(table)
    console.print(f"balance / solde on {on}: {result.balance} credit(s)")


@time_app.command("add")
def time_add(
    tenant: Tenant,
    incident: Annotated[str, typer.Option(help="Incident id.")],
    who: Annotated[str, typer.Option("--who", help="Who worked.")],
    hours: Annotated[str, typer.Option(help="Hours, e.g. 2.5.")],
    rate: Annotated[str, typer.Option(help="Hourly rate.")],
    on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD.")],
    kind: Annotated[WorkKind, typer.Option()] = WorkKind.INCIDENT_RESPONSE,
    description: Annotated[str, typer.Option()] = "",
) -> None:
    """Record time spent on an incident."""
    try:
        amounts = Decimal(hours), Decimal(rate)
    except InvalidOperation as exc:
        raise fail("--hours and --rate must be numbers") from exc
    with cli_errors():
        data = TimeEntryIn(
            incident=incident,
            person=who,
            date=parse_date(on, "--date"),
            hours=amounts[0],
            hourly_rate=amounts[1],
            kind=kind,
            description=description,
        )
    with cli_session() as session:
        entry = service.add_time(session, operator(), tenant, data)
    console.print(f"time entry {entry.id}: {entry.hours} h × {entry.hourly_rate} = {entry.amount}")


@time_app.command("list")
def time_list(
    tenant: Tenant,
    start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD.")] = None,
    output: Format = "table",
) -> None:
    """List time entries and their total."""
    first = parse_date(start, "--from")
    last = parse_date(end, "--to")
    with cli_session() as session:
        rows, _ = service.list_time(
            session, operator(), tenant, PageRequest(limit=100_000), first, last
        )
    if output == "json":
        _echo_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table("date", "incident", "who", "kind", "hours", "rate", "amount")
    for r in rows:
        table.add_row(
            r.date.isoformat(), r.incident, r.person, r.kind.value, r.hours, r.hourly_rate, r.amount
        )
    console.print(table)
    console.print(f"total: {sum(Decimal(r.amount) for r in rows):.2f}")
