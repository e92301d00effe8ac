"""What every CLI command shares: settings, a database session, the operator, errors."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from vigile.config import Settings, get_settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.errors import VigileError
from vigile.scope import CallerScope, local_operator

console = Console()
err_console = Console(stderr=True)


def operator() -> CallerScope:
    """The local operator: whoever runs the CLI on the server (named in the audit trail)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return local_operator(name)


@contextmanager
def cli_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session in one transaction; domain errors become a message and exit code 1."""
    settings = settings or get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    except VigileError as exc:
        print_error(str(exc))
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()


def print_error(message: str) -> None:
    """An error on stderr (the message is text, never Rich markup)."""
    err_console.print(f"[red]error:[/red] {escape(message)}")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error and return the exit to raise."""
    print_error(message)
    return typer.Exit(code=code)


def parse_date(value: str, option: str) -> date:
    """A YYYY-MM-DD option value, or a usage error naming the option."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=option) from exc
