"""Connector (1): block lists served per tenant and type, one entry per line, as Palo Alto EDL,
FortiGate external threat feeds and pfSense URL tables poll them.

Authentication: a per-tenant **block list token**, sent as the Basic password (any user name:
what EDL/FortiGate configure; pfSense can put it in the URL) or as a Bearer token. Only a
SHA-256 of the token is stored. Regular API credentials of the tenant work as well.
An entry is served while its action is ``applied`` and not past ``expires_at``: an expiry takes
effect at the instant itself, a revert at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.errors import NotFound, Unauthenticated
from vigile.incidents.models import BlocklistToken, ContainmentAction
from vigile.incidents.types import BLOCKLIST_TYPES, ActionState
from vigile.scope import CallerScope
from vigile.tenants import service as tenants
from vigile.tenants.service import slugs_by_id

TOKEN_PREFIX = "vbl_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, scope: CallerScope, slug: str, clock: Callable[[], datetime]
) -> tuple[BlocklistToken, str]:
    """A new block list token for a tenant (provider staff); the secret is returned once."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_provider()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(24)
    now = clock()
    row = BlocklistToken(
        tenant_id=tenant.id,
        secret_hash=_digest(secret),
        prefix=secret[:12],
        created_at=now,
        created_by=scope.principal,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        scope,
        "blocklist.token.create",
        "blocklist_token",
        row.id,
        tenant_id=tenant.id,
        details={"prefix": row.prefix},
        clock=lambda: now,
    )
    return row, secret


def tenant_of_token(session: Session, slug: str, secret: str) -> int:
    """The tenant a block list token opens, if it is ``slug``'s; otherwise Unauthenticated
    (a valid token of another tenant gets NotFound: the list does not exist for it)."""
    row = session.scalar(
        select(BlocklistToken).where(
            BlocklistToken.secret_hash == _digest(secret), BlocklistToken.revoked_at.is_(None)
        )
    )
    if row is None:
        raise Unauthenticated("invalid block list token")
    if slugs_by_id(session, {row.tenant_id}).get(row.tenant_id) != slug:
        raise NotFound(f"tenant {slug!r} not found")
    return row.tenant_id


def is_blocklist_token(secret: str) -> bool:
    """Whether a credential looks like a block list token."""
    return secret.startswith(TOKEN_PREFIX)


def entries(session: Session, tenant_id: int, name: str, now: datetime) -> list[str]:
    """The list's lines: targets of applied, unexpired actions of the type, sorted, unique."""
    action_type = BLOCKLIST_TYPES.get(name)
    if action_type is None:
        raise NotFound(f"no block list {name!r} (ip, domain, url, hash)")
    rows = session.scalars(
        select(ContainmentAction.target).where(
            ContainmentAction.tenant_id == tenant_id,
            ContainmentAction.type == action_type.value,
            ContainmentAction.state == ActionState.APPLIED.value,
            or_(ContainmentAction.expires_at.is_(None), ContainmentAction.expires_at > now),
        )
    )
    return sorted(set(rows))


def scoped_entries(
    session: Session, scope: CallerScope, slug: str, name: str, now: datetime
) -> list[str]:
    """The list for an API caller (any role) of the tenant."""
    scope.require_api()
    return entries(session, tenants.get_tenant(session, scope, slug).id, name, now)
