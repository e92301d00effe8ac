"""Accepting events for a tenant: parse, spool durably, quarantine the bad; tenant-scoped.

The tenant always comes from the caller's credential (an ingest token covers exactly one
tenant) or, for the local operator's file import and the syslog listeners, from the
configuration; a payload naming another tenant is refused before anything is stored.
Only ingest tokens may send events: an API token acting as a user cannot, so a leaked
console credential cannot inject events, and an ingest token can do nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vigile.auth import service as auth
from vigile.db import transaction
from vigile.dbtext import sql_text
from vigile.errors import PermissionDenied
from vigile.ingest.credentials import Credential
from vigile.ingest.intake import Incoming, Intake, Rejection, parse_batch
from vigile.ingest.models import QuarantinedRecord
from vigile.ingest.schemas import QuarantineOut
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.spool.api import SpoolBackend
from vigile.tenants import service as tenants

QUARANTINE_RAW_MAX = 16 * 1024
TENANT_INDEX_PREFIX = "vigile-"
"""Index names starting with this name a tenant (``vigile-<slug>[-anything]``)."""


class TargetRefused(PermissionDenied):
    """The payload names an index or tenant outside what the credential may write."""


@dataclass(slots=True)
class Outcome:
    """The intake plus the spool offsets of the accepted envelopes (same order)."""

    intake: Intake
    offsets: list[int] = field(default_factory=list)


def authenticate(session: Session, secret: str, clock: Callable[[], datetime]) -> CallerScope:
    """The scope of an ingest token; any other credential may not send events."""
    scope = auth.resolve_token(session, secret, clock)
    if not scope.is_ingest_only:
        raise PermissionDenied("only ingest tokens may send events")
    return scope


def token_tenant(scope: CallerScope) -> int:
    """The one tenant an ingest scope sends for."""
    if scope.tenant_ids is None or len(scope.tenant_ids) != 1:
        raise PermissionDenied("this credential does not send for exactly one tenant")
    return next(iter(scope.tenant_ids))


def check_target(slug: str, name: str | None) -> None:
    """Refuse an index or tenant name of the payload that designates another tenant than
    ``slug``, the sender's.

    ``vigile-<slug>…`` index names and explicit tenant names must be the sender's tenant;
    other index names (``logstash-2026.11.26``, ``main``) are the shipper's labels, kept.
    """
    if not name:
        return
    lowered = name.strip().lower()
    if lowered.startswith(TENANT_INDEX_PREFIX):
        rest = lowered[len(TENANT_INDEX_PREFIX) :]
        if rest == slug or rest.startswith(slug + "-"):
            return
        raise TargetRefused(f"index {name[:100]!r} is outside what this credential may write")


def check_tenant_name(slug: str, named: str) -> None:
    """An explicit tenant named by the request must be the credential's (``slug``)."""
    if slug != named.strip().lower():
        raise TargetRefused("the request names a tenant this credential may not write")


def credential(session: Session, secret: str, clock: Callable[[], datetime]) -> Credential:
    """An ingest token's scope, its one tenant and that tenant's slug (what receivers check
    a payload's targets against); raises as :func:`authenticate` and :func:`token_tenant`."""
    scope = authenticate(session, secret, clock)
    tenant_id = token_tenant(scope)
    return Credential(scope, tenant_id, tenants.get_tenant_by_id(session, scope, tenant_id).slug)


def accept(
    session: Session,
    scope: CallerScope,
    tenant_id: int,
    spool: SpoolBackend,
    records: Sequence[Incoming],
    *,
    receiver: str,
    clock: Callable[[], datetime],
    default_source_type: str = "auto",
    max_record_bytes: int = 256 * 1024,
) -> Outcome:
    """Parse ``records``; spool the valid ones (returns once they are fsync'd), quarantine
    the others in the caller's transaction. Raises :class:`~vigile.spool.api.SpoolFull`
    with nothing stored on overload.
    """
    outcome, now = _spool(
        scope, tenant_id, spool, records, receiver, clock, default_source_type, max_record_bytes
    )
    # After the spool: an overload (SpoolFull) answer makes the client resend everything,
    # and quarantining first would keep each bad record once per attempt.
    quarantine(
        session, tenant_id, outcome.intake.rejected, receiver=receiver, at=now, who=scope.principal
    )
    return outcome


def accept_batch(
    sessions: sessionmaker[Session],
    scope: CallerScope,
    tenant_id: int,
    spool: SpoolBackend,
    records: Sequence[Incoming],
    *,
    receiver: str,
    clock: Callable[[], datetime],
    default_source_type: str = "auto",
    max_record_bytes: int = 256 * 1024,
    unusable: Sequence[Rejection] = (),
) -> Outcome:
    """:func:`accept` outside any database transaction, the quarantine (with ``unusable``:
    records the transport could not even split out) in one of its own when there is one.

    What the receivers of a running server use: on SQLite every transaction holds the one
    write lock, which the pipeline's alerts waited for during each request's parsing and
    fsync (and each request for the alerts of a whole batch).
    """
    outcome, now = _spool(
        scope, tenant_id, spool, records, receiver, clock, default_source_type, max_record_bytes
    )
    if outcome.intake.rejected or unusable:
        with transaction(sessions) as session:
            for rejected in (outcome.intake.rejected, unusable):
                quarantine(
                    session, tenant_id, rejected, receiver=receiver, at=now, who=scope.principal
                )
    return outcome


def _spool(
    scope: CallerScope,
    tenant_id: int,
    spool: SpoolBackend,
    records: Sequence[Incoming],
    receiver: str,
    clock: Callable[[], datetime],
    default_source_type: str,
    max_record_bytes: int,
) -> tuple[Outcome, datetime]:
    scope.check_tenant(tenant_id, "tenant")
    now = clock()
    intake = parse_batch(
        records,
        receiver=receiver,
        received_at=now,
        default_source_type=default_source_type,
        max_record_bytes=max_record_bytes,
    )
    offsets = spool.append_batch(str(tenant_id), [env.encode() for env in intake.accepted])
    return Outcome(intake, offsets), now


def kept_text(raw: bytes) -> str:
    """The text the quarantine keeps of a record: cut to :data:`QUARANTINE_RAW_MAX` bytes,
    invalid UTF-8 and NUL (which PostgreSQL text refuses) replaced."""
    cut = raw[:QUARANTINE_RAW_MAX]
    return sql_text(cut.decode("utf-8", errors="replace"))


def quarantine(
    session: Session,
    tenant_id: int,
    rejected: Sequence[Rejection],
    *,
    receiver: str,
    at: datetime,
    who: str | None,
) -> None:
    """Keep rejected records (cut to :data:`QUARANTINE_RAW_MAX` bytes) with their reason."""
    for item in rejected:
        session.add(
            QuarantinedRecord(
                tenant_id=tenant_id,
                received_at=at,
                receiver=receiver,
                source_type=(item.source_type or None) and item.source_type[:64],
                reason=item.reason[:500],
                raw=kept_text(item.raw),
                raw_bytes=len(item.raw),
                truncated=len(item.raw) > QUARANTINE_RAW_MAX,
                credential=who[:200] if who else None,
            )
        )
    if rejected:
        session.flush()


def list_quarantine(
    session: Session, scope: CallerScope, page: PageRequest, tenant: str | None = None
) -> tuple[list[QuarantineOut], int]:
    """Quarantined records the caller may see, newest first (optionally one tenant's)."""
    scope.require_api()
    query = select(QuarantinedRecord)
    if tenant is not None:
        query = query.where(
            QuarantinedRecord.tenant_id == tenants.get_tenant(session, scope, tenant).id
        )
    elif scope.tenant_ids is not None:
        query = query.where(QuarantinedRecord.tenant_id.in_(scope.tenant_ids))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(
            query.order_by(QuarantinedRecord.id.desc()).limit(page.limit).offset(page.offset)
        )
    )
    slugs = tenants.slugs_by_id(session, {r.tenant_id for r in rows})
    return [_out(row, slugs) for row in rows], total


def _out(row: QuarantinedRecord, slugs: dict[int, str]) -> QuarantineOut:
    return QuarantineOut(
        id=row.id,
        tenant=slugs.get(row.tenant_id, str(row.tenant_id)),
        received_at=row.received_at,
        receiver=row.receiver,
        source_type=row.source_type,
        reason=row.reason,
        raw=row.raw,
        raw_bytes=row.raw_bytes,
        truncated=row.truncated,
    )
