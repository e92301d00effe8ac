"""The API's contract: health, docs, authentication, problem details, pagination."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.conftest import PASSWORD, World, basic, bearer


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_openapi_lists_tenant_user_and_token_endpoints(client: TestClient) -> None:
    assert client.get("/api/docs").status_code == 200
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/v1/tenants",
        "/api/v1/tenants/{slug}",
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/auth/token",
    ):
        assert path in paths, path


def test_unauthenticated_requests_get_problem_details(client: TestClient) -> None:
    response = client.get("/api/v1/tenants")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["detail"] and body["type"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_basic_credentials_work(client: TestClient, world: World) -> None:
    me = client.get("/api/v1/auth/me", headers=basic("client-alpha")).json()
    assert me["principal"] == "user:client-alpha"
    assert me["tenant_ids"] == [world.tenant_ids["alpha"]]


def test_wrong_password_and_unknown_token_are_refused(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/auth/me", headers=basic("admin", "nope")).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer("vga_forged")).status_code == 401


def test_login_gives_a_working_token(client: TestClient, world: World) -> None:
    response = client.post("/api/v1/auth/token", data={"username": "analyst", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = client.get("/api/v1/auth/me", headers=bearer(token)).json()
    assert me["principal"].startswith("user:analyst") and me["role"] == "analyst"


def test_validation_errors_are_problem_details(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/tenants", headers=world.headers["admin"], json={"slug": "Bad Slug", "name": "x"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Invalid input"
    assert body["errors"][0]["loc"][-1] == "slug"


def test_invalid_calendar_settings_are_refused(client: TestClient, world: World) -> None:
    for field, value in (
        ("timezone", "Mars/Base"),
        ("holidays", "XX"),
        ("hours", "mon-fri 9h-18h"),
    ):
        response = client.post(
            "/api/v1/tenants",
            headers=world.headers["admin"],
            json={"slug": "gamma", "name": "Gamma", field: value},
        )
        assert response.status_code == 422, (field, response.text)
        assert value.split()[0] in response.json()["detail"] or field in response.json()["detail"]


def test_duplicate_slug_is_a_conflict(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/tenants", headers=world.headers["admin"], json={"slug": "alpha", "name": "A"}
    )
    assert response.status_code == 409


def test_pagination(client: TestClient, world: World) -> None:
    headers = world.headers["admin"]
    first = client.get("/api/v1/users?limit=2&offset=0", headers=headers).json()
    second = client.get("/api/v1/users?limit=2&offset=2", headers=headers).json()
    assert first["total"] == second["total"] == 5
    assert len(first["items"]) == 2 and first["limit"] == 2 and second["offset"] == 2
    names = {u["username"] for u in first["items"]} | {u["username"] for u in second["items"]}
    assert len(names) == 4
    assert client.get("/api/v1/users?limit=0", headers=headers).status_code == 422


def test_tenant_update_and_go_live_clear(client: TestClient, world: World) -> None:
    headers = world.headers["admin"]
    changed = client.patch(
        "/api/v1/tenants/alpha",
        headers=headers,
        json={
            "twenty_four_seven": True,
            "go_live": "2026-01-05",
            "hours": "mon-fri 08:30-12:00,13:30-18:00",
        },
    ).json()
    assert changed["twenty_four_seven"] is True and changed["go_live"] == "2026-01-05"
    assert changed["hours"] == "mon-fri 08:30-12:00,13:30-18:00"
    cleared = client.patch("/api/v1/tenants/alpha", headers=headers, json={"go_live": None})
    assert cleared.json()["go_live"] is None
    assert cleared.json()["twenty_four_seven"] is True


def test_tokens_are_shown_once_and_revocable(client: TestClient, world: World) -> None:
    created = client.post(
        "/api/v1/tokens",
        headers=world.headers["admin"],
        json={"kind": "api", "role": "analyst", "name": "ci"},
    )
    assert created.status_code == 201
    body = created.json()
    secret = body["token"]
    assert client.get("/api/v1/auth/me", headers=bearer(secret)).status_code == 200
    listed = client.get("/api/v1/tokens", headers=world.headers["admin"]).json()["items"]
    assert all("token" not in t and secret not in str(t) for t in listed)
    revoked = client.delete(f"/api/v1/tokens/{body['id']}", headers=world.headers["admin"])
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/auth/me", headers=bearer(secret)).status_code == 401


def test_tokens_expire(client: TestClient, world: World) -> None:
    created = client.post(
        "/api/v1/tokens",
        headers=world.headers["admin"],
        json={"kind": "api", "role": "analyst", "expires_in_days": 1},
    ).json()
    assert client.get("/api/v1/auth/me", headers=bearer(created["token"])).status_code == 200
    clock = client.app.state.clock  # type: ignore[attr-defined]
    assert isinstance(clock, FakeClock)
    clock.now += timedelta(days=1, seconds=1)
    assert client.get("/api/v1/auth/me", headers=bearer(created["token"])).status_code == 401


def test_ingest_tokens_cannot_use_the_api(client: TestClient, world: World) -> None:
    for path in ("/api/v1/tenants", "/api/v1/users", "/api/v1/tokens", "/api/v1/audit"):
        response = client.get(path, headers=world.headers["ingest-alpha"])
        assert response.status_code == 403, path


def test_only_admins_create_tenants_and_users(client: TestClient, world: World) -> None:
    for who in ("analyst", "client-alpha", "api-client-alpha"):
        tenant = client.post(
            "/api/v1/tenants", headers=world.headers[who], json={"slug": "gamma", "name": "G"}
        )
        assert tenant.status_code == 403, who
        user = client.post(
            "/api/v1/users",
            headers=world.headers[who],
            json={"username": "x", "password": PASSWORD, "role": "admin"},
        )
        assert user.status_code == 403, who


def test_changes_made_through_the_api_are_audited(client: TestClient, world: World) -> None:
    client.patch("/api/v1/tenants/beta", headers=world.headers["admin"], json={"name": "B2"})
    entries = client.get("/api/v1/audit", headers=world.headers["admin"]).json()["items"]
    latest = entries[0]
    assert latest["action"] == "tenant.update" and latest["actor"].startswith("user:admin/")
    assert latest["details"]["name"] == {"from": "Beta", "to": "B2"}
    verified = client.get("/api/v1/audit/verify", headers=world.headers["admin"]).json()
    assert verified["intact"] is True and verified["entries"] == len(entries)
