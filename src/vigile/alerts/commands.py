"""`vigile alerts …` commands (thin: they call the alerts services)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from vigile.alerts import queries, rules, service, views
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.queries import AlertFilters
from vigile.alerts.schemas import AlertInput, AlertOut, RuleExceptionIn
from vigile.alerts.types import AlertState, SlaState, Verdict
from vigile.cli_support import cli_errors, cli_session, console, fail, operator
from vigile.config import get_settings
from vigile.db import utcnow
from vigile.pagination import PageRequest
from vigile.tenants import service as tenants

app = typer.Typer(help="Alerts: queue, triage, verdicts, rule exceptions.", no_args_is_help=True)
exceptions_app = typer.Typer(help="Rules disabled for one tenant.", no_args_is_help=True)
app.add_typer(exceptions_app, name="exceptions")

Format = Annotated[str, typer.Option("--format", help="table or json.")]


def parse_instant(value: str, option: str) -> datetime:
    """An ISO 8601 instant that carries its UTC offset (or Z); a naive time is refused."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{option}: not an ISO 8601 date-time: {value!r}") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise fail(
            f"{option} {value!r} has no UTC offset: add one or Z, "
            "e.g. 2026-12-28T09:00:00+01:00 or 2026-12-28T08:00:00Z"
        )
    return moment


def echo_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _print_alerts(alerts: list[AlertOut], output: str) -> None:
    if output == "json":
        echo_json([a.model_dump(mode="json") for a in alerts])
        return
    columns = ["id", "tenant", "level", "rule", "host", "raised (UTC)", "deadline (local)"]
    columns += ["SLA", "left (business min)", "state", "assignee", "matches"]
    table = Table(*columns)
    for a in alerts:
        left = a.sla.minutes_left_open
        table.add_row(
            str(a.id),
            a.tenant,
            a.level_label,
            a.rule_title,
            a.host or "—",
            a.raised_at.isoformat(timespec="seconds"),
            a.sla.due_at_local or f"none: {a.sla.reason}",
            a.sla_state.value,
            "—" if left is None else f"{left:.0f}",
            a.state.value + (f" ({a.verdict.value})" if a.verdict else ""),
            a.assignee or "—",
            str(a.match_count),
        )
    console.print(table)


def _show(alert_id: int, output: str = "table") -> None:
    share = get_settings().sla_due_soon_share
    with cli_session() as session:
        scope = operator()
        alert = service.get_alert(session, scope, alert_id)
        (out,) = views.alert_outs(session, scope, [alert], utcnow(), share)
    _print_alerts([out], output)


@app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug.")] = None,
    state: Annotated[list[AlertState] | None, typer.Option(help="Repeatable.")] = None,
    level: Annotated[list[int] | None, typer.Option(min=1, max=4, help="Repeatable.")] = None,
    sla_state: Annotated[list[SlaState] | None, typer.Option("--sla-state")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Rule id.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 200,
    output: Format = "table",
) -> None:
    """The alert queue, by deadline first."""
    filters = AlertFilters(
        tenant=tenant,
        states=tuple(state or ()),
        levels=tuple(level or ()),
        sla_states=tuple(sla_state or ()),
        rule_id=rule,
    )
    share = get_settings().sla_due_soon_share
    now = utcnow()
    with cli_session() as session:
        scope = operator()
        rows, _ = queries.list_alerts(session, scope, filters, PageRequest(limit=limit), now, share)
        alerts = views.alert_outs(session, scope, rows, now, share)
    _print_alerts(alerts, output)


@app.command("show")
def show(alert_id: int, output: Format = "table") -> None:
    """Show one alert."""
    _show(alert_id, output)


@app.command("ack")
def ack(alert_id: int) -> None:
    """Acknowledge (take into account) an alert."""
    with cli_session() as session:
        service.acknowledge(session, operator(), alert_id, utcnow)
    _show(alert_id)


@app.command("start")
def start(alert_id: int) -> None:
    """Start working on an alert."""
    with cli_session() as session:
        service.start(session, operator(), alert_id, utcnow)
    _show(alert_id)


@app.command("assign")
def assign(
    alert_id: int, username: Annotated[str | None, typer.Argument(help="Omit to unassign.")] = None
) -> None:
    """Assign an alert to an analyst."""
    with cli_session() as session:
        service.assign(session, operator(), alert_id, username, utcnow)
    _show(alert_id)


@app.command("level")
def level(
    alert_id: int,
    new_level: Annotated[int, typer.Argument(min=1, max=4)],
    reason: Annotated[str, typer.Option(help="Why the level changes.")],
) -> None:
    """Change an alert's criticality (deadline recomputed from the raise time)."""
    with cli_session() as session:
        service.change_level(session, operator(), alert_id, new_level, reason, utcnow)
    _show(alert_id)


@app.command("close")
def close(
    alert_id: int,
    verdict: Annotated[Verdict, typer.Option(help="The triage verdict.")],
    comment: Annotated[str, typer.Option(help="Why.")],
) -> None:
    """Close an alert with a verdict."""
    with cli_session() as session:
        service.close(session, operator(), alert_id, verdict, comment, utcnow)
    _show(alert_id)


@app.command("reopen")
def reopen(alert_id: int, reason: Annotated[str, typer.Option()] = "") -> None:
    """Reopen a closed alert."""
    with cli_session() as session:
        service.reopen(session, operator(), alert_id, reason, utcnow)
    _show(alert_id)


@app.command("comment")
def comment(alert_id: int, text: str) -> None:
    """Comment on an alert."""
    with cli_session() as session:
        service.comment(session, operator(), alert_id, text, utcnow)
    console.print(f"comment added to alert {alert_id}")


@app.command("raise")
def raise_(
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    rule_id: Annotated[str, typer.Option("--rule-id")],
    title: Annotated[str, typer.Option()],
    level: Annotated[str, typer.Option(help="Sigma level or criticality 1-4.")],
    event: Annotated[list[str] | None, typer.Option(help="Matching event as JSON.")] = None,
    at: Annotated[str | None, typer.Option(help="Raise time, ISO 8601 with offset.")] = None,
    key_field: Annotated[list[str] | None, typer.Option("--key-field")] = None,
    output: Format = "table",
) -> None:
    """Raise an alert by hand (operations, tests), as the detection pipeline would."""
    raised_at = parse_instant(at, "--at") if at else None
    try:
        events = [orjson.loads(e) for e in event or ()] or [{"source": "vigile-cli"}]
    except orjson.JSONDecodeError as exc:
        raise fail(f"--event: not JSON: {exc}") from exc
    if not all(isinstance(e, dict) for e in events):
        raise fail("--event: each event must be a JSON object")
    with cli_errors():
        detection = AlertInput(
            rule_id=rule_id,
            rule_title=title,
            rule_level=level,
            events=events,
            raised_at=raised_at,
            key_fields=key_field or [],
        )
    with cli_session() as session:
        scope = operator()
        tenant_id = tenants.get_tenant(session, scope, tenant).id
        policy = AlertPolicy.from_settings(get_settings())
        outcome = service.raise_alert(session, scope, tenant_id, detection, utcnow, policy)
    if outcome.alert is None:
        raise fail(f"rule {rule_id!r} is disabled for {tenant!r}: {outcome.exception_reason}", 1)
    if output != "json":
        console.print(f"{outcome.status.value}: alert {outcome.alert.id}")
    _show(outcome.alert.id, output)


@exceptions_app.command("add")
def exception_add(
    tenant: Annotated[str, typer.Option()],
    rule_id: Annotated[str, typer.Option("--rule-id")],
    reason: Annotated[str, typer.Option()],
) -> None:
    """Disable a rule for one tenant."""
    with cli_session() as session:
        data = RuleExceptionIn(tenant=tenant, rule_id=rule_id, reason=reason)
        row = rules.create_exception(session, operator(), data, utcnow)
        console.print(f"rule exception {row.id}: {rule_id} disabled for {tenant}")


@exceptions_app.command("revoke")
def exception_revoke(exception_id: int, reason: Annotated[str, typer.Option()] = "") -> None:
    """Enable the rule again (the exception stays on record)."""
    with cli_session() as session:
        row = rules.revoke_exception(session, operator(), exception_id, reason, utcnow)
        console.print(f"rule exception {row.id} revoked: {row.rule_id} enabled again")


@exceptions_app.command("list")
def exception_list(
    tenant: Annotated[str | None, typer.Option()] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include revoked exceptions.")] = False,
    output: Format = "table",
) -> None:
    """List rule exceptions (active ones by default)."""
    with cli_session() as session:
        rows, _ = rules.list_exceptions(
            session,
            operator(),
            PageRequest(limit=10_000),
            tenant=tenant,
            active=None if all_ else True,
        )
        outs = [rules.exception_out(session, r) for r in rows]
    if output == "json":
        echo_json([o.model_dump(mode="json") for o in outs])
        return
    table = Table("id", "tenant", "rule", "reason", "by", "since (UTC)", "active")
    for o in outs:
        since = o.created_at.isoformat(timespec="seconds")
        table.add_row(str(o.id), o.tenant, o.rule_id, o.reason, o.created_by, since, str(o.active))
    console.print(table)


@app.command("quality")
def quality(
    tenant: Annotated[str | None, typer.Option()] = None,
    since: Annotated[str | None, typer.Option(help="Raised from (ISO 8601 with offset).")] = None,
    output: Format = "table",
) -> None:
    """Verdicts per rule and tenant: the noisiest rules first."""
    raised_from = parse_instant(since, "--since") if since else None
    with cli_session() as session:
        rows = rules.quality(session, operator(), tenant=tenant, raised_from=raised_from)
    if output == "json":
        echo_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table("tenant", "rule", "alerts", "open", "TP", "BP", "FP", "dup", "TP rate", "FP rate")
    for r in rows:
        counts = [r.alerts, r.open, r.true_positive, r.benign_positive, r.false_positive]
        rates = [_rate(r.true_positive_rate), _rate(r.false_positive_rate)]
        rule = f"{r.rule_title} ({r.rule_id})"
        table.add_row(r.tenant, rule, *map(str, [*counts, r.duplicate]), *rates)
    console.print(table)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"
