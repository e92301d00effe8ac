"""The true-up arithmetic: hand-worked examples and properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile.assets.trueup import anniversary, check, prorata, round_half_up, subscription_year

START = date(2026, 1, 1)
PRICE = Decimal("500.00")


def test_worked_example_from_the_docstring() -> None:
    result = check(
        monitored=110,
        subscribed=100,
        previous=None,
        subscription_start=START,
        on=date(2026, 9, 1),
        unit_price=PRICE,
    )
    assert result.increase == 10 and result.increase_pct == Decimal("10.00")
    assert result.regularisation_due and result.excess == 10
    assert (result.year.start, result.year.end) == (START, date(2027, 1, 1))
    assert result.year.days_left(date(2026, 9, 1)) == 122
    assert result.amount == Decimal("1671.23")  # 10 × 500 × 122/365 = 1671.2328…
    assert result.subscribed_after == 110


def test_threshold_is_five_percent_inclusive() -> None:
    common = {"subscribed": 200, "subscription_start": START, "on": date(2026, 7, 1)}
    below = check(monitored=209, previous=None, unit_price=PRICE, **common)  # type: ignore[arg-type]
    assert not below.regularisation_due and below.amount == Decimal("0.00")
    assert below.subscribed_after == 200
    at = check(monitored=210, previous=None, unit_price=PRICE, **common)  # type: ignore[arg-type]
    # 10 × 500 × 184/365 = 2520.547… (1 July → 1 January: 184 days)
    assert at.regularisation_due and at.amount == Decimal("2520.55")


def test_increase_is_measured_from_the_previous_check() -> None:
    # 103 then 106 against 100 subscribed: each step +3 (< 5 %), nothing due although 6 above.
    first = check(
        monitored=103,
        subscribed=100,
        previous=None,
        subscription_start=START,
        on=date(2026, 3, 1),
        unit_price=PRICE,
    )
    second = check(
        monitored=106,
        subscribed=first.subscribed_after,
        previous=103,
        subscription_start=START,
        on=date(2026, 6, 1),
        unit_price=PRICE,
    )
    assert not first.regularisation_due and not second.regularisation_due
    assert second.increase == 3


def test_decrease_is_never_a_credit() -> None:
    result = check(
        monitored=80,
        subscribed=100,
        previous=100,
        subscription_start=START,
        on=date(2026, 6, 1),
        unit_price=PRICE,
    )
    assert result.decrease and not result.regularisation_due
    assert result.amount == Decimal("0.00") and result.subscribed_after == 100


def test_increase_below_subscription_is_not_due() -> None:
    # +10 since the previous check, but still under the subscribed count: nothing above it.
    result = check(
        monitored=90,
        subscribed=100,
        previous=80,
        subscription_start=START,
        on=date(2026, 6, 1),
        unit_price=PRICE,
    )
    assert result.increase == 10 and not result.regularisation_due


def test_check_on_the_anniversary_is_a_full_year_and_the_day_before_one_day() -> None:
    start = date(2025, 3, 15)
    assert prorata(start, date(2026, 3, 15)) == 1
    assert prorata(start, date(2026, 3, 14)) == Fraction(1, 365)
    year = subscription_year(start, date(2026, 3, 14))
    assert (year.start, year.end) == (date(2025, 3, 15), date(2026, 3, 15))


def test_leap_year_anniversaries() -> None:
    start = date(2024, 2, 29)
    assert anniversary(start, 2025) == date(2025, 2, 28)
    assert anniversary(start, 2028) == date(2028, 2, 29)
    year = subscription_year(start, date(2027, 3, 1))
    assert (year.start, year.end, year.days) == (date(2027, 2, 28), date(2028, 2, 29), 366)
    # A year holding 29 February 2028 has 366 days: 1 Jan 2028 → 29 Feb 2028 is 59 days left.
    result = check(
        monitored=121,
        subscribed=100,
        previous=None,
        subscription_start=start,
        on=date(2028, 1, 1),
        unit_price=Decimal("1000"),
    )
    assert result.amount == Decimal("3385.25")  # 21 × 1000 × 59/366 = 3385.245…


def test_rounding_is_half_up() -> None:
    assert round_half_up(Fraction(84625, 100)) == Decimal("846.25")
    assert round_half_up(Fraction(1, 200)) == Decimal("0.01")
    assert round_half_up(Fraction(1, 201)) == Decimal("0.00")
    assert round_half_up(Fraction(-1, 200)) == Decimal("-0.01")


def test_missing_price_when_due_is_an_error_and_before_start_too() -> None:
    with pytest.raises(ValueError, match="no per-asset price"):
        check(
            monitored=120,
            subscribed=100,
            previous=None,
            subscription_start=START,
            on=date(2026, 2, 1),
            unit_price=None,
        )
    with pytest.raises(ValueError, match="before the subscription start"):
        subscription_year(START, date(2025, 12, 31))


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(start=dates, offset=st.integers(min_value=0, max_value=20_000))
def test_prorata_is_in_zero_one_and_year_contains_the_day(start: date, offset: int) -> None:
    on = start + timedelta(days=offset)
    share = prorata(start, on)
    assert 0 < share <= 1
    year = subscription_year(start, on)
    assert year.start <= on < year.end and year.days in (365, 366)


@given(
    start=dates,
    offset=st.integers(min_value=0, max_value=5_000),
    monitored=st.integers(min_value=0, max_value=100_000),
    subscribed=st.integers(min_value=0, max_value=100_000),
    previous=st.none() | st.integers(min_value=0, max_value=100_000),
    price=st.decimals(min_value=0, max_value=100_000, places=2),
)
def test_amount_is_never_negative_and_bounded(
    start: date, offset: int, monitored: int, subscribed: int, previous: int | None, price: Decimal
) -> None:
    on = start + timedelta(days=offset)
    result = check(
        monitored=monitored,
        subscribed=subscribed,
        previous=previous,
        subscription_start=start,
        on=on,
        unit_price=price,
    )
    assert result.amount >= 0
    assert result.amount <= round_half_up(Fraction(result.excess) * Fraction(price))
    if not result.regularisation_due:
        assert result.amount == 0 and result.subscribed_after == subscribed
    else:
        assert result.increase * 20 >= subscribed and monitored > subscribed
    assert result.amount == result.amount.quantize(Decimal("0.01"))
