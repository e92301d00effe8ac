"""The credits ledger: hand-worked examples and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile.csirt.ledger import (
    Consumption,
    InsufficientCredits,
    Purchase,
    check_consumption,
    expiry,
    replay,
)


def test_expiry_is_three_years_and_29_february_becomes_28() -> None:
    assert expiry(date(2026, 3, 10)) == date(2029, 3, 10)
    assert expiry(date(2024, 2, 29)) == date(2027, 2, 28)


def test_consumption_draws_from_the_purchase_expiring_first_and_expiry_writes_off() -> None:
    buys = [Purchase(1, date(2024, 1, 10), 10), Purchase(2, date(2025, 6, 1), 20)]
    uses = [Consumption(1, date(2025, 7, 1), 4)]
    state = replay(buys, uses, date(2026, 1, 1))
    assert state.balance == 26 and [lot.remaining for lot in state.lots] == [6, 20]
    # The day before expiry the 6 left are usable; on the expiry day they are written off.
    assert replay(buys, uses, date(2027, 1, 9)).balance == 26
    on_expiry = replay(buys, uses, date(2027, 1, 10))
    assert on_expiry.balance == 20 and on_expiry.expired == 6
    assert on_expiry.bought - on_expiry.consumed - on_expiry.expired == on_expiry.balance


def test_consumption_on_the_expiry_day_cannot_use_expiring_credits() -> None:
    buys = [Purchase(1, date(2024, 1, 10), 10)]
    with pytest.raises(InsufficientCredits, match="0 available"):
        check_consumption(buys, [], Consumption(9, date(2027, 1, 10), 1))
    check_consumption(buys, [], Consumption(9, date(2027, 1, 9), 10))


def test_an_earlier_consumption_may_not_uncover_a_later_one() -> None:
    buys = [Purchase(1, date(2026, 1, 1), 10)]
    later = [Consumption(1, date(2026, 6, 1), 8)]
    with pytest.raises(InsufficientCredits) as refused:
        check_consumption(buys, later, Consumption(2, date(2026, 3, 1), 5))
    assert refused.value.consumption.key == 1  # the later one would be uncovered
    check_consumption(buys, later, Consumption(2, date(2026, 3, 1), 2))


def test_an_earlier_consumption_changes_which_lot_later_ones_use() -> None:
    # Lot 1 expires 2029-01-01; a consumption before lot 2 exists uses lot 1 only.
    buys = [Purchase(1, date(2026, 1, 1), 5), Purchase(2, date(2027, 1, 1), 5)]
    uses = [Consumption(1, date(2027, 6, 1), 5)]
    check_consumption(buys, uses, Consumption(2, date(2026, 6, 1), 5))
    state = replay(buys, [*uses, Consumption(2, date(2026, 6, 1), 5)], date(2027, 6, 1))
    assert [lot.remaining for lot in state.lots] == [0, 0]


events = st.lists(
    st.tuples(st.integers(0, 2500), st.integers(1, 20), st.booleans()), min_size=1, max_size=25
)


@given(history=events, at=st.integers(0, 4000))
def test_balance_is_bought_minus_consumed_minus_expired(
    history: list[tuple[int, int, bool]], at: int
) -> None:
    origin = date(2024, 1, 1)
    purchases: list[Purchase] = []
    consumptions: list[Consumption] = []
    for key, (offset, credits, is_purchase) in enumerate(history):
        on = origin + timedelta(days=offset)
        if is_purchase:
            purchases.append(Purchase(key, on, credits))
            continue
        candidate = Consumption(key, on, credits)
        try:
            check_consumption(purchases, consumptions, candidate)
        except InsufficientCredits:
            continue
        consumptions.append(candidate)
    day = origin + timedelta(days=at)
    state = replay(purchases, consumptions, day)
    assert state.balance == state.bought - state.consumed - state.expired >= 0
    assert all(lot.remaining >= 0 for lot in state.lots)
    assert all(lot.remaining == 0 for lot in state.lots if lot.purchase.expires <= day)
    # No accepted consumption is ever uncovered, whatever the order they were accepted in.
    final = max([day, *(c.on for c in consumptions)])
    replay(purchases, consumptions, final)
