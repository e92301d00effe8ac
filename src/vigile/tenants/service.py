"""Tenant management, scoped by the caller: clients see their own organisation only."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.errors import Conflict, InvalidInput, NotFound
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.service_levels import ServiceTerms, TenantCalendar, parse_hours
from vigile.tenants.calendar_settings import validate_calendar_settings
from vigile.tenants.models import Tenant, TenantDay
from vigile.tenants.schemas import TenantCreate, TenantDayIn, TenantUpdate
from vigile.tenants.types import DayKind

# Settings that an explicit null clears (no go-live date; the platform's event retention).
_CLEARABLE = frozenset({"go_live", "event_retention_days"})


def _audit_view(tenant: Tenant) -> dict[str, Any]:
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "timezone": tenant.timezone,
        "holidays": tenant.holidays,
        "hours": tenant.hours,
        "twenty_four_seven": tenant.twenty_four_seven,
        "go_live": tenant.go_live.isoformat() if tenant.go_live else None,
        "status": tenant.status,
        "event_retention_days": tenant.event_retention_days,
    }


def create_tenant(session: Session, scope: CallerScope, data: TenantCreate) -> Tenant:
    """Create a client organisation (administrators only)."""
    scope.require_admin()
    holidays, hours = validate_calendar_settings(data.timezone, data.holidays, data.hours)
    if session.scalar(select(Tenant.id).where(Tenant.slug == data.slug)) is not None:
        raise Conflict(f"a tenant with slug {data.slug!r} already exists")
    tenant = Tenant(
        slug=data.slug,
        name=data.name,
        timezone=data.timezone,
        holidays=holidays,
        hours=hours,
        twenty_four_seven=data.twenty_four_seven,
        go_live=data.go_live,
        status=data.status.value,
        event_retention_days=data.event_retention_days,
    )
    session.add(tenant)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create of the same slug
        raise Conflict(f"a tenant with slug {data.slug!r} already exists") from exc
    audit.record(
        session,
        scope,
        "tenant.create",
        "tenant",
        tenant.slug,
        tenant_id=tenant.id,
        details=_audit_view(tenant),
    )
    return tenant


def list_tenants(
    session: Session, scope: CallerScope, page: PageRequest
) -> tuple[list[Tenant], int]:
    """The tenants the caller may see, by slug."""
    scope.require_api()
    query = select(Tenant)
    if scope.tenant_ids is not None:
        query = query.where(Tenant.id.in_(scope.tenant_ids))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Tenant.slug).limit(page.limit).offset(page.offset))
    return list(rows), total


def get_tenant(session: Session, scope: CallerScope, slug: str) -> Tenant:
    """One tenant by slug; NotFound when it does not exist *or* is outside the caller's scope."""
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None or not scope.can_access(tenant.id):
        raise NotFound(f"tenant {slug!r} not found")
    return tenant


def get_tenant_by_id(session: Session, scope: CallerScope, tenant_id: int) -> Tenant:
    """One tenant by id, within the caller's scope."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or not scope.can_access(tenant.id):
        raise NotFound("tenant not found")
    return tenant


def update_tenant(session: Session, scope: CallerScope, slug: str, changes: TenantUpdate) -> Tenant:
    """Change a tenant's settings (administrators only); the audit keeps before and after."""
    tenant = get_tenant(session, scope, slug)
    scope.require_admin()
    given = changes.model_dump(exclude_unset=True)
    if "name" in given and given["name"] is None:
        raise InvalidInput("name cannot be empty")
    before = _audit_view(tenant)
    timezone = given.get("timezone") or tenant.timezone
    holidays = given.get("holidays") or tenant.holidays
    hours = given.get("hours") or tenant.hours
    tenant.holidays, tenant.hours = validate_calendar_settings(timezone, holidays, hours)
    tenant.timezone = timezone
    for field in ("name", "twenty_four_seven", "go_live", "event_retention_days"):
        if field in given and (given[field] is not None or field in _CLEARABLE):
            setattr(tenant, field, given[field])
    if given.get("status") is not None:
        tenant.status = given["status"].value
    session.flush()
    after = _audit_view(tenant)
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    audit.record(
        session,
        scope,
        "tenant.update",
        "tenant",
        tenant.slug,
        tenant_id=tenant.id,
        details=changed,
    )
    return tenant


def slugs_by_id(session: Session, tenant_ids: set[int]) -> dict[int, str]:
    """Slugs of the given tenants (for display; no scope check: ids come from scoped rows)."""
    if not tenant_ids:
        return {}
    rows = session.execute(select(Tenant.id, Tenant.slug).where(Tenant.id.in_(tenant_ids)))
    return {tenant_id: slug for tenant_id, slug in rows}


# --- extra closed / open days and service terms ---------------------------------------


def list_days(session: Session, scope: CallerScope, slug: str) -> list[TenantDay]:
    """A tenant's extra closed and open days, by date."""
    scope.require_api()
    tenant = get_tenant(session, scope, slug)
    query = select(TenantDay).where(TenantDay.tenant_id == tenant.id).order_by(TenantDay.day)
    return list(session.scalars(query))


def get_day(session: Session, scope: CallerScope, slug: str, day: date) -> TenantDay:
    """One declared day of a tenant (NotFound when none is declared on that date)."""
    scope.require_api()
    tenant = get_tenant(session, scope, slug)
    row = session.scalar(
        select(TenantDay).where(TenantDay.tenant_id == tenant.id, TenantDay.day == day)
    )
    if row is None:
        raise NotFound(f"no extra day declared on {day.isoformat()} for tenant {slug!r}")
    return row


def set_day(
    session: Session, scope: CallerScope, slug: str, day: date, data: TenantDayIn
) -> TenantDay:
    """Declare ``day`` extra closed or open (administrators); replaces an earlier declaration.

    Deadlines already computed keep their value; alerts raised from now on use the new calendar.
    """
    tenant = get_tenant(session, scope, slug)
    scope.require_admin()
    row = session.scalar(
        select(TenantDay).where(TenantDay.tenant_id == tenant.id, TenantDay.day == day)
    )
    before = None if row is None else {"kind": row.kind, "note": row.note}
    if row is None:
        row = TenantDay(tenant_id=tenant.id, day=day, kind=data.kind.value, note=data.note)
        session.add(row)
    else:
        row.kind, row.note = data.kind.value, data.note
    session.flush()
    audit.record(
        session,
        scope,
        "tenant.day.set",
        "tenant",
        tenant.slug,
        tenant_id=tenant.id,
        details={"day": day.isoformat(), "kind": row.kind, "note": row.note, "before": before},
    )
    return row


def remove_day(session: Session, scope: CallerScope, slug: str, day: date) -> None:
    """Withdraw a declared extra day (administrators)."""
    row = get_day(session, scope, slug, day)
    scope.require_admin()
    details = {"day": day.isoformat(), "kind": row.kind, "note": row.note}
    session.delete(row)
    session.flush()
    audit.record(
        session,
        scope,
        "tenant.day.remove",
        "tenant",
        slug,
        tenant_id=row.tenant_id,
        details=details,
    )


def service_terms(session: Session, scope: CallerScope, tenant_id: int) -> ServiceTerms:
    """The tenant's service terms: calendar (with extra days), 24/7 option and go-live."""
    tenant = get_tenant_by_id(session, scope, tenant_id)
    rows = session.execute(
        select(TenantDay.day, TenantDay.kind).where(TenantDay.tenant_id == tenant.id)
    ).all()
    calendar = TenantCalendar(
        timezone=tenant.timezone,
        hours=parse_hours(tenant.hours),
        public_holidays=tenant.holidays,
        closed_days=frozenset(day for day, kind in rows if kind == DayKind.CLOSED),
        open_days=frozenset(day for day, kind in rows if kind == DayKind.OPEN),
    )
    return ServiceTerms(
        calendar=calendar, around_the_clock=tenant.twenty_four_seven, go_live=tenant.go_live
    )
