"""HTTP API of committees: the provider records and sends, the client reads and validates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.conftest import World, build_world
from vigile.app import create_app
from vigile.config import Settings

BODY = {
    "tenant": "alpha",
    "held_on": "2026-12-18",
    "participants": [
        {"name": "Alice Martin", "organisation": "Alpha", "role": "RSSI"},
        {"name": "Bruno Petit", "organisation": "Vigile SOC", "role": "Analyste"},
    ],
    "decisions": ["Raccorder les journaux du pare-feu"],
    "actions": [{"title": "Déployer l'agent EDR", "owner": "Alpha", "due_on": "2027-01-31"}],
}


@pytest.fixture
def now() -> FakeClock:
    """Thursday 26 November 2026, 10:00 in Paris."""
    return FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
def client(settings: Settings, now: FakeClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=now)
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def world(settings: Settings, now: FakeClock) -> World:
    return build_world(settings, now)


def test_provider_records_client_reads_and_validates(client: TestClient, world: World) -> None:
    admin, analyst = world.headers["admin"], world.headers["analyst-alpha"]
    customer = world.headers["client-alpha"]
    # Only the provider records, and only for tenants it may see.
    assert client.post("/api/v1/committees", headers=customer, json=BODY).status_code == 403
    other = BODY | {"tenant": "beta"}
    assert client.post("/api/v1/committees", headers=analyst, json=other).status_code == 404
    created = client.post("/api/v1/committees", headers=analyst, json=BODY)
    assert created.status_code == 201, created.text
    out = created.json()
    assert (out["status"], out["due_on"], out["overdue"]) == ("draft", "2027-01-05", False)
    assert out["period_to"] == "2026-12-17" and len(out["actions"]) == 1
    cid = out["id"]
    # A draft is the provider's: the client does not see it yet.
    assert client.get(f"/api/v1/committees/{cid}", headers=customer).status_code == 404
    assert client.get("/api/v1/committees", headers=customer).json()["total"] == 0
    edit = client.patch(f"/api/v1/committees/{cid}", headers=admin, json={"decisions": ["A", "B"]})
    assert edit.status_code == 200 and edit.json()["decisions"] == ["A", "B"]
    html = client.get(f"/api/v1/committees/{cid}/report?lang=en", headers=admin)
    assert html.status_code == 200 and "Action plan" in html.text and "draft" in html.text
    assert client.post(f"/api/v1/committees/{cid}/send", headers=customer).status_code == 404
    sent = client.post(f"/api/v1/committees/{cid}/send", headers=admin)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert client.patch(f"/api/v1/committees/{cid}", headers=admin, json={}).status_code == 409
    # The client reads the sent report (HTML and PDF) and validates it.
    listed = client.get("/api/v1/committees", headers=customer).json()
    assert [c["id"] for c in listed["items"]] == [cid]
    report = client.get(f"/api/v1/committees/{cid}/report", headers=customer)
    assert report.status_code == 200 and "Plan d'action" in report.text.replace("&#39;", "'")
    pdf = client.get(f"/api/v1/committees/{cid}/report?format=pdf&lang=fr", headers=customer)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    action_id = out["actions"][0]["id"]
    update = {"status": "done"}
    path = f"/api/v1/committees/actions/{action_id}"
    assert client.patch(path, headers=customer, json=update).status_code == 403
    valid = client.post(f"/api/v1/committees/{cid}/validate", headers=customer, json={"note": "OK"})
    assert valid.status_code == 200, valid.text
    assert valid.json()["status"] == "validated"
    assert valid.json()["validated_by"].startswith("user:client-alpha")
    again = client.post(f"/api/v1/committees/{cid}/validate", headers=customer)
    assert again.status_code == 409
    done = client.patch(path, headers=analyst, json=update)
    assert done.status_code == 200 and done.json()["closed_on"] is not None


def test_settings_schedule_and_overdue_list(client: TestClient, world: World) -> None:
    admin, customer = world.headers["admin"], world.headers["client-alpha"]
    body = {"recurrence": "monthly", "first_on": "2026-10-15", "indicators": ["ack_times"]}
    assert (
        client.put("/api/v1/committees/settings/alpha", headers=customer, json=body).status_code
        == 403
    )
    put = client.put("/api/v1/committees/settings/alpha", headers=admin, json=body)
    assert put.status_code == 200 and put.json()["indicators"] == ["ack_times"]
    bad = client.put("/api/v1/committees/settings/alpha", headers=admin, json={"indicators": ["x"]})
    assert bad.status_code == 422
    plan = client.get("/api/v1/committees/schedule/alpha", headers=customer).json()
    # No committee held yet: the plan starts at the first date, already past on 26 November.
    assert plan["next_dates"][:2] == ["2026-10-15", "2026-11-15"] and plan["late"] is True
    old = BODY | {"held_on": "2026-11-02"}
    assert client.post("/api/v1/committees", headers=admin, json=old).status_code == 201
    overdue = client.get("/api/v1/committees?overdue=true", headers=admin).json()
    # Due 16 November (11 November is a holiday), still a draft on 26 November.
    assert [(c["held_on"], c["due_on"], c["overdue"]) for c in overdue["items"]] == [
        ("2026-11-02", "2026-11-17", True)
    ]
