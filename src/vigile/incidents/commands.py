"""`vigile incidents …` and `vigile actions …` commands."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from vigile.cli_support import cli_session, console, operator
from vigile.config import get_settings
from vigile.db import utcnow
from vigile.incidents import actions, blocklists, escalation, export, service, views
from vigile.incidents.schemas import ActionIn, IncidentCreate, IncidentUpdate
from vigile.incidents.types import ActionType, IncidentStatus, Outcome
from vigile.pagination import PageRequest

app = typer.Typer(help="Incidents: create, list, escalate, export.", no_args_is_help=True)
actions_app = typer.Typer(help="Containment actions (four-eyes).", no_args_is_help=True)


@app.command("create")
def create(
    from_alert: Annotated[int | None, typer.Option("--from-alert", help="Alert id.")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    criticality: Annotated[int | None, typer.Option("--criticality", min=1, max=4)] = None,
    summary: Annotated[str, typer.Option("--summary")] = "",
) -> None:
    """Open an incident from an alert (or for a tenant with --title and --criticality)."""
    data = IncidentCreate(
        from_alert=from_alert, tenant=tenant, title=title, criticality=criticality, summary=summary
    )
    with cli_session() as session:
        incident = service.create_incident(session, operator(), data, utcnow)
        console.print(f"incident {incident.id} opened: {incident.title}")


@app.command("list")
def list_incidents(
    tenant: Annotated[str | None, typer.Option("--tenant")] = None,
    status: Annotated[IncidentStatus | None, typer.Option("--status")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
) -> None:
    """Incidents, newest first."""
    with cli_session() as session:
        rows, total = service.list_incidents(
            session, operator(), PageRequest(limit=limit), tenant=tenant, status=status
        )
        table = Table("id", "tenant", "crit.", "status", "title", "alerts", "outcome")
        for i in views.incidents_out(session, rows):
            table.add_row(
                str(i.id),
                i.tenant,
                str(i.criticality),
                i.status,
                i.title,
                ",".join(map(str, i.alert_ids)),
                i.outcome or "—",
            )
        console.print(table)
        console.print(f"{total} in all")


@app.command("close")
def close(
    incident_id: int,
    outcome: Annotated[Outcome, typer.Option("--outcome")],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
) -> None:
    """Close an incident with its outcome."""
    data = IncidentUpdate(status=IncidentStatus.CLOSED, outcome=outcome, outcome_comment=comment)
    with cli_session() as session:
        service.update_incident(session, operator(), incident_id, data, utcnow)
        console.print(f"incident {incident_id} closed: {outcome.value}")


@app.command("escalate")
def escalate(incident_id: int, note: Annotated[str, typer.Option("--note")] = "") -> None:
    """Notify the tenant's primary referent (the backup follows without acknowledgement)."""
    delay = timedelta(minutes=get_settings().escalation_ack_minutes)
    with cli_session() as session:
        esc = escalation.escalate(session, operator(), incident_id, note, delay, utcnow)
        console.print(
            f"escalated; backup notified at {esc.backup_due_at.isoformat()} "
            "without acknowledgement (delivered by `vigile serve` or `vigile notify send`)"
        )


@app.command("export")
def export_incident(
    incident_id: int,
    lang: Annotated[str, typer.Option("--lang", help="fr or en.")] = "fr",
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF report here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON here.")] = None,
) -> None:
    """Export an incident with its evidence hashes (JSON on stdout unless a file is given)."""
    with cli_session() as session:
        doc = export.document(session, operator(), incident_id, utcnow())
    if pdf:
        pdf.write_bytes(export.pdf(doc, lang))
    if html:
        html.write_text(export.html(doc, lang), encoding="utf-8")
    if json_out:
        json_out.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    if not (pdf or html or json_out):
        typer.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())


@actions_app.command("propose")
def propose(
    incident: Annotated[int, typer.Option("--incident")],
    action_type: Annotated[ActionType, typer.Option("--type")],
    target: Annotated[str, typer.Option("--target")],
    reason: Annotated[str, typer.Option("--reason")],
    expires: Annotated[
        datetime | None, typer.Option("--expires", help="ISO 8601 with offset.")
    ] = None,
) -> None:
    """Propose a containment action."""
    data = ActionIn(
        incident_id=incident, type=action_type, target=target, reason=reason, expires_at=expires
    )
    with cli_session() as session:
        action = actions.propose(session, operator(), data, get_settings(), utcnow)
        console.print(f"action {action.id} proposed: {action.type} {action.target}")


def _step(name: str) -> None:
    def command(action_id: int) -> None:
        with cli_session() as session:
            scope, settings = operator(), get_settings()
            if name == "approve":
                action = actions.approve(session, scope, action_id, utcnow)
            elif name == "apply":
                action = actions.apply(session, scope, action_id, settings, utcnow)
            else:
                action = actions.revert(session, scope, action_id, settings, utcnow)
            console.print(f"action {action.id}: {action.state}")

    command.__doc__ = f"{name.capitalize()} a containment action."
    actions_app.command(name)(command)


for _name in ("approve", "apply", "revert"):
    _step(_name)


@actions_app.command("list")
def list_actions(tenant: Annotated[str | None, typer.Option("--tenant")] = None) -> None:
    """Containment actions, newest first."""
    with cli_session() as session:
        rows, _ = actions.list_actions(session, operator(), PageRequest(limit=200), tenant=tenant)
        table = Table("id", "tenant", "incident", "type", "target", "state", "expires")
        for a in views.actions_out(session, rows):
            table.add_row(
                str(a.id),
                a.tenant,
                str(a.incident_id),
                a.type,
                a.target,
                a.state,
                a.expires_at.isoformat() if a.expires_at else "—",
            )
        console.print(table)


@actions_app.command("blocklist-token")
def blocklist_token(tenant: Annotated[str, typer.Option("--tenant")]) -> None:
    """Create a block list token for a tenant's firewalls (printed once, last line)."""
    with cli_session() as session:
        _, secret = blocklists.create_token(session, operator(), tenant, utcnow)
    console.print(
        f"URL: /api/v1/blocklists/{tenant}/{{ip,domain,url,hash}}.txt "
        "(Basic auth, any user name, this token as password)"
    )
    typer.echo(secret)
