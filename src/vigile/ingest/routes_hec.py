"""Splunk HTTP Event Collector compatible receiver (``/services/collector/...``).

Thin: decoding is in :mod:`vigile.ingest.hec`, acceptance in :mod:`vigile.ingest.service`.
An answer (and an ack id) is given only once the events are fsync'd in the spool.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vigile.db import transaction
from vigile.errors import PermissionDenied, Unauthenticated
from vigile.ingest import hec, service
from vigile.ingest.credentials import Credential
from vigile.ingest.intake import Incoming, Rejection
from vigile.ingest.service import TargetRefused
from vigile.ingest.web_support import (
    BadEncoding,
    BodyTooLarge,
    Ctx,
    credential,
    ctx,
    read_body,
    receive,
)
from vigile.spool.api import SpoolError, SpoolFull

router = APIRouter(prefix="/services/collector", tags=["ingest: Splunk HEC"])


def _reply(status: int, code: int, text: str, **extra: Any) -> JSONResponse:
    return JSONResponse(hec.answer(code, text, **extra), status_code=status)


def _channel(request: Request) -> str | None:
    value = request.headers.get("x-splunk-request-channel") or request.query_params.get("channel")
    return value.strip()[:128] if value and value.strip() else None


def _handle(
    c: Ctx,
    request: Request,
    records: list[Incoming | None],
    problems: dict[int, tuple[int, str]],
    raws: dict[int, bytes],
    targets: set[str],
    receiver: str,
) -> JSONResponse:
    secret = credential(request.headers)
    if secret is None:
        return _reply(401, hec.TOKEN_REQUIRED, "Token is required")
    if not records:
        return _reply(400, hec.NO_DATA, "No data")
    usable = [r for r in records if r is not None]
    positions = [i for i, r in enumerate(records) if r is not None]
    unusable = [Rejection(i, reason, raws.get(i, b""), None) for i, (_, reason) in problems.items()]
    try:
        scope, outcome = receive(
            c, secret, usable, receiver=receiver, targets=targets, unusable=unusable
        )
    except Unauthenticated:
        return _reply(403, hec.INVALID_TOKEN, "Invalid token")
    except TargetRefused as exc:
        return _reply(400, 7, f"Incorrect index: {exc}")
    except PermissionDenied:
        return _reply(403, hec.INVALID_TOKEN, "Invalid token: not an ingest token")
    except SpoolFull:
        return _reply(503, hec.SERVER_BUSY, "Server is busy")
    except SpoolError:
        return _reply(503, hec.UNHEALTHY, "HEC is unhealthy")
    extra: dict[str, Any] = {}
    channel = _channel(request)
    if channel is not None and scope.token_id is not None:
        ack = c.runtime.acks.issue(scope.token_id, channel)
        c.runtime.acks.mark_durable(scope.token_id, channel, ack)  # answered after fsync
        extra["ackId"] = ack
    failed = dict(problems)
    for rej in outcome.intake.rejected:
        failed[positions[rej.index]] = (hec.INVALID_FORMAT, rej.reason)
    if not failed:
        return _reply(200, hec.SUCCESS, "Success", **extra)
    first = min(failed)
    code, reason = failed[first]
    rejected = [{"event": i, "code": k, "reason": r} for i, (k, r) in sorted(failed.items())]
    return _reply(
        400,
        code,
        f"Invalid data format: {reason}",
        **{"invalid-event-number": first, "accepted": len(outcome.intake.accepted)},
        rejected=rejected,
        **extra,
    )


async def _body(c: Ctx, request: Request) -> bytes | JSONResponse:
    try:
        return await read_body(request, c.settings.ingest_max_body_mb * 1024 * 1024)
    except BodyTooLarge:
        return _reply(413, hec.INVALID_FORMAT, "Content too large")
    except BadEncoding as exc:
        return _reply(400, hec.INVALID_FORMAT, str(exc))


@router.post("/event", summary="Send events (concatenated JSON objects)")
@router.post("/event/1.0", include_in_schema=False)
@router.post("", include_in_schema=False)
async def event(request: Request) -> JSONResponse:
    c = ctx(request)
    body = await _body(c, request)
    if isinstance(body, JSONResponse):
        return body
    return await run_in_threadpool(_handle_events, c, request, body)


def _handle_events(c: Ctx, request: Request, body: bytes) -> JSONResponse:
    """Decode an ``/event`` body and handle its events, in a worker thread: decoding a
    body takes milliseconds, during which the event loop would read no other request."""
    batch = hec.decode_events(body, request.query_params.get("sourcetype"))
    return _handle(c, request, batch.items, batch.problems, batch.raws, batch.indexes, "hec")


@router.post("/raw", summary="Send raw lines (one event per line)")
@router.post("/raw/1.0", include_in_schema=False)
async def raw(request: Request) -> JSONResponse:
    c = ctx(request)
    body = await _body(c, request)
    if isinstance(body, JSONResponse):
        return body
    query = request.query_params
    records: list[Incoming | None] = list(
        hec.decode_raw(body, query.get("sourcetype"), query.get("host"))
    )
    targets = {query["index"]} if query.get("index") else set()
    return await run_in_threadpool(_handle, c, request, records, {}, {}, targets, "hec-raw")


@router.get("/health", summary="Receiver health (503 when the spool pushes back)")
@router.get("/health/1.0", include_in_schema=False)
def health(request: Request) -> JSONResponse:
    c = ctx(request)
    try:
        spool = c.runtime.spool
        stats = spool.stats()
    except SpoolError:
        return _reply(503, hec.UNHEALTHY, "HEC is unhealthy")
    max_bytes = c.settings.ingest_spool_max_mb * 1024 * 1024
    lag_bound = c.settings.ingest_spool_max_lag
    if stats.bytes_on_disk >= max_bytes * 0.95 or (lag_bound and stats.lag >= lag_bound * 0.95):
        return _reply(503, hec.UNHEALTHY, "HEC is unhealthy, queues are full")
    return _reply(200, hec.HEALTHY, "HEC is healthy")


@router.post("/ack", summary="Indexer acknowledgement status of ack ids of a channel")
async def ack(request: Request) -> JSONResponse:
    c = ctx(request)
    channel = _channel(request)
    if channel is None:
        return _reply(400, hec.CHANNEL_MISSING, "Data channel is missing")
    secret = credential(request.headers)
    if secret is None:
        return _reply(401, hec.TOKEN_REQUIRED, "Token is required")
    body = await _body(c, request)
    if isinstance(body, JSONResponse):
        return body
    try:
        wanted = orjson.loads(body).get("acks")
        acks = [int(a) for a in wanted]
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        return _reply(400, hec.INVALID_FORMAT, 'Invalid data format: expected {"acks": [ids]}')

    def resolve() -> Credential:
        with transaction(c.sessions) as session:
            return service.credential(session, secret, c.clock)

    def status() -> JSONResponse:
        try:  # clients poll acks often: the same cached check as the receivers
            scope = c.runtime.credentials.get(secret, resolve).scope
        except (Unauthenticated, PermissionDenied):
            return _reply(403, hec.INVALID_TOKEN, "Invalid token")
        assert scope.token_id is not None
        return JSONResponse({"acks": c.runtime.acks.query(scope.token_id, channel, acks)})

    return await run_in_threadpool(status)
