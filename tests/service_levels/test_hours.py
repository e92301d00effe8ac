"""Opening-hours text: parser, canonical formatter, error messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.service_levels import (
    DEFAULT_HOURS,
    OpeningHoursError,
    WeeklyHours,
    format_hours,
    parse_hours,
    parse_intervals,
)


def test_default_hours():
    assert format_hours(DEFAULT_HOURS) == "mon-fri 09:00-18:00"
    assert DEFAULT_HOURS.on(0) == ((540, 1080),)
    assert DEFAULT_HOURS.on(5) == ()


def test_issue_example():
    hours = parse_hours("mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00")
    assert hours.on(4) == ((510, 720), (810, 1080))
    assert hours.on(5) == ((540, 720),)
    assert hours.on(6) == ()
    assert str(hours) == "mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("mon 09:00-18:00", "mon 09:00-18:00"),
        ("sat,sun 10:00-12:00", "sat,sun 10:00-12:00"),
        ("mon,wed-fri 9:00-17:00", "mon,wed-fri 09:00-17:00"),
        ("MON-FRI 09:00-12:00 , 14:00-18:00", "mon-fri 09:00-12:00,14:00-18:00"),
        ("sat, sun 10:00-12:00;", "sat,sun 10:00-12:00"),
        ("fri-mon 10:00-11:00", "mon,fri-sun 10:00-11:00"),
        ("mon-sun 00:00-24:00", "mon-sun 00:00-24:00"),
        ("mon-fri 20:00-24:00; sat 00:00-02:00", "mon-fri 20:00-24:00; sat 00:00-02:00"),
        ("lun-ven 09:00-18:00", "mon-fri 09:00-18:00"),
        ("monday 09:00-18:00", "mon 09:00-18:00"),
        # Touching intervals are one interval.
        ("mon 09:00-12:00,12:00-18:00", "mon 09:00-18:00"),
        (
            "mon-fri 09:00-12:00; mon 14:00-16:00",
            "mon 09:00-12:00,14:00-16:00; tue-fri 09:00-12:00",
        ),
        ("closed", "closed"),
    ],
)
def test_parse_and_format(text, canonical):
    hours = parse_hours(text)
    assert format_hours(hours) == canonical
    assert parse_hours(canonical) == hours


def test_24_00_closes_at_midnight():
    assert parse_hours("mon 18:00-24:00").on(0) == ((1080, 1440),)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the text is empty"),
        ("mon-fro 09:00-18:00", "unknown day 'fro'"),
        ("09:00-18:00", "is not DAYS followed by a space"),
        ("mon 09:00", "'09:00' is not an interval"),
        ("mon 9h-18h", "'9h' is not a time HH:MM"),
        ("mon 09:60-10:00", "'09:60' is not a valid time"),
        ("mon 25:00-26:00", "'25:00' is not a valid time"),
        ("mon 24:00-24:00", "24:00 only as a closing time"),
        ("mon 18:00-09:00", "ends before it starts"),
        ("mon 09:00-09:00", "ends before it starts"),
        (
            "mon 09:00-12:00,11:00-13:00",
            "overlapping intervals on mon: 09:00-12:00 and 11:00-13:00",
        ),
        ("mon-fri 09:00-18:00; fri 17:00-19:00", "overlapping intervals on fri"),
        ("mon 09:00-10:00;; tue 09:00-10:00", "group 2 is empty"),
    ],
)
def test_invalid_text_shows_problem_and_expected_form(text, problem):
    with pytest.raises(OpeningHoursError) as info:
        parse_hours(text)
    message = str(info.value)
    assert problem in message
    assert "DAYS HH:MM-HH:MM[,HH:MM-HH:MM…]" in message
    assert "mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00" in message
    assert isinstance(info.value, ValueError)


def test_parse_intervals():
    assert parse_intervals("08:30-12:00, 13:30-18:00") == ((510, 720), (810, 1080))
    with pytest.raises(OpeningHoursError, match="expected HH:MM-HH:MM"):
        parse_intervals("08:30")


def test_weekly_hours_validates_programmatic_input():
    with pytest.raises(OpeningHoursError, match="7 days"):
        WeeklyHours(((),) * 6)
    with pytest.raises(OpeningHoursError, match="overlapping"):
        WeeklyHours((((0, 60), (30, 90)),) + ((),) * 6)
    with pytest.raises(OpeningHoursError, match="within 00:00-24:00"):
        WeeklyHours((((0, 1441),),) + ((),) * 6)
    assert WeeklyHours((((60, 120), (0, 60)),) + ((),) * 6).on(0) == ((0, 120),)


@st.composite
def weekly_hours(draw: st.DrawFn) -> WeeklyHours:
    days = []
    for _ in range(7):
        points = draw(st.lists(st.integers(0, 1440), max_size=6, unique=True).map(sorted))
        points = points[: len(points) // 2 * 2]
        days.append(tuple(zip(points[::2], points[1::2], strict=True)))
    return WeeklyHours(tuple(days))


@settings(max_examples=200, deadline=None)
@given(weekly_hours())
def test_format_parse_round_trip(hours):
    text = format_hours(hours)
    assert parse_hours(text) == hours
    assert format_hours(parse_hours(text)) == text
