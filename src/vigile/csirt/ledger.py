"""Prepaid CSIRT credits (contract art. 4), as a pure ledger replayed from its history.

Each purchase is valid until consumed and at most 3 years: it expires on the purchase date
+ 3 years (29 February → 28 February) and is usable strictly before that day. On each day, in
order: credits reaching their expiry date are written off, purchases of the day are added, then
consumptions of the day draw from the purchases expiring first (then the oldest purchase).

A consumption is refused when, replayed with the others, some consumption (its own or a later
one) cannot be covered on its date: an earlier-dated consumption must not leave a later one
uncovered. Balance on any date = bought − consumed − expired (up to that date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from vigile.csirt.terms import add_months

VALIDITY_YEARS = 3


def expiry(purchased_on: date) -> date:
    """First day on which credits bought on ``purchased_on`` can no longer be used."""
    return add_months(purchased_on, 12 * VALIDITY_YEARS)


@dataclass(frozen=True)
class Purchase:
    """Credits bought on a date (``key`` identifies it to the caller, e.g. a row id)."""

    key: int
    on: date
    credits: int

    @property
    def expires(self) -> date:
        return expiry(self.on)


@dataclass(frozen=True)
class Consumption:
    """Credits used on a date."""

    key: int
    on: date
    credits: int


class InsufficientCredits(ValueError):
    """A consumption cannot be covered on its date."""

    def __init__(self, consumption: Consumption, available: int) -> None:
        self.consumption = consumption
        self.available = available
        super().__init__(
            f"insufficient credits on {consumption.on.isoformat()}: "
            f"{consumption.credits} requested, {available} available"
        )


@dataclass
class Lot:
    """A purchase as replayed up to some date."""

    purchase: Purchase
    remaining: int
    consumed: int = 0
    expired: int = 0
    draws: list[tuple[int, int]] = field(default_factory=list)  # (consumption key, credits)


@dataclass(frozen=True)
class LedgerState:
    """The ledger on a date: every purchase made by then, and the totals."""

    on: date
    lots: tuple[Lot, ...]

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots)

    @property
    def bought(self) -> int:
        return sum(lot.purchase.credits for lot in self.lots)

    @property
    def consumed(self) -> int:
        return sum(lot.consumed for lot in self.lots)

    @property
    def expired(self) -> int:
        return sum(lot.expired for lot in self.lots)


def replay(
    purchases: Sequence[Purchase], consumptions: Sequence[Consumption], on: date
) -> LedgerState:
    """The ledger at the end of ``on``; InsufficientCredits when a consumption up to that date
    cannot be covered."""
    lots = [Lot(p, p.credits) for p in sorted(purchases, key=lambda p: (p.on, p.key))]
    used = sorted((c for c in consumptions if c.on <= on), key=lambda c: (c.on, c.key))
    days = sorted({p.on for p in purchases if p.on <= on} | {c.on for c in used})
    days += sorted({lot.purchase.expires for lot in lots if lot.purchase.expires <= on})
    for day in sorted(set(days)):
        for lot in lots:  # write-offs at the start of the expiry day
            if lot.purchase.expires == day and lot.remaining:
                lot.expired, lot.remaining = lot.remaining, 0
        usable = [lot for lot in lots if lot.purchase.on <= day < lot.purchase.expires]
        usable.sort(key=lambda lot: (lot.purchase.expires, lot.purchase.on, lot.purchase.key))
        for consumption in (c for c in used if c.on == day):
            available = sum(lot.remaining for lot in usable)
            if consumption.credits > available:
                raise InsufficientCredits(consumption, available)
            wanted = consumption.credits
            for lot in usable:
                take = min(wanted, lot.remaining)
                if take:
                    lot.remaining -= take
                    lot.consumed += take
                    lot.draws.append((consumption.key, take))
                    wanted -= take
    return LedgerState(on, tuple(lot for lot in lots if lot.purchase.on <= on))


def check_consumption(
    purchases: Sequence[Purchase], consumptions: Sequence[Consumption], new: Consumption
) -> None:
    """Raise InsufficientCredits unless ``new`` and every other consumption remain covered."""
    if new.credits < 1:
        raise ValueError("a consumption uses at least one credit")
    last = max([new.on, *(c.on for c in consumptions)])
    replay(purchases, [*consumptions, new], last)
