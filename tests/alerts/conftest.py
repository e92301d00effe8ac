"""Alerts fixtures: a database with two tenants under service levels, and a way to raise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import FakeClock
from vigile.alerts import service
from vigile.alerts.policy import AlertPolicy
from vigile.alerts.schemas import AlertInput
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

OP = local_operator("test")
# Thursday 26 November 2026, 10:00 in Paris (09:00 UTC): an ordinary business morning.
MORNING = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
EVENT = {"Computer": "WS01.corp.local", "TargetUserName": "bob", "IpAddress": "10.1.2.3"}


@pytest.fixture
def db(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Session factory on the test database, with tenants acme (live, 24/7) and umbrella
    (live, business hours only) and late (no go-live date)."""
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        for slug, extra in (
            ("acme", {"twenty_four_seven": True, "go_live": date(2026, 1, 5)}),
            ("umbrella", {"go_live": date(2026, 1, 5)}),
            ("late", {}),
        ):
            tenants.create_tenant(session, OP, TenantCreate(slug=slug, name=slug.title(), **extra))
    yield factory
    engine.dispose()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(MORNING)


def detection(
    rule_id: str = "rule-1",
    level: str = "high",
    event: dict[str, Any] | None = None,
    raised_at: datetime | None = None,
    **extra: Any,
) -> AlertInput:
    return AlertInput(
        rule_id=rule_id,
        rule_title=f"Rule {rule_id}",
        rule_level=level,
        events=[event or EVENT],
        raised_at=raised_at,
        **extra,
    )


def tenant_id(session: Session, slug: str) -> int:
    return tenants.get_tenant(session, OP, slug).id


Raise = Callable[..., service.RaiseOutcome]


@pytest.fixture
def raise_(db: sessionmaker[Session], fake_clock: FakeClock) -> Raise:
    """Raise a detection for a tenant in its own transaction; returns the outcome."""

    def run(slug: str = "umbrella", policy: AlertPolicy | None = None, **kwargs: Any) -> Any:
        with transaction(db) as session:
            outcome = service.raise_alert(
                session, OP, tenant_id(session, slug), detection(**kwargs), fake_clock, policy
            )
            return outcome

    return run
