"""A committee's report data: computed live for a draft, frozen when the report is sent.

Indicators are computed with the caller's scope over the committee's period; a draft's report
is the provider's (clients read sent reports, whose data no longer changes when alerts do).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from vigile.assets.types import Counting
from vigile.committees import actions, providers, service, terms
from vigile.committees.models import Committee
from vigile.committees.schemas import ActionOut, ParticipantOut, ReportData
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import perimeter_service as perimeter
from vigile.tenants import service as tenants


def build(
    session: Session,
    scope: CallerScope,
    committee: Committee,
    clock: Callable[[], datetime],
    counting: Counting | None = None,
) -> ReportData:
    """Compute the report of ``committee`` now (provider staff)."""
    scope.require_provider()
    tenant = tenants.get_tenant_by_id(session, scope, committee.tenant_id)
    calendar = tenants.service_terms(session, scope, tenant.id).calendar
    period_from, period_to = service.period(session, scope, committee)
    before = service.previous(session, committee)
    ctx = providers.KpiContext(
        session=session,
        scope=scope,
        tenant=tenant.slug,
        tenant_id=tenant.id,
        calendar=calendar,
        period_from=period_from,
        period_to=period_to,
        clock=clock,
        counting=counting or Counting(),
    )
    chosen = terms.get_settings(session, scope, tenant.slug).indicators
    source, incidents = providers.true_positives(ctx)
    return ReportData(
        tenant=tenant.slug,
        tenant_name=tenant.name,
        timezone=tenant.timezone,
        committee_id=committee.id,
        held_on=committee.held_on,
        period_from=period_from,
        period_to=period_to,
        previous_held_on=before.held_on if before else None,
        due_on=committee.due_on,
        participants=[
            ParticipantOut(name=p.name, organisation=p.organisation, role=p.role)
            for p in service.participants(session, committee)
        ],
        indicators=providers.compute(ctx, chosen),
        incidents_source="incidents" if source == "incidents" else "alerts",
        incidents=incidents,
        perimeter_changes=perimeter.list_changes(
            session, scope, tenant.slug, PageRequest(limit=1000), period_from, period_to
        )[0],
        decisions=service.decisions(session, committee),
        actions=[
            ActionOut(
                id=item.id,
                title=item.title,
                owner=item.owner,
                due_on=item.due_on,
                status=actions.status_on(item, committee.held_on),
                closed_on=item.closed_on
                if item.closed_on and item.closed_on <= committee.held_on
                else None,
                committee_id=item.committee_id,
                decided_on=decided_on,
                carried_over=item.committee_id != committee.id,
            )
            for item, decided_on in actions.action_plan(session, committee)
        ],
        notes=committee.notes,
        generated_at=clock(),
    )


def data(
    session: Session,
    scope: CallerScope,
    committee: Committee,
    clock: Callable[[], datetime],
    counting: Counting | None = None,
) -> ReportData:
    """The report as sent (frozen), or computed now for a draft."""
    if committee.snapshot is not None:
        return ReportData.model_validate_json(committee.snapshot)
    return build(session, scope, committee, clock, counting)
