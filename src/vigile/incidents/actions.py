"""Containment actions: proposed → approved → applied → reverted | expired, each step with
who and when. Approval by a second person is required per tenant and action type (default:
required); when it is not, the proposer may approve their own action.

Connectors: ``block_*`` actions are served in the tenant's block lists (firewalls poll them);
other types go to the EDR/SOAR webhook when one is configured, else are applied by hand and
recorded ("manual").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.config import Settings
from vigile.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from vigile.incidents import service, timeline, webhook_connector
from vigile.incidents.models import ActionPolicy, ContainmentAction
from vigile.incidents.schemas import ActionIn
from vigile.incidents.targets import normalise_target
from vigile.incidents.types import ActionState, ActionType, IncidentStatus, TimelineKind
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants

Clock = Callable[[], datetime]


def connector_of(action_type: ActionType, settings: Settings) -> str:
    """Which connector carries an action type."""
    if action_type.value.startswith("block_"):
        return "blocklist"
    return "webhook" if settings.actions_webhook_url else "manual"


def get_action(session: Session, scope: CallerScope, action_id: int) -> ContainmentAction:
    """One action within the caller's tenants."""
    scope.require_api()
    action = session.get(ContainmentAction, action_id)
    if action is None or not scope.can_access(action.tenant_id):
        raise NotFound("action not found")
    return action


def list_actions(
    session: Session,
    scope: CallerScope,
    page: PageRequest,
    *,
    tenant: str | None = None,
    incident_id: int | None = None,
    state: ActionState | None = None,
) -> tuple[list[ContainmentAction], int]:
    """Actions the caller may see, newest first."""
    scope.require_api()
    query = select(ContainmentAction)
    if scope.tenant_ids is not None:
        query = query.where(ContainmentAction.tenant_id.in_(scope.tenant_ids))
    if tenant is not None:
        tenant_id = tenants.get_tenant(session, scope, tenant).id
        query = query.where(ContainmentAction.tenant_id == tenant_id)
    if incident_id is not None:
        query = query.where(ContainmentAction.incident_id == incident_id)
    if state is not None:
        query = query.where(ContainmentAction.state == state.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ContainmentAction.id.desc()).limit(page.limit).offset(page.offset)
    )
    return list(rows), total


def approval_required(session: Session, tenant_id: int, action_type: ActionType) -> bool:
    """The tenant's policy for this type (required unless switched off)."""
    policy = session.scalar(
        select(ActionPolicy.approval_required).where(
            ActionPolicy.tenant_id == tenant_id, ActionPolicy.type == action_type.value
        )
    )
    return True if policy is None else policy


def set_policy(
    session: Session,
    scope: CallerScope,
    slug: str,
    action_type: ActionType,
    required: bool,
    clock: Clock,
) -> ActionPolicy:
    """Require (or not) a second person's approval for a tenant and type (administrators)."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_admin()
    row = session.scalar(
        select(ActionPolicy).where(
            ActionPolicy.tenant_id == tenant.id, ActionPolicy.type == action_type.value
        )
    )
    now = clock()
    if row is None:
        row = ActionPolicy(tenant_id=tenant.id, type=action_type.value)
        session.add(row)
    row.approval_required, row.updated_at, row.updated_by = required, now, scope.principal
    session.flush()
    audit.record(
        session,
        scope,
        "action.policy",
        "tenant",
        slug,
        tenant_id=tenant.id,
        details={"type": action_type.value, "approval_required": required},
        clock=lambda: now,
    )
    return row


def propose(
    session: Session, scope: CallerScope, data: ActionIn, settings: Settings, clock: Clock
) -> ContainmentAction:
    """Propose an action for an incident (provider staff)."""
    incident = service.for_change(session, scope, data.incident_id)
    if incident.status == IncidentStatus.CLOSED:
        raise Conflict("the incident is closed")
    now = clock()
    if data.expires_at is not None and data.expires_at <= now:
        raise InvalidInput("expires_at is in the past")
    action = ContainmentAction(
        tenant_id=incident.tenant_id,
        incident_id=incident.id,
        type=data.type.value,
        target=normalise_target(data.type, data.target),
        reason=data.reason,
        expires_at=data.expires_at,
        state=ActionState.PROPOSED.value,
        connector=connector_of(data.type, settings),
        proposed_by=scope.principal,
        proposed_at=now,
    )
    session.add(action)
    session.flush()
    _log(session, scope, action, "proposed", now)
    return action


def approve(
    session: Session, scope: CallerScope, action_id: int, clock: Clock
) -> ContainmentAction:
    """Approve a proposed action; four-eyes: not by its proposer when approval is required."""
    action = _for_change(session, scope, action_id, ActionState.PROPOSED)
    if approval_required(session, action.tenant_id, ActionType(action.type)) and (
        action.proposed_by == scope.principal
    ):
        raise PermissionDenied("four-eyes: the proposer cannot approve their own action")
    now = clock()
    _move(
        session,
        action,
        ActionState.PROPOSED,
        ActionState.APPROVED,
        approved_by=scope.principal,
        approved_at=now,
    )
    _log(session, scope, action, "approved", now)
    return action


def apply(
    session: Session, scope: CallerScope, action_id: int, settings: Settings, clock: Clock
) -> ContainmentAction:
    """Apply an approved action through its connector (block lists: from now on served)."""
    action = _for_change(session, scope, action_id, ActionState.APPROVED)
    now = clock()
    if action.expires_at is not None and action.expires_at <= now:
        raise Conflict("the action expired before it was applied")
    if action.connector == "webhook" and settings.actions_webhook_url:
        slug = tenants.get_tenant_by_id(session, scope, action.tenant_id).slug
        result = webhook_connector.call(settings, action, slug, "apply", now)
        action.connector_response = result.note()
        if not result.ok:
            _log(session, scope, action, "apply_failed", now, {"response": result.body[:500]})
            return action
    _move(
        session,
        action,
        ActionState.APPROVED,
        ActionState.APPLIED,
        applied_by=scope.principal,
        applied_at=now,
    )
    _log(session, scope, action, "applied", now)
    return action


def revert(
    session: Session, scope: CallerScope, action_id: int, settings: Settings, clock: Clock
) -> ContainmentAction:
    """Undo an applied action (leaves the block list at once), or withdraw a proposed or
    approved one."""
    action = get_action(session, scope, action_id)
    scope.require_provider()
    if action.state not in (ActionState.PROPOSED, ActionState.APPROVED, ActionState.APPLIED):
        raise Conflict(f"a {action.state} action cannot be reverted")
    now = clock()
    if (
        action.state == ActionState.APPLIED
        and action.connector == "webhook"
        and settings.actions_webhook_url
    ):
        slug = tenants.get_tenant_by_id(session, scope, action.tenant_id).slug
        action.connector_response = webhook_connector.call(
            settings, action, slug, "revert", now
        ).note()
    _move(
        session,
        action,
        ActionState(action.state),
        ActionState.REVERTED,
        reverted_by=scope.principal,
        reverted_at=now,
    )
    _log(session, scope, action, "reverted", now)
    return action


def expire_due(session: Session, scope: CallerScope, now: datetime) -> int:
    """Mark applied actions past their expiry as expired (block lists already leave them out
    from the expiry instant on); one timeline entry each."""
    due = session.scalars(
        select(ContainmentAction).where(
            ContainmentAction.state == ActionState.APPLIED.value,
            ContainmentAction.expires_at <= now,
        )
    ).all()
    done = 0
    for action in due:
        if _move(
            session, action, ActionState.APPLIED, ActionState.EXPIRED, expired_at=now, strict=False
        ):
            _log(session, scope, action, "expired", now)
            done += 1
    return done


def _for_change(
    session: Session, scope: CallerScope, action_id: int, state: ActionState
) -> ContainmentAction:
    action = get_action(session, scope, action_id)
    scope.require_provider()
    if action.state != state:
        raise Conflict(f"the action is {action.state}, not {state.value}")
    return action


def _move(
    session: Session,
    action: ContainmentAction,
    old: ActionState,
    new: ActionState,
    *,
    strict: bool = True,
    **values: object,
) -> bool:
    moved = session.execute(
        update(ContainmentAction)
        .where(ContainmentAction.id == action.id, ContainmentAction.state == old.value)
        .values(state=new.value, **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        if strict:
            raise Conflict("the action changed meanwhile")
        return False
    session.refresh(action)
    return True


def _log(
    session: Session,
    scope: CallerScope,
    action: ContainmentAction,
    step: str,
    now: datetime,
    extra: dict[str, object] | None = None,
) -> None:
    incident = service.get_incident(session, scope, action.incident_id)
    details = {
        "action_id": action.id,
        "step": step,
        "type": action.type,
        "target": action.target,
        "connector": action.connector,
    } | (extra or {})
    timeline.record(session, scope, incident, TimelineKind.ACTION, now, details=details)
