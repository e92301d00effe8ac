"""Committees fixtures: tenant acme (business hours, Paris, FR holidays, live since 5 January
2026) with a small dataset of alerts whose indicators are computed by hand in the tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import FakeClock
from vigile.alerts import service as alerts
from vigile.alerts.schemas import AlertInput
from vigile.alerts.types import Verdict
from vigile.committees.policy import CommitteePolicy
from vigile.committees.schemas import ActionIn, CommitteeCreate, ParticipantIn
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

OP = local_operator("test")
POLICY = CommitteePolicy()


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    """A Paris wall time in November/December (UTC+1), as UTC."""
    return datetime(day.year, day.month, day.day, hour - 1, minute, tzinfo=UTC)


@dataclass
class Seeded:
    alert_ids: dict[str, int]


@pytest.fixture
def db(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        tenants.create_tenant(
            session, OP, TenantCreate(slug="acme", name="ACME Industries", go_live=date(2026, 1, 5))
        )
        tenants.create_tenant(session, OP, TenantCreate(slug="other", name="Other"))
    yield factory
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(paris(date(2026, 11, 2), 9))


# (name, rule, title, sigma level, host, raised (Paris), acknowledged (Paris) or None, verdict)
DATASET = [
    (
        "old",
        "r-mimi",
        "Mimikatz",
        "critical",
        "h0",
        paris(date(2026, 11, 10), 10),
        None,
        Verdict.TRUE_POSITIVE,
    ),
    (
        "a1",
        "r-mimi",
        "Mimikatz",
        "critical",
        "h1",
        paris(date(2026, 11, 23), 10),
        paris(date(2026, 11, 23), 10, 30),
        Verdict.TRUE_POSITIVE,
    ),
    (
        "a2",
        "r-mimi",
        "Mimikatz",
        "critical",
        "h2",
        paris(date(2026, 11, 24), 10),
        paris(date(2026, 11, 24), 12),
        Verdict.FALSE_POSITIVE,
    ),
    (
        "a3",
        "r-scan",
        "Port scan",
        "high",
        "h3",
        paris(date(2026, 11, 25), 17),
        paris(date(2026, 11, 26), 9, 30),
        Verdict.FALSE_POSITIVE,
    ),
    (
        "a5",
        "r-ps",
        "Suspicious PowerShell",
        "high",
        "h5",
        paris(date(2026, 12, 1), 14),
        paris(date(2026, 12, 1), 14, 10),
        Verdict.BENIGN_POSITIVE,
    ),
    ("a4", "r-scan", "Port scan", "low", "h4", paris(date(2026, 12, 3), 10), None, None),
]


def seed_alerts(factory: sessionmaker[Session], clock: FakeClock) -> Seeded:
    """Raise, acknowledge and close the dataset's alerts at their own times."""
    ids: dict[str, int] = {}
    for name, rule, title, level, host, raised, acked, verdict in DATASET:
        with transaction(factory) as session:
            clock.now = raised
            tenant_id = tenants.get_tenant(session, OP, "acme").id
            detection = AlertInput(
                rule_id=rule, rule_title=title, rule_level=level, events=[{"Computer": host}]
            )
            alert = alerts.raise_alert(session, OP, tenant_id, detection, clock).alert
            assert alert is not None
            ids[name] = alert.id
            if acked is not None:
                clock.now = acked
                alerts.acknowledge(session, OP, alert.id, clock)
            if verdict is not None:
                clock.now = (acked or raised).replace(minute=59)
                alerts.close(session, OP, alert.id, verdict, f"verdict {name}", clock)
    return Seeded(ids)


def committee(
    held_on: date, *, actions: list[ActionIn] | None = None, tenant: str = "acme"
) -> CommitteeCreate:
    return CommitteeCreate(
        tenant=tenant,
        held_on=held_on,
        participants=[
            ParticipantIn(name="Alice Martin", organisation="ACME Industries", role="RSSI"),
            ParticipantIn(name="Bruno Petit", organisation="Vigile SOC", role="Analyste N2"),
        ],
        decisions=["Désactiver la règle r-scan sur le scanner de vulnérabilités"],
        actions=actions or [],
    )
