"""Creating incidents and actions is scoped: another tenant's alert or incident is not found."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World

ALERT = {"rule_id": "r", "rule_title": "R", "rule_level": "low", "events": [{"a": 1}]}


def test_creation_is_scoped(client: TestClient, world: World) -> None:
    beta_alert = client.post(
        "/api/v1/alerts", headers=world.headers["admin"], json=ALERT | {"tenant": "beta"}
    ).json()["alert"]["id"]
    beta_incident = client.post(
        "/api/v1/incidents", headers=world.headers["admin"], json={"from_alert": beta_alert}
    ).json()["id"]
    action = {
        "incident_id": beta_incident,
        "type": "block_domain",
        "target": "evil.example",
        "reason": "x",
    }
    for caller in ("analyst-alpha", "client-alpha", "api-client-alpha"):
        headers = world.headers[caller]
        response = client.post(
            "/api/v1/incidents", headers=headers, json={"from_alert": beta_alert}
        )
        assert response.status_code == 404, (caller, response.text)
        response = client.post(
            "/api/v1/incidents",
            headers=headers,
            json={"tenant": "beta", "title": "t", "criticality": 1},
        )
        assert response.status_code == 404, (caller, response.text)
        assert client.post("/api/v1/actions", headers=headers, json=action).status_code == 404
    own = client.post(
        "/api/v1/incidents",
        headers=world.headers["client-alpha"],
        json={"tenant": "alpha", "title": "t", "criticality": 1},
    )
    assert own.status_code == 403  # clients read incidents, the provider opens them
    own = client.post(
        "/api/v1/incidents",
        headers=world.headers["analyst-alpha"],
        json={"tenant": "alpha", "title": "t", "criticality": 1},
    )
    assert own.status_code == 201 and own.json()["tenant"] == "alpha"
