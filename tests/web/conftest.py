"""A small world of two tenants with users and tokens of every kind, and an API client."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from vigile.app import create_app
from vigile.auth import service as auth
from vigile.auth.schemas import TokenCreate, UserCreate
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.scope import Role, TokenKind, local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

PASSWORD = "correct horse battery"


@dataclass
class World:
    """Named credentials: ``headers[name]`` authenticates as that principal."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    tenant_ids: dict[str, int] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def build_world(settings: Settings, clock: Callable[[], datetime]) -> World:
    world = World()
    engine = make_engine(settings.effective_database_url)
    op = local_operator("test")
    with transaction(make_sessionmaker(engine)) as session:
        for slug in ("alpha", "beta"):
            tenant = tenants.create_tenant(session, op, TenantCreate(slug=slug, name=slug.title()))
            world.tenant_ids[slug] = tenant.id
        users = [
            UserCreate(username="admin", password=PASSWORD, role=Role.ADMIN),
            UserCreate(username="analyst", password=PASSWORD, role=Role.ANALYST),
            UserCreate(
                username="analyst-alpha", password=PASSWORD, role=Role.ANALYST, tenants=["alpha"]
            ),
            UserCreate(
                username="client-alpha", password=PASSWORD, role=Role.CLIENT, tenant="alpha"
            ),
            UserCreate(username="client-beta", password=PASSWORD, role=Role.CLIENT, tenant="beta"),
        ]
        for data in users:
            auth.create_user(session, op, data)
            # Users call with a token acting as them (Basic auth is tested on its own).
            _, secret = auth.create_token(
                session,
                op,
                TokenCreate(kind=TokenKind.API, username=data.username),
                default_days=30,
                clock=clock,
            )
            world.headers[data.username] = bearer(secret)
        tokens = {
            "ingest-alpha": TokenCreate(kind=TokenKind.INGEST, tenant="alpha"),
            "ingest-beta": TokenCreate(kind=TokenKind.INGEST, tenant="beta"),
            "api-client-alpha": TokenCreate(kind=TokenKind.API, role=Role.CLIENT, tenant="alpha"),
            "api-analyst-beta": TokenCreate(kind=TokenKind.API, role=Role.ANALYST, tenant="beta"),
            "api-user-client-beta": TokenCreate(kind=TokenKind.API, username="client-beta"),
        }
        for name, data in tokens.items():
            token, secret = auth.create_token(session, op, data, default_days=30, clock=clock)
            world.headers[name] = bearer(secret)
            world.token_ids[name] = token.id
    engine.dispose()
    return world


@pytest.fixture
def client(settings: Settings, clock: Callable[[], datetime]) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def world(settings: Settings, clock: Callable[[], datetime]) -> World:
    return build_world(settings, clock)
