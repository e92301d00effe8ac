"""Rule quality (verdicts per rule and tenant) and rule exceptions (a rule disabled for a tenant).

Exceptions are never deleted: revoking one keeps who disabled the rule, why, and who enabled it
again, so the history of what was not monitored stays visible.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.orm import Session

from vigile.alerts.models import Alert, RuleException
from vigile.alerts.schemas import RuleExceptionIn, RuleExceptionOut, RuleQualityRow
from vigile.alerts.types import AlertState, Verdict
from vigile.audit import service as audit
from vigile.errors import Conflict, NotFound
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants


def active_exception(session: Session, tenant_id: int, rule_id: str) -> RuleException | None:
    """The exception disabling ``rule_id`` for the tenant, if any (no scope: internal)."""
    return session.scalar(
        select(RuleException).where(
            RuleException.tenant_id == tenant_id,
            RuleException.rule_id == rule_id,
            RuleException.revoked_at.is_(None),
        )
    )


def create_exception(
    session: Session, scope: CallerScope, data: RuleExceptionIn, clock: Callable[[], datetime]
) -> RuleException:
    """Disable a rule for one tenant (provider staff), with a reason."""
    tenant = tenants.get_tenant(session, scope, data.tenant)
    scope.require_provider()
    if active_exception(session, tenant.id, data.rule_id) is not None:
        raise Conflict(f"rule {data.rule_id!r} is already disabled for {tenant.slug!r}")
    row = RuleException(
        tenant_id=tenant.id,
        rule_id=data.rule_id,
        reason=data.reason,
        created_at=clock(),
        created_by=scope.principal,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        scope,
        "rule_exception.create",
        "rule_exception",
        row.id,
        tenant_id=tenant.id,
        details={"rule_id": row.rule_id, "reason": row.reason},
    )
    return row


def get_exception(session: Session, scope: CallerScope, exception_id: int) -> RuleException:
    """One exception within the caller's tenants."""
    scope.require_api()
    row = session.get(RuleException, exception_id)
    if row is None or not scope.can_access(row.tenant_id):
        raise NotFound(f"rule exception {exception_id} not found")
    return row


def revoke_exception(
    session: Session,
    scope: CallerScope,
    exception_id: int,
    reason: str,
    clock: Callable[[], datetime],
) -> RuleException:
    """Enable the rule again for the tenant (provider staff); the exception stays on record."""
    row = get_exception(session, scope, exception_id)
    scope.require_provider()
    if row.revoked_at is not None:
        raise Conflict(f"rule exception {exception_id} is already revoked")
    row.revoked_at, row.revoked_by, row.revoke_reason = clock(), scope.principal, reason
    session.flush()
    audit.record(
        session,
        scope,
        "rule_exception.revoke",
        "rule_exception",
        row.id,
        tenant_id=row.tenant_id,
        details={"rule_id": row.rule_id, "reason": reason},
    )
    return row


def list_exceptions(
    session: Session,
    scope: CallerScope,
    page: PageRequest,
    *,
    tenant: str | None = None,
    active: bool | None = None,
) -> tuple[list[RuleException], int]:
    """Exceptions of the caller's tenants (clients see which rules are off for them)."""
    scope.require_api()
    query = select(RuleException)
    if scope.tenant_ids is not None:
        query = query.where(RuleException.tenant_id.in_(scope.tenant_ids))
    if tenant is not None:
        query = query.where(
            RuleException.tenant_id == tenants.get_tenant(session, scope, tenant).id
        )
    if active is not None:
        revoked = RuleException.revoked_at
        query = query.where(revoked.is_(None) if active else revoked.is_not(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(RuleException.id.desc()).limit(page.limit).offset(page.offset)
    )
    return list(rows), total


def exception_out(session: Session, row: RuleException) -> RuleExceptionOut:
    slug = tenants.slugs_by_id(session, {row.tenant_id}).get(row.tenant_id, "?")
    return RuleExceptionOut(
        id=row.id,
        tenant=slug,
        rule_id=row.rule_id,
        reason=row.reason,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        revoke_reason=row.revoke_reason,
        active=row.revoked_at is None,
    )


def quality(
    session: Session,
    scope: CallerScope,
    *,
    tenant: str | None = None,
    rule_id: str | None = None,
    raised_from: datetime | None = None,
    raised_to: datetime | None = None,
) -> list[RuleQualityRow]:
    """Verdict counts per rule and tenant for alerts raised in ``[raised_from, raised_to)``,
    noisiest (most false positives) first. Provider staff only."""
    scope.require_provider()

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0)).cast(Integer)

    query = select(
        Alert.tenant_id,
        Alert.rule_id,
        func.max(Alert.rule_title),
        func.count(),
        count(Alert.state != AlertState.CLOSED),
        count(Alert.verdict == Verdict.TRUE_POSITIVE.value),
        count(Alert.verdict == Verdict.BENIGN_POSITIVE.value),
        count(Alert.verdict == Verdict.FALSE_POSITIVE.value),
        count(Alert.verdict == Verdict.DUPLICATE.value),
    ).group_by(Alert.tenant_id, Alert.rule_id)
    if scope.tenant_ids is not None:
        query = query.where(Alert.tenant_id.in_(scope.tenant_ids))
    if tenant is not None:
        query = query.where(Alert.tenant_id == tenants.get_tenant(session, scope, tenant).id)
    if rule_id is not None:
        query = query.where(Alert.rule_id == rule_id)
    if raised_from is not None:
        query = query.where(Alert.raised_at >= raised_from)
    if raised_to is not None:
        query = query.where(Alert.raised_at < raised_to)
    rows = session.execute(query).all()
    slugs = tenants.slugs_by_id(session, {r[0] for r in rows})
    active = select(RuleException.tenant_id, RuleException.rule_id).where(
        RuleException.revoked_at.is_(None)
    )
    excepted = {(t, r) for t, r in session.execute(active)}
    result = []
    for tenant_id, rule, title, alerts, still_open, tp, bp, fp, dup in rows:
        judged = tp + bp + fp
        result.append(
            RuleQualityRow(
                tenant=slugs.get(tenant_id, "?"),
                rule_id=rule,
                rule_title=title,
                alerts=alerts,
                open=still_open,
                true_positive=tp,
                benign_positive=bp,
                false_positive=fp,
                duplicate=dup,
                true_positive_rate=round(tp / judged, 4) if judged else None,
                false_positive_rate=round(fp / judged, 4) if judged else None,
                excepted=(tenant_id, rule) in excepted,
            )
        )
    result.sort(key=lambda r: (-r.false_positive, -r.alerts, r.tenant, r.rule_id))
    return result
