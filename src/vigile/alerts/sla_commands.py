"""`vigile sla …` commands: a deadline for a tenant, the compliance report, the watch."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vigile.alerts import compliance
from vigile.alerts.commands import echo_json, parse_instant
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.scheduler import watch_once
from vigile.alerts.schemas import ComplianceReport
from vigile.cli_support import cli_errors, cli_session, console, fail, operator, parse_date
from vigile.config import get_settings
from vigile.db import make_engine, make_sessionmaker, utcnow
from vigile.service_levels import Level, ServiceLevelError, compute_deadline
from vigile.tenants import service as tenants

app = typer.Typer(help="Service levels: deadlines, compliance, breach watch.", no_args_is_help=True)


@app.command("due")
def due(
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    level: Annotated[str, typer.Option(help="Criticality 1-4 (4 = critique).")],
    at: Annotated[str, typer.Option(help="Raise time, ISO 8601 with offset or Z.")],
) -> None:
    """Print the deadline of an alert of LEVEL raised AT, in the tenant's time zone."""
    raised = parse_instant(at, "--at")
    try:
        criticality = Level.parse(level)
    except ServiceLevelError as exc:
        raise typer.BadParameter(str(exc), param_hint="--level") from exc
    with cli_session() as session:
        scope = operator()
        terms = tenants.service_terms(session, scope, tenants.get_tenant(session, scope, tenant).id)
    try:
        deadline = compute_deadline(terms, criticality, raised)
    except ServiceLevelError as exc:
        raise fail(str(exc), code=1) from exc
    if deadline.due_at is None:
        typer.echo(f"none: {deadline.reason}")
    else:
        typer.echo(terms.calendar.to_local(deadline.due_at).isoformat())


@app.command("report")
def report(
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    date_from: Annotated[str, typer.Option("--from", help="First local date, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last local date (included).")],
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    lang: Annotated[str, typer.Option(help="fr or en (table labels).")] = "fr",
) -> None:
    """Compliance per level: alerts, acknowledged on time, breaches, times to acknowledge."""
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    with cli_session() as session:
        result = compliance.report(session, operator(), tenant, start, end, utcnow)
    if output == "json":
        echo_json(result.model_dump(mode="json"))
        return
    _print_report(result, french=lang.lower().startswith("fr"))


def _print_report(result: ComplianceReport, *, french: bool) -> None:
    if french:
        title = (
            f"Niveaux de service — {result.tenant}, du {result.period_from} au {result.period_to}"
        )
        head = ["niveau", "alertes", "prises en compte à temps", "dépassements", "en cours"]
        head += ["médiane HO (min)", "p90 HO (min)", "médiane réelle (min)", "p90 réel (min)"]
    else:
        title = f"Service levels — {result.tenant}, {result.period_from} to {result.period_to}"
        head = ["level", "alerts", "acknowledged on time", "breaches", "pending"]
        head += ["median business (min)", "p90 business (min)", "median wall (min)"]
        head += ["p90 wall (min)"]
    table = Table(*head, title=title)
    for row in result.levels:
        figures = [row.median_ack_business_minutes, row.p90_ack_business_minutes]
        figures += [row.median_ack_wall_minutes, row.p90_ack_wall_minutes]
        table.add_row(
            row.label if french else row.label_en,
            str(row.alerts),
            str(row.acknowledged_on_time),
            str(row.breaches),
            str(row.pending),
            *("—" if v is None else f"{v:g}" for v in figures),
        )
    console.print(table)


@app.command("watch")
def watch() -> None:
    """Mark breaches and due-soon alerts once (what `vigile serve` does every few seconds)."""
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with cli_errors():
            result = watch_once(
                make_sessionmaker(engine), utcnow, AlertPolicy.from_settings(settings)
            )
    finally:
        engine.dispose()
    console.print(f"{result.breached} breached, {result.due_soon} due soon")
