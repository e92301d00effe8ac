"""Request dependencies: database session, clock, caller scope, pagination."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session, sessionmaker

from vigile.config import Settings
from vigile.errors import Unauthenticated
from vigile.pagination import DEFAULT_LIMIT, PageRequest
from vigile.scope import CallerScope

# Declared for the OpenAPI page ("Authorize" button); the header itself is parsed below,
# because Basic credentials are accepted as well.
_oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class CredentialResolver(Protocol):
    """Turns an Authorization header's scheme and value into a caller scope.

    The application factory installs the auth slice's resolver in ``app.state``, so that this
    infrastructure module depends on no slice (slices' routes depend on it).
    """

    def __call__(
        self, session: Session, scheme: str, value: str, clock: Callable[[], datetime]
    ) -> CallerScope: ...


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
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if not value.strip():
        raise Unauthenticated("authentication required (Bearer token or Basic credentials)")
    resolver: CredentialResolver = request.app.state.resolve_credentials
    return resolver(session, scheme.lower(), value.strip(), clock)


ScopeDep = Annotated[CallerScope, Depends(get_scope)]


def get_page(
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, description="Rows per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="Rows to skip.")] = 0,
) -> PageRequest:
    return PageRequest(limit=min(limit, settings.page_size_max), offset=offset)


PageDep = Annotated[PageRequest, Depends(get_page)]
