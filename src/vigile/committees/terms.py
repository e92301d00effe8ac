"""A tenant's committee terms (recurrence, first date, indicators) and the schedule.

The recurrence is the offer's, read from the contract (``vigile contract set --committee``);
when the contract does not set it, the per-tenant committee setting here applies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.committees import dates
from vigile.committees.models import Committee, CommitteeSettings
from vigile.committees.schemas import (
    DEFAULT_INDICATORS,
    CommitteeSettingsIn,
    CommitteeSettingsOut,
    RecurrenceSource,
    ScheduleOut,
)
from vigile.committees.types import Indicator, Recurrence
from vigile.scope import CallerScope
from vigile.tenants import contract_service
from vigile.tenants import service as tenants

Clock = Callable[[], datetime]


def contract_recurrence(session: Session, scope: CallerScope, tenant_id: int) -> str | None:
    """The offer's committee recurrence from the contract (``"none"``: no committee
    subscribed); None when the contract does not set it, leaving the committee setting."""
    value = contract_service.terms(session, scope, tenant_id).committee_recurrence
    return None if value is None else value.value


def _settings_row(session: Session, tenant_id: int) -> CommitteeSettings | None:
    return session.scalar(select(CommitteeSettings).where(CommitteeSettings.tenant_id == tenant_id))


def get_settings(session: Session, scope: CallerScope, slug: str) -> CommitteeSettingsOut:
    """A tenant's committee terms (defaults when none were set)."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    row = _settings_row(session, tenant.id)
    recurrence = Recurrence(row.recurrence) if row and row.recurrence else None
    source: RecurrenceSource = "committee_settings" if recurrence else "none"
    offered = contract_recurrence(session, scope, tenant.id)
    if offered is not None:
        recurrence, source = (None if offered == "none" else Recurrence(offered)), "contract"
    chosen = [Indicator(i) for i in orjson.loads(row.indicators)] if row else []
    return CommitteeSettingsOut(
        tenant=tenant.slug,
        recurrence=recurrence,
        recurrence_source=source,
        first_on=row.first_on if row else None,
        indicators=chosen or list(DEFAULT_INDICATORS),
    )


def set_settings(
    session: Session, scope: CallerScope, slug: str, data: CommitteeSettingsIn, clock: Clock
) -> CommitteeSettingsOut:
    """Set a tenant's recurrence, first date and indicators (provider staff)."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_provider()
    row = _settings_row(session, tenant.id)
    if row is None:
        row = CommitteeSettings(tenant_id=tenant.id, indicators="[]", updated_by=scope.principal)
        session.add(row)
    given = data.model_dump(exclude_unset=True)
    if "recurrence" in given:
        row.recurrence = data.recurrence.value if data.recurrence else None
    if "first_on" in given:
        row.first_on = data.first_on
    if data.indicators is not None:
        row.indicators = orjson.dumps([i.value for i in data.indicators]).decode()
    row.updated_at, row.updated_by = clock(), scope.principal
    session.flush()
    out = get_settings(session, scope, slug)
    audit.record(
        session,
        scope,
        "committee.settings",
        "tenant",
        tenant.slug,
        tenant_id=tenant.id,
        details=out.model_dump(mode="json"),
    )
    return out


def schedule(
    session: Session, scope: CallerScope, slug: str, today: date, count: int = 4
) -> ScheduleOut:
    """The next planned committees after the last one held (or after today)."""
    terms = get_settings(session, scope, slug)
    tenant = tenants.get_tenant(session, scope, slug)
    last = session.scalar(
        select(func.max(Committee.held_on)).where(
            Committee.tenant_id == tenant.id, Committee.held_on <= today
        )
    )
    planned: list[date] = []
    late = False
    if terms.recurrence is not None:
        first = terms.first_on or last or today
        after = last if last is not None else first - timedelta(days=1)
        planned = dates.schedule(first, terms.recurrence, after=after, count=count)
        late = bool(planned) and planned[0] < today
    return ScheduleOut(
        tenant=terms.tenant,
        recurrence=terms.recurrence,
        recurrence_source=terms.recurrence_source,
        last_held_on=last,
        next_dates=planned,
        late=late,
    )
