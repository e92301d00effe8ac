"""Committees on SQLite and PostgreSQL: KPIs on a hand-computed dataset, carry-over of the
action plan, report life (draft → sent → validated), overdue drafts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.committees.conftest import OP, POLICY, committee, paris, seed_alerts
from tests.conftest import FakeClock
from vigile.alerts import service as alerts
from vigile.alerts.types import Verdict
from vigile.committees import actions, report, service, terms, workflow
from vigile.committees.schemas import ActionIn, ActionUpdate, CommitteeSettingsIn
from vigile.committees.types import ActionStatus, Indicator, Recurrence, ReportStatus
from vigile.db import transaction
from vigile.errors import Conflict, InvalidInput, NotFound
from vigile.incidents import service as incidents
from vigile.incidents.schemas import IncidentCreate
from vigile.incidents.types import Category, IncidentStatus, Outcome
from vigile.pagination import PageRequest
from vigile.scope import CallerScope, Role
from vigile.tenants import contract_service
from vigile.tenants.contract_schemas import CommitteeRecurrence, ContractUpdate

ALL = list(Indicator)


def test_indicators_of_the_period_computed_by_hand(
    db: sessionmaker[Session], clock: FakeClock
) -> None:
    seeded = seed_alerts(db, clock)
    with transaction(db) as session:
        # Incidents from the 23 and 24 November alerts, closed as true and false positives on
        # 24 November, and one still open.
        for alert, outcome, category in (
            ("a1", Outcome.TRUE_POSITIVE_IMPACT, Category.ACCOUNT_COMPROMISE),
            ("a2", Outcome.FALSE_POSITIVE, Category.ACCOUNT_COMPROMISE),
            ("a3", None, Category.INTRUSION),
        ):
            clock.now = paris(date(2026, 11, 24), 15)
            made = incidents.create_incident(
                session,
                OP,
                IncidentCreate(from_alert=seeded.alert_ids[alert], category=category),
                clock,
            )
            if outcome is not None:
                incidents.set_status(session, OP, made, IncidentStatus.CLOSED, clock(), outcome)
    clock.now = paris(date(2026, 12, 18), 9)
    with transaction(db) as session:
        terms.set_settings(
            session,
            OP,
            "acme",
            CommitteeSettingsIn(recurrence=Recurrence.MONTHLY, indicators=ALL),
            clock,
        )
        service.record(session, OP, committee(date(2026, 11, 18)), POLICY, clock)
        held = service.record(session, OP, committee(date(2026, 12, 18)), POLICY, clock)
        data = report.build(session, OP, held, clock)
    assert (data.period_from, data.period_to) == (date(2026, 11, 18), date(2026, 12, 17))
    assert data.previous_held_on == date(2026, 11, 18)
    by_key = {i.key: i for i in data.indicators}
    assert [i.key for i in data.indicators] == ALL
    # Alerts per level (4, 3, 2, 1): the 10 November alert is before the period.
    assert by_key[Indicator.ALERTS_PER_LEVEL].rows == [[4, 2, 0], [3, 2, 0], [2, 0, 0], [1, 1, 0]]
    # Level 4: one on time (30 min), one late (2 h); level 3: both on time; level 1: the low
    # alert of 3 December was never acknowledged and is past its deadline.
    assert by_key[Indicator.SLA_COMPLIANCE].rows == [
        [4, 2, 1, 1, 0, 0.5],
        [3, 2, 2, 0, 0, 1.0],
        [2, 0, 0, 0, 0, None],
        [1, 1, 0, 1, 0, 0.0],
    ]
    # Level 3: Wed 17:00 → Thu 09:30 is 90 business minutes (16 h 30 wall-clock), 14:00 → 14:10
    # is 10. Median of two values is their mean; p90 by nearest rank is the larger.
    assert by_key[Indicator.ACK_TIMES].rows == [
        [4, 2, 75.0, 120.0, 75.0, 120.0],
        [3, 2, 50.0, 90.0, 500.0, 990.0],
        [2, 0, None, None, None, None],
        [1, 0, None, None, None, None],
    ]
    # Verdicts: 1 TP, 1 benign, 2 FP (the open low alert has none): 1 / 4.
    assert by_key[Indicator.TRUE_POSITIVE_RATE].rows == [[4, 1, 1, 2, 0.25]]
    volume = by_key[Indicator.TOP_RULES_VOLUME].rows
    assert [(r[0], r[1]) for r in volume] == [
        ("Mimikatz", 2),
        ("Port scan", 2),
        ("Suspicious PowerShell", 1),
    ]
    noisy = by_key[Indicator.TOP_RULES_FALSE_POSITIVES].rows
    assert [(r[0], r[3], r[4]) for r in noisy] == [("Mimikatz", 1, 0.5), ("Port scan", 1, 1.0)]
    # Incidents closed in the period: two account compromises, one a true positive.
    assert by_key[Indicator.INCIDENTS_BY_CATEGORY].rows == [["category_account_compromise", 2, 1]]
    # No source has sent anything; no asset, no subscription in the contract.
    assert by_key[Indicator.SOURCE_HEALTH].rows == []
    assert by_key[Indicator.ASSETS_VS_SUBSCRIBED].rows == [[0, None, None, 0]]
    # The true positives of the period: the incident, which holds the 23 November alert.
    assert data.incidents_source == "incidents"
    assert [(i.ref[:2], i.outcome) for i in data.incidents] == [("I-", "true_positive_impact")]


def test_first_committee_period_starts_at_go_live(
    db: sessionmaker[Session], clock: FakeClock
) -> None:
    with transaction(db) as session:
        first = service.record(session, OP, committee(date(2026, 2, 10)), POLICY, clock)
        assert service.period(session, OP, first) == (date(2026, 1, 5), date(2026, 2, 9))
        other = service.record(
            session, OP, committee(date(2026, 2, 10), tenant="other"), POLICY, clock
        )
        # No go-live and no recurrence: one month.
        assert service.period(session, OP, other) == (date(2026, 1, 10), date(2026, 2, 9))
        assert first.due_on == date(2026, 2, 24)


def test_open_action_items_are_carried_over_until_done(
    db: sessionmaker[Session], clock: FakeClock
) -> None:
    items = [ActionIn(title="Deploy EDR", owner="ACME"), ActionIn(title="Tune r-scan", owner="SOC")]
    with transaction(db) as session:
        first = service.record(
            session, OP, committee(date(2026, 11, 18), actions=items), POLICY, clock
        )
        edr, tune = actions.decided_actions(session, first)
        done = ActionUpdate(status=ActionStatus.DONE, closed_on=date(2026, 12, 1))
        actions.update_action(session, OP, tune.id, done, POLICY, clock)
        new = [ActionIn(title="Add firewall logs", owner="ACME", due_on=date(2027, 1, 31))]
        second = service.record(
            session, OP, committee(date(2026, 12, 18), actions=new), POLICY, clock
        )
        edr_done = ActionUpdate(status=ActionStatus.DONE, closed_on=date(2027, 1, 10))
        actions.update_action(session, OP, edr.id, edr_done, POLICY, clock)
        third = service.record(session, OP, committee(date(2027, 1, 18)), POLICY, clock)

        def plan(held: object) -> list[tuple[str, str, bool]]:
            data = report.build(session, OP, held, clock)  # type: ignore[arg-type]
            return [(a.title, a.status.value, a.carried_over) for a in data.actions]

        # The first committee, rendered again: both items open then (closed later).
        assert plan(first) == [("Deploy EDR", "open", False), ("Tune r-scan", "open", False)]
        # Second: the open item carried over, the one done since shown once, the new one.
        assert plan(second) == [
            ("Deploy EDR", "open", True),
            ("Tune r-scan", "done", True),
            ("Add firewall logs", "open", False),
        ]
        # Third: EDR done since the second; the firewall item still carried; tuning gone.
        assert plan(third) == [("Deploy EDR", "done", True), ("Add firewall logs", "open", True)]
        rows, total = actions.list_actions(
            session, OP, PageRequest(), tenant="acme", open_only=True
        )
        assert total == 1 and rows[0][0].title == "Add firewall logs"
        with pytest.raises(InvalidInput):
            actions.update_action(
                session,
                OP,
                edr.id,
                ActionUpdate(status=ActionStatus.OPEN, closed_on=date(2027, 1, 1)),
                POLICY,
                clock,
            )
        reopened = actions.update_action(
            session, OP, edr.id, ActionUpdate(status=ActionStatus.OPEN), POLICY, clock
        )
        assert reopened.closed_on is None


def test_report_life_draft_sent_validated(db: sessionmaker[Session], clock: FakeClock) -> None:
    seeded = seed_alerts(db, clock)
    client = CallerScope("client:acme", Role.CLIENT, frozenset({1}))
    with transaction(db) as session:
        client = CallerScope(
            "client:acme",
            Role.CLIENT,
            frozenset({service.tenants.get_tenant(session, OP, "acme").id}),
        )
        clock.now = paris(date(2026, 12, 18), 16)
        held = service.record(session, OP, committee(date(2026, 12, 18)), POLICY, clock)
        assert (held.status, held.due_on) == ("draft", date(2027, 1, 5))
        # Clients do not see drafts.
        with pytest.raises(NotFound):
            service.get(session, client, held.id)
        assert service.list_committees(session, client, PageRequest(), date(2026, 12, 18))[1] == 0
        with pytest.raises(Conflict):
            workflow.validate(session, OP, held.id, None, clock)
        # Overdue once the due date has passed, as a draft.
        late_day = date(2027, 1, 6)
        rows, _ = service.list_committees(session, OP, PageRequest(), late_day, overdue=True)
        assert [c.id for c in rows] == [held.id]
        assert (
            service.list_committees(session, OP, PageRequest(), date(2027, 1, 5), overdue=True)[1]
            == 0
        )
        clock.now = paris(date(2027, 1, 4), 10)
        workflow.send(session, OP, held.id, POLICY, clock)
        assert held.status == ReportStatus.SENT and held.sent_by == OP.principal
        assert service.list_committees(session, OP, PageRequest(), late_day, overdue=True)[1] == 0
        with pytest.raises(Conflict):
            service.update(
                session, OP, held.id, service.CommitteeUpdate(notes="late edit"), POLICY, clock
            )
    # The sent report is frozen: reopening an alert afterwards does not change it.
    with transaction(db) as session:
        before = report.data(session, client, service.get(session, client, held.id), clock)
        alerts.reopen(session, OP, seeded.alert_ids["a1"], "re-examined", clock)
        alerts.close(session, OP, seeded.alert_ids["a1"], Verdict.FALSE_POSITIVE, "fp", clock)
        after = report.data(session, client, service.get(session, client, held.id), clock)
        # First committee: the period runs from go-live, both true positives are in it.
        assert after == before and len(after.incidents) == 2
        clock.now = paris(date(2027, 1, 5), 11)
        done = workflow.validate(session, client, held.id, "OK pour nous", clock)
        assert (done.status, done.validated_by) == ("validated", "client:acme")
        with pytest.raises(Conflict):
            workflow.validate(session, client, held.id, None, clock)


def test_recording_rules(db: sessionmaker[Session], clock: FakeClock) -> None:
    with transaction(db) as session:
        service.record(session, OP, committee(date(2026, 12, 18)), POLICY, clock)
        with pytest.raises(Conflict):
            service.record(session, OP, committee(date(2026, 12, 18)), POLICY, clock)
        bad = committee(date(2026, 12, 20))
        bad.period_from = date(2026, 12, 20)
        with pytest.raises(InvalidInput):
            service.record(session, OP, bad, POLICY, clock)
        empty = committee(date(2027, 1, 20))
        empty.participants = []
        held = service.record(session, OP, empty, POLICY, clock)
        with pytest.raises(InvalidInput, match="participant"):
            workflow.send(session, OP, held.id, POLICY, clock)


def test_schedule_from_settings(db: sessionmaker[Session], clock: FakeClock) -> None:
    with transaction(db) as session:
        out = terms.schedule(session, OP, "acme", date(2026, 12, 1))
        assert out.recurrence is None and out.next_dates == []
        terms.set_settings(
            session,
            OP,
            "acme",
            CommitteeSettingsIn(recurrence=Recurrence.QUARTERLY, first_on=date(2026, 3, 18)),
            clock,
        )
        out = terms.schedule(session, OP, "acme", date(2026, 12, 1), count=2)
        assert out.next_dates == [date(2026, 3, 18), date(2026, 6, 18)] and out.late
        service.record(session, OP, committee(date(2026, 9, 18)), POLICY, clock)
        out = terms.schedule(session, OP, "acme", date(2026, 12, 1), count=2)
        assert out.last_held_on == date(2026, 9, 18)
        assert out.next_dates == [date(2026, 12, 18), date(2027, 3, 18)] and not out.late
        # The offer's recurrence in the contract wins over the committee setting.
        changes = ContractUpdate(committee_recurrence=CommitteeRecurrence.MONTHLY)
        contract_service.update_contract(session, OP, "acme", changes, date(2026, 12, 1))
        out = terms.schedule(session, OP, "acme", date(2026, 12, 1), count=2)
        assert (out.recurrence, out.recurrence_source) == (Recurrence.MONTHLY, "contract")
        assert out.next_dates == [date(2026, 10, 18), date(2026, 11, 18)] and out.late
        changes = ContractUpdate(committee_recurrence=CommitteeRecurrence.NONE)
        contract_service.update_contract(session, OP, "acme", changes, date(2026, 12, 1))
        out = terms.schedule(session, OP, "acme", date(2026, 12, 1))
        assert (out.recurrence, out.next_dates) == (None, [])
