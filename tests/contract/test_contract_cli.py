"""`vigile contract …`: terms, phases, prices with history, perimeter changes."""

from __future__ import annotations

import pytest

from tests.contract.conftest import invoke, invoke_json

pytestmark = pytest.mark.usefixtures("cli")


def test_set_then_show_keeps_price_history() -> None:
    invoke(
        "contract", "set", "--tenant", "acme", "--offer", "OC-2026-17",
        "--build-start", "2026-01-05", "--run-start", "2026-02-01", "--go-live", "2026-03-02",
        "--service-hours", "24x7", "--subscribed-assets", "200",
        "--subscription-start", "2026-02-01", "--committee", "quarterly",
        "--asset-price", "120.00", "--price-from", "2026-02-01",
    )  # fmt: skip
    shown = invoke_json("contract", "set", "--tenant", "acme", "--asset-price", "132.5",
                        "--price-from", "2099-01-01")  # fmt: skip
    assert shown["offer_reference"] == "OC-2026-17" and shown["subscribed_assets"] == 200
    assert shown["go_live"] == "2026-03-02" and shown["service_hours"] == "24x7"
    assert shown["committee_recurrence"] == "quarterly"
    assert [p["yearly_price"] for p in shown["prices"]] == ["120.00", "132.50"]
    assert shown["price_in_force"]["yearly_price"] == "120.00"  # 2099's is not in force yet
    assert shown["phases"] == ["run"] and shown["service_levels_active"] is True
    # Go-live and service hours are the tenant's (they drive service levels).
    tenant = invoke_json("tenant", "show", "acme")
    assert tenant["go_live"] == "2026-03-02" and tenant["twenty_four_seven"] is True
    assert "132.50" in invoke("contract", "show", "--tenant", "acme")


def test_a_price_needs_its_date_and_a_date_takes_one_price() -> None:
    out = invoke("contract", "set", "--tenant", "acme", "--asset-price", "10", code=2)
    assert "--price-from" in out
    invoke(
        "contract", "set", "--tenant", "acme", "--asset-price", "10", "--price-from", "2026-01-01"
    )
    out = invoke(
        "contract", "set", "--tenant", "acme", "--asset-price", "11", "--price-from", "2026-01-01",
        code=1,
    )  # fmt: skip
    assert "already" in out


def test_perimeter_changes_are_listed_by_period() -> None:
    for day, text in [("2026-03-01", "new VPN"), ("2026-04-15", "AD upgrade 2022")]:
        invoke("contract", "perimeter", "add", "--tenant", "acme", "--date", day,
               "--description", text, "--kind", "software_version", "--asset", "dc01")  # fmt: skip
    april = invoke_json("contract", "perimeter", "list", "--tenant", "acme", "--from", "2026-04-01")
    assert [c["description"] for c in april] == ["AD upgrade 2022"]
    assert april[0]["affected_assets"] == ["dc01"] and april[0]["declared_by"].startswith("cli:")
    assert len(invoke_json("contract", "perimeter", "list", "--tenant", "acme")) == 2
