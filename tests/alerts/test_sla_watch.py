"""The scheduler marks breaches when they happen, once, with a timeline (outbox) event."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.alerts.conftest import MORNING, OP, Raise
from tests.conftest import FakeClock
from vigile.alerts import service
from vigile.alerts.models import AlertEvent
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.scheduler import watch_forever, watch_once
from vigile.alerts.sla_watch import mark_breaches
from vigile.alerts.types import SlaState
from vigile.alerts.views import alert_outs
from vigile.app import create_app
from vigile.audit import service as audit
from vigile.audit.models import AuditEntry
from vigile.config import Settings
from vigile.db import transaction


def _events(db: sessionmaker[Session], kind: str) -> list[AlertEvent]:
    with transaction(db) as session:
        rows = session.scalars(select(AlertEvent).where(AlertEvent.kind == kind))
        return list(rows)


def _state(db: sessionmaker[Session], alert_id: int, clock: FakeClock) -> SlaState:
    with transaction(db) as session:
        alert = service.get_alert(session, OP, alert_id)
        (out,) = alert_outs(session, OP, [alert], clock(), 0.75)
        return out.sla_state


def test_breach_is_marked_by_the_watch_once(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    alert = raise_(level="critical").alert  # due 11:30 Paris = 10:30 UTC
    assert alert is not None and alert.due_at == MORNING + timedelta(minutes=90)
    ok = raise_(level="low", rule_id="slow").alert
    assert ok is not None
    assert _state(db, alert.id, fake_clock) is SlaState.RUNNING

    # 75 % of 1 h 30 used: due soon, announced once.
    fake_clock.now = MORNING + timedelta(minutes=68)
    with transaction(db) as session:
        result = mark_breaches(session, fake_clock)
    assert (result.breached, result.due_soon) == (0, 1)
    assert _state(db, alert.id, fake_clock) is SlaState.DUE_SOON

    # At the deadline itself nothing is breached yet; one second later it is.
    fake_clock.now = alert.due_at
    with transaction(db) as session:
        assert mark_breaches(session, fake_clock).breached == 0
    fake_clock.now = alert.due_at + timedelta(seconds=1)
    with transaction(db) as session:
        assert mark_breaches(session, fake_clock).breached == 1
        assert mark_breaches(session, fake_clock).breached == 0  # once only
        assert audit.verify(session)[1] == []
    (breach,) = _events(db, "breached")
    assert breach.alert_id == alert.id and breach.notified_at is None
    assert breach.actor == "system:sla-watch"
    assert len(_events(db, "due_soon")) == 1
    with db() as session:  # the audit trail names the same actor as the timeline
        marks = session.execute(
            select(AuditEntry.action, AuditEntry.actor).where(
                AuditEntry.action.in_(["alert.breached", "alert.due_soon"])
            )
        ).all()
    assert sorted(marks) == [
        ("alert.breached", "system:sla-watch"),
        ("alert.due_soon", "system:sla-watch"),
    ]
    assert _state(db, alert.id, fake_clock) is SlaState.BREACHED
    assert _state(db, ok.id, fake_clock) is SlaState.RUNNING
    # Acknowledging later keeps the breach, without a second breach event.
    with transaction(db) as session:
        service.acknowledge(session, OP, alert.id, fake_clock)
    assert _state(db, alert.id, fake_clock) is SlaState.BREACHED
    assert len(_events(db, "breached")) == 1


def test_acknowledged_and_no_sla_alerts_are_never_breached(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    acked = raise_(level="critical").alert
    no_sla = raise_(slug="late", level="critical").alert
    assert acked is not None and no_sla is not None
    with transaction(db) as session:
        service.acknowledge(session, OP, acked.id, fake_clock)
    fake_clock.now = MORNING + timedelta(days=10)
    with transaction(db) as session:
        assert mark_breaches(session, fake_clock).breached == 0
    assert _state(db, acked.id, fake_clock) is SlaState.MET
    assert _state(db, no_sla.id, fake_clock) is SlaState.NO_SLA


def test_the_background_loop_runs_the_watch(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    alert = raise_(level="critical").alert
    assert alert is not None
    fake_clock.now = MORNING + timedelta(hours=3)

    async def run_briefly() -> None:
        task = asyncio.create_task(watch_forever(db, fake_clock, AlertPolicy(), 0.01))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if _events(db, "breached"):
                break
        task.cancel()

    asyncio.run(run_briefly())
    assert len(_events(db, "breached")) == 1
    assert watch_once(db, fake_clock, AlertPolicy()).breached == 0


def test_the_app_runs_the_watch_when_asked(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock, settings: Settings
) -> None:
    raise_(level="critical")
    fake_clock.now = MORNING + timedelta(hours=3)
    quick = settings.model_copy(update={"sla_watch_seconds": 0.02})
    app = create_app(quick, clock=fake_clock, scheduler=True)
    with TestClient(app):
        for _ in range(200):
            if _events(db, "breached"):
                break
            time.sleep(0.01)
    app.state.engine.dispose()
    assert len(_events(db, "breached")) == 1
    # Without the scheduler flag (tests, tools), the app starts no background task.
    raise_(level="critical", rule_id="other", raised_at=MORNING + timedelta(hours=1))
    fake_clock.now = MORNING + timedelta(hours=4)
    app = create_app(quick, clock=fake_clock)
    with TestClient(app):
        time.sleep(0.1)
    app.state.engine.dispose()
    assert len(_events(db, "breached")) == 1
