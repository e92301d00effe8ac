"""Contract, assets and CSIRT cases of the tenant-isolation matrix (tests/web/test_isolation.py).

Each tenant of the isolation world gets a contract with a price, a perimeter change, a declared
asset, a CSIRT subscription with 10 credits and a time entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from vigile.assets import service as assets
from vigile.assets.csv_import import DeclaredAsset
from vigile.assets.types import AssetKind, Counting
from vigile.config import Settings
from vigile.csirt import service as csirt
from vigile.csirt.schemas import PurchaseIn, SubscribeIn, TimeEntryIn
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.pagination import PageRequest
from vigile.scope import local_operator
from vigile.tenants import contract_service, perimeter_service
from vigile.tenants.contract_schemas import ContractUpdate, PerimeterChangeIn, PriceIn

START = date(2026, 1, 1)


def seed_contract(settings: Settings, clock: Callable[[], datetime]) -> dict[str, int]:
    """Ids by key ``perimeter:<slug>`` and ``asset:<slug>``."""
    ids: dict[str, int] = {}
    op = local_operator("test")
    engine = make_engine(settings.effective_database_url)
    with transaction(make_sessionmaker(engine)) as session:
        for slug in ("alpha", "beta"):
            terms = ContractUpdate(subscribed_assets=10, subscription_start=START)
            contract_service.update_contract(session, op, slug, terms, clock().date())
            price = PriceIn(yearly_price=Decimal("100"), effective_from=START)
            contract_service.add_price(session, op, slug, price)
            change = PerimeterChangeIn(changed_on=START, description=f"{slug} change")
            ids[f"perimeter:{slug}"] = perimeter_service.declare_change(
                session, op, slug, change
            ).id
            asset = DeclaredAsset(AssetKind.HOST, f"{slug}-dc01")
            assets.declare_assets(session, op, slug, [asset], clock())
            listed, _ = assets.list_assets(
                session, op, slug, PageRequest(), clock().date(), Counting()
            )
            ids[f"asset:{slug}"] = listed[0].id
            csirt.subscribe(session, op, slug, SubscribeIn(start=START, term_months=12))
            csirt.buy(session, op, slug, PurchaseIn(date=START, credits=10))
            entry = TimeEntryIn(
                incident="INC-1",
                person="Alice",
                date=START,
                hours=Decimal("1"),
                hourly_rate=Decimal("150"),
            )
            csirt.add_time(session, op, slug, entry)
    engine.dispose()
    return ids


def _t(suffix: str, slug: str = "beta") -> Callable[[Any], str]:
    return lambda w: f"/api/v1/tenants/{slug}{suffix}"


def _obj(kind: str, suffix: str, slug: str) -> Callable[[Any], str]:
    return lambda w: f"/api/v1/tenants/{slug}{suffix}/{w.contract_ids[f'{kind}:{slug}']}"


def _read(path: str) -> dict[str, Any]:
    """A route any caller of the tenant may read."""
    return {"method": "GET", "template": "/api/v1/tenants/{slug}" + path,
            "beta_path": _t(path), "alpha_path": _t(path, "alpha")}  # fmt: skip


OBJECT_CASES: list[dict[str, Any]] = [
    _read("/contract"),
    _read("/contract/prices"),
    _read("/perimeter-changes"),
    _read("/assets"),
    _read("/assets/summary"),
    _read("/asset-checks"),
    _read("/csirt"),
    _read("/csirt/credits"),
    _read("/csirt/time"),
    {
        "method": "GET",
        "template": "/api/v1/tenants/{slug}/perimeter-changes/{change_id}",
        "beta_path": _obj("perimeter", "/perimeter-changes", "beta"),
        "alpha_path": _obj("perimeter", "/perimeter-changes", "alpha"),
    },
    {
        "method": "GET",
        "template": "/api/v1/tenants/{slug}/assets/{asset_id}",
        "beta_path": _obj("asset", "/assets", "beta"),
        "alpha_path": _obj("asset", "/assets", "alpha"),
    },
    # Clients (and provider staff) declare perimeter changes and assets.
    {
        "method": "POST",
        "template": "/api/v1/tenants/{slug}/perimeter-changes",
        "beta_path": _t("/perimeter-changes"),
        "alpha_path": _t("/perimeter-changes", "alpha"),
        "body": {"changed_on": "2026-11-01", "description": "stolen"},
    },
    {
        "method": "POST",
        "template": "/api/v1/tenants/{slug}/assets",
        "beta_path": _t("/assets"),
        "alpha_path": _t("/assets", "alpha"),
        "body": {"kind": "host", "name": "stolen"},
    },
    # The provider's changes.
    {
        "method": "PATCH",
        "template": "/api/v1/tenants/{slug}/contract",
        "beta_path": _t("/contract"),
        "alpha_path": None,
        "body": {"offer_reference": "stolen", "subscribed_assets": 1},
        "unchanged": lambda c: c["subscribed_assets"] == 10,
    },
    {
        "method": "POST",
        "template": "/api/v1/tenants/{slug}/contract/prices",
        "beta_path": _t("/contract/prices"),
        "alpha_path": None,
        "body": {"yearly_price": "1.00", "effective_from": "2026-06-01"},
        "unchanged": lambda prices: len(prices) == 1,
    },
    {
        "method": "POST",
        "template": "/api/v1/tenants/{slug}/asset-checks",
        "beta_path": _t("/asset-checks"),
        "alpha_path": None,
        "body": {"at": "2026-11-01", "monitored": 20},
        "unchanged": lambda page: page["total"] == 0,
    },
    {
        "method": "PUT",
        "template": "/api/v1/tenants/{slug}/csirt",
        "beta_path": _t("/csirt"),
        "alpha_path": None,
        "body": {"start": "2020-01-01", "term_months": 1},
        "unchanged": lambda s: s["start"] == "2026-01-01",
    },
    {
        "method": "POST",
        "template": "/api/v1/tenants/{slug}/csirt/notice",
        "beta_path": _t("/csirt/notice"),
        "alpha_path": None,
        "body": {"received": "2026-02-01"},
        "readback": _t("/csirt"),
        "unchanged": lambda s: s["notice_received"] is None,
    },
    {
        "method": "POST",
        "template": "/api/v1/tenants/{slug}/csirt/purchases",
        "beta_path": _t("/csirt/purchases"),
        "alpha_path": None,
        "body": {"date": "2026-01-02", "credits": 5},
        "readback": _t("/csirt/credits"),
        "unchanged": lambda c: c["bought"] == 10,
    },
    {
        "method": "POST",
        "template": "/api/v1/tenants/{slug}/csirt/consumptions",
        "beta_path": _t("/csirt/consumptions"),
        "alpha_path": None,
        "body": {"date": "2026-02-01", "credits": 1, "incident": "stolen"},
        "readback": _t("/csirt/credits"),
        "unchanged": lambda c: c["balance"] == 10,
    },
    {
        "method": "POST",
        "template": "/api/v1/tenants/{slug}/csirt/time",
        "beta_path": _t("/csirt/time"),
        "alpha_path": None,
        "body": {
            "incident": "X",
            "person": "stolen",
            "date": "2026-02-01",
            "hours": "1",
            "hourly_rate": "1",
        },
    },
]
