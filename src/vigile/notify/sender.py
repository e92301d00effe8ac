"""The outbox sender: claim due messages, deliver them, mark them sent (or retry later).

Delivery guarantee — **at-least-once on the wire, exactly-once per recipient as far as the
receiver can tell**:

1. A claim is a compare-and-set (``pending`` → ``sending`` with a lease), committed before
   anything is sent: two senders never send the same message at the same time.
2. The message is sent outside any transaction, then marked ``sent`` in its own commit.
3. A crash before the send leaves a claim whose lease expires: the next pass sends it (nothing
   is lost). A crash *after* the SMTP server accepted DATA but before the ``sent`` commit cannot
   be told apart from a crash before it, so the message is sent again (at-least-once; choosing
   at-most-once would silently lose escalations). The re-sent copy is the *same* message: its
   Message-ID (and the webhook ``Idempotency-Key`` / ``X-Vigile-Delivery`` headers) derive from
   the idempotency key, so mail stores and webhook receivers that de-duplicate on them keep one.
   The window is only the time between the server's ``250`` and our commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import orjson
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from vigile.config import Settings
from vigile.db import transaction
from vigile.notify import alert_outbox, service
from vigile.notify.models import Notification, WebhookSubscription
from vigile.notify.templates import render
from vigile.notify.transports import DeliveryError, Outgoing, post_signed, send_email
from vigile.notify.types import Channel, DeliveryStatus

log = logging.getLogger("vigile.notify")
Clock = Callable[[], datetime]


class Transport(Protocol):
    """Sends one message; raises DeliveryError to have it retried. Returns a response note."""

    def __call__(self, out: Outgoing) -> str: ...


@dataclass(frozen=True)
class PassResult:
    """What one sender pass did."""

    sent: int
    failed: int
    backups: int
    alert_events: int


class NetworkTransport:
    """SMTP for e-mail, signed HTTP POST for webhooks."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def __call__(self, out: Outgoing) -> str:
        if out.channel == Channel.EMAIL:
            return send_email(self.settings, out)
        timestamp = str(int(self.clock().timestamp()))
        status, text = post_signed(
            out.recipient,
            out.secret,
            out.payload,
            timestamp,
            out.headers,
            self.settings.actions_webhook_timeout,
        )
        if not 200 <= status < 300:
            raise DeliveryError(f"webhook answered {status}: {text[:200]}")
        return f"{status} {text[:500]}"


def deliver_pass(
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: Clock,
    transport: Transport | None = None,
) -> PassResult:
    """One pass: backups due, SLA alert events, then every due message."""
    transport = transport or NetworkTransport(settings, clock)
    with transaction(sessions) as session:
        now = clock()
        backups = service.escalate_overdue(session, now)
        alert_events = alert_outbox.collect(session, settings, now)
    claimed = _claim(sessions, settings, clock())
    sent = failed = 0
    for out, row_id, attempts in claimed:
        try:
            note = transport(out)
        except DeliveryError as exc:
            _failed(sessions, settings, clock(), row_id, attempts, str(exc))
            failed += 1
            continue
        _sent(sessions, clock(), row_id, note)
        sent += 1
    if sent or failed or backups:
        log.info("notifications: %d sent, %d failed, %d backups", sent, failed, backups)
    return PassResult(sent=sent, failed=failed, backups=backups, alert_events=alert_events)


def _claim(
    sessions: sessionmaker[Session], settings: Settings, now: datetime, batch: int = 100
) -> list[tuple[Outgoing, int, int]]:
    due = or_(
        and_(
            Notification.status == DeliveryStatus.PENDING.value, Notification.next_attempt_at <= now
        ),
        and_(Notification.status == DeliveryStatus.SENDING.value, Notification.lease_until < now),
    )
    lease = now + timedelta(seconds=settings.notify_lease_seconds)
    claimed = []
    with transaction(sessions) as session:
        ids = session.scalars(
            select(Notification.id).where(due).order_by(Notification.id).limit(batch)
        ).all()
        for row_id in ids:
            moved = session.execute(
                update(Notification)
                .where(Notification.id == row_id, due)
                .values(
                    status=DeliveryStatus.SENDING.value,
                    lease_until=lease,
                    attempts=Notification.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                continue
            row = session.get(Notification, row_id, populate_existing=True)
            assert row is not None
            claimed.append((_outgoing(session, settings, row), row.id, row.attempts))
    return claimed


def _outgoing(session: Session, settings: Settings, row: Notification) -> Outgoing:
    context = orjson.loads(row.context) | {"notification_id": row.id}
    context.setdefault("recipient_name", row.recipient_name)
    context.setdefault("role", row.recipient_role)
    if settings.public_url:
        context.setdefault(
            "ack_url", f"{settings.public_url.rstrip('/')}/api/v1/notifications/{row.id}"
        )
    context.setdefault("ack_url", None)
    message = render(row.template, row.language, context)
    mid = service.message_id(row.idem_key, settings.smtp_from)
    if row.channel == Channel.EMAIL:
        return Outgoing(
            Channel.EMAIL,
            row.recipient,
            row.recipient_name,
            message.subject,
            message.body,
            row.idem_key,
            mid,
        )
    secret = (
        session.scalar(
            select(WebhookSubscription.secret)
            .where(WebhookSubscription.url == row.recipient)
            .order_by(WebhookSubscription.id.desc())
            .limit(1)
        )
        or ""
    )
    payload = orjson.dumps(
        {
            "id": row.idem_key,
            "notification_id": row.id,
            "event": row.template,
            "subject": {"type": row.subject_type, "id": row.subject_id},
            "language": row.language,
            "title": message.subject,
            "text": message.body,
            "data": orjson.loads(row.context),
        },
        option=orjson.OPT_SORT_KEYS,
    )
    headers = {"Idempotency-Key": row.idem_key, "X-Vigile-Delivery": mid.strip("<>")}
    return Outgoing(
        Channel.WEBHOOK,
        row.recipient,
        "",
        message.subject,
        message.body,
        row.idem_key,
        mid,
        payload=payload,
        secret=secret,
        headers=headers,
    )


def _sent(sessions: sessionmaker[Session], now: datetime, row_id: int, note: str) -> None:
    with transaction(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == row_id, Notification.status == DeliveryStatus.SENDING.value)
            .values(
                status=DeliveryStatus.SENT.value,
                sent_at=now,
                lease_until=None,
                response=note[:2000],
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )


def _failed(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    row_id: int,
    attempts: int,
    error: str,
) -> None:
    delay = min(
        settings.notify_retry_seconds * 2 ** (attempts - 1), settings.notify_retry_max_seconds
    )
    dead = attempts >= settings.notify_max_attempts
    status = DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING
    log.warning("notification %d attempt %d failed: %s", row_id, attempts, error)
    with transaction(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == row_id, Notification.status == DeliveryStatus.SENDING.value)
            .values(
                status=status.value,
                lease_until=None,
                last_error=error[:2000],
                next_attempt_at=now + timedelta(seconds=delay),
            )
            .execution_options(synchronize_session=False)
        )
