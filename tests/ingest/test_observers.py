"""The worker's batch observers: the assets named by events join the monitored perimeter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.assets import service as assets
from vigile.assets.types import AssetKind, Counting, Observation
from vigile.db import make_engine, make_sessionmaker
from vigile.detection.engine import ruleset_from_yaml
from vigile.ingest.detect import Matched, Unparsable, analyse
from vigile.ingest.intake import Incoming, parse_batch
from vigile.ingest.models import QuarantinedRecord
from vigile.ingest.observers import BatchObserver, quarantine_unparsable
from vigile.pagination import PageRequest
from vigile.scope import local_operator
from vigile.sources.models import Source
from vigile.sources.tracker import Seen
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
OP = local_operator("test")


def spooled(computer: str, event_time: datetime) -> bytes:
    """A logon event as the spool holds it (received at ``NOW``)."""
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
    intake = parse_batch([Incoming(raw)], receiver="native", received_at=NOW)
    assert not intake.rejected
    return intake.accepted[0].encode()


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
        (alpha, spooled("ws01.corp.local", NOW - timedelta(minutes=5))),
        (beta, spooled("srv-beta", NOW - timedelta(minutes=1))),
        # An old event imported today: its tenant's assets count as seen at the batch's
        # latest event time (never later than its reception).
        (beta, spooled("old-host", NOW - timedelta(days=400))),
    ]
    matched = analyse(ruleset_from_yaml([]), batch)  # as a detection process counts them
    observe = BatchObserver(sessions, lambda: NOW)
    observe(matched, 3)
    observe(matched, 3)  # a replayed batch
    engine.dispose()
    session.expire_all()
    assert "ws01.corp.local" in names(session, "alpha")
    assert "srv-beta" not in names(session, "alpha")
    assert {"srv-beta", "ws01.corp.local"} & names(session, "beta") == {"srv-beta"}
    assert "ws01.corp.local" in names(session, "alpha", monitored=True)


def _unparsable(tenant_id: int, raws: list[bytes], at: datetime) -> list[Unparsable]:
    """What the detection processes report for admitted records they fail to normalise
    (say, a parser fault)."""
    intake = parse_batch(
        [Incoming(raw) for raw in raws], receiver="bulk", received_at=at, default_source_type="evtx"
    )
    assert not intake.rejected
    return [
        Unparsable(tenant_id, position, "parser failure: RuntimeError: test", spooled)
        for position, spooled in enumerate(intake.accepted)
    ]


def test_quarantining_a_replayed_batch_adds_nothing(db_url: str, session: Session) -> None:
    alpha = tenants.create_tenant(session, OP, TenantCreate(slug="alpha", name="A")).id
    beta = tenants.create_tenant(session, OP, TenantCreate(slug="beta", name="B")).id
    session.commit()
    deep = b'{"Event":{"System":{"Channel":"Security","EventID":1},"UserData":{"a":1}}}'
    other = deep.replace(b'"EventID":1', b'"EventID":2')
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    batch = _unparsable(alpha, [deep, deep, other], NOW)  # the same record twice in a request
    quarantine_unparsable(sessions, batch)
    quarantine_unparsable(sessions, batch)  # replayed after a crash, before the offset commit
    quarantine_unparsable(sessions, _unparsable(alpha, [deep], NOW + timedelta(seconds=1)))
    quarantine_unparsable(sessions, _unparsable(beta, [deep], NOW))
    with sessions() as check:
        rows = check.execute(
            select(QuarantinedRecord.tenant_id, QuarantinedRecord.received_at)
        ).all()
    engine.dispose()
    # Two records of alpha's request, the same one received again later, and beta's.
    assert sorted((tenant, at.astimezone(UTC)) for tenant, at in rows) == sorted(
        [(alpha, NOW), (alpha, NOW), (alpha, NOW + timedelta(seconds=1)), (beta, NOW)]
    )


def _batch(tenant_of_sources: int, tenant_of_assets: int) -> Matched:
    """A batch's analysis whose sources and assets name the given tenants."""
    matched = Matched()
    matched.sources = {(tenant_of_sources, "native", "json", "ws01"): Seen(3, NOW, NOW)}
    matched.seen_at = {tenant_of_assets: NOW}
    matched.assets = {tenant_of_assets: {Observation(AssetKind.HOST, "ws01")}}
    matched.rows.add(tenant_of_assets, "e" * 64, 0, 0, "json", "native", {}, b"{}")
    return matched


@pytest.mark.parametrize("failing", ["sources", "assets"])
def test_one_observation_failing_keeps_the_other(
    db_url: str, session: Session, failing: str
) -> None:
    """Sources and assets share the observer's transaction, each in a savepoint: one that
    fails (here a tenant deleted meanwhile: no such tenant) is logged, the other kept."""
    alpha = tenants.create_tenant(session, OP, TenantCreate(slug="alpha", name="A")).id
    session.commit()
    gone = alpha + 1000
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    observe = BatchObserver(sessions, lambda: NOW, "s" * 32)
    if failing == "sources":
        observe(_batch(gone, alpha), 10)
    else:
        observe(_batch(alpha, gone), 10)
    engine.dispose()
    session.expire_all()
    sources = session.scalars(select(Source)).all()
    assert [(s.tenant_id, s.event_count) for s in sources] == (
        [] if failing == "sources" else [(alpha, 3)]
    )
    assert names(session, "alpha") == (set() if failing == "assets" else {"ws01"})
