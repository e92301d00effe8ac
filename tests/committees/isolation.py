"""One sent committee (with one action item) per tenant of the isolation world."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from tests.committees.conftest import committee
from vigile.committees import actions, service, workflow
from vigile.committees.policy import CommitteePolicy
from vigile.committees.schemas import ActionIn
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.scope import local_operator


def seed_committees(
    settings: Settings, clock: Callable[[], datetime]
) -> tuple[dict[str, int], dict[str, int]]:
    """Committee ids and action item ids by tenant slug (``alpha``, ``beta``)."""
    committee_ids: dict[str, int] = {}
    action_ids: dict[str, int] = {}
    policy = CommitteePolicy.from_settings(settings)
    op = local_operator("test")
    engine = make_engine(settings.effective_database_url)
    with transaction(make_sessionmaker(engine)) as session:
        for slug in ("alpha", "beta"):
            item = ActionIn(title=f"{slug} action", owner=slug)
            data = committee(date(2026, 11, 20), actions=[item], tenant=slug)
            held = service.record(session, op, data, policy, clock)
            workflow.send(session, op, held.id, policy, clock)
            committee_ids[slug] = held.id
            action_ids[slug] = actions.decided_actions(session, held)[0].id
    engine.dispose()
    return committee_ids, action_ids
