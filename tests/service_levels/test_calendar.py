"""Tenant calendar: validation, holidays (incl. Alsace-Moselle), extra days, instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from vigile.service_levels import (
    CalendarError,
    NaiveDatetimeError,
    NoOpenTimeError,
    TenantCalendar,
    parse_holiday_spec,
    parse_hours,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def test_defaults():
    cal = TenantCalendar()
    assert cal.timezone == "Europe/Paris"
    assert cal.public_holidays == "FR"
    assert str(cal.hours) == "mon-fri 09:00-18:00"


@pytest.mark.parametrize(
    ("spec", "stored", "parsed"),
    [
        ("FR", "FR", ("FR", None)),
        ("FR-57", "FR-57", ("FR", "57")),
        ("FR-6AE", "FR-6AE", ("FR", "6AE")),
        ("fr-6ae", "FR-6AE", ("FR", "6AE")),
        ("FR-Alsace", "FR-6AE", ("FR", "6AE")),
        ("FR-Moselle", "FR-57", ("FR", "57")),
        ("DE-BY", "DE-BY", ("DE", "BY")),
    ],
)
def test_holiday_specs(spec, stored, parsed):
    assert TenantCalendar(public_holidays=spec).public_holidays == stored
    assert parse_holiday_spec(spec) == parsed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("XX", "unknown public-holiday country 'XX'"),
        ("FR-67", "unknown subdivision '67' of FR.*57 = Moselle, 6AE = Alsace"),
        ("", "public holidays must be text"),
    ],
)
def test_unknown_holiday_specs(spec, message):
    with pytest.raises(CalendarError, match=message):
        TenantCalendar(public_holidays=spec)


@pytest.mark.parametrize("spec", ["FR-57", "FR-6AE"])
def test_alsace_moselle_add_good_friday_and_26_december(spec):
    national, local = TenantCalendar(), TenantCalendar(public_holidays=spec)
    for day in (date(2026, 4, 3), date(2026, 12, 26), date(2027, 3, 26), date(2027, 12, 26)):
        assert not national.is_holiday(day)
        assert local.is_holiday(day)
    assert local.holiday_name(date(2026, 4, 3)) == "Good Friday"
    assert national.is_holiday(date(2026, 12, 25)) and local.is_holiday(date(2026, 12, 25))


def test_no_public_holidays():
    cal = TenantCalendar(public_holidays=None)
    assert cal.hours_on(date(2026, 12, 25)) == ((540, 1080),)


def test_bad_time_zone():
    with pytest.raises(CalendarError, match=r"unknown time zone 'Europe/Pariss'.*IANA"):
        TenantCalendar(timezone="Europe/Pariss")


def test_bad_days():
    with pytest.raises(CalendarError, match="both extra closed and extra open: 2026-12-24"):
        TenantCalendar(closed_days=frozenset({date(2026, 12, 24)}), open_days={date(2026, 12, 24)})
    with pytest.raises(CalendarError, match="must contain dates"):
        TenantCalendar(closed_days=frozenset({datetime(2026, 12, 24)}))


def test_hours_on_precedence():
    cal = TenantCalendar(
        hours=parse_hours("mon-fri 08:30-12:00,13:30-18:00"),
        closed_days=frozenset({date(2026, 12, 24)}),
        open_days=frozenset({date(2026, 12, 26), date(2026, 5, 1), date(2026, 12, 21)}),
    )
    assert cal.hours_on(date(2026, 12, 24)) == ()  # extra closed Thursday
    assert cal.hours_on(date(2026, 12, 25)) == ()  # Christmas
    assert cal.hours_on(date(2026, 5, 1)) == ((510, 720), (810, 1080))  # open on a holiday
    # A Saturday opened: the weekday has no hours, so the first open weekday's hours apply.
    assert cal.hours_on(date(2026, 12, 26)) == ((510, 720), (810, 1080))
    assert cal.hours_on(date(2026, 12, 21)) == ((510, 720), (810, 1080))  # already open: no-op
    assert cal.hours_on(date(2026, 12, 27)) == ()


def test_extra_open_day_hours_override():
    cal = TenantCalendar(
        open_days=frozenset({date(2026, 12, 26)}), extra_open_day_hours="10:00-12:00"
    )
    assert cal.hours_on(date(2026, 12, 26)) == ((600, 720),)
    closed_week = TenantCalendar(
        hours=parse_hours("closed"), open_days=frozenset({date(2026, 12, 26)})
    )
    assert closed_week.hours_on(date(2026, 12, 26)) == ((540, 1080),)
    with pytest.raises(CalendarError, match="at least one interval"):
        TenantCalendar(extra_open_day_hours=())


def test_is_open_and_next_opening():
    cal = TenantCalendar()
    assert cal.is_open(paris("2026-12-28T09:00"))
    assert cal.is_open(paris("2026-12-28T17:59:59"))
    assert not cal.is_open(paris("2026-12-28T18:00"))
    assert not cal.is_open(paris("2026-12-28T08:59:59"))
    assert cal.next_opening(paris("2026-12-28T10:00")) == paris("2026-12-28T10:00")
    assert cal.next_opening(paris("2026-12-24T18:00")) == paris("2026-12-28T09:00")
    assert cal.next_opening(paris("2026-12-31T20:00")).tzinfo is UTC
    assert cal.next_opening(paris("2026-12-31T20:00")) == paris("2027-01-04T09:00")


def test_open_time_between():
    cal = TenantCalendar()
    start, end = paris("2026-12-24T17:00"), paris("2026-12-28T10:30")
    assert cal.open_time_between(start, end) == timedelta(hours=2, minutes=30)
    assert cal.open_time_between(end, start) == -timedelta(hours=2, minutes=30)
    assert cal.open_time_between(start, start) == timedelta(0)
    # 2026 in France: 261 weekdays, 9 of them public holidays (Aug 15 and Nov 1 on weekends).
    year = cal.open_time_between(paris("2026-01-01T00:00"), paris("2027-01-01T00:00"))
    assert year == timedelta(hours=9 * (261 - 9))


def test_open_intervals_clipped():
    cal = TenantCalendar()
    got = list(cal.open_intervals(paris("2026-12-24T17:00"), paris("2026-12-28T10:00")))
    assert got == [
        (paris("2026-12-24T17:00"), paris("2026-12-24T18:00")),
        (paris("2026-12-28T09:00"), paris("2026-12-28T10:00")),
    ]


def test_naive_datetimes_refused():
    cal = TenantCalendar()
    with pytest.raises(NaiveDatetimeError, match=r"has no UTC offset.*2026-12-28T08:00:00Z"):
        cal.is_open(datetime(2026, 12, 28, 10))
    with pytest.raises(NaiveDatetimeError):
        cal.open_time_between(paris("2026-12-28T10:00"), datetime(2026, 12, 28, 12))


def test_no_open_hours_is_an_error_not_a_loop():
    cal = TenantCalendar(hours=parse_hours("closed"))
    with pytest.raises(NoOpenTimeError, match="no opening hours"):
        cal.next_opening(paris("2026-12-28T10:00"))
    with pytest.raises(NoOpenTimeError):
        cal.add_open_time(paris("2026-12-28T10:00"), timedelta(hours=1))
    assert cal.open_time_between(paris("2026-12-28T10:00"), paris("2027-12-28T10:00")) == timedelta(
        0
    )


def test_closed_for_years_is_an_error():
    start = date(2026, 1, 1)
    cal = TenantCalendar(closed_days=frozenset(start + timedelta(days=i) for i in range(800)))
    with pytest.raises(NoOpenTimeError, match="no open time for 732 days"):
        cal.next_opening(paris("2026-01-01T10:00"))


def test_only_past_extra_open_days():
    cal = TenantCalendar(hours=parse_hours("closed"), open_days=frozenset({date(2026, 12, 26)}))
    assert cal.next_opening(paris("2026-12-01T00:00")) == paris("2026-12-26T09:00")
    with pytest.raises(NoOpenTimeError):
        cal.next_opening(paris("2026-12-28T00:00"))


def test_long_closure_is_walked_quickly():
    # Closed for ten months: still one step per day, not per minute.
    start = date(2026, 1, 1)
    cal = TenantCalendar(closed_days=frozenset(start + timedelta(days=i) for i in range(300)))
    assert cal.next_opening(paris("2026-01-01T10:00")) == paris("2026-10-28T09:00")


def test_to_local_keeps_tenant_offset():
    cal = TenantCalendar()
    assert cal.to_local(datetime(2026, 12, 28, 9, 30, tzinfo=UTC)).isoformat() == (
        "2026-12-28T10:30:00+01:00"
    )
    assert cal.local_date(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == date(2026, 12, 1)
