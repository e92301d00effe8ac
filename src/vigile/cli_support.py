"""What every CLI command shares: settings, a database session, the operator, errors."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import overload

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from vigile.config import Settings, get_settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.errors import VigileError
from vigile.scope import CallerScope, local_operator

# Piped output (scripts, logs) gets wide tables rather than cells cut at 80 columns.
_PIPED_WIDTH = None if sys.stdout.isatty() else 200
console = Console(width=_PIPED_WIDTH)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def operator() -> CallerScope:
    """The local operator: whoever runs the CLI on the server (named in the audit trail)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return local_operator(name)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Invalid input (exit 2) and domain errors (exit 1) end with a message, not a traceback."""
    try:
        yield
    except VigileError as exc:
        print_error(str(exc))
        raise typer.Exit(code=1) from exc
    except ValidationError as exc:
        print_validation_error(exc)
        raise typer.Exit(code=2) from exc


@contextmanager
def cli_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session in one transaction, with :func:`cli_errors` handling."""
    settings = settings or get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with cli_errors(), transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def print_error(message: str) -> None:
    """An error on stderr (the message is text, never Rich markup)."""
    err_console.print(f"[red]error:[/red] {escape(message)}")


def print_validation_error(exc: ValidationError) -> None:
    """One line per invalid field: ``field: what is wrong``."""
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        print_error(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error and return the exit to raise."""
    print_error(message)
    return typer.Exit(code=code)


@overload
def parse_date(value: str, option: str) -> date: ...
@overload
def parse_date(value: str | None, option: str) -> date | None: ...
def parse_date(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value (None when the option is absent), or a usage error naming
    the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=option) from exc
