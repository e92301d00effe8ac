"""The HTTP API of the events slice, on a tiny app wired like the real one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from tests.events.factory import make_event
from tests.web.conftest import World, build_world
from vigile.auth.service import resolve_credentials
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.routes import router
from vigile.events.store import Event
from vigile.web.problems import install_problem_handlers


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data")


@pytest.fixture
def world(settings: Settings, clock: Callable[[], datetime]) -> World:
    return build_world(settings, clock)


@pytest.fixture
def seeded(
    settings: Settings, world: World, clock: Callable[[], datetime]
) -> Iterator[tuple[DuckDbEventStore, dict[str, list[Event]]]]:
    store = DuckDbEventStore.open(settings)
    now = clock()
    events = {
        slug: [
            make_event(
                world.tenant_ids[slug],
                n,
                time=now - timedelta(minutes=10 * (n + 1)),
                CommandLine=f"{slug} mimikatz {n}" if n % 2 else f"{slug} calc {n}",
            )
            for n in range(6)
        ]
        for slug in ("alpha", "beta")
    }
    store.add(events["alpha"] + events["beta"])
    yield store, events
    store.close()


@pytest.fixture
def api(
    settings: Settings,
    clock: Callable[[], datetime],
    seeded: tuple[DuckDbEventStore, dict[str, list[Event]]],
) -> Iterator[TestClient]:
    app = FastAPI()
    engine = make_engine(settings.effective_database_url)
    app.state.settings = settings
    app.state.sessions = make_sessionmaker(engine)
    app.state.clock = clock
    app.state.resolve_credentials = resolve_credentials
    app.state.event_store = seeded[0]
    install_problem_handlers(app)
    api = APIRouter(prefix="/api/v1")
    api.include_router(router)
    app.include_router(api)
    with TestClient(app) as client:
        yield client
    engine.dispose()


Seeded = tuple[DuckDbEventStore, dict[str, list[Event]]]


def test_search_with_conditions_and_pages(api: TestClient, world: World, seeded: Seeded) -> None:
    params = {"tenant": "alpha", "where": ["CommandLine|contains=MIMIKATZ"], "limit": 2}
    page = api.get("/api/v1/events", headers=world.headers["analyst"], params=params).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["limit"] == 2
    item = page["items"][0]
    assert item["tenant"] == "alpha" and item["intact"] is True
    assert item["fields"]["CommandLine"] == "alpha mimikatz 1"  # newest first
    assert item["event_id"] == seeded[1]["alpha"][1].event_id and item["raw"]
    params |= {"offset": 2, "order": "asc"}
    rest = api.get("/api/v1/events", headers=world.headers["analyst"], params=params).json()
    assert [i["fields"]["CommandLine"] for i in rest["items"]] == [
        "alpha mimikatz 1"
    ]  # asc: 5, 3, 1


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_keyset_pages_walk_every_event_once_while_events_arrive(
    api: TestClient, world: World, seeded: Seeded, clock: Callable[[], datetime], order: str
) -> None:
    headers = world.headers["admin"]
    params: dict[str, object] = {"limit": 5, "order": order}
    first = api.get("/api/v1/events", headers=headers, params=params).json()
    assert first["total"] == 12 and len(first["items"]) == 5 and first["next"]
    # An event stored between two pages, newer than all: offset paging would shift by one.
    store = seeded[0]
    store.add([make_event(world.tenant_ids["alpha"], 99, time=clock() - timedelta(minutes=1))])
    seen = [i["event_id"] for i in first["items"]]
    cursor = first["next"]
    while cursor:
        page = api.get("/api/v1/events", headers=headers, params=params | {"after": cursor})
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [i["event_id"] for i in body["items"]]
        cursor = body["next"]
    expected = [e for group in seeded[1].values() for e in group]
    expected.sort(key=lambda e: (e.time, e.event_id), reverse=order == "desc")
    extra = 1 if order == "asc" else 0  # asc: the new, newest event comes last
    assert seen[: len(expected)] == [e.event_id for e in expected]
    assert len(seen) == len(expected) + extra and len(set(seen)) == len(seen)


def test_a_bad_cursor_is_refused(api: TestClient, world: World) -> None:
    for after in ("nonsense", "12.zz", "x." + "a" * 64, "1." + "A" * 64):
        answer = api.get("/api/v1/events", headers=world.headers["admin"], params={"after": after})
        assert answer.status_code == 422, after


def test_time_range_parameters(
    api: TestClient, world: World, clock: Callable[[], datetime]
) -> None:
    now = clock()
    params = {
        "from": (now - timedelta(minutes=35)).isoformat(),
        "to": (now - timedelta(minutes=10)).isoformat(),
    }
    page = api.get("/api/v1/events", headers=world.headers["admin"], params=params).json()
    assert page["total"] == 4  # minutes 30 and 20 of both tenants (10 is excluded)
    bad = api.get(
        "/api/v1/events",
        headers=world.headers["admin"],
        params={"from": params["to"], "to": params["from"]},
    )
    assert bad.status_code == 422


@pytest.mark.parametrize("caller", ["client-alpha", "api-client-alpha", "analyst-alpha"])
def test_alpha_callers_never_get_beta_events(
    api: TestClient, world: World, seeded: Seeded, caller: str
) -> None:
    headers = world.headers[caller]
    own = api.get("/api/v1/events", headers=headers, params={"limit": 500}).json()
    assert own["total"] == 6 and {i["tenant"] for i in own["items"]} == {"alpha"}
    named = api.get("/api/v1/events", headers=headers, params={"tenant": "beta"})
    assert named.status_code == 404
    beta_id = seeded[1]["beta"][0].event_id
    for tenant in ("beta", "alpha"):
        guess = api.get(f"/api/v1/events/{beta_id}", headers=headers, params={"tenant": tenant})
        assert guess.status_code == 404
        assert set(guess.json()) <= {"type", "title", "status", "detail", "instance"}
    alpha_id = seeded[1]["alpha"][0].event_id
    mine = api.get(f"/api/v1/events/{alpha_id}", headers=headers, params={"tenant": "alpha"})
    assert mine.status_code == 200 and mine.json()["intact"] is True
    # Positive control: the provider sees beta's event.
    admin = api.get(
        f"/api/v1/events/{beta_id}", headers=world.headers["admin"], params={"tenant": "beta"}
    )
    assert admin.status_code == 200 and admin.json()["tenant"] == "beta"


def test_bad_requests(api: TestClient, world: World) -> None:
    headers = world.headers["admin"]
    for where in ("CommandLine') OR 1=1 --=x", "CommandLine|nope=x", "CommandLine|re=(x"):
        response = api.get("/api/v1/events", headers=headers, params={"where": where})
        assert response.status_code == 422, where
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.get("/api/v1/events").status_code == 401
    ingest = api.get("/api/v1/events", headers=world.headers["ingest-alpha"])
    assert ingest.status_code == 403
    missing_tenant = api.get(f"/api/v1/events/{'a' * 64}", headers=headers)
    assert missing_tenant.status_code == 422
