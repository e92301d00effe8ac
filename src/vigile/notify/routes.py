"""HTTP routes of the notify slice (``/api/v1/notifications``): clients read and acknowledge
their tenant's notifications."""

from __future__ import annotations

from fastapi import APIRouter

from vigile.notify import service
from vigile.notify.schemas import NotificationOut
from vigile.tenants import service as tenants
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep
from vigile.web.pages import Page

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("", summary="Notifications you can see, newest first")
def list_notifications(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    tenant: str | None = None,
    unacknowledged: bool = False,
) -> Page[NotificationOut]:
    tenant_id = tenants.get_tenant(session, scope, tenant).id if tenant else None
    rows, total = service.list_notifications(
        session, scope, page, tenant_id=tenant_id, unacknowledged=unacknowledged
    )
    return Page.of([NotificationOut.model_validate(r) for r in rows], total, page)


@router.get("/{notification_id}", summary="One notification")
def get_notification(session: SessionDep, scope: ScopeDep, notification_id: int) -> NotificationOut:
    return NotificationOut.model_validate(service.get_notification(session, scope, notification_id))


@router.post("/{notification_id}/acknowledge", summary="Acknowledge (stops the escalation)")
def acknowledge(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, notification_id: int
) -> NotificationOut:
    row = service.acknowledge(session, scope, notification_id, clock())
    return NotificationOut.model_validate(row)
