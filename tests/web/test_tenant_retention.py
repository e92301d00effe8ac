"""A tenant's event retention through the API: administrators set it, everyone may read it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World


def test_admin_creates_changes_and_clears_it(client: TestClient, world: World) -> None:
    admin = world.headers["admin"]
    created = client.post(
        "/api/v1/tenants",
        headers=admin,
        json={"slug": "gamma", "name": "Gamma", "event_retention_days": 30},
    )
    assert created.status_code == 201 and created.json()["event_retention_days"] == 30
    changed = client.patch("/api/v1/tenants/gamma", headers=admin, json={"event_retention_days": 7})
    assert changed.status_code == 200 and changed.json()["event_retention_days"] == 7
    renamed = client.patch("/api/v1/tenants/gamma", headers=admin, json={"name": "G"})
    assert renamed.json()["event_retention_days"] == 7  # left out: kept
    cleared = client.patch(
        "/api/v1/tenants/gamma", headers=admin, json={"event_retention_days": None}
    )
    assert cleared.status_code == 200 and cleared.json()["event_retention_days"] is None
    assert client.get("/api/v1/tenants/alpha", headers=admin).json()["event_retention_days"] is None
    for wrong in (0, 36501, "long"):
        refused = client.patch(
            "/api/v1/tenants/gamma", headers=admin, json={"event_retention_days": wrong}
        )
        assert refused.status_code == 422, wrong
    entries = client.get("/api/v1/audit", headers=admin).json()["items"]
    changes = [
        e["details"]["event_retention_days"]
        for e in entries
        if e["action"] == "tenant.update" and "event_retention_days" in e["details"]
    ]
    assert changes == [{"from": 7, "to": None}, {"from": 30, "to": 7}]  # newest first


def test_clients_and_analysts_cannot_change_it(client: TestClient, world: World) -> None:
    body = {"event_retention_days": 1}
    for who in ("client-alpha", "api-client-alpha", "analyst-alpha", "analyst"):
        response = client.patch("/api/v1/tenants/alpha", headers=world.headers[who], json=body)
        assert response.status_code == 403, who
    for who in ("client-alpha", "api-client-alpha", "analyst-alpha"):  # beta is not theirs
        response = client.patch("/api/v1/tenants/beta", headers=world.headers[who], json=body)
        assert response.status_code == 404, who
    ingest = world.headers["ingest-alpha"]
    assert client.patch("/api/v1/tenants/alpha", headers=ingest, json=body).status_code == 403
    own = client.get("/api/v1/tenants/alpha", headers=world.headers["client-alpha"])
    assert own.status_code == 200 and own.json()["event_retention_days"] is None
    for slug in ("alpha", "beta"):
        shown = client.get(f"/api/v1/tenants/{slug}", headers=world.headers["admin"]).json()
        assert shown["event_retention_days"] is None, slug
