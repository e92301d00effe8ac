"""`vigile rules …`: import, list, enable/disable rule sets (thin: calls the service)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from vigile.cli_support import cli_session, console, operator
from vigile.db import utcnow
from vigile.rules import service
from vigile.rules.types import Provenance

app = typer.Typer(help="Sigma rule sets: provenance, scope, versions.", no_args_is_help=True)


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="Folder (or file) of Sigma rules.")],
    name: Annotated[str, typer.Option(help="Rule set name (re-import: a new version).")],
    provenance: Annotated[Provenance, typer.Option(help="Who the rules come from.")],
    tenant: Annotated[
        list[str] | None, typer.Option(help="Scope: this tenant (repeat); default: all.")
    ] = None,
) -> None:
    """Import a folder of Sigma rules as a named, versioned rule set."""
    with cli_session() as session:
        found = service.read_folder(path)
        r = service.import_ruleset(
            session, operator(), found, str(path.resolve()), name, provenance, tenant or [], utcnow
        )
    what = "created" if r.created else ("new version" if r.new_version else "unchanged")
    console.print(
        f"rule set {escape(r.rule_set.name)}: {what}, version {r.rule_set.version}, "
        f"{r.rule_set.rule_count} rules (+{r.added} ~{r.changed} -{r.removed}), "
        f"{r.compiled} compiled"
    )
    for issue in r.issues:
        console.print(
            f"  not applied: {escape(issue.path)}: {escape(issue.reason)} ({escape(issue.detail)})"
        )


@app.command("list")
def list_command() -> None:
    """Rule sets with provenance, scope, version and per-tenant switches."""
    scope = operator()
    with cli_session() as session:
        out = [
            service.ruleset_out(session, scope, r) for r in service.list_rulesets(session, scope)
        ]
    table = Table("name", "provenance", "scope", "version", "rules", "disabled for", "updated")
    for r in out:
        table.add_row(
            escape(r.name),
            r.provenance.value,
            "all tenants" if r.all_tenants else ", ".join(r.tenants),
            str(r.version),
            str(r.rule_count),
            ", ".join(r.disabled_for),
            f"{r.updated_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


def _toggle(name: str, tenant: str, enabled: bool) -> None:
    with cli_session() as session:
        service.set_enabled(session, operator(), name, tenant, enabled, utcnow)
    console.print(f"rule set {escape(name)} {'enabled' if enabled else 'disabled'} for {tenant}")


@app.command("enable")
def enable_command(
    name: Annotated[str, typer.Argument(help="Rule set name.")],
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
) -> None:
    """Switch a rule set on for a tenant in its scope."""
    _toggle(name, tenant, True)


@app.command("disable")
def disable_command(
    name: Annotated[str, typer.Argument(help="Rule set name.")],
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
) -> None:
    """Switch a rule set off for a tenant (its rules raise nothing there)."""
    _toggle(name, tenant, False)
