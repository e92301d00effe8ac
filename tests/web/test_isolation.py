"""Tenant isolation matrix: callers scoped to tenant alpha never see tenant beta.

Every API route must appear in this matrix (or be exempted with a reason); a new endpoint
makes ``test_every_route_is_in_the_matrix`` fail until its isolation is tested here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.committees.isolation import seed_committees
from tests.contract import isolation as contract_cases
from tests.incidents import isolation_cases as incident_cases
from tests.web.conftest import World, build_world
from vigile.alerts import rules
from vigile.alerts import service as alerts
from vigile.alerts.schemas import AlertInput, RuleExceptionIn
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.events.store import Event, content_hash
from vigile.ingest.intake import Rejection
from vigile.ingest.service import quarantine
from vigile.rules import service as rulesets
from vigile.rules.files import from_texts
from vigile.rules.types import Provenance
from vigile.scope import local_operator
from vigile.sources.models import Source
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantDayIn
from vigile.tenants.types import DayKind

ALPHA_SCOPED = ("client-alpha", "api-client-alpha", "analyst-alpha")
# Lists that only the provider's staff may read (client callers get 403).
PROVIDER_LISTS = {"/api/v1/audit", "/api/v1/alerts/rule-quality"}
PERIOD = "from=2026-11-01&to=2026-11-30"


@dataclass
class IsolationWorld(World):
    """The shared world plus one alert, rule exception and extra day per tenant."""

    alert_ids: dict[str, int] = field(default_factory=dict)
    exception_ids: dict[str, int] = field(default_factory=dict)
    committee_ids: dict[str, int] = field(default_factory=dict)
    committee_action_ids: dict[str, int] = field(default_factory=dict)
    source_ids: dict[str, int] = field(default_factory=dict)
    incident_ids: dict[str, int] = field(default_factory=dict)
    contract_ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def world(settings: Settings, clock: Callable[[], Any]) -> IsolationWorld:
    built = IsolationWorld(**vars(build_world(settings, clock)))
    engine = make_engine(settings.effective_database_url)
    op = local_operator("test")
    with transaction(make_sessionmaker(engine)) as session:
        for slug in ("alpha", "beta"):
            tenant_id = tenants.get_tenant(session, op, slug).id
            detection = AlertInput(
                rule_id="rule-1",
                rule_title="Rule 1",
                rule_level="high",
                events=[{"Computer": f"{slug}-dc01"}],
            )
            alert = alerts.raise_alert(session, op, tenant_id, detection, clock).alert
            assert alert is not None
            built.alert_ids[slug] = alert.id
            data = RuleExceptionIn(tenant=slug, rule_id="noisy", reason="scanner")
            built.exception_ids[slug] = rules.create_exception(session, op, data, clock).id
            day = TenantDayIn(kind=DayKind.CLOSED, note="closure")
            tenants.set_day(session, op, slug, date(2026, 12, 24), day)
            bad = [Rejection(0, "invalid JSON", b"{bad", None)]
            quarantine(session, tenant_id, bad, receiver="native", at=clock(), who=None)
            pack = from_texts({"r.yml": f"title: {slug}\nid: {slug}-rule\n"})
            rulesets.import_ruleset(
                session, op, pack, "t", f"{slug}-pack", Provenance.CLIENT_SPECIFIC, [slug], clock
            )
            source = Source(
                tenant_id=tenant_id,
                receiver="syslog",
                source_type="cef",
                host=f"{slug}-fw",
                first_seen=clock(),
                last_seen=clock(),
                event_count=1,
                window_start=clock(),
                window_count=1,
            )
            session.add(source)
            session.flush()
            built.source_ids[slug] = source.id
            built.incident_ids |= incident_cases.seed(session, slug, alert.id, clock)
    engine.dispose()
    return built


@pytest.fixture(autouse=True)
def _committees(world: IsolationWorld, settings: Settings, clock: Callable[[], Any]) -> None:
    """One sent committee report, with one action item, per tenant."""
    world.committee_ids, world.committee_action_ids = seed_committees(settings, clock)


@pytest.fixture(autouse=True)
def _contract(world: IsolationWorld, settings: Settings, clock: Callable[[], Any]) -> None:
    """Contract, price, perimeter change, asset, CSIRT subscription and credits per tenant."""
    world.contract_ids = contract_cases.seed_contract(settings, clock)


EVENT_RAW = {"alpha": '{"isolation":"alpha"}', "beta": '{"isolation":"beta"}'}


@pytest.fixture(autouse=True)
def _stored_events(client: TestClient, world: IsolationWorld, clock: Callable[[], Any]) -> None:
    """One event per tenant in the app's event store, an hour old (inside the default window)."""
    when = clock() - timedelta(hours=1)
    client.app.state.event_store.add(  # type: ignore[attr-defined]
        [
            Event.new(
                world.tenant_ids[slug],
                raw,
                {"CommandLine": slug},
                time=when,
                received_at=when,
                source_type="test",
                source="isolation",
            )
            for slug, raw in EVENT_RAW.items()
        ]
    )


def _alert(slug: str, action: str = "") -> Callable[[Any], str]:
    return lambda w: f"/api/v1/alerts/{w.alert_ids[slug]}{action}"


def _exception(slug: str) -> Callable[[Any], str]:
    return lambda w: f"/api/v1/alerts/rule-exceptions/{w.exception_ids[slug]}"


@dataclass(frozen=True)
class ObjectRoute:
    """A route addressing one object: ``path(world)`` gives beta's and alpha's objects."""

    method: str
    template: str
    beta_path: Callable[[World], str]
    alpha_path: Callable[[World], str] | None
    body: dict[str, Any] | None = None
    readback: Callable[[World], str] | None = None
    """Where the provider reads beta's object back (default: ``beta_path``)."""
    unchanged: Callable[[Any], bool] | None = None
    """What must still hold of the object read back."""


def _source(slug: str, action: str = "") -> Callable[[Any], str]:
    return lambda w: f"/api/v1/sources/{w.source_ids[slug]}{action}"


def _committee(slug: str, action: str = "") -> Callable[[Any], str]:
    return lambda w: f"/api/v1/committees/{w.committee_ids[slug]}{action}"


OBJECT_ROUTES = [
    # Committees: clients read sent reports and validate them; the provider records and edits.
    ObjectRoute(
        "GET", "/api/v1/committees/{committee_id}", _committee("beta"), _committee("alpha")
    ),
    ObjectRoute(
        "GET",
        "/api/v1/committees/{committee_id}/report",
        _committee("beta", "/report?lang=en"),
        _committee("alpha", "/report?lang=fr"),
    ),
    ObjectRoute(
        "PATCH",
        "/api/v1/committees/{committee_id}",
        _committee("beta"),
        None,
        {"notes": "stolen"},
    ),
    *(
        ObjectRoute(
            "POST",
            f"/api/v1/committees/{{committee_id}}/{action}",
            _committee("beta", f"/{action}"),
            None,
            {"note": "stolen"} if action == "validate" else None,
            readback=_committee("beta"),
            unchanged=lambda c: c["status"] == "sent" and c["validated_by"] is None,
        )
        for action in ("send", "validate")
    ),
    ObjectRoute(
        "PATCH",
        "/api/v1/committees/actions/{action_id}",
        lambda w: f"/api/v1/committees/actions/{w.committee_action_ids['beta']}",
        None,
        {"title": "stolen", "status": "done"},
        readback=_committee("beta"),
        unchanged=lambda c: c["actions"][0]["status"] == "open",
    ),
    ObjectRoute(
        "GET",
        "/api/v1/committees/settings/{slug}",
        lambda w: "/api/v1/committees/settings/beta",
        lambda w: "/api/v1/committees/settings/alpha",
    ),
    ObjectRoute(
        "PUT",
        "/api/v1/committees/settings/{slug}",
        lambda w: "/api/v1/committees/settings/beta",
        None,
        {"recurrence": "monthly"},
        unchanged=lambda s: s["recurrence"] is None,
    ),
    ObjectRoute(
        "GET",
        "/api/v1/committees/schedule/{slug}",
        lambda w: "/api/v1/committees/schedule/beta",
        lambda w: "/api/v1/committees/schedule/alpha",
    ),
    ObjectRoute(
        "GET",
        "/api/v1/rulesets/{name}",
        lambda w: "/api/v1/rulesets/beta-pack",
        lambda w: "/api/v1/rulesets/alpha-pack",
    ),
    ObjectRoute(
        "GET",
        "/api/v1/rulesets/{name}/versions",
        lambda w: "/api/v1/rulesets/beta-pack/versions",
        lambda w: "/api/v1/rulesets/alpha-pack/versions",
    ),
    ObjectRoute(
        "PUT",
        "/api/v1/rulesets/{name}/tenants/{slug}",
        lambda w: "/api/v1/rulesets/beta-pack/tenants/beta",
        None,
        {"enabled": False},
        readback=lambda w: "/api/v1/rulesets/beta-pack",
        unchanged=lambda r: r["disabled_for"] == [],
    ),
    ObjectRoute(
        "GET",
        "/api/v1/tenants/{slug}/rules",
        lambda w: "/api/v1/tenants/beta/rules",
        lambda w: "/api/v1/tenants/alpha/rules",
    ),
    ObjectRoute("GET", "/api/v1/sources/{source_id}", _source("beta"), _source("alpha")),
    ObjectRoute(
        "PUT",
        "/api/v1/sources/{source_id}/expected-interval",
        _source("beta", "/expected-interval"),
        None,
        {"expected_interval_minutes": 5},
        readback=_source("beta"),
        unchanged=lambda s: s["interval_overridden"] is False,
    ),
    ObjectRoute(
        "GET",
        "/api/v1/events/{event_id}",
        lambda w: f"/api/v1/events/{content_hash(EVENT_RAW['beta'])}?tenant=beta",
        lambda w: f"/api/v1/events/{content_hash(EVENT_RAW['alpha'])}?tenant=alpha",
    ),
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
        unchanged=lambda token: token["revoked_at"] is None,
    ),
    # Alerts: clients read and comment; every other change is the provider's.
    ObjectRoute("GET", "/api/v1/alerts/{alert_id}", _alert("beta"), _alert("alpha")),
    *(
        ObjectRoute(
            "POST",
            f"/api/v1/alerts/{{alert_id}}/{action}",
            _alert("beta", f"/{action}"),
            None,
            body,
            readback=_alert("beta"),
            unchanged=lambda a: a["state"] == "new" and a["level"] == 3 and a["assignee"] is None,
        )
        for action, body in [
            ("acknowledge", None),
            ("start", None),
            ("assign", {"assignee": "analyst"}),
            ("level", {"level": 1, "reason": "stolen"}),
            ("close", {"verdict": "false_positive", "comment": "stolen"}),
            ("reopen", {"reason": "stolen"}),
        ]
    ),
    ObjectRoute(
        "POST",
        "/api/v1/alerts/{alert_id}/comments",
        _alert("beta", "/comments"),
        _alert("alpha", "/comments"),
        {"text": "stolen"},
        readback=_alert("beta"),
    ),
    ObjectRoute(
        "GET",
        "/api/v1/alerts/compliance",
        lambda w: f"/api/v1/alerts/compliance?tenant=beta&{PERIOD}",
        lambda w: f"/api/v1/alerts/compliance?tenant=alpha&{PERIOD}",
    ),
    ObjectRoute(
        "GET",
        "/api/v1/alerts/rule-exceptions/{exception_id}",
        _exception("beta"),
        _exception("alpha"),
    ),
    ObjectRoute(
        "DELETE",
        "/api/v1/alerts/rule-exceptions/{exception_id}",
        _exception("beta"),
        None,
        unchanged=lambda exception: exception["revoked_at"] is None,
    ),
    ObjectRoute(
        "GET",
        "/api/v1/tenants/{slug}/days",
        lambda w: "/api/v1/tenants/beta/days",
        lambda w: "/api/v1/tenants/alpha/days",
    ),
    ObjectRoute(
        "PUT",
        "/api/v1/tenants/{slug}/days/{day}",
        lambda w: "/api/v1/tenants/beta/days/2026-12-24",
        None,
        {"kind": "open", "note": "stolen"},
        readback=lambda w: "/api/v1/tenants/beta/days",
    ),
    ObjectRoute(
        "DELETE",
        "/api/v1/tenants/{slug}/days/{day}",
        lambda w: "/api/v1/tenants/beta/days/2026-12-24",
        None,
        readback=lambda w: "/api/v1/tenants/beta/days",
        unchanged=lambda days: [d["kind"] for d in days] == ["closed"],
    ),
]
OBJECT_ROUTES += [ObjectRoute(**case) for case in incident_cases.OBJECT_CASES]
OBJECT_ROUTES += [ObjectRoute(**case) for case in contract_cases.OBJECT_CASES]

# List routes and how to tell that an item belongs to beta.
LIST_ROUTES: dict[str, Callable[[World, dict[str, Any]], bool]] = {
    "/api/v1/tenants": lambda w, item: item["slug"] == "beta",
    "/api/v1/users": lambda w, item: item["tenant"] == "beta",
    "/api/v1/tokens": lambda w, item: item["tenant"] == "beta" or item["username"] == "client-beta",
    "/api/v1/audit": lambda w, item: item["tenant_id"] == w.tenant_ids["beta"],
    "/api/v1/alerts": lambda w, item: item["tenant"] == "beta",
    "/api/v1/alerts/rule-exceptions": lambda w, item: item["tenant"] == "beta",
    "/api/v1/alerts/rule-quality": lambda w, item: item["tenant"] == "beta",
    "/api/v1/quarantine": lambda w, item: item["tenant"] == "beta",
    "/api/v1/events": lambda w, item: item["tenant"] == "beta",
    "/api/v1/committees": lambda w, item: item["tenant"] == "beta",
    "/api/v1/committees/actions": lambda w, item: item["owner"] == "beta",
    "/api/v1/rulesets": lambda w, item: "beta" in item["tenants"],
    "/api/v1/sources": lambda w, item: item["tenant"] == "beta",
}
LIST_ROUTES |= incident_cases.LIST_CASES

# Routes that address no tenant object, and why they need no isolation case.
EXEMPT = {
    ("POST", "/api/v1/auth/token"): "login: returns the caller's own token",
    ("GET", "/api/v1/auth/me"): "the caller's own scope",
    ("POST", "/api/v1/tenants"): "creation: admin only (tested in test_api)",
    ("POST", "/api/v1/users"): "creation: admin only (tested in test_api)",
    ("POST", "/api/v1/tokens"): "creation: tested in test_token_creation_is_scoped",
    ("GET", "/api/v1/audit/verify"): "admin only; counts, no tenant data",
    ("POST", "/api/v1/alerts"): "creation: tested in test_alert_creation_is_scoped",
    ("POST", "/api/v1/alerts/rule-exceptions"): "creation: tested in test_alert_creation_is_scoped",
    ("POST", "/api/v1/ingest"): "ingest tokens only, tenant from the token: tests/ingest",
    ("POST", "/api/v1/committees"): "creation: provider only (tests/committees/test_api.py)",
    ("POST", "/api/v1/rulesets"): "import: admin only (tests/rules/test_api.py)",
}
EXEMPT |= incident_cases.EXEMPT_CASES


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    covered = {(r.method, r.template) for r in OBJECT_ROUTES}
    covered |= {("GET", path) for path in LIST_ROUTES} | set(EXEMPT)
    missing = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path.startswith("/api/"):
            missing += [(m, route.path) for m in route.methods if (m, route.path) not in covered]
    assert not missing, f"routes without a tenant-isolation case: {missing}"


# Callers are looped inside one test (one world per route and database) to keep the suite fast.
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_beta_objects_are_not_found(client: TestClient, world: World, route: ObjectRoute) -> None:
    for caller in ALPHA_SCOPED:
        headers = world.headers[caller]
        response = client.request(
            route.method, route.beta_path(world), headers=headers, json=route.body
        )
        assert response.status_code == 404, (caller, response.text)
        # A bare problem document: nothing of beta's object comes back.
        assert set(response.json()) <= {"type", "title", "status", "detail", "instance"}
        # Still there, unchanged, for the provider.
        check = client.get(
            (route.readback or route.beta_path)(world), headers=world.headers["admin"]
        )
        assert check.status_code == 200
        if route.body:
            assert "stolen" not in check.text
        if route.unchanged is not None:
            assert route.unchanged(check.json()), (caller, check.text)
        if route.alpha_path is not None:  # positive control: the same caller sees its own
            own = client.request(
                route.method, route.alpha_path(world), headers=headers, json=route.body
            )
            assert own.status_code in (200, 201), (caller, own.text)


@pytest.mark.parametrize("path", list(LIST_ROUTES))
def test_lists_never_contain_beta_rows(client: TestClient, world: World, path: str) -> None:
    for caller in ALPHA_SCOPED:
        response = client.get(path, headers=world.headers[caller], params={"limit": 500})
        if path in PROVIDER_LISTS and caller != "analyst-alpha":
            assert response.status_code == 403  # the provider's own data
            continue
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        leaked = [item for item in items if LIST_ROUTES[path](world, item)]
        assert not leaked, caller
        assert response.json()["total"] == len(items)
    # Positive control: the provider's admin does see beta's rows in the same list.
    everything = client.get(path, headers=world.headers["admin"], params={"limit": 500})
    assert any(LIST_ROUTES[path](world, item) for item in everything.json()["items"])


def test_alert_creation_is_scoped(client: TestClient, world: World) -> None:
    alert = {"rule_id": "r", "rule_title": "R", "rule_level": "low", "events": [{"a": 1}]}
    exception = {"rule_id": "r", "reason": "stolen"}
    cases = [
        ("analyst-alpha", "beta", 404),
        ("api-analyst-beta", "alpha", 404),
        ("client-alpha", "beta", 404),
        ("client-alpha", "alpha", 403),
        ("api-client-alpha", "alpha", 403),
    ]
    for caller, tenant, expected in cases:
        headers = world.headers[caller]
        response = client.post("/api/v1/alerts", headers=headers, json=alert | {"tenant": tenant})
        assert response.status_code == expected, (caller, tenant, response.text)
        response = client.post(
            "/api/v1/alerts/rule-exceptions", headers=headers, json=exception | {"tenant": tenant}
        )
        assert response.status_code == expected, (caller, tenant, response.text)
    # Filtering a list by another tenant does not reveal that it exists.
    response = client.get(
        "/api/v1/alerts", headers=world.headers["client-alpha"], params={"tenant": "beta"}
    )
    assert response.status_code == 404
    own = client.post(
        "/api/v1/alerts", headers=world.headers["analyst-alpha"], json=alert | {"tenant": "alpha"}
    )
    assert own.status_code == 201 and own.json()["alert"]["tenant"] == "alpha"


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
