"""What the HTTP receivers share: bounded body reading, ingest credentials, app state."""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers

from vigile.config import Settings
from vigile.db import transaction
from vigile.ingest import service
from vigile.ingest.credentials import Credential
from vigile.ingest.intake import Incoming, Rejection
from vigile.ingest.runtime import IngestRuntime
from vigile.ingest.service import Outcome
from vigile.scope import CallerScope


class BodyTooLarge(Exception):
    """The (decompressed) request body is over ``ingest_max_body_mb``."""


class BadEncoding(Exception):
    """A ``Content-Encoding`` we cannot decode, or corrupt compressed data."""


@dataclass(frozen=True)
class Ctx:
    """The application state a receiver needs, read once per request."""

    settings: Settings
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    runtime: IngestRuntime


def ctx(request: Request) -> Ctx:
    state = request.app.state
    return Ctx(state.settings, state.sessions, state.clock, state.ingest)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, gunzipped when so encoded, refused past ``limit`` bytes either way."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise BadEncoding(f"unsupported Content-Encoding {encoding[:20]!r}")
    # 16+: gzip header; 32+: zlib or gzip, auto-detected (deflate as sent by most clients).
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else 32 + 15)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BadEncoding(f"corrupt {encoding} data") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge
    return out


def credential(headers: Headers) -> str | None:
    """The ingest token of a request: ``Splunk``/``Bearer`` token, or Basic with the token as
    password (the user name is ignored; shippers need one) or as user name when no password."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if not value:
        return None
    if scheme in ("splunk", "bearer"):
        return value
    if scheme == "basic":
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return password or user or None
    return None


def receive(
    c: Ctx,
    secret: str,
    records: Sequence[Incoming],
    *,
    receiver: str,
    targets: Iterable[str] = (),
    tenant: str | None = None,
    default_source_type: str = "auto",
    unusable: Sequence[Rejection] = (),
) -> tuple[CallerScope, Outcome]:
    """Authenticate (a short transaction, unless the token was checked in the last
    ``VIGILE_INGEST_TOKEN_CACHE_SECONDS``) and check the payload's targets, then accept:
    parse, spool, quarantine (see :func:`~vigile.ingest.service.accept`).

    Raises Unauthenticated, PermissionDenied (not an ingest token), TargetRefused, SpoolFull.
    """

    def resolve() -> Credential:
        with transaction(c.sessions) as session:
            return service.credential(session, secret, c.clock)

    found = c.runtime.credentials.get(secret, resolve)
    scope, tenant_id = found.scope, found.tenant_id
    for name in targets:
        service.check_target(found.tenant_slug, name)
    if tenant is not None:
        service.check_tenant_name(found.tenant_slug, tenant)
    outcome = service.accept_batch(
        c.sessions,
        scope,
        tenant_id,
        c.runtime.spool,
        records,
        receiver=receiver,
        clock=c.clock,
        default_source_type=default_source_type,
        max_record_bytes=c.settings.ingest_max_record_kb * 1024,
        unusable=unusable,
    )
    return scope, outcome
