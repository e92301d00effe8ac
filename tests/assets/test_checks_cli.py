"""`vigile assets check`: worked true-up examples through the CLI (json keys as the issue)."""

from __future__ import annotations

import pytest

from tests.assets.conftest import invoke, invoke_json

pytestmark = pytest.mark.usefixtures("cli")


def _contract(*args: str) -> None:
    invoke("contract", "set", "--tenant", "acme", *args)


def _check(at: str, monitored: int, *extra: str) -> dict[str, object]:
    args = ["assets", "check", "--tenant", "acme", "--at", at, "--monitored", str(monitored)]
    result: dict[str, object] = invoke_json(*args, *extra)
    return result


def test_threshold_regularisation_then_decrease() -> None:
    _contract("--subscribed-assets", "100", "--subscription-start", "2026-01-01",
              "--asset-price", "500", "--price-from", "2025-01-01")  # fmt: skip
    first = _check("2026-03-01", 104)
    assert first["subscribed"] == 100 and first["previous"] is None
    assert first["increase"] == 4 and first["increase_pct"] == 4.0
    assert first["regularisation_due"] is False and first["amount"] == "0.00"
    # +5 since the previous check = 5 % of 100: due on the 9 above; 214 of 365 days left.
    second = _check("2026-06-01", 109)
    assert second["previous"] == 104 and second["increase"] == 5
    assert second["regularisation_due"] is True
    assert second["amount"] == "2638.36"  # 9 × 500 × 214 / 365 = 2638.356…
    third = _check("2026-09-01", 100)
    assert third["subscribed"] == 109 and third["increase"] == -9
    assert third["regularisation_due"] is False and third["amount"] == "0.00"
    assert any("no credit" in note for note in third["notes"])  # type: ignore[attr-defined]
    assert "no credit" in invoke(
        "assets", "check", "--tenant", "acme", "--at", "2026-09-02", "--monitored", "90",
        "--dry-run",
    )  # fmt: skip
    out = invoke("assets", "check", "--tenant", "acme", "--at", "2026-08-01", code=1)
    assert "before the latest" in out


def test_year_boundary_and_price_change() -> None:
    _contract("--subscribed-assets", "200", "--subscription-start", "2025-07-01",
              "--asset-price", "100", "--price-from", "2025-07-01")  # fmt: skip
    _contract("--asset-price", "120", "--price-from", "2026-07-01")
    last_day = _check("2026-06-30", 220, "--dry-run")
    assert (last_day["year_start"], last_day["year_end"]) == ("2025-07-01", "2026-07-01")
    assert last_day["days_left"] == 1 and last_day["unit_price"] == "100.00"
    assert last_day["amount"] == "5.48" and last_day["recorded"] is False  # 20 × 100 / 365
    anniversary = _check("2026-07-01", 220)
    assert anniversary["previous"] is None  # the dry run recorded nothing
    assert anniversary["days_left"] == 365 and anniversary["unit_price"] == "120.00"
    assert anniversary["amount"] == "2400.00"


def test_a_new_offer_starts_the_comparison_again() -> None:
    _contract("--subscribed-assets", "100", "--subscription-start", "2026-01-01",
              "--asset-price", "500", "--price-from", "2026-01-01")  # fmt: skip
    _check("2026-02-01", 100)
    _contract("--subscribed-assets", "150")
    after = _check("2026-03-01", 160)
    assert after["previous"] is None and after["subscribed"] == 150
    assert after["increase"] == 10 and after["regularisation_due"] is True


def test_leap_year_subscription_and_missing_terms() -> None:
    out = invoke("assets", "check", "--tenant", "acme", "--at", "2026-01-01", code=1)
    assert "subscribed asset count" in out
    _contract("--subscribed-assets", "100", "--subscription-start", "2024-02-29",
              "--asset-price", "1000", "--price-from", "2024-01-01")  # fmt: skip
    result = _check("2027-02-28", 110, "--dry-run")  # anniversary of 29 Feb in a common year
    assert (result["year_start"], result["year_end"]) == ("2027-02-28", "2028-02-29")
    assert result["days_in_year"] == 366 and result["amount"] == "10000.00"
    table = invoke(
        "assets", "check", "--tenant", "acme", "--at", "2027-03-01", "--monitored", "110"
    )
    assert "9972.68" in table  # 10 × 1000 × 365/366 = 9972.677…
