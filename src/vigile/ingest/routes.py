"""Native ingest (``POST /api/v1/ingest``, NDJSON) and the quarantine list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vigile.errors import InvalidInput, Unauthenticated
from vigile.ingest import service
from vigile.ingest.intake import Incoming
from vigile.ingest.schemas import IngestResult, QuarantineOut, RejectedOut
from vigile.ingest.web_support import BadEncoding, BodyTooLarge, Ctx, credential, ctx, read_body
from vigile.ingest.web_support import receive as receive_records
from vigile.spool.api import SpoolFull
from vigile.web.deps import PageDep, ScopeDep, SessionDep
from vigile.web.pages import Page
from vigile.web.problems import problem

router = APIRouter(tags=["ingest"])


def _native(c: Ctx, secret: str, body: bytes, source_type: str, tenant: str | None) -> IngestResult:
    lines = body.split(b"\n")
    numbers = [n for n, line in enumerate(lines, 1) if line.strip()]
    records = [Incoming(lines[n - 1].rstrip(b"\r")) for n in numbers]
    _, outcome = receive_records(
        c,
        secret,
        records,
        receiver="native",
        tenant=tenant,
        default_source_type=source_type,
    )
    return IngestResult(
        accepted=len(outcome.intake.accepted),
        rejected=[
            RejectedOut(line=numbers[r.index], reason=r.reason) for r in outcome.intake.rejected
        ],
        ids=[env.id for env in outcome.intake.accepted],
    )


@router.post(
    "/ingest",
    response_model=IngestResult,
    summary="Send events as NDJSON (one record per line); ingest tokens only",
    responses={429: {"description": "Spool full: retry later"}},
)
async def ingest(
    request: Request,
    source_type: Annotated[
        str, Query(description="Source type of the lines (`auto`: sniffed per line).")
    ] = "auto",
    tenant: Annotated[
        str | None, Query(description="Optional: must be the token's tenant.")
    ] = None,
) -> JSONResponse:
    c = ctx(request)
    secret = credential(request.headers)
    if secret is None:
        raise Unauthenticated("an ingest token is required (Bearer)")
    try:
        body = await read_body(request, c.settings.ingest_max_body_mb * 1024 * 1024)
    except BodyTooLarge:
        return problem(413, "request body too large")
    except BadEncoding as exc:
        raise InvalidInput(str(exc)) from exc
    try:
        result = await run_in_threadpool(_native, c, secret, body, source_type, tenant)
    except SpoolFull:
        response = problem(429, "the spool is full; retry later", title="Too Many Requests")
        response.headers["Retry-After"] = "1"
        return response
    return JSONResponse(result.model_dump(mode="json"))


@router.get("/quarantine", response_model=Page[QuarantineOut], summary="Quarantined records")
def list_quarantine(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    tenant: Annotated[str | None, Query(description="Only this tenant's records.")] = None,
) -> Page[QuarantineOut]:
    rows, total = service.list_quarantine(session, scope, page, tenant)
    return Page.of(rows, total, page)
