"""The report's life: draft → sent (frozen, dated, by whom) → validated by the client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.committees import report, service
from vigile.committees.models import Committee
from vigile.committees.policy import CommitteePolicy
from vigile.committees.types import ReportStatus
from vigile.errors import Conflict, InvalidInput, PermissionDenied
from vigile.scope import CallerScope


def send(
    session: Session,
    scope: CallerScope,
    committee_id: int,
    policy: CommitteePolicy,
    clock: Callable[[], datetime],
) -> Committee:
    """Send the report to the client (provider staff): its data is frozen as sent."""
    committee = service.get(session, scope, committee_id)
    scope.require_provider()
    if committee.status != ReportStatus.DRAFT:
        raise Conflict(f"the report of committee {committee_id} was already {committee.status}")
    if not service.participants(session, committee):
        raise InvalidInput("the report lists no participant: record them before sending")
    now = clock()
    frozen = report.build(session, scope, committee, clock, policy.counting)
    committee.snapshot = frozen.model_dump_json()
    committee.status = ReportStatus.SENT.value
    committee.sent_at, committee.sent_by = now, scope.principal
    session.flush()
    late = policy.today(now) > committee.due_on
    audit.record(
        session,
        scope,
        "committee.send",
        "committee",
        committee.id,
        tenant_id=committee.tenant_id,
        details={"due_on": committee.due_on.isoformat(), "late": late},
    )
    return committee


def validate(
    session: Session,
    scope: CallerScope,
    committee_id: int,
    note: str | None,
    clock: Callable[[], datetime],
) -> Committee:
    """Record the client's validation of a sent report: a client user of the tenant, or the
    provider on the client's behalf (say how in ``note``, e.g. "by e-mail of 4 January")."""
    committee = service.get(session, scope, committee_id)
    scope.require_api()
    if not (scope.is_client or scope.is_provider):
        raise PermissionDenied("only the client or the provider may validate a report")
    if committee.status != ReportStatus.SENT:
        state = "still a draft" if committee.status == ReportStatus.DRAFT else "already validated"
        raise Conflict(f"the report of committee {committee_id} is {state}")
    committee.status = ReportStatus.VALIDATED.value
    committee.validated_at, committee.validated_by = clock(), scope.principal
    committee.validation_note = note
    session.flush()
    audit.record(
        session,
        scope,
        "committee.validate",
        "committee",
        committee.id,
        tenant_id=committee.tenant_id,
        details={"note": note},
    )
    return committee
