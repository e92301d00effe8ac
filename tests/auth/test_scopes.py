"""Credentials resolve to the right scope; the scope decides what exists for the caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import FakeClock
from vigile.auth import service as auth
from vigile.auth.schemas import TokenCreate, UserCreate
from vigile.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from vigile.pagination import PageRequest
from vigile.scope import CallerScope, Role, TokenKind, local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

PASSWORD = "a long enough password"
OP = local_operator("test")


@pytest.fixture
def ids(session: Session) -> dict[str, int]:
    made = {
        s: tenants.create_tenant(session, OP, TenantCreate(slug=s, name=s)).id
        for s in ("alpha", "beta", "gamma")
    }
    auth.create_user(
        session,
        OP,
        UserCreate(username="ana", password=PASSWORD, role=Role.ANALYST, tenants=["alpha", "beta"]),
    )
    auth.create_user(
        session, OP, UserCreate(username="cli", password=PASSWORD, role=Role.CLIENT, tenant="gamma")
    )
    session.commit()
    return made


def test_limited_analyst_scope(session: Session, ids: dict[str, int]) -> None:
    user = auth.authenticate(session, "ana", PASSWORD)
    scope = auth.scope_for_user(session, user)
    assert scope.role is Role.ANALYST
    assert scope.tenant_ids == frozenset({ids["alpha"], ids["beta"]})
    visible, total = tenants.list_tenants(session, scope, PageRequest())
    assert total == 2 and {t.slug for t in visible} == {"alpha", "beta"}
    with pytest.raises(NotFound):
        tenants.get_tenant(session, scope, "gamma")


def test_user_token_limited_to_one_tenant_narrows_the_user(
    session: Session, ids: dict[str, int], clock: Callable[[], datetime]
) -> None:
    _, secret = auth.create_token(
        session,
        OP,
        TokenCreate(kind=TokenKind.API, username="ana", tenant="beta"),
        default_days=1,
        clock=clock,
    )
    scope = auth.resolve_token(session, secret, clock)
    assert scope.tenant_ids == frozenset({ids["beta"]}) and scope.user_id is not None
    with pytest.raises(InvalidInput):  # ana has no access to gamma
        auth.create_token(
            session,
            OP,
            TokenCreate(kind=TokenKind.API, username="ana", tenant="gamma"),
            default_days=1,
            clock=clock,
        )


def test_disabled_user_tokens_stop_working(
    session: Session, ids: dict[str, int], clock: Callable[[], datetime]
) -> None:
    _, secret = auth.create_token(
        session, OP, TokenCreate(kind=TokenKind.API, username="cli"), default_days=1, clock=clock
    )
    assert auth.resolve_token(session, secret, clock).is_client
    auth.get_user(session, OP, "cli").is_active = False
    with pytest.raises(Unauthenticated):
        auth.resolve_token(session, secret, clock)
    with pytest.raises(Unauthenticated):
        auth.authenticate(session, "cli", PASSWORD)


def test_ingest_token_scope_is_one_tenant_and_ingest_only(
    session: Session, ids: dict[str, int], clock: Callable[[], datetime]
) -> None:
    _, secret = auth.create_token(
        session,
        OP,
        TokenCreate(kind=TokenKind.INGEST, tenant="alpha"),
        default_days=1,
        clock=clock,
    )
    scope = auth.resolve_token(session, secret, clock)
    assert scope.is_ingest_only and scope.tenant_ids == frozenset({ids["alpha"]})
    with pytest.raises(PermissionDenied):
        tenants.list_tenants(session, scope, PageRequest())


def test_token_secret_is_not_stored(
    session: Session, ids: dict[str, int], clock: Callable[[], datetime]
) -> None:
    token, secret = auth.create_token(
        session,
        OP,
        TokenCreate(kind=TokenKind.INGEST, tenant="alpha"),
        default_days=1,
        clock=clock,
    )
    assert secret not in (token.token_hash, token.prefix) and secret.startswith(token.prefix)


def test_expiry_and_revocation(session: Session, ids: dict[str, int]) -> None:
    clock = FakeClock(datetime.fromisoformat("2026-03-01T00:00:00+00:00"))
    token, secret = auth.create_token(
        session,
        OP,
        TokenCreate(kind=TokenKind.API, role=Role.ANALYST, expires_in_days=2),
        default_days=30,
        clock=clock,
    )
    clock.now += timedelta(days=2) - timedelta(seconds=1)
    auth.resolve_token(session, secret, clock)
    auth.revoke_token(session, OP, token.id, clock)
    with pytest.raises(Unauthenticated, match="revoked"):
        auth.resolve_token(session, secret, clock)


def test_client_scope_must_name_one_tenant() -> None:
    with pytest.raises(ValueError):
        CallerScope(principal="x", role=Role.CLIENT, tenant_ids=None)
    with pytest.raises(ValueError):
        CallerScope(principal="x", role=Role.CLIENT, tenant_ids=frozenset({1, 2}))
