"""HTTP routes of the auth slice: login, users, tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, status

from vigile.auth import service
from vigile.auth.schemas import (
    LoginResult,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
)
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep, SettingsDep
from vigile.web.pages import Page

router = APIRouter(tags=["auth"])


@router.post("/auth/token", summary="Log in with a password (OAuth2 password flow)")
def login(
    session: SessionDep,
    clock: ClockDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> LoginResult:
    token, secret = service.login(session, username, password, clock)
    assert token.expires_at is not None
    return LoginResult(access_token=secret, expires_at=token.expires_at)


@router.get("/auth/me", summary="Who you are and what you can see")
def whoami(scope: ScopeDep) -> dict[str, object]:
    return {
        "principal": scope.principal,
        "role": scope.role,
        "tenant_ids": sorted(scope.tenant_ids) if scope.tenant_ids is not None else None,
        "token_kind": scope.token_kind,
    }


@router.get("/users", summary="List users")
def list_users(session: SessionDep, scope: ScopeDep, page: PageDep) -> Page[UserOut]:
    rows, total = service.list_users(session, scope, page)
    return Page.of([service.user_out(session, u) for u in rows], total, page)


@router.post("/users", status_code=status.HTTP_201_CREATED, summary="Create a user (admin)")
def create_user(session: SessionDep, scope: ScopeDep, body: UserCreate) -> UserOut:
    return service.user_out(session, service.create_user(session, scope, body))


@router.get("/users/{username}", summary="Show a user")
def get_user(session: SessionDep, scope: ScopeDep, username: str) -> UserOut:
    return service.user_out(session, service.get_user(session, scope, username))


@router.get("/tokens", summary="List tokens (never their secrets)")
def list_tokens(session: SessionDep, scope: ScopeDep, page: PageDep) -> Page[TokenOut]:
    rows, total = service.list_tokens(session, scope, page)
    return Page.of([service.token_out(session, t) for t in rows], total, page)


@router.post(
    "/tokens", status_code=status.HTTP_201_CREATED, summary="Create a token (secret shown once)"
)
def create_token(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    body: TokenCreate,
) -> TokenCreated:
    token, secret = service.create_token(
        session, scope, body, default_days=settings.token_default_days, clock=clock
    )
    return TokenCreated(**service.token_out(session, token).model_dump(), token=secret)


@router.get("/tokens/{token_id}", summary="Show a token")
def get_token(session: SessionDep, scope: ScopeDep, token_id: int) -> TokenOut:
    return service.token_out(session, service.get_token(session, scope, token_id))


@router.delete("/tokens/{token_id}", summary="Revoke a token")
def revoke_token(session: SessionDep, scope: ScopeDep, clock: ClockDep, token_id: int) -> TokenOut:
    return service.token_out(session, service.revoke_token(session, scope, token_id, clock))
