"""The application factory, Vigile's composition root: it wires every slice's routes into
the ASGI app (API under /api/v1, OpenAPI docs, health and readiness)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import text

from vigile import __version__
from vigile.audit.routes import router as audit_router
from vigile.auth.routes import router as auth_router
from vigile.auth.service import resolve_credentials
from vigile.config import Settings, get_settings
from vigile.db import make_engine, make_sessionmaker, utcnow
from vigile.tenants.routes import router as tenants_router
from vigile.web.problems import install_problem_handlers, problem

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    """Build the application for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    app = FastAPI(
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
    install_problem_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(auth_router)
    api.include_router(tenants_router)
    api.include_router(audit_router)
    app.include_router(api)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/api/docs")

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
