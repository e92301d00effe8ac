"""The asset true-up of contract art. 4, as pure arithmetic (no database, no I/O).

At each check the monitored asset count is compared with the previous check (for the first
check, with the subscribed count). When the increase is at least 5 % of the subscribed total
*and* monitored assets exceed the subscription, a regularisation is due on the assets above it:

    (monitored − subscribed) × yearly price per asset × days left ÷ days in the subscription year

where *days left* runs from the check date (counted) to the next anniversary of the
subscription start (not counted), and *days in the year* from the previous anniversary to the
next. The amount is rounded to the cent, half up, computed exactly (fractions, never floats).

Leap years: an anniversary of a 29 February start falls on 28 February in non-leap years.
A decrease never produces a credit: the amount is then 0.00.

Worked example: 100 subscribed, first check on 2026-09-01 finds 110 monitored, start
2026-01-01, price 500.00 → increase 10 (10 % ≥ 5 %), 10 assets above, year 2026-01-01 →
2027-01-01 = 365 days, 122 days left → 10 × 500 × 122 / 365 = 1671.232… → "1671.23".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

THRESHOLD_PERCENT = 5
CENT = Decimal("0.01")


def anniversary(start: date, year: int) -> date:
    """The anniversary of ``start`` in ``year`` (29 February → 28 February in a common year)."""
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


@dataclass(frozen=True)
class SubscriptionYear:
    """The subscription year holding a date: ``[start, end)`` between two anniversaries."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def days_left(self, on: date) -> int:
        """Days from ``on`` (counted) to the next anniversary (not counted)."""
        return (self.end - on).days


def subscription_year(subscription_start: date, on: date) -> SubscriptionYear:
    """The subscription year containing ``on`` (which must not precede the start)."""
    if on < subscription_start:
        raise ValueError(
            f"{on.isoformat()} is before the subscription start {subscription_start.isoformat()}"
        )
    previous = anniversary(subscription_start, on.year)
    if previous > on:
        previous = anniversary(subscription_start, on.year - 1)
    return SubscriptionYear(previous, anniversary(subscription_start, previous.year + 1))


def round_half_up(value: Fraction) -> Decimal:
    """``value`` rounded to the cent, halves away from zero (exact: no float on the way)."""
    sign = -1 if value < 0 else 1
    cents = int(abs(value) * 100 + Fraction(1, 2))  # floor of a non-negative number
    return (Decimal(sign * cents) / 100).quantize(CENT)


def prorata(subscription_start: date, on: date) -> Fraction:
    """Share of the current subscription year left on ``on`` (in (0, 1])."""
    year = subscription_year(subscription_start, on)
    return Fraction(year.days_left(on), year.days)


def threshold_reached(increase: int, subscribed: int) -> bool:
    """Whether ``increase`` is at least 5 % of ``subscribed`` (integer arithmetic)."""
    return increase > 0 and increase * 100 >= THRESHOLD_PERCENT * subscribed


@dataclass(frozen=True)
class CheckResult:
    """One true-up check, computed."""

    monitored: int
    subscribed: int
    previous: int | None
    increase: int
    increase_pct: Decimal | None
    regularisation_due: bool
    excess: int
    unit_price: Decimal | None
    year: SubscriptionYear
    amount: Decimal

    @property
    def subscribed_after(self) -> int:
        """The subscribed count until the next check: the monitored count once regularised."""
        return self.monitored if self.regularisation_due else self.subscribed

    @property
    def decrease(self) -> bool:
        return self.increase < 0


def check(
    *,
    monitored: int,
    subscribed: int,
    previous: int | None,
    subscription_start: date,
    on: date,
    unit_price: Decimal | None,
) -> CheckResult:
    """Compute a check on ``on``. ``unit_price`` (yearly, per asset, in force on ``on``) is only
    required when a regularisation is due; ``ValueError`` when it is then missing."""
    if monitored < 0 or subscribed < 0 or (previous is not None and previous < 0):
        raise ValueError("asset counts cannot be negative")
    if unit_price is not None and unit_price < 0:
        raise ValueError("a price cannot be negative")
    year = subscription_year(subscription_start, on)
    base = subscribed if previous is None else previous
    increase = monitored - base
    pct = None
    if subscribed > 0:
        pct = (Decimal(increase * 100) / Decimal(subscribed)).quantize(CENT)
    excess = max(0, monitored - subscribed)
    due = threshold_reached(increase, subscribed) and excess > 0
    amount = Decimal("0.00")
    if due:
        if unit_price is None:
            raise ValueError(f"no per-asset price in force on {on.isoformat()}")
        exact = excess * Fraction(unit_price) * Fraction(year.days_left(on), year.days)
        amount = round_half_up(exact)
    return CheckResult(
        monitored=monitored,
        subscribed=subscribed,
        previous=previous,
        increase=increase,
        increase_pct=pct,
        regularisation_due=due,
        excess=excess,
        unit_price=unit_price,
        year=year,
        amount=amount,
    )
