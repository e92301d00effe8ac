"""`vigile csirt …` as the issue lists it: subscription, notice, credits, time spent."""

from __future__ import annotations

import pytest

from tests.csirt.conftest import invoke, invoke_json

pytestmark = pytest.mark.usefixtures("cli")


def test_status_deadline_and_late_notice() -> None:
    invoke("csirt", "subscribe", "--tenant", "acme", "--start", "2026-06-01", "--term-months", "12")
    status = invoke_json("csirt", "status", "--tenant", "acme", "--at", "2026-12-01")
    assert status["term_start"] == "2026-06-01" and status["term_end"] == "2027-05-31"
    assert status["notice_deadline"] == "2027-02-28"
    assert status["notice_received"] is None and status["notice_in_time"] is None
    assert status["ends_on"] is None
    invoke("csirt", "notice", "--tenant", "acme", "--received", "2027-03-01")
    status = invoke_json("csirt", "status", "--tenant", "acme", "--at", "2027-03-02")
    assert status["notice_received"] == "2027-03-01" and status["notice_in_time"] is False
    assert status["ends_on"] == "2028-05-31"
    # Renewed term, tacitly, then the end.
    status = invoke_json("csirt", "status", "--tenant", "acme", "--at", "2027-06-01")
    assert (status["term_start"], status["term_end"]) == ("2027-06-01", "2028-05-31")
    assert "2028-05-31" in invoke("csirt", "status", "--tenant", "acme", "--at", "2027-06-01")
    out = invoke("csirt", "notice", "--tenant", "acme", "--received", "2027-03-05", code=1)
    assert "already" in out


def test_notice_in_time_on_the_deadline() -> None:
    invoke("csirt", "subscribe", "--tenant", "acme", "--start", "2027-06-01", "--term-months", "12")
    invoke("csirt", "notice", "--tenant", "acme", "--received", "2028-02-29")
    status = invoke_json("csirt", "status", "--tenant", "acme", "--at", "2028-03-01")
    assert status["notice_deadline"] == "2028-02-29" and status["notice_in_time"] is True
    assert status["ends_on"] == "2028-05-31"


def test_credits_across_purchases_and_expiry() -> None:
    invoke("csirt", "buy", "--tenant", "acme", "--date", "2024-02-29", "--credits", "10")
    invoke("csirt", "buy", "--tenant", "acme", "--date", "2025-01-15", "--credits", "5")
    invoke("csirt", "consume", "--tenant", "acme", "--date", "2025-06-01", "--credits", "4",
           "--incident", "INC-7")  # fmt: skip
    credits = invoke_json("csirt", "credits", "--tenant", "acme", "--at", "2027-02-27")
    assert credits["balance"] == 11
    assert [
        (p["date"], p["credits"], p["remaining"], p["expires"]) for p in credits["purchases"]
    ] == [
        ("2024-02-29", 10, 6, "2027-02-28"),
        ("2025-01-15", 5, 5, "2028-01-15"),
    ]
    # Written off on the expiry date: the 6 left of the first purchase are gone.
    credits = invoke_json("csirt", "credits", "--tenant", "acme", "--at", "2027-02-28")
    assert credits["balance"] == 5 and credits["purchases"][0]["remaining"] == 0
    out = invoke("csirt", "consume", "--tenant", "acme", "--date", "2027-02-28", "--credits", "6",
                 code=1)  # fmt: skip
    assert "insufficient" in out or "only 5 available" in out
    # An earlier consumption may not leave the later one uncovered.
    invoke("csirt", "consume", "--tenant", "acme", "--date", "2027-03-01", "--credits", "5")
    out = invoke("csirt", "consume", "--tenant", "acme", "--date", "2025-02-01", "--credits", "7",
                 code=1)  # fmt: skip
    assert "uncovered" in out
    invoke("csirt", "consume", "--tenant", "acme", "--date", "2025-02-01", "--credits", "6")
    assert invoke_json("csirt", "credits", "--tenant", "acme", "--at", "2030-01-01")["balance"] == 0


def test_time_spent_is_billed_to_the_cent() -> None:
    invoke("csirt", "time", "add", "--tenant", "acme", "--incident", "INC-7", "--who", "Alice",
           "--hours", "2.5", "--rate", "180.33", "--date", "2026-05-02",
           "--kind", "third_party_collaboration")  # fmt: skip
    rows = invoke_json("csirt", "time", "list", "--tenant", "acme")
    assert rows[0]["amount"] == "450.83" and rows[0]["kind"] == "third_party_collaboration"
    assert "450.83" in invoke("csirt", "time", "list", "--tenant", "acme")
