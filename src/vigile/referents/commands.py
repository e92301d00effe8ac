"""`vigile referents …` commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vigile.cli_support import cli_session, console, operator
from vigile.db import utcnow
from vigile.referents import service
from vigile.referents.schemas import ReferentIn
from vigile.referents.types import Language, ReferentRole

app = typer.Typer(help="Client referents (primary and backup, contract art. 3).")


@app.command("set")
def set_referent(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug.")],
    role: Annotated[ReferentRole, typer.Option("--role", help="primary or backup.")],
    name: Annotated[str, typer.Option("--name")],
    email: Annotated[str, typer.Option("--email")],
    phone: Annotated[str, typer.Option("--phone")] = "",
    language: Annotated[Language, typer.Option("--language", help="fr or en.")] = Language.FR,
) -> None:
    """Declare a tenant's primary or backup referent (the previous one's period ends now)."""
    data = ReferentIn(name=name, email=email, phone=phone, language=language)
    with cli_session() as session:
        row = service.set_referent(session, operator(), tenant, role, data, utcnow)
        console.print(f"{row.role} referent of {tenant}: {row.name} <{row.email}>")


@app.command("list")
def list_referents(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug.")],
    history: Annotated[bool, typer.Option("--history", help="Every period.")] = False,
) -> None:
    """A tenant's current referents (or their history)."""
    with cli_session() as session:
        rows = service.list_referents(session, operator(), tenant, history=history)
        table = Table("role", "name", "e-mail", "phone", "lang", "from", "to")
        for r in rows:
            until = r.valid_to.isoformat() if r.valid_to else "—"
            table.add_row(
                r.role, r.name, r.email, r.phone, r.language, r.valid_from.isoformat(), until
            )
        console.print(table)
