"""Tenant isolation matrix: callers scoped to tenant alpha never see tenant beta.

Every API route must appear in this matrix (or be exempted with a reason); a new endpoint
makes ``test_every_route_is_in_the_matrix`` fail until its isolation is tested here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.web.conftest import World

ALPHA_SCOPED = ("client-alpha", "api-client-alpha", "analyst-alpha")


@dataclass(frozen=True)
class ObjectRoute:
    """A route addressing one object: ``path(world)`` gives beta's and alpha's objects."""

    method: str
    template: str
    beta_path: Callable[[World], str]
    alpha_path: Callable[[World], str] | None
    body: dict[str, Any] | None = None


OBJECT_ROUTES = [
    ObjectRoute(
        "GET",
        "/api/v1/tenants/{slug}",
        lambda w: "/api/v1/tenants/beta",
        lambda w: "/api/v1/tenants/alpha",
    ),
    ObjectRoute(
        "PATCH",
        "/api/v1/tenants/{slug}",
        lambda w: "/api/v1/tenants/beta",
        None,
        {"name": "stolen"},
    ),
    ObjectRoute(
        "GET",
        "/api/v1/users/{username}",
        lambda w: "/api/v1/users/client-beta",
        lambda w: "/api/v1/users/client-alpha",
    ),
    ObjectRoute(
        "GET",
        "/api/v1/tokens/{token_id}",
        lambda w: f"/api/v1/tokens/{w.token_ids['ingest-beta']}",
        None,
    ),
    ObjectRoute(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        lambda w: f"/api/v1/tokens/{w.token_ids['api-user-client-beta']}",
        None,
    ),
]

# List routes and how to tell that an item belongs to beta.
LIST_ROUTES: dict[str, Callable[[World, dict[str, Any]], bool]] = {
    "/api/v1/tenants": lambda w, item: item["slug"] == "beta",
    "/api/v1/users": lambda w, item: item["tenant"] == "beta",
    "/api/v1/tokens": lambda w, item: item["tenant"] == "beta" or item["username"] == "client-beta",
    "/api/v1/audit": lambda w, item: item["tenant_id"] == w.tenant_ids["beta"],
}

# Routes that address no tenant object, and why they need no isolation case.
EXEMPT = {
    ("POST", "/api/v1/auth/token"): "login: returns the caller's own token",
    ("GET", "/api/v1/auth/me"): "the caller's own scope",
    ("POST", "/api/v1/tenants"): "creation: admin only (tested in test_api)",
    ("POST", "/api/v1/users"): "creation: admin only (tested in test_api)",
    ("POST", "/api/v1/tokens"): "creation: tested in test_token_creation_is_scoped",
    ("GET", "/api/v1/audit/verify"): "admin only; counts, no tenant data",
}


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    covered = {(r.method, r.template) for r in OBJECT_ROUTES}
    covered |= {("GET", path) for path in LIST_ROUTES} | set(EXEMPT)
    missing = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path.startswith("/api/"):
            missing += [(m, route.path) for m in route.methods if (m, route.path) not in covered]
    assert not missing, f"routes without a tenant-isolation case: {missing}"


@pytest.mark.parametrize("caller", ALPHA_SCOPED)
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_beta_objects_are_not_found(
    client: TestClient, world: World, caller: str, route: ObjectRoute
) -> None:
    headers = world.headers[caller]
    response = client.request(
        route.method, route.beta_path(world), headers=headers, json=route.body
    )
    assert response.status_code == 404, response.text
    # A bare problem document: nothing of beta's object comes back.
    assert set(response.json()) <= {"type", "title", "status", "detail", "instance"}
    # Still there, unchanged, for the provider.
    check = client.get(route.beta_path(world), headers=world.headers["admin"])
    assert check.status_code == 200
    if route.body:
        assert "stolen" not in check.text
    if route.method == "DELETE":
        assert check.json()["revoked_at"] is None
    if route.alpha_path is not None:  # positive control: the same caller sees its own
        own = client.request(route.method, route.alpha_path(world), headers=headers)
        assert own.status_code == 200, own.text


@pytest.mark.parametrize("caller", ALPHA_SCOPED)
@pytest.mark.parametrize("path", list(LIST_ROUTES))
def test_lists_never_contain_beta_rows(
    client: TestClient, world: World, caller: str, path: str
) -> None:
    response = client.get(path, headers=world.headers[caller], params={"limit": 500})
    if path == "/api/v1/audit" and caller != "analyst-alpha":
        assert response.status_code == 403  # the audit trail is the provider's
        return
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    leaked = [item for item in items if LIST_ROUTES[path](world, item)]
    assert not leaked
    assert response.json()["total"] == len(items)
    # Positive control: the provider's admin does see beta's rows in the same list.
    everything = client.get(path, headers=world.headers["admin"], params={"limit": 500})
    assert any(LIST_ROUTES[path](world, item) for item in everything.json()["items"])


def test_token_creation_is_scoped(client: TestClient, world: World) -> None:
    # A client cannot mint an ingest token, nor any token naming another tenant.
    for body in (
        {"kind": "ingest", "tenant": "beta"},
        {"kind": "api", "tenant": "beta"},
        {"kind": "ingest", "tenant": "alpha"},
    ):
        response = client.post("/api/v1/tokens", headers=world.headers["client-alpha"], json=body)
        assert response.status_code in (403, 404), (body, response.text)
    # An analyst limited to alpha cannot create an ingest token for beta.
    response = client.post(
        "/api/v1/tokens",
        headers=world.headers["analyst-alpha"],
        json={"kind": "ingest", "tenant": "beta"},
    )
    assert response.status_code == 404
    own = client.post(
        "/api/v1/tokens",
        headers=world.headers["analyst-alpha"],
        json={"kind": "ingest", "tenant": "alpha"},
    )
    assert own.status_code == 201 and own.json()["tenant"] == "alpha"


def test_scope_comes_from_the_credential_not_the_payload(client: TestClient, world: World) -> None:
    me = client.get("/api/v1/auth/me", headers=world.headers["api-user-client-beta"]).json()
    assert me["tenant_ids"] == [world.tenant_ids["beta"]]
    me = client.get("/api/v1/auth/me", headers=world.headers["api-analyst-beta"]).json()
    assert me["role"] == "analyst" and me["tenant_ids"] == [world.tenant_ids["beta"]]
