"""CSIRT subscription terms (contract art. 4), as pure date arithmetic.

A subscription starts on ``start`` for ``term_months``; it renews tacitly for the same duration.
Term *k* (from 0) starts on ``start + k × term_months`` months (a day missing in the target
month is clamped to its last day, always computed from ``start`` so clamping never drifts) and
its last day is the next term's start − 1 day.

Termination needs a notice received at least 3 months before the term: the deadline is the
term's last day − 3 calendar months, clamped to the end of a shorter month (a term ending on
31 May 2027 must be terminated by 28 February 2027; by 29 February in a leap year). A notice
received after its term's deadline takes effect at the end of the following term.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

NOTICE_MONTHS = 3


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (negative allowed), clamped to month end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Term:
    """One term of a subscription: index (0 = initial), first and last day, notice deadline."""

    index: int
    start: date
    end: date

    @property
    def notice_deadline(self) -> date:
        """The last day a notice may be received to terminate at the end of this term."""
        return add_months(self.end, -NOTICE_MONTHS)


@dataclass(frozen=True)
class Subscription:
    """A subscription's start and term length, with an optional notice received."""

    start: date
    term_months: int
    notice_received: date | None = None

    def __post_init__(self) -> None:
        if self.term_months < 1:
            raise ValueError("a term lasts at least one month")

    def term(self, index: int) -> Term:
        """Term ``index`` (0 = initial term)."""
        if index < 0:
            raise ValueError("term index cannot be negative")
        first = add_months(self.start, index * self.term_months)
        following = add_months(self.start, (index + 1) * self.term_months)
        return Term(index, first, following - timedelta(days=1))

    def term_at(self, on: date) -> Term:
        """The term containing ``on`` (the initial term for a date before the start)."""
        if on < self.start:
            return self.term(0)
        elapsed = (on.year - self.start.year) * 12 + on.month - self.start.month
        index = max(0, elapsed // self.term_months - 1)
        while self.term(index + 1).start <= on:
            index += 1
        return self.term(index)

    @property
    def notice_in_time(self) -> bool | None:
        """Whether the notice reached us by its term's deadline (None: no notice)."""
        if self.notice_received is None:
            return None
        return self.notice_received <= self.term_at(self.notice_received).notice_deadline

    @property
    def ends_on(self) -> date | None:
        """Last day of service once a notice is received (None: renews tacitly)."""
        if self.notice_received is None:
            return None
        term = self.term_at(self.notice_received)
        return term.end if self.notice_in_time else self.term(term.index + 1).end

    def active_on(self, on: date) -> bool:
        """Whether the subscription covers ``on``."""
        ends = self.ends_on
        return self.start <= on and (ends is None or on <= ends)

    def status_term(self, on: date) -> Term:
        """The term shown on ``on``: the one containing it, or the last one once ended."""
        ends = self.ends_on
        if ends is not None and on > ends:
            return self.term_at(ends)
        return self.term_at(on)
