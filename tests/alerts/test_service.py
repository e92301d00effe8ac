"""The alert lifecycle, deduplication, deadlines and rule exceptions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.alerts.conftest import EVENT, MORNING, OP, Raise, detection, tenant_id
from tests.conftest import FakeClock
from vigile.alerts import rules, service
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.schemas import RuleExceptionIn
from vigile.alerts.types import AlertState, EventKind, RaiseStatus, Verdict
from vigile.audit import service as audit
from vigile.db import transaction
from vigile.errors import Conflict, NotFound, PermissionDenied
from vigile.scope import CallerScope, Role
from vigile.service_levels import REASON_BEFORE_GO_LIVE, REASON_NO_GO_LIVE


def _client(session: Session, slug: str) -> CallerScope:
    return CallerScope(
        principal="user:c", role=Role.CLIENT, tenant_ids=frozenset({tenant_id(session, slug)})
    )


def test_raise_computes_level_assets_and_deadline(raise_: Raise, db: sessionmaker[Session]) -> None:
    outcome = raise_(level="high")
    assert outcome.status is RaiseStatus.CREATED and outcome.alert is not None
    alert = outcome.alert
    assert alert.level == 3 and alert.state == AlertState.NEW
    # Thursday 10:00 Paris + 3 business hours = 13:00 Paris = 12:00 UTC.
    assert alert.due_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert alert.host == "ws01.corp.local"
    with transaction(db) as session:
        (kept,) = service.evidence(session, OP, alert.id)
        assert len(kept.content_hash) == 64
        (raised,) = service.timeline(session, OP, alert.id)
        assert raised.kind == EventKind.RAISED
        assert audit.verify(session)[1] == []


def test_sigma_levels_map_to_criticality(raise_: Raise) -> None:
    levels = {}
    for i, sigma in enumerate(("informational", "low", "medium", "high", "critical")):
        outcome = raise_(rule_id=f"r{i}", level=sigma)
        assert outcome.alert is not None
        levels[sigma] = outcome.alert.level
    assert levels == {"informational": 1, "low": 1, "medium": 2, "high": 3, "critical": 4}


def test_no_deadline_before_go_live_or_without_one(raise_: Raise) -> None:
    before = raise_(slug="acme", raised_at=datetime(2026, 1, 4, 22, 59, tzinfo=UTC))
    assert before.alert is not None and before.alert.due_at is None
    assert before.alert.sla_reason == REASON_BEFORE_GO_LIVE
    never = raise_(slug="late")
    assert never.alert is not None and never.alert.sla_reason == REASON_NO_GO_LIVE


def test_level_4_is_wall_clock_for_24_7_tenants(raise_: Raise, fake_clock: FakeClock) -> None:
    saturday_night = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    fake_clock.now = saturday_night
    acme = raise_(slug="acme", level="critical", raised_at=saturday_night).alert
    assert acme is not None and acme.wall_clock
    assert acme.due_at == saturday_night + timedelta(minutes=90)
    umbrella = raise_(slug="umbrella", level="critical", raised_at=saturday_night).alert
    # Business hours only: Monday 09:00 Paris + 1 h 30 = 10:30 Paris.
    assert umbrella is not None and umbrella.due_at == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def test_dedup_joins_the_open_alert_within_the_window(raise_: Raise, fake_clock: FakeClock) -> None:
    first = raise_().alert
    assert first is not None
    fake_clock.now = MORNING + timedelta(minutes=30)
    second = raise_(event=EVENT | {"IpAddress": "10.9.9.9", "EventRecordID": 2})
    assert second.status is RaiseStatus.JOINED and second.alert is not None
    assert second.alert.id == first.id and second.alert.match_count == 2
    assert second.alert.last_seen_at == MORNING + timedelta(minutes=30)
    assert "10.9.9.9" in second.alert.assets
    # A replay of the same event changes nothing (idempotent).
    replay = raise_(event=EVENT | {"IpAddress": "10.9.9.9", "EventRecordID": 2})
    assert replay.alert is not None and replay.alert.match_count == 2
    # Another host is another alert; so is the same host after the window.
    other = raise_(event=EVENT | {"Computer": "WS02"})
    assert other.status is RaiseStatus.CREATED
    fake_clock.now = MORNING + timedelta(minutes=91)
    after = raise_()
    assert after.status is RaiseStatus.CREATED and after.alert is not None
    assert after.alert.id not in (first.id, other.alert.id if other.alert else None)


def test_dedup_uses_the_rule_key_fields_and_can_be_off(raise_: Raise) -> None:
    a = raise_(event=EVENT | {"Image": "a.exe"}, key_fields=["Image"]).alert
    b = raise_(event=EVENT | {"Image": "b.exe"}, key_fields=["Image"]).alert
    assert a is not None and b is not None and a.id != b.id
    off = AlertPolicy(dedup_window=timedelta(0))
    c = raise_(rule_id="solo", policy=off).alert
    d = raise_(rule_id="solo", policy=off).alert
    assert c is not None and d is not None and c.id != d.id


def test_closed_alerts_are_not_joined(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    first = raise_().alert
    assert first is not None
    with transaction(db) as session:
        service.close(session, OP, first.id, Verdict.FALSE_POSITIVE, "noise", fake_clock)
    again = raise_()
    assert again.status is RaiseStatus.CREATED


def test_lifecycle_with_reopen_assign_and_comments(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    alert = raise_().alert
    assert alert is not None
    with transaction(db) as session:
        fake_clock.now = MORNING + timedelta(minutes=10)
        acked = service.acknowledge(session, OP, alert.id, fake_clock)
        assert acked.state == AlertState.ACKNOWLEDGED and acked.acknowledged_by == "cli:test"
        assert acked.acknowledged_at == MORNING + timedelta(minutes=10)
        with pytest.raises(Conflict):
            service.acknowledge(session, OP, alert.id, fake_clock)
        service.assign(session, OP, alert.id, None, fake_clock)
        assert service.start(session, OP, alert.id, fake_clock).state == AlertState.IN_PROGRESS
        service.comment(session, OP, alert.id, "looking at WS01", fake_clock)
        closed = service.close(
            session, OP, alert.id, Verdict.TRUE_POSITIVE, "confirmed", fake_clock
        )
        assert closed.state == AlertState.CLOSED and closed.verdict == "true_positive"
        reopened = service.reopen(session, OP, alert.id, "new evidence", fake_clock)
        assert reopened.state == AlertState.IN_PROGRESS and reopened.verdict is None
        # Reopening keeps the acknowledgement: the service level was met once and for all.
        assert reopened.acknowledged_at == MORNING + timedelta(minutes=10)
        kinds = [e.kind for e in service.timeline(session, OP, alert.id)]
    assert kinds == [
        "raised",
        "acknowledged",
        "assigned",
        "started",
        "comment",
        "closed",
        "reopened",
    ]


def test_closing_a_new_alert_acknowledges_it(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    alert = raise_().alert
    assert alert is not None
    with transaction(db) as session:
        closed = service.close(session, OP, alert.id, Verdict.DUPLICATE, "see #1", fake_clock)
        assert closed.acknowledged_at == MORNING


def test_acknowledging_after_the_deadline_is_a_breach(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    alert = raise_(level="critical").alert  # due 11:30 Paris
    assert alert is not None and alert.due_at is not None
    fake_clock.now = alert.due_at  # exactly at the deadline: met
    on_time = raise_(level="critical", rule_id="other").alert
    assert on_time is not None
    with transaction(db) as session:
        fake_clock.now = alert.due_at + timedelta(seconds=1)
        late = service.acknowledge(session, OP, alert.id, fake_clock)
        assert late.breached_at == alert.due_at
        assert [e.kind for e in service.timeline(session, OP, alert.id)][-1] == "breached"


def test_level_change_recomputes_from_the_raise_time(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    alert = raise_(level="low").alert
    assert alert is not None
    fake_clock.now = MORNING + timedelta(hours=2)
    with transaction(db) as session:
        changed = service.change_level(session, OP, alert.id, 4, "domain admin", fake_clock)
        assert changed.level == 4 and changed.original_level == 1
        # From the original raise (10:00 Paris) + 1 h 30, not from the change.
        assert changed.due_at == MORNING + timedelta(minutes=90)
        entry = service.timeline(session, OP, alert.id)[-1]
        assert entry.kind == "level_changed" and entry.text == "domain admin"


def test_rule_exception_suppresses_and_is_reversible(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    with transaction(db) as session:
        data = RuleExceptionIn(tenant="umbrella", rule_id="noisy", reason="backup software")
        exception = rules.create_exception(session, OP, data, fake_clock)
        with pytest.raises(Conflict):
            rules.create_exception(session, OP, data, fake_clock)
    skipped = raise_(rule_id="noisy")
    assert (
        skipped.status is RaiseStatus.SUPPRESSED and skipped.exception_reason == "backup software"
    )
    assert raise_(slug="acme", rule_id="noisy").status is RaiseStatus.CREATED  # other tenant
    with transaction(db) as session:
        revoked = rules.revoke_exception(session, OP, exception.id, "fixed", fake_clock)
        assert revoked.revoked_at is not None and revoked.created_by == "cli:test"
    assert raise_(rule_id="noisy").status is RaiseStatus.CREATED


def test_rule_quality_counts_verdicts(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    verdicts = [Verdict.FALSE_POSITIVE, Verdict.FALSE_POSITIVE, Verdict.TRUE_POSITIVE, None]
    for i, verdict in enumerate(verdicts):
        alert = raise_(rule_id="r", event=EVENT | {"Computer": f"h{i}"}).alert
        assert alert is not None
        if verdict is not None:
            with transaction(db) as session:
                service.close(session, OP, alert.id, verdict, "triaged", fake_clock)
    with transaction(db) as session:
        (row,) = rules.quality(session, OP, tenant="umbrella")
    assert (row.alerts, row.open, row.false_positive, row.true_positive) == (4, 1, 2, 1)
    assert row.false_positive_rate == round(2 / 3, 4) and row.true_positive_rate == round(1 / 3, 4)


def test_scope_hides_other_tenants_and_clients_only_comment(
    raise_: Raise, db: sessionmaker[Session], fake_clock: FakeClock
) -> None:
    alert = raise_(slug="acme").alert
    assert alert is not None
    with transaction(db) as session:
        other = _client(session, "umbrella")
        with pytest.raises(NotFound):
            service.get_alert(session, other, alert.id)
        with pytest.raises(NotFound):
            service.acknowledge(session, other, alert.id, fake_clock)
        own = _client(session, "acme")
        with pytest.raises(PermissionDenied):
            service.acknowledge(session, own, alert.id, fake_clock)
        assert (
            service.comment(session, own, alert.id, "planned pentest", fake_clock).actor == "user:c"
        )
        with pytest.raises(PermissionDenied):
            service.raise_alert(session, own, alert.tenant_id, detection(), fake_clock)
