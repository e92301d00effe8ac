"""Pacing: ingest requests held while the worker lags, nothing else held, bounded holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from vigile.app import create_app
from vigile.config import Settings
from vigile.ingest.pacing import Pacer, PacingMiddleware, is_ingest_request


async def _ok(request: Request) -> PlainTextResponse:
    await request.body()
    return PlainTextResponse("ok")


def _client(pacer: Pacer) -> httpx.AsyncClient:
    paths = ["/_bulk", "/logs/_bulk", "/api/v1/ingest", "/healthz"]
    paths += [f"/services/collector/{p}" for p in ("event", "raw", "ack", "health")]
    routes = [Route(p, _ok, methods=["GET", "POST", "PUT"]) for p in paths]
    app = PacingMiddleware(Starlette(routes=routes), pacer)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.mark.parametrize(
    ("method", "path", "held"),
    [
        ("POST", "/_bulk", True),
        ("PUT", "/logs-2026/_bulk", True),
        ("POST", "/api/v1/ingest", True),
        ("POST", "/services/collector/event", True),
        ("POST", "/services/collector/raw/1.0", True),
        ("POST", "/services/collector", True),
        ("POST", "/services/collector/ack", False),
        ("GET", "/services/collector/health", False),
        ("GET", "/_bulk", False),
        ("POST", "/api/v1/alerts", False),
        ("GET", "/", False),
    ],
)
def test_which_requests_are_paced(method: str, path: str, held: bool) -> None:
    assert is_ingest_request(method, path) is held


def test_an_inactive_pacer_holds_nothing() -> None:
    pacer = Pacer(bound=10, max_seconds=5.0)

    async def run() -> None:
        async with _client(pacer) as client:
            assert (await client.post("/_bulk", content=b"x")).status_code == 200

    asyncio.run(run())
    assert pacer.held == 0


def test_a_request_waits_until_the_worker_catches_up() -> None:
    lag = [50]
    pacer = Pacer(bound=10, max_seconds=5.0)
    pacer.start(lambda: lag[0])

    async def catch_up() -> None:
        await asyncio.sleep(0.2)
        lag[0] = 10  # at the bound: no longer over it

    async def run() -> float:
        async with _client(pacer) as client:
            started = time.monotonic()
            worker = asyncio.create_task(catch_up())
            answer = await client.post("/services/collector/event", content=b"{}")
            await worker
            assert answer.status_code == 200
            return time.monotonic() - started

    took = asyncio.run(run())
    assert 0.2 <= took < 2.0
    assert pacer.held == 1 and pacer.held_seconds >= 0.2


def test_a_hold_ends_after_max_seconds_and_other_requests_pass() -> None:
    pacer = Pacer(bound=10, max_seconds=0.3)
    pacer.start(lambda: 1_000_000)  # a worker that never catches up

    async def run() -> tuple[float, float]:
        async with _client(pacer) as client:
            started = time.monotonic()
            for path in ("/healthz", "/services/collector/ack", "/services/collector/health"):
                method = "POST" if path.endswith("ack") else "GET"
                assert (await client.request(method, path)).status_code == 200
            unheld = time.monotonic() - started
            started = time.monotonic()
            assert (await client.post("/_bulk", content=b"x")).status_code == 200
            return unheld, time.monotonic() - started

    unheld, held = asyncio.run(run())
    assert unheld < 0.25
    assert 0.3 <= held < 2.0
    assert pacer.held == 1


def test_a_bound_of_zero_turns_pacing_off() -> None:
    pacer = Pacer(bound=0, max_seconds=5.0)
    pacer.start(lambda: 1_000_000)
    assert not pacer.active


@pytest.mark.parametrize("worker", [True, False])
def test_serve_paces_only_with_its_worker(
    lite_settings: Settings, clock: Callable[[], datetime], worker: bool
) -> None:
    settings = lite_settings.model_copy(
        update={
            "worker_enabled": worker,
            "worker_processes": 1,
            "syslog_enabled": False,
            "sla_watch_seconds": 0,
            "source_watch_seconds": 0,
            "notify_send_seconds": 0,
            "event_retention_interval_seconds": 0,
        }
    )
    app = create_app(settings, clock=clock, scheduler=True)
    pacer: Pacer = app.state.ingest_pacer
    with TestClient(app):
        assert pacer.active is worker
        assert pacer.bound == settings.ingest_pacing_lag
    assert not pacer.active
    app.state.engine.dispose()
