"""The full `vigile` command tree. Thin: each command parses its arguments and calls a
service. The console script enters through :mod:`vigile.cli`."""

from __future__ import annotations

from typing import Annotated

import typer

from vigile import __version__
from vigile.alerts.commands import app as alerts_app
from vigile.alerts.sla_commands import app as sla_app
from vigile.assets.commands import app as assets_app
from vigile.audit.commands import app as audit_app
from vigile.auth.commands import tokens as tokens_app
from vigile.auth.commands import users as users_app
from vigile.cli_support import console
from vigile.committees.commands import app as committee_app
from vigile.config import get_settings
from vigile.csirt.commands import app as csirt_app
from vigile.events.commands import app as events_app
from vigile.incidents.commands import actions_app
from vigile.incidents.commands import app as incidents_app
from vigile.ingest.commands import ingest_command, quarantine_app, worker_command
from vigile.notify.commands import app as notify_app
from vigile.referents.commands import app as referents_app
from vigile.rules.commands import app as rules_app
from vigile.scan.commands import scan_command
from vigile.sources.commands import app as sources_app
from vigile.tenants.commands import app as tenant_app
from vigile.tenants.contract_commands import app as contract_app

app = typer.Typer(
    name="vigile",
    help="Vigile — multi-tenant SOC platform.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)

app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(users_app, name="user")
app.add_typer(tokens_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(alerts_app, name="alerts")
app.add_typer(committee_app, name="committee")
app.add_typer(sla_app, name="sla")
app.add_typer(incidents_app, name="incidents")
app.add_typer(actions_app, name="actions")
app.add_typer(referents_app, name="referents")
app.add_typer(notify_app, name="notify")
app.add_typer(contract_app, name="contract")
app.add_typer(assets_app, name="assets")
app.add_typer(csirt_app, name="csirt")
app.command("scan")(scan_command)
app.command("ingest")(ingest_command)
app.command("worker")(worker_command)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(rules_app, name="rules")
app.add_typer(sources_app, name="sources")
app.add_typer(events_app, name="events")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from vigile import migrate

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    migrate.upgrade(url, revision)
    console.print(f"database at revision {', '.join(sorted(migrate.current_revisions(url)))}")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (VIGILE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (VIGILE_PORT).")] = None,
) -> None:
    """Run Vigile: migrations, first admin, then the API and console."""
    import uvicorn

    from vigile.app import create_app
    from vigile.bootstrap import prepare

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    first = prepare(settings)
    base = f"http://{host}:{port}"
    # Plain lines (no Rich wrapping): operators copy the URL and the password from here.
    lines = [
        f"Vigile {__version__} on {base}  (database: {settings.effective_database_url})",
        f"  API docs:   {base}/api/docs",
        f"  health:     {base}/healthz    readiness: {base}/readyz",
    ]
    if settings.sla_watch_seconds > 0:
        lines.append(f"  service-level watch: every {settings.sla_watch_seconds:g} s")
    if first.generated_password:
        lines += [
            f"  first administrator created: username '{first.username}', password below "
            "(shown once, store it now; or set VIGILE_ADMIN_PASSWORD before the first start):",
            f"  {first.generated_password}",
        ]
    elif first.admin_created:
        lines.append(f"  first administrator '{first.username}' created with VIGILE_ADMIN_PASSWORD")
    lines.append(
        f"  log in: 'Authorize' on {base}/api/docs, or "
        f"curl -u {first.username}:PASSWORD {base}/api/v1/auth/me"
    )
    typer.echo("\n".join(lines))
    uvicorn.run(create_app(settings, scheduler=True), host=host, port=port, log_level="info")
