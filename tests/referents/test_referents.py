"""Referents: dated changes with history kept; clients may declare their own."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World


def test_changes_are_dated_and_history_kept(client: TestClient, world: World) -> None:
    path = "/api/v1/tenants/alpha/referents"
    first = {"name": "Rémi", "email": "rssi@alpha.example", "phone": "+33 1", "language": "fr"}
    assert (
        client.put(f"{path}/primary", headers=world.headers["admin"], json=first).status_code == 200
    )
    second = {"name": "Ana", "email": "ana@alpha.example", "language": "en"}
    done = client.put(f"{path}/primary", headers=world.headers["client-alpha"], json=second)
    assert done.status_code == 200 and done.json()["declared_by"].startswith("user:client-alpha")
    current = client.get(path, headers=world.headers["client-alpha"]).json()
    assert [(r["role"], r["name"]) for r in current] == [("primary", "Ana")]
    history = client.get(path, headers=world.headers["admin"], params={"history": True}).json()
    assert [r["name"] for r in history] == ["Ana", "Rémi"]
    assert history[1]["valid_to"] is not None and history[1]["ended_by"].startswith(
        "user:client-alpha"
    )
    bad = client.put(
        f"{path}/backup",
        headers=world.headers["admin"],
        json={"name": "x", "email": "not-an-email"},
    )
    assert bad.status_code == 422
