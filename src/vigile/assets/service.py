"""The monitored perimeter: declared and discovered assets, the monitored count, the KPI.

An asset counts as monitored on a day when it is of a counted kind and either declared
monitored, or seen in events within the window ending that day (default 30 days). For a past
day only the first and last sightings are known: an asset counts if first seen by that day and
last seen no earlier than the window's start (exact for the current day).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vigile.assets.csv_import import DeclaredAsset
from vigile.assets.discovery import normalise_name, observations_from_events
from vigile.assets.models import Asset, AssetCheck
from vigile.assets.schemas import AssetIn, AssetOut, AssetSummary
from vigile.assets.types import AssetKind, Counting, Observation
from vigile.audit import service as audit
from vigile.db import rows_writer
from vigile.errors import InvalidInput, NotFound
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import contract_service as contract
from vigile.tenants import service as tenants


def day_end(on: date) -> datetime:
    """The first instant after ``on`` (UTC)."""
    return datetime.combine(on + timedelta(days=1), time(), tzinfo=UTC)


def _monitored_clause(on: date, counting: Counting) -> Any:
    end = day_end(on)
    seen = and_(
        Asset.first_seen < end, Asset.last_seen >= end - timedelta(days=counting.window_days)
    )
    declared = and_(Asset.declared_monitored.is_(True), Asset.declared_at < end)
    return or_(seen, declared)


def is_monitored(asset: Asset, on: date, counting: Counting) -> bool:
    """Whether ``asset`` counts as monitored on ``on`` (kind aside)."""
    end = day_end(on)
    if asset.declared_monitored and asset.declared_at is not None and asset.declared_at < end:
        return True
    return (
        asset.first_seen is not None
        and asset.last_seen is not None
        and asset.first_seen < end
        and asset.last_seen >= end - timedelta(days=counting.window_days)
    )


def record_seen(
    session: Session, tenant_id: int, observations: Iterable[Observation], at: datetime
) -> int:
    """Mark assets seen at ``at`` (the pipeline calls this per batch, per tenant).

    New assets are created with first and last seen at ``at``; known ones keep the earliest
    first sighting and the latest last one (replays and out-of-order batches change nothing
    wrongly). One upsert statement, safe against concurrent writers. Not audited: sightings
    are facts from events, not changes made by someone. Returns the number of observations.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    distinct = {(o.kind.value, o.name) for o in observations}
    if not distinct:
        return 0
    now = datetime.now(UTC)
    # The driver's executemany where it can (the pipeline upserts a few hundred assets a
    # batch; SQLAlchemy's per-row parameter handling was most of their cost), else one Core
    # statement compiled once and cached (a multi-row VALUES statement was compiled anew for
    # every batch: ~8 % of the server's time under load).
    session.flush()  # what the session holds, as Session.execute would
    rows = [(tenant_id, k, n, "", False, False, at, at, now, now) for k, n in sorted(distinct)]
    try:
        write = rows_writer(session, _upsert_seen_sql, _SEEN_TYPES)
    except ValueError:
        dicts = [dict(zip(_SEEN_COLUMNS, row, strict=True)) for row in rows]
        session.execute(_upsert_seen(session.get_bind().dialect.name), dicts)
    else:
        write(rows)
    return len(rows)


_SEEN_COLUMNS = (
    "tenant_id",
    "kind",
    "name",
    "description",
    "declared",
    "declared_monitored",
    "first_seen",
    "last_seen",
    "created_at",
    "updated_at",
)
_SEEN_TYPES = [Asset.__table__.c[name].type for name in _SEEN_COLUMNS]


def _upsert_seen_sql(q: Callable[[str], str], mark: str) -> str:
    """:func:`_upsert_seen` as driver SQL (``q`` quotes a name, ``mark`` is a placeholder)."""
    table = q(Asset.__tablename__)
    first, last = q("first_seen"), q("last_seen")
    return (
        f"INSERT INTO {table} ({', '.join(map(q, _SEEN_COLUMNS))}) "
        f"VALUES ({', '.join([mark] * len(_SEEN_COLUMNS))}) "
        f"ON CONFLICT ({q('tenant_id')}, {q('kind')}, {q('name')}) DO UPDATE SET "
        f"{first} = CASE WHEN ({table}.{first} IS NULL OR {table}.{first} > excluded.{first}) "
        f"THEN excluded.{first} ELSE {table}.{first} END, "
        f"{last} = CASE WHEN ({table}.{last} IS NULL OR {table}.{last} < excluded.{last}) "
        f"THEN excluded.{last} ELSE {table}.{last} END"
    )


@functools.lru_cache(maxsize=4)
def _upsert_seen(dialect: str) -> Any:
    """The upsert of one sighting for ``dialect`` (earliest first, latest last seen)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Asset)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", "kind", "name"],
        set_={
            "first_seen": case(
                (
                    or_(Asset.first_seen.is_(None), Asset.first_seen > new.first_seen),
                    new.first_seen,
                ),
                else_=Asset.first_seen,
            ),
            "last_seen": case(
                (
                    or_(Asset.last_seen.is_(None), Asset.last_seen < new.last_seen),
                    new.last_seen,
                ),
                else_=Asset.last_seen,
            ),
        },
    )


def record_events_seen(
    session: Session, tenant_id: int, events: Iterable[Mapping[str, Any]], at: datetime
) -> int:
    """:func:`record_seen` for the assets named by ``events`` (their field dicts)."""
    return record_seen(session, tenant_id, observations_from_events(events), at)


def _out(asset: Asset, slug: str, on: date, counting: Counting) -> AssetOut:
    return AssetOut(
        id=asset.id,
        tenant=slug,
        kind=AssetKind(asset.kind),
        name=asset.name,
        description=asset.description,
        declared=asset.declared,
        declared_monitored=asset.declared_monitored,
        first_seen=asset.first_seen,
        last_seen=asset.last_seen,
        monitored=AssetKind(asset.kind) in counting.kinds and is_monitored(asset, on, counting),
    )


def declare_assets(
    session: Session,
    scope: CallerScope,
    slug: str,
    items: Iterable[DeclaredAsset],
    now: datetime,
) -> tuple[int, int]:
    """Declare assets (the client of the tenant or provider staff); an asset already in the
    inventory (same kind and name) is updated. Returns (created, updated)."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    created = updated = 0
    names: list[str] = []
    for item in {(i.kind, i.name): i for i in items}.values():
        asset = session.scalar(
            select(Asset).where(
                Asset.tenant_id == tenant.id, Asset.kind == item.kind.value, Asset.name == item.name
            )
        )
        if asset is None:
            asset = Asset(tenant_id=tenant.id, kind=item.kind.value, name=item.name)
            session.add(asset)
            created += 1
        else:
            updated += 1
        asset.declared, asset.declared_monitored = True, item.monitored
        asset.description = item.description or asset.description or ""
        asset.declared_by, asset.declared_at = scope.principal, now
        names.append(f"{item.kind.value}:{item.name}")
    session.flush()
    audit.record(
        session,
        scope,
        "assets.declare",
        "tenant",
        slug,
        tenant_id=tenant.id,
        details={"created": created, "updated": updated, "assets": names[:1000]},
    )
    return created, updated


def declare_asset(
    session: Session, scope: CallerScope, slug: str, data: AssetIn, now: datetime
) -> Asset:
    """Declare one asset (see :func:`declare_assets`)."""
    try:
        name = normalise_name(data.kind, data.name)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    item = DeclaredAsset(data.kind, name, data.description, data.monitored)
    declare_assets(session, scope, slug, [item], now)
    tenant = tenants.get_tenant(session, scope, slug)
    query = select(Asset).where(
        Asset.tenant_id == tenant.id, Asset.kind == data.kind.value, Asset.name == name
    )
    asset = session.scalar(query)
    assert asset is not None
    return asset


def list_assets(
    session: Session,
    scope: CallerScope,
    slug: str,
    page: PageRequest,
    on: date,
    counting: Counting,
    *,
    kind: AssetKind | None = None,
    monitored: bool | None = None,
) -> tuple[list[AssetOut], int]:
    """A tenant's inventory by kind and name; ``monitored`` filters on the count of ``on``."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    query = select(Asset).where(Asset.tenant_id == tenant.id)
    if kind is not None:
        query = query.where(Asset.kind == kind.value)
    if monitored is not None:
        counted = and_(
            Asset.kind.in_([k.value for k in counting.kinds]), _monitored_clause(on, counting)
        )
        query = query.where(counted if monitored else ~counted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(Asset.kind, Asset.name).limit(page.limit).offset(page.offset)
    return [_out(a, tenant.slug, on, counting) for a in session.scalars(query)], total


def get_asset(
    session: Session, scope: CallerScope, slug: str, asset_id: int, on: date, counting: Counting
) -> AssetOut:
    """One asset of a tenant."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    asset = session.get(Asset, asset_id)
    if asset is None or asset.tenant_id != tenant.id:
        raise NotFound("asset not found")
    return _out(asset, tenant.slug, on, counting)


def monitored_by_kind(
    session: Session, scope: CallerScope, tenant_id: int, on: date, counting: Counting
) -> dict[str, int]:
    """Monitored assets on ``on`` by kind (every kind, counted or not)."""
    tenant = tenants.get_tenant_by_id(session, scope, tenant_id)
    query = (
        select(Asset.kind, func.count())
        .where(Asset.tenant_id == tenant.id, _monitored_clause(on, counting))
        .group_by(Asset.kind)
    )
    return {kind: count for kind, count in session.execute(query)}


def monitored_count(
    session: Session, scope: CallerScope, tenant_id: int, on: date, counting: Counting
) -> int:
    """The monitored count compared with the subscription on ``on`` (counted kinds only)."""
    by_kind = monitored_by_kind(session, scope, tenant_id, on, counting)
    return sum(n for kind, n in by_kind.items() if AssetKind(kind) in counting.kinds)


def asset_summary(
    session: Session, scope: CallerScope, tenant_id: int, on: date, counting: Counting
) -> AssetSummary:
    """Asset count vs subscribed on ``on``: the committee indicator (any caller of the tenant)."""
    scope.require_api()
    tenant = tenants.get_tenant_by_id(session, scope, tenant_id)
    by_kind = monitored_by_kind(session, scope, tenant.id, on, counting)
    monitored = sum(n for kind, n in by_kind.items() if AssetKind(kind) in counting.kinds)
    subscribed = contract.terms(session, scope, tenant.id).subscribed_assets
    inventory = session.scalar(
        select(func.count()).select_from(Asset).where(Asset.tenant_id == tenant.id)
    )
    last = session.scalar(
        select(AssetCheck)
        .where(AssetCheck.tenant_id == tenant.id, AssetCheck.checked_on <= on)
        .order_by(AssetCheck.checked_on.desc(), AssetCheck.id.desc())
        .limit(1)
    )
    return AssetSummary(
        tenant=tenant.slug,
        on=on,
        window_days=counting.window_days,
        counted_kinds=sorted(counting.kinds),
        monitored=monitored,
        subscribed=subscribed,
        above_subscription=None if subscribed is None else max(0, monitored - subscribed),
        by_kind={k.value: by_kind.get(k.value, 0) for k in AssetKind},
        inventory=inventory or 0,
        last_check_on=last.checked_on if last else None,
        last_check_amount=f"{last.amount:.2f}" if last else None,
    )
