"""`vigile notify …` commands: one sender pass, the outbox, webhook subscriptions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vigile.cli_support import cli_errors, cli_session, console, operator
from vigile.config import get_settings
from vigile.db import make_engine, make_sessionmaker, utcnow
from vigile.notify import sender, service
from vigile.pagination import PageRequest
from vigile.tenants import service as tenants

app = typer.Typer(help="Notifications: outbox, delivery, webhooks.", no_args_is_help=True)


@app.command("send")
def send_once() -> None:
    """Run one delivery pass (backups due, SLA events, due messages)."""
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with cli_errors():
            result = sender.deliver_pass(make_sessionmaker(engine), settings, utcnow)
    finally:
        engine.dispose()
    console.print(
        f"sent {result.sent}, failed {result.failed}, backups notified {result.backups}, "
        f"alert events {result.alert_events}"
    )


@app.command("list")
def list_outbox(limit: Annotated[int, typer.Option("--limit")] = 50) -> None:
    """The latest notifications and their delivery state."""
    with cli_session() as session:
        rows, total = service.list_notifications(session, operator(), PageRequest(limit=limit))
        table = Table("id", "tenant", "to", "role", "channel", "status", "tries", "sent", "ack")
        for r in rows:
            table.add_row(
                str(r.id),
                str(r.tenant_id or "—"),
                r.recipient,
                r.recipient_role,
                r.channel,
                r.status,
                str(r.attempts),
                r.sent_at.isoformat() if r.sent_at else "—",
                r.acknowledged_by or "—",
            )
        console.print(table)
        console.print(f"{total} in all")


@app.command("webhook-add")
def webhook_add(
    url: Annotated[str, typer.Argument(help="https://… endpoint")],
    secret: Annotated[str, typer.Option("--secret", help="HMAC key (16+ characters).")],
    tenant: Annotated[str | None, typer.Option("--tenant", help="Omit: provider on-duty.")] = None,
    language: Annotated[str, typer.Option("--language")] = "fr",
) -> None:
    """Subscribe a signed-webhook endpoint (ticketing, chat) to a tenant's escalations."""
    with cli_session() as session:
        scope = operator()
        tenant_id = tenants.get_tenant(session, scope, tenant).id if tenant else None
        row = service.add_webhook(session, scope, tenant_id, url, secret, language, utcnow())
        console.print(f"webhook {row.id} → {row.url}")
