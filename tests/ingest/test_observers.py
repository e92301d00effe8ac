"""The worker's batch observers: the assets named by events join the monitored perimeter."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import orjson
from sqlalchemy.orm import Session

from vigile.assets import service as assets
from vigile.assets.types import Counting
from vigile.db import make_engine, make_sessionmaker
from vigile.ingest.envelope import Envelope
from vigile.ingest.observers import record_assets
from vigile.ingest.parsers.model import ParseOptions
from vigile.ingest.parsers.registry import parse
from vigile.pagination import PageRequest
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
OP = local_operator("test")


def envelope(computer: str, event_time: datetime) -> Envelope:
    raw = orjson.dumps(
        {
            "EventID": 4624,
            "Channel": "Security",
            "Computer": computer,
            "TargetUserName": "bob",
            "IpAddress": "10.0.0.7",
            "TimeCreated": event_time.isoformat(),
        }
    )
    event = parse(raw, "json", ParseOptions(received_at=NOW))
    event = dataclasses.replace(event, timestamp=event_time)
    return Envelope(id=computer, receiver="native", received_at=NOW, event=event)


def names(session: Session, slug: str, monitored: bool | None = None) -> set[str]:
    rows, _ = assets.list_assets(
        session,
        OP,
        slug,
        PageRequest(limit=100),
        date(2026, 11, 26),
        Counting(),
        monitored=monitored,
    )
    return {row.name for row in rows}


def test_batch_assets_are_recorded_per_tenant_and_replays_change_nothing(
    db_url: str, session: Session
) -> None:
    alpha = tenants.create_tenant(session, OP, TenantCreate(slug="alpha", name="A")).id
    beta = tenants.create_tenant(session, OP, TenantCreate(slug="beta", name="B")).id
    session.commit()
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    batch = [
        (alpha, envelope("ws01.corp.local", NOW - timedelta(minutes=5))),
        (beta, envelope("srv-beta", NOW - timedelta(minutes=1))),
        # An old event imported today: seen long ago, so not monitored now.
        (beta, envelope("old-host", NOW - timedelta(days=400))),
    ]
    record_assets(sessions, batch)
    record_assets(sessions, batch)  # a replayed batch
    engine.dispose()
    session.expire_all()
    assert "ws01.corp.local" in names(session, "alpha")
    assert "srv-beta" not in names(session, "alpha")
    assert {"srv-beta", "ws01.corp.local"} & names(session, "beta") == {"srv-beta"}
    assert "ws01.corp.local" in names(session, "alpha", monitored=True)
