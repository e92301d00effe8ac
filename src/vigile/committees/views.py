"""Committee rows to API/CLI views, and what the renderer needs of a committee."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from vigile.committees import actions, service
from vigile.committees.models import Committee, CommitteeAction
from vigile.committees.policy import CommitteePolicy
from vigile.committees.render import StatusLine
from vigile.committees.schemas import ActionOut, CommitteeOut, ParticipantOut
from vigile.committees.types import ActionStatus, ReportStatus
from vigile.scope import CallerScope
from vigile.tenants import service as tenants


def action_out(action: CommitteeAction, decided_on: date) -> ActionOut:
    return ActionOut(
        id=action.id,
        title=action.title,
        owner=action.owner,
        due_on=action.due_on,
        status=ActionStatus(action.status),
        closed_on=action.closed_on,
        committee_id=action.committee_id,
        decided_on=decided_on,
    )


def committee_out(
    session: Session,
    scope: CallerScope,
    committee: Committee,
    policy: CommitteePolicy,
    now: datetime,
) -> CommitteeOut:
    status = ReportStatus(committee.status)
    period_from, period_to = service.period(session, scope, committee)
    sent_late = None
    if committee.sent_at is not None:
        sent_late = policy.today(committee.sent_at) > committee.due_on
    slug = tenants.slugs_by_id(session, {committee.tenant_id})[committee.tenant_id]
    return CommitteeOut(
        id=committee.id,
        tenant=slug,
        held_on=committee.held_on,
        period_from=period_from,
        period_to=period_to,
        status=status,
        due_on=committee.due_on,
        overdue=status is ReportStatus.DRAFT and policy.today(now) > committee.due_on,
        sent_late=sent_late,
        sent_at=committee.sent_at,
        sent_by=committee.sent_by,
        validated_at=committee.validated_at,
        validated_by=committee.validated_by,
        validation_note=committee.validation_note,
        participants=[
            ParticipantOut(name=p.name, organisation=p.organisation, role=p.role)
            for p in service.participants(session, committee)
        ],
        decisions=service.decisions(session, committee),
        actions=[
            action_out(a, committee.held_on) for a in actions.decided_actions(session, committee)
        ],
        notes=committee.notes,
        created_by=committee.created_by,
    )


def status_line(committee: Committee) -> StatusLine:
    return StatusLine(
        status=ReportStatus(committee.status),
        sent_at=committee.sent_at,
        sent_by=committee.sent_by,
        validated_at=committee.validated_at,
        validated_by=committee.validated_by,
    )
