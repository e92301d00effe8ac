"""The application factory, Vigile's composition root: it wires every slice's routes into
the ASGI app (API under /api/v1, OpenAPI docs, health and readiness)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from vigile import __version__
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.routes import router as alerts_router
from vigile.alerts.scheduler import watch_forever
from vigile.assets.routes import router as assets_router
from vigile.audit.routes import router as audit_router
from vigile.auth.routes import router as auth_router
from vigile.auth.service import resolve_credentials
from vigile.committees.routes import router as committees_router
from vigile.config import Settings, get_settings
from vigile.csirt.routes import router as csirt_router
from vigile.db import make_engine, make_sessionmaker, utcnow
from vigile.events.retention_job import RetentionJob
from vigile.events.routes import router as events_router
from vigile.incidents.routes import router as incidents_router
from vigile.incidents.routes_actions import router as actions_router
from vigile.incidents.scheduler import expire_forever
from vigile.ingest.marks import forget_marks
from vigile.ingest.pacing import Pacer, PacingMiddleware
from vigile.ingest.pipeline import start_in_app
from vigile.ingest.routes import router as ingest_router
from vigile.ingest.routes_bulk import router as bulk_router
from vigile.ingest.routes_hec import router as hec_router
from vigile.ingest.runtime import IngestRuntime
from vigile.ingest.syslog_server import start_in_app as start_syslog
from vigile.notify.routes import router as notify_router
from vigile.notify.scheduler import send_forever
from vigile.referents.routes import router as referents_router
from vigile.rules.routes import router as rules_router
from vigile.sources.routes import router as sources_router
from vigile.sources.scheduler import watch_forever as watch_sources
from vigile.tenants.contract_routes import router as contract_router
from vigile.tenants.routes import router as tenants_router
from vigile.web.problems import install_problem_handlers, problem

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    clock: Callable[[], datetime] = utcnow,
    *,
    scheduler: bool = False,
) -> FastAPI:
    """Build the application for ``settings`` (default: from the environment).

    With ``scheduler`` (what `vigile serve` asks for), background tasks run while the app
    does: the service-level watch every ``sla_watch_seconds``.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = []
        if scheduler and settings.sla_watch_seconds > 0:
            watch = watch_forever(
                app.state.sessions,
                clock,
                AlertPolicy.from_settings(settings),
                settings.sla_watch_seconds,
            )
            tasks.append(asyncio.create_task(watch, name="sla-watch"))
        if scheduler and settings.source_watch_seconds > 0:
            sources = watch_sources(app.state.sessions, clock, settings)
            tasks.append(asyncio.create_task(sources, name="source-watch"))
        if scheduler and settings.notify_send_seconds > 0:
            sender = send_forever(app.state.sessions, settings, clock)
            tasks.append(asyncio.create_task(sender, name="notify-sender"))
            expiry = expire_forever(app.state.sessions, clock, settings.notify_send_seconds)
            tasks.append(asyncio.create_task(expiry, name="action-expiry"))
        if scheduler and settings.event_retention_interval_seconds > 0:
            retention = RetentionJob(
                app.state.sessions,
                app.state.event_store,
                clock,
                default_days=settings.event_retention_days,
                forget=forget_marks,
            ).run_forever(settings.event_retention_interval_seconds)
            tasks.append(asyncio.create_task(retention, name="event-retention"))
        worker = start_in_app(app.state, settings, clock) if scheduler else None
        if worker is not None:  # pace the receivers against this worker's lag
            spool = app.state.ingest.spool
            pacer.start(lambda: spool.stats().lag)
        syslog = await start_syslog(app.state, settings, clock) if scheduler else None
        yield
        if syslog is not None:
            await syslog.close()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        pacer.stop()
        if worker is not None:
            await asyncio.to_thread(worker.stop)
        app.state.ingest.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Vigile",
        version=__version__,
        description="Multi-tenant SOC platform: events, detections, alerts within contractual "
        "service levels, incidents, contract.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    engine = make_engine(settings.effective_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.clock = clock
    app.state.resolve_credentials = resolve_credentials
    app.state.ingest = IngestRuntime(settings)
    # This process owns the embedded event store (DuckDB allows one writer): the API reads it
    # and the worker writes it through the same handle, closed with the ingest runtime.
    app.state.event_store = app.state.ingest.event_store
    install_problem_handlers(app)
    pacer = app.state.ingest_pacer = Pacer(
        settings.ingest_pacing_lag, settings.ingest_pacing_max_seconds
    )
    app.add_middleware(PacingMiddleware, pacer=pacer)

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(auth_router)
    api.include_router(tenants_router)
    api.include_router(contract_router)
    api.include_router(assets_router)
    api.include_router(csirt_router)
    api.include_router(audit_router)
    api.include_router(committees_router)
    api.include_router(alerts_router)
    api.include_router(events_router)
    api.include_router(incidents_router)
    api.include_router(actions_router)
    api.include_router(notify_router)
    api.include_router(referents_router)
    api.include_router(ingest_router)
    api.include_router(rules_router)
    api.include_router(sources_router)
    app.include_router(api)
    # Shippers' protocols live at their usual paths; `/` answers browsers and ES clients.
    app.include_router(hec_router)
    app.include_router(bulk_router)

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Readiness: the database answers")
    def readyz() -> JSONResponse:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not ready"
            return problem(503, f"database unavailable: {type(exc).__name__}")
        return JSONResponse({"status": "ready", "database": engine.dialect.name})

    return app
