"""The alerts API: same deadlines as the service, lifecycle, SLA states in list and report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.conftest import EVENT, MORNING, OP, detection
from tests.conftest import FakeClock
from tests.web.conftest import World, build_world
from vigile.alerts import service
from vigile.app import create_app
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantUpdate

ALERTS = "/api/v1/alerts"


@pytest.fixture
def api(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def world(settings: Settings, clock: FakeClock) -> World:
    """Tenants alpha (live since 5 January 2026, business hours) and beta, with users."""
    built = build_world(settings, clock)
    engine = make_engine(settings.effective_database_url)
    with transaction(make_sessionmaker(engine)) as session:
        tenants.update_tenant(session, OP, "alpha", TenantUpdate(go_live=date(2026, 1, 5)))
    engine.dispose()
    return built


def _body(tenant: str = "alpha", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant": tenant,
        "rule_id": "rule-1",
        "rule_title": "Suspicious logon",
        "rule_level": "high",
        "events": [EVENT],
    }
    return body | overrides


def _raise(api: TestClient, world: World, **overrides: Any) -> dict[str, Any]:
    response = api.post(ALERTS, headers=world.headers["analyst"], json=_body(**overrides))
    assert response.status_code == 201, response.text
    alert: dict[str, Any] = response.json()["alert"]
    return alert


CASES = [
    ("critical", "2026-11-26T10:00:00+01:00"),  # Thursday morning
    ("high", "2026-11-27T17:30:00+01:00"),  # Friday evening: Monday
    ("medium", "2026-12-24T16:00:00+01:00"),  # Christmas eve, then the 25th is off
    ("low", "2026-11-10T12:00:00+01:00"),  # eve of 11 November
    ("critical", "2026-11-28T03:00:00+01:00"),  # Saturday night
]


def test_api_and_service_give_the_same_deadline(
    api: TestClient, world: World, settings: Settings, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 12, 25, 12, 0, tzinfo=UTC)  # API tokens last 30 days
    engine = make_engine(settings.effective_database_url)
    for i, (level, raised_at) in enumerate(CASES):
        over_api = _raise(api, world, rule_id=f"api-{i}", rule_level=level, raised_at=raised_at)
        with transaction(make_sessionmaker(engine)) as session:
            moment = datetime.fromisoformat(raised_at)
            outcome = service.raise_alert(
                session,
                OP,
                world.tenant_ids["alpha"],
                detection(rule_id=f"pipeline-{i}", level=level, raised_at=moment),
                clock,
            )
            assert outcome.alert is not None
            assert outcome.alert.due_at == datetime.fromisoformat(over_api["deadline"]), raised_at
        assert over_api["sla"]["due_at_local"].endswith("+01:00")
    engine.dispose()


def test_lifecycle_over_the_api(api: TestClient, world: World, clock: FakeClock) -> None:
    alert = _raise(api, world)
    url = f"{ALERTS}/{alert['id']}"
    assert alert["state"] == "new" and alert["sla_state"] == "running"
    assert (
        alert["level_label"] == "Niveau 3 (haute)" and alert["level_label_en"] == "Level 3 (high)"
    )
    client_alpha = world.headers["client-alpha"]
    assert api.post(f"{url}/acknowledge", headers=client_alpha).status_code == 403
    comment = api.post(f"{url}/comments", headers=client_alpha, json={"text": "maintenance"})
    assert comment.status_code == 201 and comment.json()["actor"].startswith("user:client-alpha")

    clock.now = MORNING + timedelta(minutes=20)
    analyst = world.headers["analyst"]
    acked = api.post(f"{url}/acknowledge", headers=analyst).json()
    assert acked["state"] == "acknowledged" and acked["sla_state"] == "met"
    assert acked["acknowledged_by"].startswith("user:analyst")
    assigned = api.post(f"{url}/assign", headers=analyst, json={"assignee": "analyst-alpha"})
    assert assigned.json()["assignee"] == "analyst-alpha"
    bad = api.post(f"{url}/assign", headers=analyst, json={"assignee": "client-alpha"})
    assert bad.status_code == 422
    level = api.post(f"{url}/level", headers=analyst, json={"level": 4, "reason": "DC involved"})
    assert level.json()["level"] == 4 and level.json()["original_level"] == 3
    assert level.json()["deadline"] == "2026-11-26T10:30:00Z"
    closed = api.post(
        f"{url}/close", headers=analyst, json={"verdict": "benign_positive", "comment": "admin"}
    ).json()
    assert closed["state"] == "closed" and closed["verdict"] == "benign_positive"
    assert api.post(f"{url}/close", headers=analyst, json=closed | {}).status_code == 422
    reopened = api.post(f"{url}/reopen", headers=analyst, json={"reason": "again"}).json()
    assert reopened["state"] == "in_progress"
    kinds = [e["kind"] for e in api.get(url, headers=client_alpha).json()["timeline"]]
    assert kinds == [
        "raised",
        "comment",
        "acknowledged",
        "assigned",
        "level_changed",
        "closed",
        "reopened",
    ]
    detail = api.get(url, headers=analyst).json()
    assert detail["evidence"][0]["event"] == EVENT


def test_ack_after_the_deadline_is_breached_in_list_and_report(
    api: TestClient, world: World, clock: FakeClock
) -> None:
    late = _raise(api, world, rule_level="critical")  # due 11:30 Paris
    on_time = _raise(api, world, rule_id="rule-2", rule_level="critical")
    running = _raise(api, world, rule_id="rule-3", rule_level="low")
    analyst = world.headers["analyst"]
    clock.now = MORNING + timedelta(minutes=30)
    api.post(f"{ALERTS}/{on_time['id']}/acknowledge", headers=analyst)
    clock.now = MORNING + timedelta(hours=2)
    api.post(f"{ALERTS}/{late['id']}/acknowledge", headers=analyst)

    def ids(**params: Any) -> list[int]:
        response = api.get(ALERTS, headers=world.headers["client-alpha"], params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(sla_state="breached") == [late["id"]]
    assert ids(sla_state="met") == [on_time["id"]]
    assert ids(sla_state="running") == [running["id"]]
    assert ids(sla_state="due_soon") == []
    assert ids(sla_state=["met", "breached"]) == [late["id"], on_time["id"]]

    report = api.get(
        f"{ALERTS}/compliance",
        headers=world.headers["client-alpha"],
        params={"tenant": "alpha", "from": "2026-11-01", "to": "2026-11-30"},
    ).json()
    critical = report["levels"][0]
    assert critical["label"] == "Niveau 4 (critique)"
    assert (critical["alerts"], critical["acknowledged_on_time"], critical["breaches"]) == (2, 1, 1)
    assert critical["median_ack_wall_minutes"] == 75.0  # (30 + 120) / 2
    assert critical["p90_ack_wall_minutes"] == 120.0
    assert critical["median_ack_business_minutes"] == 75.0
    low = report["levels"][3]
    assert (low["alerts"], low["pending"], low["breaches"]) == (1, 1, 0)


def test_list_filters_sort_and_pages(api: TestClient, world: World, clock: FakeClock) -> None:
    first = _raise(api, world, rule_level="low")
    second = _raise(api, world, rule_id="r2", rule_level="critical")
    clock.now = MORNING + timedelta(minutes=5)
    third = _raise(api, world, rule_id="r3", rule_level="medium", tenant="beta")
    admin = world.headers["admin"]

    def ids(**params: Any) -> list[int]:
        return [i["id"] for i in api.get(ALERTS, headers=admin, params=params).json()["items"]]

    # By deadline: the critical one first; beta has no go-live (no deadline), so last.
    assert ids() == [second["id"], first["id"], third["id"]]
    assert ids(sort="-raised_at")[0] == third["id"]
    assert ids(tenant="beta") == [third["id"]]
    assert ids(level=[1, 4]) == [second["id"], first["id"]]
    assert ids(rule_id="r2") == [second["id"]]
    assert ids(sla_state="no_sla") == [third["id"]]
    assert ids(raised_from="2026-11-26T09:01:00Z") == [third["id"]]
    assert ids(state="new", raised_to="2026-11-26T09:01:00Z") == [second["id"], first["id"]]
    page = api.get(ALERTS, headers=admin, params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and [i["id"] for i in page["items"]] == [first["id"]]


def test_rule_exceptions_and_quality_over_the_api(api: TestClient, world: World) -> None:
    analyst = world.headers["analyst"]
    created = api.post(
        f"{ALERTS}/rule-exceptions",
        headers=analyst,
        json={"tenant": "alpha", "rule_id": "rule-1", "reason": "vulnerability scanner"},
    )
    assert created.status_code == 201 and created.json()["active"] is True
    refused = api.post(ALERTS, headers=analyst, json=_body())
    assert refused.status_code == 409 and "vulnerability scanner" in refused.json()["detail"]
    client_alpha = world.headers["client-alpha"]
    listed = api.get(f"{ALERTS}/rule-exceptions", headers=client_alpha).json()
    assert [e["rule_id"] for e in listed["items"]] == ["rule-1"]
    forbidden = api.post(
        f"{ALERTS}/rule-exceptions",
        headers=client_alpha,
        json={"tenant": "alpha", "rule_id": "x", "reason": "y"},
    )
    assert forbidden.status_code == 403
    url = f"{ALERTS}/rule-exceptions/{created.json()['id']}"
    revoked = api.delete(url, headers=analyst, params={"reason": "scanner moved"}).json()
    assert revoked["active"] is False and revoked["revoke_reason"] == "scanner moved"
    alert = _raise(api, world)
    api.post(
        f"{ALERTS}/{alert['id']}/close",
        headers=analyst,
        json={"verdict": "false_positive", "comment": "scanner"},
    )
    quality = api.get(f"{ALERTS}/rule-quality", headers=analyst, params={"tenant": "alpha"})
    (row,) = quality.json()["items"]
    assert row["false_positive"] == 1 and row["false_positive_rate"] == 1.0
    assert api.get(f"{ALERTS}/rule-quality", headers=client_alpha).status_code == 403


def test_tenant_extra_days_move_deadlines(api: TestClient, world: World, clock: FakeClock) -> None:
    admin, client_alpha = world.headers["admin"], world.headers["client-alpha"]
    days = "/api/v1/tenants/alpha/days"
    put = api.put(f"{days}/2026-11-27", headers=admin, json={"kind": "closed", "note": "bridge"})
    assert put.status_code == 200 and put.json() == {
        "day": "2026-11-27",
        "kind": "closed",
        "note": "bridge",
    }
    assert (
        api.put(f"{days}/2026-11-28", headers=client_alpha, json={"kind": "open"}).status_code
        == 403
    )
    api.put(f"{days}/2026-11-28", headers=admin, json={"kind": "open"})
    assert [d["kind"] for d in api.get(days, headers=client_alpha).json()] == ["closed", "open"]
    # Thursday 17:00 + 3 h: 1 h Thursday, Friday closed, Saturday open (Monday's hours) → 11:00.
    clock.now = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    alert = _raise(api, world)
    assert alert["sla"]["due_at_local"] == "2026-11-28T11:00:00+01:00"
    assert api.delete(f"{days}/2026-11-28", headers=admin).status_code == 204
    assert api.delete(f"{days}/2026-11-28", headers=admin).status_code == 404
    assert len(api.get(days, headers=admin).json()) == 1


def test_alert_detail_shows_recent_perimeter_changes(api: TestClient, world: World) -> None:
    declared = {
        "2026-11-23": "Nouveau serveur VPN en DMZ",  # three days before the alert: shown
        "2026-09-01": "Migration de la messagerie",  # months before: not shown
    }
    for day, text in declared.items():
        response = api.post(
            "/api/v1/tenants/alpha/perimeter-changes",
            headers=world.headers["client-alpha"],
            json={"changed_on": day, "kind": "new_service", "description": text},
        )
        assert response.status_code == 201, response.text
    alert = _raise(api, world)
    detail = api.get(f"{ALERTS}/{alert['id']}", headers=world.headers["analyst"]).json()
    assert [c["description"] for c in detail["perimeter_changes"]] == [declared["2026-11-23"]]
    other = _raise(api, world, tenant="beta", rule_id="rule-2")
    beta = api.get(f"{ALERTS}/{other['id']}", headers=world.headers["analyst"]).json()
    assert beta["perimeter_changes"] == []  # alpha's changes never beside beta's alerts
