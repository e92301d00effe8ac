"""Escalation through the outbox to real servers on loopback (SMTP and HTTP)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import FakeClock
from tests.notify.servers import Mailbox, http_receiver, smtp_server
from tests.notify.world import ANALYST_A, BACKUP, PRIMARY, Acme, build_acme
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.scheduler import watch_once
from vigile.config import Settings
from vigile.db import transaction
from vigile.incidents import escalation, service, timeline
from vigile.notify import sender
from vigile.notify import service as notify
from vigile.notify.models import Notification

DELAY = timedelta(minutes=30)
SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def acme(db_url: str, clock: FakeClock) -> Acme:
    return build_acme(db_url, clock)


def _settings(db_url: str, port: int, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_from="soc@vigile.example",
        notify_on_duty="oncall@soc.example",
    )


def _escalate(acme: Acme, clock: FakeClock) -> None:
    with transaction(acme.sessions) as session:
        escalation.escalate(
            session, ANALYST_A, acme.incident_id, "Poste WS01 compromis", DELAY, clock
        )


def test_primary_then_backup_without_acknowledgement(
    acme: Acme, smtp: tuple[Mailbox, int], clock: FakeClock, db_url: str, tmp_path: Path
) -> None:
    mailbox, port = smtp
    settings = _settings(db_url, port, tmp_path)
    _escalate(acme, clock)
    sender.deliver_pass(acme.sessions, settings, clock)
    (message,) = mailbox.inbox(PRIMARY)
    assert message["Subject"].startswith(f"[Vigile] Incident n° {acme.incident_id} (critique)")
    body = message.get_content()
    assert "Le SOC vous escalade un incident" in body and "Mimikatz Use" in body
    assert "Poste WS01 compromis" in body and "Criticité" in body
    assert mailbox.inbox(BACKUP) == []
    clock.now += DELAY - timedelta(seconds=1)
    sender.deliver_pass(acme.sessions, settings, clock)
    assert mailbox.inbox(BACKUP) == []  # not yet
    clock.now += timedelta(seconds=1)
    result = sender.deliver_pass(acme.sessions, settings, clock)
    assert result.backups == 1
    (backup,) = mailbox.inbox(BACKUP)
    assert "backup referent" in backup.get_content()  # the backup reads English
    sender.deliver_pass(acme.sessions, settings, clock)
    assert len(mailbox.transmissions) == 2  # nothing sent twice
    with transaction(acme.sessions) as session:
        incident = service.get_incident(session, ANALYST_A, acme.incident_id)
        kinds = [e.kind for e in timeline.entries(session, ANALYST_A, incident)]
    assert kinds[:3] == ["created", "alert_attached", "escalated"]
    assert kinds.count("notification_sent") == 2 and "escalated_to_backup" in kinds


def test_acknowledgement_stops_the_backup(
    acme: Acme, smtp: tuple[Mailbox, int], clock: FakeClock, db_url: str, tmp_path: Path
) -> None:
    mailbox, port = smtp
    settings = _settings(db_url, port, tmp_path)
    _escalate(acme, clock)
    sender.deliver_pass(acme.sessions, settings, clock)
    client = notify.CallerScope(  # a client user of acme acknowledges
        principal="client-acme", role=notify.Role.CLIENT, tenant_ids=frozenset({acme.tenant_id})
    )
    with transaction(acme.sessions) as session:
        rows, _ = notify.list_notifications(session, client, notify.PageRequest())
        assert [r.recipient for r in rows] == [PRIMARY]
        notify.acknowledge(session, client, rows[0].id, clock())
    clock.now += DELAY * 2
    assert sender.deliver_pass(acme.sessions, settings, clock).backups == 0
    assert mailbox.inbox(BACKUP) == []


def test_signed_webhook_reaches_a_real_receiver(
    acme: Acme, smtp: tuple[Mailbox, int], clock: FakeClock, db_url: str, tmp_path: Path
) -> None:
    settings = _settings(db_url, smtp[1], tmp_path)
    with http_receiver(SECRET) as (receiver, url):
        with transaction(acme.sessions) as session:
            notify.add_webhook(session, ANALYST_A, acme.tenant_id, url, SECRET, "en", clock())
        _escalate(acme, clock)
        sender.deliver_pass(acme.sessions, settings, clock)
        (request,) = receiver.requests
        assert request["valid"]
        assert request["json"]["subject"] == {"type": "incident", "id": acme.incident_id}
        assert request["json"]["title"].startswith("[Vigile] Incident #")
        assert request["headers"]["Idempotency-Key"] == request["json"]["id"]
        receiver.secret = "another-secret-123"  # signature no longer matches: 401, retried
        with transaction(acme.sessions) as session:
            notify.enqueue(
                session,
                key="test:again",
                tenant_id=acme.tenant_id,
                audience=notify.Audience.CLIENT,
                recipient=notify.Recipient(notify.Channel.WEBHOOK, url, "", "webhook", "fr"),
                template="alert_sla",
                subject=("alert", acme.alert_id),
                now=clock(),
                context={
                    "alert_id": 1,
                    "kind": "breached",
                    "tenant": "acme",
                    "title": "t",
                    "level": 4,
                    "due_at": "x",
                },
            )
        result = sender.deliver_pass(acme.sessions, settings, clock)
        assert result.failed == 1 and not receiver.requests[-1]["valid"]
    with transaction(acme.sessions) as session:
        row = session.scalar(select(Notification).where(Notification.idem_key == "test:again"))
        assert row is not None and row.status == "pending" and row.attempts == 1
        assert row.next_attempt_at == clock() + timedelta(seconds=settings.notify_retry_seconds)


CRASHING_SENDER = """
import os, signal, sys
from datetime import datetime
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.scheduler import watch_once
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.notify import sender
from vigile.notify.transports import send_email

url, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
now = datetime.fromisoformat(sys.argv[4])
settings = Settings(database_url=url, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                    smtp_from="soc@vigile.example")

def transport(out):
    if mode == "after-data":
        send_email(settings, out)  # the server has answered 250 to DATA
    os.kill(os.getpid(), signal.SIGKILL)

sender.deliver_pass(make_sessionmaker(make_engine(url)), settings, lambda: now, transport)
"""


@pytest.mark.parametrize("mode", ["before-send", "after-data"])
def test_kill_9_sender_then_restart_delivers_once(
    acme: Acme,
    smtp: tuple[Mailbox, int],
    clock: FakeClock,
    db_url: str,
    tmp_path: Path,
    mode: str,
) -> None:
    mailbox, port = smtp
    _escalate(acme, clock)
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[2])}
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_SENDER, db_url, str(port), mode, clock().isoformat()],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert crashed.returncode == -9, crashed.stderr.decode()
    assert len(mailbox.transmissions) == (1 if mode == "after-data" else 0)
    settings = _settings(db_url, port, tmp_path)
    # Restarted before the crashed claim's lease expires: nothing is sent twice meanwhile.
    assert sender.deliver_pass(acme.sessions, settings, clock).sent == 0
    clock.now += timedelta(seconds=settings.notify_lease_seconds + 1)
    assert sender.deliver_pass(acme.sessions, settings, clock).sent == 1
    assert sender.deliver_pass(acme.sessions, settings, clock).sent == 0
    assert len(mailbox.inbox(PRIMARY)) == 1  # exactly one message for the recipient
    ids = {str(m["Message-ID"]) for _, m in mailbox.transmissions}
    assert len(ids) == 1  # a re-sent copy is the same message (same Message-ID)
    with transaction(acme.sessions) as session:
        (row,) = session.scalars(select(Notification)).all()
        assert row.status == "sent" and row.attempts == 2


def test_sla_events_notify_the_on_duty_analysts(
    acme: Acme, smtp: tuple[Mailbox, int], clock: FakeClock, db_url: str, tmp_path: Path
) -> None:
    mailbox, port = smtp
    settings = _settings(db_url, port, tmp_path)
    clock.now += timedelta(days=10)  # far past the level-4 deadline
    watch_once(acme.sessions, clock, AlertPolicy())
    result = sender.deliver_pass(acme.sessions, settings, clock)
    assert result.alert_events >= 1
    (message,) = mailbox.inbox("oncall@soc.example")
    assert "HORS DÉLAI" in message["Subject"]
    assert sender.deliver_pass(acme.sessions, settings, clock).alert_events == 0
