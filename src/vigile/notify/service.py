"""Writing to the outbox, escalations to referents, acknowledgements. Tenant-scoped.

Callers enqueue in their own transaction, so a change and its notifications commit together.
``idem_key`` (cause + recipient) is unique: enqueuing twice for one recipient is a no-op.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.errors import InvalidInput, NotFound
from vigile.notify.models import Escalation, Notification, WebhookSubscription
from vigile.notify.types import Audience, Channel, DeliveryStatus, EscalationStatus
from vigile.pagination import PageRequest
from vigile.referents import service as referents
from vigile.referents.types import ReferentRole
from vigile.scope import CallerScope, Role

SYSTEM = CallerScope(principal="system:notify", role=Role.ADMIN, tenant_ids=None)


@dataclass(frozen=True)
class Recipient:
    """Where one message goes."""

    channel: Channel
    address: str
    name: str
    role: str
    language: str


def message_id(idem_key: str, sender: str) -> str:
    """A stable Message-ID for an idempotency key (same key, same Message-ID)."""
    domain = sender.rpartition("@")[2] or "vigile.invalid"
    return f"<{hashlib.sha256(idem_key.encode()).hexdigest()[:40]}@{domain}>"


def enqueue(
    session: Session,
    *,
    key: str,
    tenant_id: int | None,
    audience: Audience,
    recipient: Recipient,
    template: str,
    context: dict[str, Any],
    subject: tuple[str, int],
    now: datetime,
    escalation_id: int | None = None,
) -> Notification:
    """Write one message to the outbox (no-op returning the existing row if ``key`` exists)."""
    existing = session.scalar(select(Notification).where(Notification.idem_key == key))
    if existing is not None:
        return existing
    row = Notification(
        idem_key=key,
        tenant_id=tenant_id,
        audience=audience.value,
        channel=recipient.channel.value,
        recipient=recipient.address,
        recipient_name=recipient.name,
        recipient_role=recipient.role,
        language=recipient.language,
        template=template,
        context=orjson.dumps(context, default=str).decode(),
        subject_type=subject[0],
        subject_id=subject[1],
        escalation_id=escalation_id,
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def webhooks(session: Session, tenant_id: int | None) -> list[WebhookSubscription]:
    """Active webhook subscriptions of a tenant (None: the provider's)."""
    owner = (
        WebhookSubscription.tenant_id.is_(None)
        if tenant_id is None
        else WebhookSubscription.tenant_id == tenant_id
    )
    query = select(WebhookSubscription).where(owner, WebhookSubscription.active.is_(True))
    return list(session.scalars(query.order_by(WebhookSubscription.id)))


def add_webhook(
    session: Session,
    scope: CallerScope,
    tenant_id: int | None,
    url: str,
    secret: str,
    language: str,
    now: datetime,
) -> WebhookSubscription:
    """Subscribe a signed-webhook endpoint (provider staff)."""
    scope.require_provider()
    if tenant_id is not None:
        scope.check_tenant(tenant_id, "tenant")
    elif not scope.is_admin:
        raise NotFound("tenant not found")
    if not url.startswith(("http://", "https://")) or len(secret) < 16:
        raise InvalidInput("a webhook needs an http(s) URL and a secret of 16 characters or more")
    row = WebhookSubscription(
        tenant_id=tenant_id,
        url=url,
        secret=secret,
        language=language,
        created_at=now,
        created_by=scope.principal,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        scope,
        "notify.webhook.add",
        "webhook",
        row.id,
        tenant_id=tenant_id,
        details={"url": url},
        clock=lambda: now,
    )
    return row


def start_escalation(
    session: Session,
    scope: CallerScope,
    *,
    key: str,
    tenant_id: int,
    subject: tuple[str, int],
    template: str,
    context: dict[str, Any],
    delay: timedelta,
    now: datetime,
) -> tuple[Escalation, list[Notification]]:
    """Notify the tenant's primary referent (and its webhooks); the backup follows after
    ``delay`` unless someone acknowledges. Raises InvalidInput without a primary referent."""
    current = referents.current_referents(session, scope, tenant_id)
    primary = current.get(ReferentRole.PRIMARY)
    if primary is None:
        raise InvalidInput("the tenant has no primary referent: declare one first")
    escalation = Escalation(
        key=key,
        tenant_id=tenant_id,
        subject_type=subject[0],
        subject_id=subject[1],
        template=template,
        context=orjson.dumps(context, default=str).decode(),
        status=EscalationStatus.WAITING.value,
        created_at=now,
        backup_due_at=now + delay,
    )
    session.add(escalation)
    session.flush()
    rows = [
        _to_referent(
            session,
            escalation,
            primary.email,
            primary.name,
            "primary",
            primary.language,
            context,
            now,
        )
    ]
    for hook in webhooks(session, tenant_id):
        rows.append(
            enqueue(
                session,
                key=f"{key}:webhook:{hook.id}",
                tenant_id=tenant_id,
                audience=Audience.CLIENT,
                recipient=Recipient(Channel.WEBHOOK, hook.url, "", "webhook", hook.language),
                template=template,
                context=context,
                subject=subject,
                now=now,
                escalation_id=escalation.id,
            )
        )
    return escalation, rows


def escalate_overdue(session: Session, now: datetime) -> int:
    """Notify the current backup referent of every escalation nobody acknowledged in time."""
    due = session.scalars(
        select(Escalation).where(
            Escalation.status == EscalationStatus.WAITING.value, Escalation.backup_due_at <= now
        )
    ).all()
    done = 0
    for escalation in due:
        moved = session.execute(
            update(Escalation)
            .where(
                Escalation.id == escalation.id, Escalation.status == EscalationStatus.WAITING.value
            )
            .values(status=EscalationStatus.BACKUP_NOTIFIED.value, backup_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue  # acknowledged meanwhile, or another sender did it
        session.refresh(escalation)
        backup = referents.current_referents(session, SYSTEM, escalation.tenant_id).get(
            ReferentRole.BACKUP
        )
        if backup is not None:
            context = orjson.loads(escalation.context)
            _to_referent(
                session,
                escalation,
                backup.email,
                backup.name,
                "backup",
                backup.language,
                context,
                now,
            )
        audit.record(
            session,
            SYSTEM,
            "notify.escalation.backup",
            escalation.subject_type,
            escalation.subject_id,
            tenant_id=escalation.tenant_id,
            details={"backup": backup.email if backup else None},
            clock=lambda: now,
        )
        done += 1
    return done


def _to_referent(
    session: Session,
    escalation: Escalation,
    email: str,
    name: str,
    role: str,
    language: str,
    context: dict[str, Any],
    now: datetime,
) -> Notification:
    row = enqueue(
        session,
        key=f"{escalation.key}:{role}:{email.lower()}",
        tenant_id=escalation.tenant_id,
        audience=Audience.CLIENT,
        recipient=Recipient(Channel.EMAIL, email, name, role, language),
        template=escalation.template,
        context=context | {"recipient_name": name, "role": role},
        subject=(escalation.subject_type, escalation.subject_id),
        now=now,
        escalation_id=escalation.id,
    )
    return row


def get_notification(session: Session, scope: CallerScope, notification_id: int) -> Notification:
    """One notification the caller may see (clients: their tenant's client messages)."""
    scope.require_api()
    row = session.get(Notification, notification_id)
    if row is None or not _visible(scope, row):
        raise NotFound("notification not found")
    return row


def list_notifications(
    session: Session,
    scope: CallerScope,
    page: PageRequest,
    *,
    tenant_id: int | None = None,
    unacknowledged: bool = False,
) -> tuple[list[Notification], int]:
    """Notifications the caller may see, newest first."""
    scope.require_api()
    query = select(Notification)
    if scope.tenant_ids is not None:
        query = query.where(Notification.tenant_id.in_(scope.tenant_ids))
    if scope.is_client:
        query = query.where(Notification.audience == Audience.CLIENT.value)
    if tenant_id is not None:
        query = query.where(Notification.tenant_id == tenant_id)
    if unacknowledged:
        query = query.where(Notification.acknowledged_at.is_(None))

    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Notification.id.desc()).limit(page.limit).offset(page.offset)
    )
    return list(rows), total


def acknowledge(
    session: Session, scope: CallerScope, notification_id: int, now: datetime
) -> Notification:
    """Acknowledge a notification (client users of its tenant, or provider staff); this also
    acknowledges its escalation, so the backup is not notified."""
    row = get_notification(session, scope, notification_id)
    if row.acknowledged_at is not None:
        return row
    row.acknowledged_at, row.acknowledged_by = now, scope.principal
    if row.escalation_id is not None:
        session.execute(
            update(Escalation)
            .where(Escalation.id == row.escalation_id, Escalation.acknowledged_at.is_(None))
            .values(
                acknowledged_at=now,
                acknowledged_by=scope.principal,
                status=EscalationStatus.ACKNOWLEDGED.value,
            )
            .execution_options(synchronize_session=False)
        )
    session.flush()
    audit.record(
        session,
        scope,
        "notification.acknowledge",
        "notification",
        row.id,
        tenant_id=row.tenant_id,
        details={"subject": f"{row.subject_type}:{row.subject_id}"},
        clock=lambda: now,
    )
    return row


def history(
    session: Session, scope: CallerScope, subject_type: str, subject_id: int, tenant_id: int
) -> tuple[list[Notification], list[Escalation]]:
    """Notifications and escalations about one subject (for its timeline)."""
    scope.check_tenant(tenant_id)
    audience = [Audience.CLIENT.value] if scope.is_client else [a.value for a in Audience]
    rows = session.scalars(
        select(Notification)
        .where(
            Notification.subject_type == subject_type,
            Notification.subject_id == subject_id,
            Notification.tenant_id == tenant_id,
            Notification.audience.in_(audience),
        )
        .order_by(Notification.id)
    ).all()
    escalations = session.scalars(
        select(Escalation)
        .where(
            Escalation.subject_type == subject_type,
            Escalation.subject_id == subject_id,
            Escalation.tenant_id == tenant_id,
        )
        .order_by(Escalation.id)
    ).all()
    return list(rows), list(escalations)


def count_escalations(session: Session, subject_type: str, subject_id: int) -> int:
    """How many escalations a subject has had (to number the next one)."""
    rows = session.scalars(
        select(Escalation.id).where(
            Escalation.subject_type == subject_type, Escalation.subject_id == subject_id
        )
    ).all()
    return len(rows)


def _visible(scope: CallerScope, row: Notification) -> bool:
    if row.tenant_id is None:
        return scope.tenant_ids is None and scope.is_provider
    if not scope.can_access(row.tenant_id):
        return False
    return not scope.is_client or row.audience == Audience.CLIENT.value
