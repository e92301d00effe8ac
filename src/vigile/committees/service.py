"""Committees of a tenant, scoped by the caller: recording, editing, reading.

The provider records and edits committees; clients see their tenant's committees once the
report is sent (a draft is the provider's work in progress) and validate them (see
:mod:`vigile.committees.workflow`). The period a committee reports on runs from the previous
committee's date to the day before this one (both included); the first committee's starts at
the go-live date, or one recurrence (a month by default) before it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.committees import dates, terms
from vigile.committees.models import (
    Committee,
    CommitteeAction,
    CommitteeDecision,
    CommitteeParticipant,
)
from vigile.committees.policy import CommitteePolicy
from vigile.committees.schemas import (
    ActionIn,
    CommitteeCreate,
    CommitteeUpdate,
    ParticipantIn,
)
from vigile.committees.types import ReportStatus
from vigile.errors import Conflict, InvalidInput, NotFound
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants

Clock = Callable[[], datetime]


def record(
    session: Session,
    scope: CallerScope,
    data: CommitteeCreate,
    policy: CommitteePolicy,
    clock: Clock,
) -> Committee:
    """Record a committee held with a tenant (provider staff); its report starts as a draft."""
    tenant = tenants.get_tenant(session, scope, data.tenant)
    scope.require_provider()
    if _at(session, tenant.id, data.held_on) is not None:
        raise Conflict(f"a committee of {tenant.slug!r} is already recorded on {data.held_on}")
    now = clock()
    committee = Committee(
        tenant_id=tenant.id,
        held_on=data.held_on,
        period_from=data.period_from,
        notes=data.notes,
        status=ReportStatus.DRAFT.value,
        due_on=policy.report_due(data.held_on),
        created_at=now,
        created_by=scope.principal,
    )
    session.add(committee)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent record on the same date
        raise Conflict(
            f"a committee of {tenant.slug!r} is already recorded on {data.held_on}"
        ) from exc
    _check_period(committee)
    _replace_participants(session, committee, data.participants)
    _replace_decisions(session, committee, data.decisions)
    for item in data.actions:
        _add_action(session, committee, item)
    session.flush()
    audit.record(
        session,
        scope,
        "committee.record",
        "committee",
        committee.id,
        tenant_id=tenant.id,
        details=data.model_dump(mode="json"),
    )
    return committee


def update(
    session: Session,
    scope: CallerScope,
    committee_id: int,
    data: CommitteeUpdate,
    policy: CommitteePolicy,
    clock: Clock,
) -> Committee:
    """Edit a draft (provider staff); a sent report is frozen."""
    committee = get(session, scope, committee_id)
    scope.require_provider()
    if committee.status != ReportStatus.DRAFT:
        raise Conflict(f"committee {committee_id} was {committee.status}: its report is frozen")
    given = data.model_dump(exclude_unset=True)
    if data.held_on is not None and data.held_on != committee.held_on:
        if _at(session, committee.tenant_id, data.held_on) is not None:
            raise Conflict(f"a committee is already recorded on {data.held_on}")
        committee.held_on = data.held_on
        committee.due_on = policy.report_due(data.held_on)
    if "period_from" in given:
        committee.period_from = data.period_from
    _check_period(committee)
    if data.notes is not None:
        committee.notes = data.notes
    if data.participants is not None:
        _replace_participants(session, committee, data.participants)
    if data.decisions is not None:
        _replace_decisions(session, committee, data.decisions)
    for item in data.actions:
        _add_action(session, committee, item)
    committee.updated_at = clock()
    session.flush()
    audit.record(
        session,
        scope,
        "committee.update",
        "committee",
        committee.id,
        tenant_id=committee.tenant_id,
        details=data.model_dump(mode="json", exclude_unset=True),
    )
    return committee


def get(session: Session, scope: CallerScope, committee_id: int) -> Committee:
    """One committee; clients see it once its report is sent."""
    scope.require_api()
    committee = session.get(Committee, committee_id)
    if (
        committee is None
        or not scope.can_access(committee.tenant_id)
        or (scope.is_client and committee.status == ReportStatus.DRAFT)
    ):
        raise NotFound(f"committee {committee_id} not found")
    return committee


def get_on(session: Session, scope: CallerScope, slug: str, held_on: date) -> Committee:
    """The committee of ``slug`` held on ``held_on``."""
    tenant = tenants.get_tenant(session, scope, slug)
    committee = _at(session, tenant.id, held_on)
    if committee is None:
        raise NotFound(f"no committee of {slug!r} on {held_on.isoformat()}")
    return get(session, scope, committee.id)


def list_committees(
    session: Session,
    scope: CallerScope,
    page: PageRequest,
    today: date,
    *,
    tenant: str | None = None,
    status: ReportStatus | None = None,
    overdue: bool | None = None,
) -> tuple[list[Committee], int]:
    """Committees of the caller's tenants, newest first; ``overdue``: drafts past due."""
    scope.require_api()
    query = select(Committee)
    if scope.tenant_ids is not None:
        query = query.where(Committee.tenant_id.in_(scope.tenant_ids))
    if scope.is_client:
        query = query.where(Committee.status != ReportStatus.DRAFT.value)
    if tenant is not None:
        query = query.where(Committee.tenant_id == tenants.get_tenant(session, scope, tenant).id)
    if status is not None:
        query = query.where(Committee.status == status.value)
    if overdue is not None:
        late = (Committee.status == ReportStatus.DRAFT.value) & (Committee.due_on < today)
        query = query.where(late if overdue else ~late)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Committee.held_on.desc(), Committee.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(rows), total


def previous(session: Session, committee: Committee) -> Committee | None:
    """The tenant's committee held last before this one."""
    return session.scalar(
        select(Committee)
        .where(Committee.tenant_id == committee.tenant_id, Committee.held_on < committee.held_on)
        .order_by(Committee.held_on.desc())
        .limit(1)
    )


def period(session: Session, scope: CallerScope, committee: Committee) -> tuple[date, date]:
    """First and last local day reported on (both included)."""
    end = committee.held_on - timedelta(days=1)
    if committee.period_from is not None:
        return committee.period_from, end
    before = previous(session, committee)
    if before is not None:
        return before.held_on, end
    tenant = tenants.get_tenant_by_id(session, scope, committee.tenant_id)
    if tenant.go_live is not None and tenant.go_live <= end:
        return tenant.go_live, end
    recurrence = terms.get_settings(session, scope, tenant.slug).recurrence
    return dates.add_months(committee.held_on, -(recurrence.months if recurrence else 1)), end


def participants(session: Session, committee: Committee) -> list[CommitteeParticipant]:
    query = select(CommitteeParticipant).where(CommitteeParticipant.committee_id == committee.id)
    return list(session.scalars(query.order_by(CommitteeParticipant.position)))


def decisions(session: Session, committee: Committee) -> list[str]:
    query = select(CommitteeDecision.text).where(CommitteeDecision.committee_id == committee.id)
    return list(session.scalars(query.order_by(CommitteeDecision.position)))


# --- helpers ----------------------------------------------------------------------------


def _at(session: Session, tenant_id: int, held_on: date) -> Committee | None:
    return session.scalar(
        select(Committee).where(Committee.tenant_id == tenant_id, Committee.held_on == held_on)
    )


def _check_period(committee: Committee) -> None:
    if committee.period_from is not None and committee.period_from >= committee.held_on:
        raise InvalidInput("the period must start before the committee date")


def _replace_participants(
    session: Session, committee: Committee, people: list[ParticipantIn]
) -> None:
    for row in participants(session, committee):
        session.delete(row)
    session.flush()
    for position, person in enumerate(people):
        session.add(
            CommitteeParticipant(
                committee_id=committee.id,
                position=position,
                name=person.name,
                organisation=person.organisation,
                role=person.role,
            )
        )


def _replace_decisions(session: Session, committee: Committee, texts: list[str]) -> None:
    old = select(CommitteeDecision).where(CommitteeDecision.committee_id == committee.id)
    for row in session.scalars(old):
        session.delete(row)
    session.flush()
    for position, text in enumerate(texts):
        session.add(CommitteeDecision(committee_id=committee.id, position=position, text=text))


def _add_action(session: Session, committee: Committee, item: ActionIn) -> None:
    # An item recorded already closed was closed in the committee itself.
    closed_on = committee.held_on if item.status.is_closed else None
    session.add(
        CommitteeAction(
            tenant_id=committee.tenant_id,
            committee_id=committee.id,
            title=item.title,
            owner=item.owner,
            due_on=item.due_on,
            status=item.status.value,
            closed_on=closed_on,
        )
    )
