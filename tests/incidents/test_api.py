"""Incidents, containment and block lists through the API."""

from __future__ import annotations

import base64
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.conftest import World
from vigile.events.store import Event, content_hash

ALERT = {
    "rule_id": "r-mimikatz",
    "rule_title": "Mimikatz",
    "rule_level": "high",
    "events": [{"Computer": "ws01.alpha.example", "User": "bob"}],
}


def _incident(client: TestClient, world: World, host: str = "ws01.alpha.example") -> dict:
    detection = ALERT | {"tenant": "alpha", "events": [{"Computer": host, "User": "bob"}]}
    alert = client.post("/api/v1/alerts", headers=world.headers["analyst"], json=detection).json()[
        "alert"
    ]
    response = client.post(
        "/api/v1/incidents",
        headers=world.headers["analyst"],
        json={"from_alert": alert["id"], "category": "malware"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _basic(secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"fw:{secret}".encode()).decode()}


def test_incident_lifecycle_and_outcome(client: TestClient, world: World) -> None:
    incident = _incident(client, world)
    assert incident["tenant"] == "alpha" and incident["criticality"] == 3
    assert "ws01.alpha.example" in incident["assets"] and len(incident["alert_ids"]) == 1
    other = _incident(client, world, "ws02.alpha.example")
    merged = client.post(
        f"/api/v1/incidents/{incident['id']}/merge",
        headers=world.headers["analyst"],
        json={"source_id": other["id"]},
    )
    assert merged.status_code == 200 and len(merged.json()["alert_ids"]) == 2
    source = client.get(f"/api/v1/incidents/{other['id']}", headers=world.headers["admin"]).json()
    assert source["status"] == "closed" and source["outcome"] == "merged"
    path = f"/api/v1/incidents/{incident['id']}"
    refused = client.patch(path, headers=world.headers["analyst"], json={"status": "closed"})
    assert refused.status_code == 422  # closing records the outcome
    client.post(f"{path}/csirt", headers=world.headers["analyst"], json={"note": "CERT engagé"})
    closed = client.patch(
        path,
        headers=world.headers["analyst"],
        json={"status": "closed", "outcome": "true_positive_impact"},
    )
    assert closed.json()["outcome"] == "true_positive_impact"
    assert closed.json()["csirt_handed_at"] is not None
    # The client reads its incident, cannot change it.
    assert client.get(path, headers=world.headers["client-alpha"]).status_code == 200
    assert (
        client.patch(path, headers=world.headers["client-alpha"], json={"title": "x"}).status_code
        == 403
    )
    kinds = [
        e["kind"]
        for e in client.get(f"{path}/timeline", headers=world.headers["client-alpha"]).json()
    ]
    assert {"created", "alert_attached", "merged", "csirt", "status"} <= set(kinds)


def test_block_ip_reaches_the_block_list_until_it_expires(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    incident = _incident(client, world)
    body = {
        "incident_id": incident["id"],
        "type": "block_ip",
        "target": "203.0.113.7",
        "reason": "C2",
        "expires_at": (clock() + timedelta(hours=1)).isoformat(),
    }
    assert (
        client.post(
            "/api/v1/actions", headers=world.headers["analyst"], json=body | {"target": "not-an-ip"}
        ).status_code
        == 422
    )
    action = client.post("/api/v1/actions", headers=world.headers["analyst"], json=body).json()
    path = f"/api/v1/actions/{action['id']}"
    # Four-eyes: the proposer cannot approve; someone else can.
    assert client.post(f"{path}/approve", headers=world.headers["analyst"]).status_code == 403
    assert (
        client.post(f"{path}/approve", headers=world.headers["admin"]).json()["state"] == "approved"
    )
    from vigile.db import make_engine, make_sessionmaker, transaction
    from vigile.incidents import blocklists
    from vigile.scope import local_operator

    settings = client.app.state.settings  # type: ignore[attr-defined]
    sessions = make_sessionmaker(make_engine(settings.effective_database_url))
    with transaction(sessions) as session:
        _, secret = blocklists.create_token(session, local_operator("t"), "alpha", clock)
    url = "/api/v1/blocklists/alpha/ip.txt"
    assert client.get(url, headers=_basic(secret)).text == ""  # approved, not applied yet
    applied = client.post(f"{path}/apply", headers=world.headers["admin"]).json()
    assert applied["state"] == "applied" and applied["connector"] == "blocklist"
    listed = client.get(url, headers=_basic(secret))
    assert listed.status_code == 200 and listed.text == "203.0.113.7\n"
    assert listed.headers["content-type"].startswith("text/plain")
    assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).text == "203.0.113.7\n"
    assert client.get("/api/v1/blocklists/beta/ip.txt", headers=_basic(secret)).status_code == 404
    assert client.get(url, headers=_basic("vbl_wrong")).status_code == 401
    assert client.get(url).status_code == 401
    clock.now += timedelta(hours=1)  # expiry instant: gone at once, before any pass runs
    assert client.get(url, headers=_basic(secret)).text == ""
    from vigile.incidents.scheduler import expire_once

    assert expire_once(sessions, clock) == 1
    assert client.get(path, headers=world.headers["admin"]).json()["state"] == "expired"
    # Revert removes at once.
    again = client.post(
        "/api/v1/actions",
        headers=world.headers["analyst"],
        json=body | {"expires_at": None, "target": "198.51.100.0/24"},
    ).json()
    client.post(f"/api/v1/actions/{again['id']}/approve", headers=world.headers["admin"])
    client.post(f"/api/v1/actions/{again['id']}/apply", headers=world.headers["admin"])
    assert client.get(url, headers=_basic(secret)).text == "198.51.100.0/24\n"
    client.post(f"/api/v1/actions/{again['id']}/revert", headers=world.headers["analyst"])
    assert client.get(url, headers=_basic(secret)).text == ""
    sessions.kw["bind"].dispose()


def test_export_carries_the_stored_events_hashes(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    incident = _incident(client, world)
    store = client.app.state.event_store  # type: ignore[attr-defined]
    raws = ['{"EventID":4624,"TargetUserName":"bob"}', '{"EventID":1,"Image":"mimikatz.exe"}']
    store.add(
        [
            Event.new(
                world.tenant_ids["alpha"],
                raw,
                {"n": i},
                time=clock() - timedelta(minutes=5),
                received_at=clock(),
                source_type="winlogbeat",
                source="dc01",
            )
            for i, raw in enumerate(raws)
        ]
    )
    for raw in raws:
        response = client.post(
            f"/api/v1/incidents/{incident['id']}/evidence",
            headers=world.headers["analyst"],
            json={"event_id": content_hash(raw)},
        )
        assert response.status_code == 201, response.text
    doc = client.get(
        f"/api/v1/incidents/{incident['id']}/export", headers=world.headers["client-alpha"]
    ).json()
    hashes = {e["content_hash"] for e in doc["evidence"]}
    stored = {store.get(world.tenant_ids["alpha"], content_hash(r)).event_id for r in raws}
    assert hashes == stored == {content_hash(r) for r in raws}
    assert all(e["intact"] and e["sha256"] == e["content_hash"] for e in doc["evidence"])
    for lang, word in (("fr", "Preuves"), ("en", "Evidence")):
        page = client.get(
            f"/api/v1/incidents/{incident['id']}/export",
            params={"format": "html", "lang": lang},
            headers=world.headers["analyst"],
        ).text
        assert word in page and all(h in page for h in hashes)
    pdf = client.get(
        f"/api/v1/incidents/{incident['id']}/export",
        params={"format": "pdf", "lang": "fr"},
        headers=world.headers["analyst"],
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
