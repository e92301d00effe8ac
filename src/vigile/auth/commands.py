"""`vigile user …` and `vigile token …` commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vigile.auth import service
from vigile.auth.passwords import MIN_PASSWORD_LENGTH, generate_password
from vigile.auth.schemas import TokenCreate, UserCreate
from vigile.cli_support import cli_errors, cli_session, console, operator
from vigile.config import get_settings
from vigile.db import utcnow
from vigile.pagination import PageRequest
from vigile.scope import Role, TokenKind

users = typer.Typer(help="Users and roles.", no_args_is_help=True)
tokens = typer.Typer(help="API and ingest tokens.", no_args_is_help=True)

_ALL = PageRequest(limit=100_000)


@users.command("create")
def create_user(
    username: str,
    role: Annotated[Role, typer.Option(help="admin, analyst or client.")],
    tenant: Annotated[str | None, typer.Option(help="Client users: their tenant's slug.")] = None,
    limit_to: Annotated[
        list[str] | None,
        typer.Option("--limit-to", help="Analysts: limit to this tenant (repeatable)."),
    ] = None,
    email: Annotated[str | None, typer.Option()] = None,
    display_name: Annotated[str, typer.Option("--display-name")] = "",
    password: Annotated[
        str | None,
        typer.Option(
            envvar="VIGILE_NEW_USER_PASSWORD",
            help=f"At least {MIN_PASSWORD_LENGTH} characters; generated and printed if absent.",
        ),
    ] = None,
) -> None:
    """Create a user."""
    secret = password or generate_password()
    with cli_errors():
        data = UserCreate(
            username=username,
            password=secret,
            role=role,
            tenant=tenant,
            tenants=limit_to or [],
            email=email,
            display_name=display_name,
        )
    with cli_session() as session:
        user = service.create_user(session, operator(), data)
        console.print(f"created {user.role} [bold]{user.username}[/bold]")
    if password is None:
        console.print("password (shown once):")
        console.print(secret, highlight=False)


@users.command("list")
def list_users() -> None:
    """List users."""
    with cli_session() as session:
        rows, _ = service.list_users(session, operator(), _ALL)
        views = [service.user_out(session, u) for u in rows]
    table = Table("username", "role", "tenant", "limited to", "active", "created")
    for u in views:
        table.add_row(
            u.username,
            u.role,
            u.tenant or "—",
            ", ".join(u.tenants) or "—",
            "yes" if u.is_active else "no",
            u.created_at.isoformat(timespec="seconds"),
        )
    console.print(table)


@tokens.command("create")
def create_token(
    kind: Annotated[TokenKind, typer.Option(help="ingest or api.")],
    tenant: Annotated[
        str | None, typer.Option(help="Tenant slug (required for ingest tokens).")
    ] = None,
    user: Annotated[str | None, typer.Option(help="API token acting as this user.")] = None,
    role: Annotated[
        Role | None, typer.Option(help="API token without a user: its role (default analyst).")
    ] = None,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "",
    days: Annotated[int | None, typer.Option(help="Validity in days.")] = None,
) -> None:
    """Create a token. The secret is printed once, alone on the last line."""
    with cli_errors():
        data = TokenCreate(
            kind=kind,
            tenant=tenant,
            username=user,
            role=role,
            name=name,
            expires_in_days=days,
        )
    settings = get_settings()
    with cli_session(settings) as session:
        token, secret = service.create_token(
            session, operator(), data, default_days=settings.token_default_days, clock=utcnow
        )
        view = service.token_out(session, token)
    scope_text = f"tenant {view.tenant}" if view.tenant else "all tenants"
    assert view.expires_at is not None
    console.print(
        f"created {view.kind} token #{view.id} ({view.role}, {scope_text}), "
        f"expires {view.expires_at.date().isoformat()}; store it now, it is not shown again:"
    )
    typer.echo(secret)


@tokens.command("list")
def list_tokens() -> None:
    """List tokens (prefixes only)."""
    with cli_session() as session:
        rows, _ = service.list_tokens(session, operator(), _ALL)
        views = [service.token_out(session, t) for t in rows]
    table = Table("id", "kind", "prefix", "role", "user", "tenant", "expires", "revoked", "name")
    for t in views:
        table.add_row(
            str(t.id),
            t.kind,
            t.prefix,
            t.role,
            t.username or "—",
            t.tenant or "—",
            t.expires_at.isoformat(timespec="seconds") if t.expires_at else "never",
            t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else "—",
            t.name,
        )
    console.print(table)


@tokens.command("revoke")
def revoke_token(
    token: Annotated[str, typer.Argument(help="Token id or prefix (as `token list` shows).")],
) -> None:
    """Revoke a token at once."""
    with cli_session() as session:
        scope = operator()
        revoked = service.revoke_token(
            session, scope, service.find_token_id(session, scope, token), utcnow
        )
        console.print(f"token #{revoked.id} ({revoked.prefix}…) revoked")
