"""Request dependencies: database session, clock, caller scope, pagination."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPBearer, OAuth2PasswordBearer
from sqlalchemy.orm import Session, sessionmaker

from vigile.auth import service as auth
from vigile.config import Settings
from vigile.errors import Unauthenticated
from vigile.pagination import DEFAULT_LIMIT, PageRequest
from vigile.scope import CallerScope

# Declared for the OpenAPI page ("Authorize" button); the header itself is parsed below,
# because Basic credentials are accepted as well.
_oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_bearer = HTTPBearer(auto_error=False)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_scope(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    _token: Annotated[str | None, Depends(_oauth2)],
) -> CallerScope:
    """The caller's scope from ``Authorization: Bearer <token>`` or ``Basic user:password``."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return auth.resolve_token(session, value, clock)
    if scheme.lower() == "basic" and value:
        try:
            username, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Unauthenticated("malformed Basic credentials") from exc
        return auth.scope_for_user(session, auth.authenticate(session, username, password))
    raise Unauthenticated("authentication required (Bearer token or Basic credentials)")


ScopeDep = Annotated[CallerScope, Depends(get_scope)]


def get_page(
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, description="Rows per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="Rows to skip.")] = 0,
) -> PageRequest:
    return PageRequest(limit=min(limit, settings.page_size_max), offset=offset)


PageDep = Annotated[PageRequest, Depends(get_page)]
