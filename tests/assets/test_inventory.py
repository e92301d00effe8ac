"""Inventory: discovery from events, declarations, CSV import, the monitored count, the KPI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.assets.conftest import invoke, invoke_json
from vigile.assets import service
from vigile.assets.csv_import import CsvProblems, parse_csv
from vigile.assets.discovery import observations_from_events
from vigile.assets.types import AssetKind, Counting, Observation
from vigile.pagination import PageRequest
from vigile.scope import local_operator
from vigile.tenants import contract_service
from vigile.tenants import service as tenants
from vigile.tenants.contract_schemas import ContractUpdate
from vigile.tenants.schemas import TenantCreate

OP = local_operator("test")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_observations_from_windows_and_ecs_events() -> None:
    found = observations_from_events(
        [
            {"Computer": "WS01.corp.local", "IpAddress": "10.0.0.5", "TargetUserName": "Alice"},
            {"SubjectUserName": "SYSTEM", "SourceIp": "8.8.8.8"},
            {"host": {"name": "web01"}, "source": {"ip": "::ffff:192.168.1.9"}},
        ]
    )
    assert found == {
        Observation(AssetKind.HOST, "ws01.corp.local"),
        Observation(AssetKind.IP, "10.0.0.5"),
        Observation(AssetKind.ACCOUNT, "alice"),
        Observation(AssetKind.HOST, "web01"),
        Observation(AssetKind.IP, "192.168.1.9"),
    }


def test_csv_parsing_reports_every_bad_line() -> None:
    rows = parse_csv("kind,name,monitored\nhost,DC01,oui\nnetwork,10.1.0.0/16,\nip,10.0.0.1,no\n")
    assert [(r.kind, r.name, r.monitored) for r in rows] == [
        (AssetKind.HOST, "dc01", True),
        (AssetKind.NETWORK, "10.1.0.0/16", True),
        (AssetKind.IP, "10.0.0.1", False),
    ]
    with pytest.raises(CsvProblems) as bad:
        parse_csv("kind,name\nserver,x\nip,999.1.1.1\nhost,ok\n")
    assert [p.split(":")[0] for p in bad.value.problems] == ["line 2", "line 3"]


def test_record_seen_and_the_monitored_count(session: Session) -> None:
    with session.begin():
        tenant = tenants.create_tenant(session, OP, TenantCreate(slug="acme", name="ACME"))
        contract_service.update_contract(
            session, OP, "acme", ContractUpdate(subscribed_assets=3), NOW.date()
        )
    seen = [Observation(AssetKind.HOST, "ws01"), Observation(AssetKind.ACCOUNT, "alice")]
    with session.begin():
        service.record_seen(session, tenant.id, seen, NOW - timedelta(days=40))
    with session.begin():  # a later batch, then a replayed older one
        service.record_seen(session, tenant.id, [Observation(AssetKind.HOST, "ws01")], NOW)
        service.record_seen(session, tenant.id, seen[:1], NOW - timedelta(days=50))
        service.record_events_seen(session, tenant.id, [{"Computer": "WS02"}], NOW)
    counting = Counting()
    with session.begin():
        rows, total = service.list_assets(session, OP, "acme", PageRequest(), NOW.date(), counting)
        ws01 = next(r for r in rows if r.name == "ws01")
        assert total == 3 and ws01.first_seen == NOW - timedelta(days=50)
        assert ws01.last_seen == NOW and ws01.monitored
        assert service.monitored_count(session, OP, tenant.id, NOW.date(), counting) == 2
        # 29 days later ws01/ws02 are still within the 30-day window; 30 days later they are not.
        later = NOW.date() + timedelta(days=29)
        assert service.monitored_count(session, OP, tenant.id, later, counting) == 2
        assert service.monitored_count(session, OP, tenant.id, later + timedelta(1), counting) == 0
        everything = Counting(kinds=frozenset(AssetKind))
        assert service.monitored_by_kind(
            session, OP, tenant.id, date(2026, 10, 20), everything
        ) == {
            "host": 1,
            "account": 1,
        }
        summary = service.asset_summary(session, OP, tenant.id, NOW.date(), counting)
        assert (summary.monitored, summary.subscribed, summary.above_subscription) == (2, 3, 0)
        assert summary.inventory == 3 and summary.by_kind["account"] == 0


@pytest.mark.usefixtures("cli")
def test_declared_assets_count_and_the_check_measures(tmp_path: Path) -> None:
    csv = tmp_path / "assets.csv"
    csv.write_text("kind,name,description,monitored\nhost,DC01,AD,yes\nhost,old,,no\n")
    assert "2 asset(s) declared" in invoke("assets", "import", "--tenant", "acme", str(csv))
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,name\nserver,x\n")
    assert "nothing imported" in invoke("assets", "import", "--tenant", "acme", str(bad), code=1)
    listed = invoke_json("assets", "list", "--tenant", "acme", "--monitored")
    assert [a["name"] for a in listed] == ["dc01"]
    invoke("contract", "set", "--tenant", "acme", "--subscribed-assets", "1",
           "--subscription-start", "2026-01-01")  # fmt: skip
    today = datetime.now(UTC).date().isoformat()
    result = invoke_json("assets", "check", "--tenant", "acme", "--at", today, "--dry-run")
    assert result["measured"] == 1 and result["monitored"] == 1
    summary = json_of(invoke("assets", "summary", "--tenant", "acme"))
    assert summary["monitored"] == 1 and summary["subscribed"] == 1


def json_of(text: str) -> dict[str, object]:
    import json

    data: dict[str, object] = json.loads(text)
    return data
