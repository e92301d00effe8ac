"""The action plan: items decided in committee, carried over until done or cancelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.committees.models import Committee, CommitteeAction
from vigile.committees.policy import CommitteePolicy
from vigile.committees.schemas import ActionUpdate
from vigile.committees.service import get, previous
from vigile.committees.types import ActionStatus, ReportStatus
from vigile.errors import InvalidInput, NotFound
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants

Clock = Callable[[], datetime]


def decided_actions(session: Session, committee: Committee) -> list[CommitteeAction]:
    """Action items decided in this committee."""
    query = select(CommitteeAction).where(CommitteeAction.committee_id == committee.id)
    return list(session.scalars(query.order_by(CommitteeAction.id)))


def action_plan(session: Session, committee: Committee) -> list[tuple[CommitteeAction, date]]:
    """The action plan of a committee, with each item's decision date: items decided in it or
    earlier that were not closed on or before the previous committee (so open items are carried
    over until done, and items closed since the previous committee appear once, closed)."""
    before = previous(session, committee)
    query = (
        select(CommitteeAction, Committee.held_on)
        .join(Committee, Committee.id == CommitteeAction.committee_id)
        .where(
            CommitteeAction.tenant_id == committee.tenant_id,
            Committee.held_on <= committee.held_on,
        )
        .order_by(Committee.held_on, CommitteeAction.id)
    )
    if before is not None:
        query = query.where(
            CommitteeAction.closed_on.is_(None) | (CommitteeAction.closed_on > before.held_on)
        )
    return [(action, held_on) for action, held_on in session.execute(query).all()]


def status_on(action: CommitteeAction, day: date) -> ActionStatus:
    """An item's status as it stood on ``day`` (closed later: still open then)."""
    current = ActionStatus(action.status)
    if current.is_closed and (action.closed_on is None or action.closed_on > day):
        return ActionStatus.OPEN
    return current


def get_action(session: Session, scope: CallerScope, action_id: int) -> CommitteeAction:
    """One action item; clients see those of committees whose report was sent."""
    scope.require_api()
    action = session.get(CommitteeAction, action_id)
    if action is None or not scope.can_access(action.tenant_id):
        raise NotFound(f"action item {action_id} not found")
    get(session, scope, action.committee_id)  # drafts stay hidden from clients
    return action


def list_actions(
    session: Session,
    scope: CallerScope,
    page: PageRequest,
    *,
    tenant: str | None = None,
    open_only: bool = False,
) -> tuple[list[tuple[CommitteeAction, date]], int]:
    """Action items of the caller's tenants with their decision date, oldest first."""
    scope.require_api()
    query = select(CommitteeAction, Committee.held_on).join(
        Committee, Committee.id == CommitteeAction.committee_id
    )
    if scope.tenant_ids is not None:
        query = query.where(CommitteeAction.tenant_id.in_(scope.tenant_ids))
    if scope.is_client:
        query = query.where(Committee.status != ReportStatus.DRAFT.value)
    if tenant is not None:
        query = query.where(
            CommitteeAction.tenant_id == tenants.get_tenant(session, scope, tenant).id
        )
    if open_only:
        query = query.where(CommitteeAction.closed_on.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Committee.held_on, CommitteeAction.id).limit(page.limit).offset(page.offset)
    ).all()
    return [(action, held_on) for action, held_on in rows], total


def update_action(
    session: Session,
    scope: CallerScope,
    action_id: int,
    data: ActionUpdate,
    policy: CommitteePolicy,
    clock: Clock,
) -> CommitteeAction:
    """Change an item (provider staff). Closing it (done, cancelled) dates it: ``closed_on``
    or today; reopening clears the date."""
    action = get_action(session, scope, action_id)
    scope.require_provider()
    before = {"status": action.status, "closed_on": _iso(action.closed_on)}
    given = data.model_dump(exclude_unset=True)
    for name in ("title", "owner"):
        if given.get(name) is not None:
            setattr(action, name, given[name])
    if "due_on" in given:
        action.due_on = data.due_on
    status = data.status or ActionStatus(action.status)
    if data.closed_on is not None and not status.is_closed:
        raise InvalidInput("closed_on is given for an item that is not done or cancelled")
    if status.is_closed:
        action.closed_on = data.closed_on or action.closed_on or policy.today(clock())
    else:
        action.closed_on = None
    action.status = status.value
    action.updated_at = clock()
    session.flush()
    after = {"status": action.status, "closed_on": _iso(action.closed_on)}
    audit.record(
        session,
        scope,
        "committee.action.update",
        "committee_action",
        action.id,
        tenant_id=action.tenant_id,
        details=data.model_dump(mode="json", exclude_unset=True)
        | {"before": before, "after": after},
    )
    return action


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
