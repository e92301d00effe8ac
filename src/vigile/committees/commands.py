"""`vigile committee …` commands (thin: they call the committees services)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from vigile.cli_support import cli_errors, cli_session, console, fail, operator, parse_date
from vigile.committees import actions, render, report, service, terms, views, workflow
from vigile.committees.policy import CommitteePolicy
from vigile.committees.schemas import (
    ActionIn,
    ActionUpdate,
    CommitteeCreate,
    CommitteeOut,
    CommitteeSettingsIn,
    ParticipantIn,
)
from vigile.committees.types import ActionStatus, Indicator, Lang, Recurrence, ReportStatus
from vigile.config import get_settings
from vigile.db import utcnow
from vigile.pagination import PageRequest

app = typer.Typer(
    help="Operational committees: schedule, records, reports (compte-rendu), action plan.",
    no_args_is_help=True,
)
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug.")]
Day = Annotated[str, typer.Option("--date", help="Committee date YYYY-MM-DD.")]
Format = Annotated[str, typer.Option("--format", help="table or json.")]


def _policy() -> CommitteePolicy:
    with cli_errors():
        return CommitteePolicy.from_settings(get_settings())


def _json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _split(value: str, option: str, parts: int) -> list[str]:
    fields = [f.strip() for f in value.split("|")]
    if not 1 <= len(fields) <= parts:
        raise fail(f"{option}: expected at most {parts} fields separated by '|', got {value!r}")
    return fields + [""] * (parts - len(fields))


def _print(rows: list[CommitteeOut], output: str) -> None:
    if output == "json":
        _json([r.model_dump(mode="json") for r in rows])
        return
    table = Table("id", "tenant", "date", "period", "report", "due", "flag", "participants")
    for r in rows:
        flag = "OVERDUE" if r.overdue else ("sent late" if r.sent_late else "")
        table.add_row(
            str(r.id),
            r.tenant,
            r.held_on.isoformat(),
            f"{r.period_from} → {r.period_to}",
            r.status.value,
            r.due_on.isoformat(),
            f"[red]{flag}[/red]" if flag else "",
            str(len(r.participants)),
        )
    console.print(table)


@app.command("settings")
def settings_(
    tenant: Tenant,
    recurrence: Annotated[Recurrence | None, typer.Option(help="Recurrence of the offer.")] = None,
    first: Annotated[str | None, typer.Option("--first", help="First committee date.")] = None,
    indicators: Annotated[
        str | None,
        typer.Option(help=f"Comma-separated, in report order: {', '.join(Indicator)}."),
    ] = None,
) -> None:
    """Show, or set, a tenant's committee recurrence and indicators chosen during build."""
    with cli_errors():
        given: dict[str, Any] = {}
        if recurrence is not None:
            given["recurrence"] = recurrence
        if first is not None:
            given["first_on"] = parse_date(first, "--first")
        if indicators is not None:
            given["indicators"] = [i.strip() for i in indicators.split(",") if i.strip()]
        data = CommitteeSettingsIn.model_validate(given)
    with cli_session() as session:
        if given:
            out = terms.set_settings(session, operator(), tenant, data, utcnow)
        else:
            out = terms.get_settings(session, operator(), tenant)
    _json(out.model_dump(mode="json"))


@app.command("schedule")
def schedule(tenant: Tenant, count: Annotated[int, typer.Option(min=1)] = 4) -> None:
    """Next planned committees from the recurrence."""
    policy = _policy()
    with cli_session() as session:
        out = terms.schedule(session, operator(), tenant, policy.today(utcnow()), count)
    _json(out.model_dump(mode="json"))


@app.command("record")
def record(
    tenant: Tenant,
    date: Day,
    participant: Annotated[
        list[str] | None, typer.Option(help='"Name|Organisation|Role" (repeat).')
    ] = None,
    decision: Annotated[list[str] | None, typer.Option(help="A decision (repeat).")] = None,
    action: Annotated[
        list[str] | None, typer.Option(help='"Title|Owner|YYYY-MM-DD" new action item (repeat).')
    ] = None,
    period_from: Annotated[str | None, typer.Option(help="First day reported on.")] = None,
    notes: Annotated[str, typer.Option()] = "",
    output: Format = "table",
) -> None:
    """Record a committee held with a tenant (its report starts as a draft)."""
    policy = _policy()
    with cli_errors():
        people = [
            ParticipantIn(name=n, organisation=o, role=r)
            for n, o, r in (_split(p, "--participant", 3) for p in participant or [])
        ]
        items = []
        for text in action or []:
            title, owner, due = _split(text, "--action", 3)
            items.append(ActionIn(title=title, owner=owner, due_on=parse_date(due, "--action")))
        data = CommitteeCreate(
            tenant=tenant,
            held_on=parse_date(date, "--date"),
            period_from=parse_date(period_from, "--period-from"),
            participants=people,
            decisions=decision or [],
            actions=items,
            notes=notes,
        )
    with cli_session() as session:
        committee = service.record(session, operator(), data, policy, utcnow)
        out = views.committee_out(session, operator(), committee, policy, utcnow())
    _print([out], output)


@app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug.")] = None,
    status: Annotated[ReportStatus | None, typer.Option(help="Report status.")] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only drafts past their due date.")
    ] = False,
    output: Format = "table",
) -> None:
    """Committees, newest first, with their report status and due date."""
    policy = _policy()
    now = utcnow()
    with cli_session() as session:
        scope = operator()
        rows, _ = service.list_committees(
            session,
            scope,
            PageRequest(limit=10_000),
            policy.today(now),
            tenant=tenant,
            status=status,
            overdue=True if overdue else None,
        )
        outs = [views.committee_out(session, scope, c, policy, now) for c in rows]
    _print(outs, output)


@app.command("show")
def show(tenant: Tenant, date: Day) -> None:
    """One committee, as JSON."""
    policy = _policy()
    with cli_session() as session:
        committee = service.get_on(session, operator(), tenant, parse_date(date, "--date"))
        out = views.committee_out(session, operator(), committee, policy, utcnow())
    _json(out.model_dump(mode="json"))


@app.command("send")
def send(tenant: Tenant, date: Day) -> None:
    """Send the report to the client: its content is frozen as sent."""
    policy = _policy()
    with cli_session() as session:
        committee = service.get_on(session, operator(), tenant, parse_date(date, "--date"))
        workflow.send(session, operator(), committee.id, policy, utcnow)
        out = views.committee_out(session, operator(), committee, policy, utcnow())
    late = " (after its due date)" if out.sent_late else ""
    console.print(f"report of {tenant} {date} sent{late}; due {out.due_on}")


@app.command("validate")
def validate(
    tenant: Tenant,
    date: Day,
    note: Annotated[
        str | None, typer.Option(help='How the client validated, e.g. "e-mail".')
    ] = None,
) -> None:
    """Record the client's validation of a sent report."""
    with cli_session() as session:
        committee = service.get_on(session, operator(), tenant, parse_date(date, "--date"))
        workflow.validate(session, operator(), committee.id, note, utcnow)
    console.print(f"report of {tenant} {date} validated")


@app.command("report")
def report_(
    tenant: Tenant,
    date: Day,
    lang: Annotated[Lang, typer.Option(help="fr or en.")] = Lang.FR,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML here.")] = None,
) -> None:
    """Render a committee's report (HTML on stdout unless --pdf/--html are given)."""
    policy = _policy()
    with cli_session() as session:
        committee = service.get_on(session, operator(), tenant, parse_date(date, "--date"))
        data = report.data(session, operator(), committee, utcnow, policy.counting)
        line = views.status_line(committee)
    page = render.html(data, line, lang)
    if html is not None:
        html.write_text(page, encoding="utf-8")
        console.print(f"HTML written to {html}")
    if pdf is not None:
        pdf.write_bytes(render.pdf(data, line, lang))
        console.print(f"PDF written to {pdf}")
    if html is None and pdf is None:
        typer.echo(page)


@app.command("actions")
def list_actions(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only items not closed.")] = False,
    output: Format = "table",
) -> None:
    """Action plan items, oldest committee first."""
    with cli_session() as session:
        rows, _ = actions.list_actions(
            session, operator(), PageRequest(limit=10_000), tenant=tenant, open_only=open_only
        )
        outs = [views.action_out(a, held_on) for a, held_on in rows]
    if output == "json":
        _json([o.model_dump(mode="json") for o in outs])
        return
    table = Table("id", "decided", "action", "owner", "due", "status", "closed")
    for o in outs:
        table.add_row(
            str(o.id),
            o.decided_on.isoformat(),
            o.title,
            o.owner,
            str(o.due_on or "—"),
            o.status.value,
            str(o.closed_on or "—"),
        )
    console.print(table)


@app.command("action")
def update_action(
    action_id: int,
    status: Annotated[ActionStatus | None, typer.Option(help="New status.")] = None,
    closed_on: Annotated[str | None, typer.Option(help="Closing date (default today).")] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    due: Annotated[str | None, typer.Option("--due", help="New due date.")] = None,
    title: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Change an action item (closing it dates it; open items are carried over)."""
    policy = _policy()
    with cli_errors():
        given: dict[str, Any] = {"status": status, "owner": owner, "title": title}
        given = {k: v for k, v in given.items() if v is not None}
        if closed_on is not None:
            given["closed_on"] = parse_date(closed_on, "--closed-on")
        if due is not None:
            given["due_on"] = parse_date(due, "--due")
        data = ActionUpdate.model_validate(given)
    with cli_session() as session:
        action = actions.update_action(session, operator(), action_id, data, policy, utcnow)
        summary = f"action {action.id}: {action.status} (closed {action.closed_on or '—'})"
    console.print(summary)
