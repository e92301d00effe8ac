"""Contract, assets and CSIRT over the API: who may do what on their own tenant."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World

BASE = "/api/v1/tenants/alpha"


def test_client_reads_and_declares_provider_manages(client: TestClient, world: World) -> None:
    admin, analyst = world.headers["admin"], world.headers["analyst-alpha"]
    customer = world.headers["client-alpha"]
    terms = {"subscribed_assets": 2, "subscription_start": "2026-01-01", "service_hours": "24x7"}
    assert client.patch(f"{BASE}/contract", json=terms, headers=customer).status_code == 403
    assert client.patch(f"{BASE}/contract", json=terms, headers=analyst).status_code == 403
    contract = client.patch(f"{BASE}/contract", json=terms, headers=admin).json()
    assert contract["subscribed_assets"] == 2 and contract["service_hours"] == "24x7"
    price = {"yearly_price": "846.25", "effective_from": "2026-01-01"}
    assert client.post(f"{BASE}/contract/prices", json=price, headers=admin).status_code == 201
    assert (
        client.get(f"{BASE}/contract", headers=customer).json()["price_in_force"]["yearly_price"]
        == "846.25"
    )

    # The client declares a change and assets; both are audited and listed.
    change = {"changed_on": "2026-11-20", "kind": "new_service", "description": "Nouveau VPN",
              "affected_assets": ["vpn01"]}  # fmt: skip
    made = client.post(f"{BASE}/perimeter-changes", json=change, headers=customer)
    assert made.status_code == 201 and made.json()["affected_assets"] == ["vpn01"]
    listed = client.get(f"{BASE}/perimeter-changes?from=2026-11-01&to=2026-11-30", headers=analyst)
    assert [c["description"] for c in listed.json()["items"]] == ["Nouveau VPN"]
    assert (
        client.get(f"{BASE}/perimeter-changes?to=2026-10-31", headers=analyst).json()["total"] == 0
    )
    for name in ("vpn01", "dc01", "dc02"):
        body = {"kind": "host", "name": name}
        assert client.post(f"{BASE}/assets", json=body, headers=customer).status_code == 201
    summary = client.get(f"{BASE}/assets/summary", headers=customer).json()
    assert summary["monitored"] == 3 and summary["subscribed"] == 2

    # Checks are the provider's; the client reads the result.
    check = {"at": "2026-11-26"}
    assert client.post(f"{BASE}/asset-checks", json=check, headers=customer).status_code == 403
    done = client.post(f"{BASE}/asset-checks", json=check, headers=analyst)
    assert done.status_code == 201, done.text
    # 1 above 2 subscribed, 36 days left of 365: 846.25 × 36 / 365 = 83.465… → 83.47
    assert done.json()["regularisation_due"] and done.json()["amount"] == "83.47"
    assert client.get(f"{BASE}/asset-checks", headers=customer).json()["total"] == 1
    assert client.get(f"{BASE}/contract", headers=customer).json()["subscribed_assets"] == 3


def test_csirt_roles(client: TestClient, world: World) -> None:
    admin, analyst = world.headers["admin"], world.headers["analyst-alpha"]
    customer = world.headers["client-alpha"]
    assert client.get(f"{BASE}/csirt", headers=customer).status_code == 404  # no subscription
    sub = {"start": "2026-06-01", "term_months": 12}
    assert client.put(f"{BASE}/csirt", json=sub, headers=analyst).status_code == 403
    assert client.put(f"{BASE}/csirt", json=sub, headers=admin).status_code == 200
    status = client.get(f"{BASE}/csirt?at=2026-12-01", headers=customer).json()
    assert status["notice_deadline"] == "2027-02-28"
    buy = {"date": "2026-06-01", "credits": 3}
    assert client.post(f"{BASE}/csirt/purchases", json=buy, headers=customer).status_code == 403
    assert client.post(f"{BASE}/csirt/purchases", json=buy, headers=admin).status_code == 201
    use = {"date": "2026-07-01", "credits": 4, "incident": "INC-1"}
    assert client.post(f"{BASE}/csirt/consumptions", json=use, headers=customer).status_code == 403
    refused = client.post(f"{BASE}/csirt/consumptions", json=use, headers=analyst)
    assert refused.status_code == 422 and "only 3 available" in refused.json()["detail"]
    use["credits"] = 3
    assert (
        client.post(f"{BASE}/csirt/consumptions", json=use, headers=analyst).json()["balance_after"]
        == 0
    )
    credits = client.get(f"{BASE}/csirt/credits?at=2026-07-01", headers=customer).json()
    assert credits["balance"] == 0 and credits["purchases"][0]["expires"] == "2029-06-01"
