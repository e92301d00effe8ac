"""CSIRT terms: hand-worked examples and properties."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from vigile.csirt.terms import Subscription, add_months


def test_term_ending_31_may_has_its_deadline_on_the_last_day_of_february() -> None:
    sub = Subscription(start=date(2026, 6, 1), term_months=12)
    term = sub.term(0)
    assert (term.start, term.end) == (date(2026, 6, 1), date(2027, 5, 31))
    assert term.notice_deadline == date(2027, 2, 28)
    leap = Subscription(start=date(2027, 6, 1), term_months=12).term(0)
    assert leap.end == date(2028, 5, 31) and leap.notice_deadline == date(2028, 2, 29)


def test_tacit_renewal_and_term_at() -> None:
    sub = Subscription(start=date(2026, 1, 15), term_months=12)
    term = sub.term_at(date(2027, 3, 1))
    assert (term.index, term.start, term.end) == (1, date(2027, 1, 15), date(2028, 1, 14))
    assert sub.term_at(date(2026, 1, 1)).index == 0  # before the start: the initial term
    assert sub.ends_on is None and sub.notice_in_time is None


def test_notice_in_time_ends_the_current_term() -> None:
    sub = Subscription(date(2026, 6, 1), 12, notice_received=date(2027, 2, 28))
    assert sub.notice_in_time is True and sub.ends_on == date(2027, 5, 31)
    assert sub.active_on(date(2027, 5, 31)) and not sub.active_on(date(2027, 6, 1))


def test_late_notice_ends_the_following_term() -> None:
    sub = Subscription(date(2026, 6, 1), 12, notice_received=date(2027, 3, 1))
    assert sub.notice_in_time is False and sub.ends_on == date(2028, 5, 31)
    assert sub.status_term(date(2029, 1, 1)).end == date(2028, 5, 31)


def test_month_end_starts_do_not_drift() -> None:
    sub = Subscription(date(2026, 1, 31), 1)
    assert sub.term(0).end == date(2026, 2, 27)
    assert sub.term(1).start == date(2026, 2, 28) and sub.term(2).start == date(2026, 3, 31)
    assert add_months(date(2024, 2, 29), 36) == date(2027, 2, 28)
    assert add_months(date(2026, 5, 31), -3) == date(2026, 2, 28)


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31))


@given(start=dates, months=st.integers(min_value=1, max_value=60), days=st.integers(0, 9000))
def test_terms_tile_time_and_deadline_is_three_months_before(
    start: date, months: int, days: int
) -> None:
    sub = Subscription(start, months)
    on = start + timedelta(days=days)
    term = sub.term_at(on)
    assert term.start <= on <= term.end
    assert sub.term(term.index + 1).start == term.end + timedelta(days=1)
    assert term.notice_deadline <= add_months(term.end, -3)
    assert add_months(term.notice_deadline, 3) >= term.end - timedelta(days=3)


@given(start=dates, months=st.integers(1, 36), days=st.integers(0, 5000))
def test_a_notice_ends_service_at_a_term_end_after_it(start: date, months: int, days: int) -> None:
    received = start + timedelta(days=days)
    sub = Subscription(start, months, notice_received=received)
    assert sub.ends_on is not None and sub.ends_on >= received
    ends_term = sub.term_at(sub.ends_on)
    assert ends_term.end == sub.ends_on
    if sub.notice_in_time:
        assert received <= ends_term.notice_deadline
    else:
        assert ends_term.index == sub.term_at(received).index + 1
